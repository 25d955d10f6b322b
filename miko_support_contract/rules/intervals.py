"""Activity intervals: record validation and the midnight split, the one implementation of
each on the ORM path (activity create/write, ``register_activities`` row checks).

An activity has a begin and an end, naive UTC with second precision as Odoo stores them; it
must end after it begins and last at most 24 hours (:func:`validate_interval`), and one crossing
local midnight is billed in two days (:func:`split_by_local_day`). The union of a day's
intervals and the half-up minute rounding are SQL (``models/billing_sql.py``); their readable
Python oracle lives with the tests (``tests/oracle_intervals.py``).
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from . import RuleError, _lt

MOSCOW = "Europe/Moscow"
MAX_DURATION = timedelta(hours=24)
_SECOND = timedelta(seconds=1)
_ONE_DAY = timedelta(days=1)


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


@lru_cache(maxsize=4096)
def _midnight_utc(zone, local_date):
    """Naive-UTC moment at which ``local_date`` starts in ``zone``."""
    local_midnight = datetime.combine(local_date, time(), tzinfo=zone)
    return local_midnight.astimezone(UTC).replace(tzinfo=None)


def _split(start, end, zone):
    local_date = start.replace(tzinfo=UTC).astimezone(zone).date()
    pieces = []
    while True:
        next_midnight = _midnight_utc(zone, local_date + _ONE_DAY)
        if end <= next_midnight:
            pieces.append((local_date, start, end))
            return pieces
        pieces.append((local_date, start, next_midnight))
        start = next_midnight
        local_date += _ONE_DAY


def split_by_local_day(start_utc, end_utc, tz=MOSCOW) -> list[tuple[date, datetime, datetime]]:
    """Split a naive-UTC interval at the local midnights of ``tz``.

    Returns ``(local_date, start_utc, end_utc)`` pieces in time order; an interval within one
    local day gives a single piece. Daylight-saving days (23 or 25 hours) are handled.
    """
    if end_utc < start_utc:
        raise _end_before_start_error(start_utc, end_utc, tz)
    return _split(start_utc, end_utc, _zone(tz))
