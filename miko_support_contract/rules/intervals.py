"""Activity intervals: record validation.

An activity has a begin and an end, naive UTC with second precision as Odoo stores them; it
must end after it begins and last at most 24 hours (:func:`validate_interval`: the activity's
constraint and the messages of ``register_activities``). The midnight split, the union of a
day's intervals and the half-up minute rounding are SQL (``models/billing_sql.py``); their
readable Python oracle lives with the tests (``tests/oracle_intervals.py``).
"""

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from . import RuleError, _lt

MOSCOW = "Europe/Moscow"
MAX_DURATION = timedelta(hours=24)
_SECOND = timedelta(seconds=1)


def _zone(tz):
    """A ``ZoneInfo`` from a zone name or a ``ZoneInfo`` (``res.company._miko_support_zone()``)."""
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _local_text(moment, tz):
    """A naive-UTC moment as the user reads it, e.g. ``2025-03-10 23:50:00 MSK``."""
    return moment.replace(tzinfo=UTC).astimezone(_zone(tz)).strftime("%Y-%m-%d %H:%M:%S %Z")


def _duration_text(delta):
    seconds = delta // _SECOND
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _end_before_start_error(start, end, tz):
    return RuleError(
        _lt(
            'The end %(end)s is before the start %(start)s: correct the "End" field.',
            end=_local_text(end, tz),
            start=_local_text(start, tz),
        )
    )


def validate_interval(start, end, tz=MOSCOW):
    """Refuse an activity interval that cannot be billed.

    ``start`` and ``end`` are naive-UTC datetimes; ``tz`` only formats the times in the message.
    The end must be after the start, and the activity may last at most 24 hours.
    """
    if end < start:
        raise _end_before_start_error(start, end, tz)
    if end == start:
        raise RuleError(
            _lt(
                'The activity has no duration: "End" equals "Start" (%(start)s).',
                start=_local_text(start, tz),
            )
        )
    if end - start > MAX_DURATION:
        raise RuleError(
            _lt(
                "The activity lasts %(duration)s (from %(start)s to %(end)s), longer than 24 "
                'hours: correct the "Start" or "End" field, or record several activities.',
                duration=_duration_text(end - start),
                start=_local_text(start, tz),
                end=_local_text(end, tz),
            )
        )
