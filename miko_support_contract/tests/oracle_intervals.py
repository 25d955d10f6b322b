"""Test oracle of the union billing: the rule in plain Python, second by second readable.

Production bills with the SQL fragments of ``models/billing_sql.py`` (``numbered_blocks_sql``,
``half_up_minutes_sql``) and cuts days with ``day_pieces_sql``; this module is their oracle
only: ``test_billing_sql_fragments`` checks the fragments against it on random inputs,
``test_billing_sql`` and ``test_billing_queue`` the whole billing run. It validates with the
production ``rules.intervals.validate_interval``.

The billing rule: for each engineer, contract and calendar day (local time of the contract,
Moscow by default) the billed time is the *union* of the engineer's activity intervals.
Overlapping and touching intervals merge into one block (a call during a remote session is not
billed twice); each block is rounded half-up to whole minutes (30 s and more round up). An
interval crossing local midnight is split between the two days. Different engineers count
separately. Every activity is kept by a hashable key so each line can show the block it merged
into: the audit trail of :class:`DayBilling`.
"""

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

from ..rules.intervals import (
    MAX_DURATION,
    MOSCOW,
    _end_before_start_error,
    _zone,
    validate_interval,
)

_SECOND = timedelta(seconds=1)
_ONE_DAY = timedelta(days=1)


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


@dataclass(frozen=True, slots=True)
class Block:
    """A maximal run of overlapping or touching intervals, ``start``/``end`` naive UTC."""

    start: datetime
    end: datetime
    seconds: int
    billed_minutes: int
    keys: tuple


class TrailEntry(NamedTuple):
    """Audit trail of one activity (piece) in a day: the block it merged into."""

    block_index: int
    raw_seconds: int
    block_billed_minutes: int


@dataclass(frozen=True, slots=True)
class DayBilling:
    """Billing of one engineer, contract and local day."""

    blocks: tuple[Block, ...]
    billed_minutes: int
    trail: Mapping[Hashable, TrailEntry]


def round_half_up_minutes(seconds):
    """Whole minutes of ``seconds``, half-up: 29 s -> 0, 30 s -> 1, 89 s -> 1, 90 s -> 2."""
    return (int(seconds) + 30) // 60


def _block(start, end, keys):
    seconds = (end - start) // _SECOND
    return Block(start, end, seconds, round_half_up_minutes(seconds), tuple(keys))


def merge_blocks(intervals: Iterable[tuple[Hashable, datetime, datetime]]) -> list[Block]:
    """Merge ``(key, start, end)`` intervals into their union, as blocks in time order.

    Overlapping and touching (``end == next start``) intervals merge. The result does not depend
    on the input order; a block's ``keys`` follow the start of their intervals (then their end,
    then the key itself when keys are comparable).
    """
    items = list(intervals)
    try:
        items.sort(key=lambda item: (item[1], item[2], item[0]))
    except TypeError:  # keys that do not compare: ties keep the input order
        items.sort(key=lambda item: (item[1], item[2]))
    blocks = []
    keys = []
    block_start = block_end = None
    for key, start, end in items:
        if end < start:
            raise _end_before_start_error(start, end, MOSCOW)
        if keys and start <= block_end:
            block_end = max(block_end, end)
            keys.append(key)
        else:
            if keys:
                blocks.append(_block(block_start, block_end, keys))
            block_start, block_end, keys = start, end, [key]
    if keys:
        blocks.append(_block(block_start, block_end, keys))
    return blocks


def bill_day(intervals: Iterable[tuple[Hashable, datetime, datetime]]) -> DayBilling:
    """Bill the ``(key, start, end)`` intervals of one engineer, contract and day.

    ``billed_minutes`` is the sum of the blocks' rounded minutes; ``trail`` maps every key to
    ``TrailEntry(block_index, raw_seconds, block_billed_minutes)``. A key may appear once.
    """
    items = list(intervals)
    blocks = tuple(merge_blocks(items))
    raw_seconds = {}
    for key, start, end in items:
        if key in raw_seconds:
            raise ValueError(f"Activity {key!r} appears twice in the same day.")
        raw_seconds[key] = (end - start) // _SECOND
    trail = {}
    for index, block in enumerate(blocks):
        for key in block.keys:
            trail[key] = TrailEntry(index, raw_seconds[key], block.billed_minutes)
    return DayBilling(blocks, sum(block.billed_minutes for block in blocks), trail)


def bill_activities(
    rows: Iterable[tuple[Hashable, Hashable, Hashable, datetime, datetime]], tz=MOSCOW
) -> dict[tuple[Hashable, Hashable, date], DayBilling]:
    """Bill ``(key, engineer, contract, start_utc, end_utc)`` rows per engineer, contract, day.

    Every row is validated (:func:`validate_interval`); a row crossing local midnight is split,
    so its key appears in the trail of both days. Returns
    ``{(engineer, contract, local_date): DayBilling}``.
    """
    zone = _zone(tz)
    days = defaultdict(list)
    for key, engineer, contract, start, end in rows:
        if not start < end <= start + MAX_DURATION:
            validate_interval(start, end, zone)
        for local_date, piece_start, piece_end in _split(start, end, zone):
            days[engineer, contract, local_date].append((key, piece_start, piece_end))
    return {day: bill_day(intervals) for day, intervals in days.items()}
