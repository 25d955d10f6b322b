from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from odoo.addons.miko_support_contract.rules import RuleError, intervals
from odoo.addons.miko_support_contract.rules.intervals import Block, TrailEntry

MSK = ZoneInfo("Europe/Moscow")
BASE = datetime(2025, 3, 10, 7, 0)  # 10:00 Moscow, naive UTC


def msk(hour, minute, second=0, day=10):
    """Naive UTC of a Moscow wall-clock time on 2025-03-<day>."""
    local = datetime(2025, 3, day, hour, minute, second, tzinfo=MSK)
    return local.astimezone(UTC).replace(tzinfo=None)


def seconds(n):
    return timedelta(seconds=n)


# --- examples -------------------------------------------------------------------------------


def test_example_day_two_blocks():
    day = intervals.bill_day(
        [
            (1, msk(10, 42), msk(10, 43)),
            (2, msk(11, 43), msk(11, 46)),
            (3, msk(11, 44), msk(12, 8)),
        ]
    )
    assert [block.billed_minutes for block in day.blocks] == [1, 25]
    assert day.billed_minutes == 26
    assert day.blocks[1] == Block(msk(11, 43), msk(12, 8), 1500, 25, (2, 3))
    assert day.trail == {
        1: TrailEntry(0, 60, 1),
        2: TrailEntry(1, 180, 25),
        3: TrailEntry(1, 1440, 25),
    }


def test_example_day_through_bill_activities():
    rows = [
        (3, "ivanov", "C1", msk(11, 44), msk(12, 8)),
        (1, "ivanov", "C1", msk(10, 42), msk(10, 43)),
        (2, "ivanov", "C1", msk(11, 43), msk(11, 46)),
    ]
    billing = intervals.bill_activities(rows)
    assert list(billing) == [("ivanov", "C1", date(2025, 3, 10))]
    assert billing["ivanov", "C1", date(2025, 3, 10)].billed_minutes == 26


@pytest.mark.parametrize(
    ("raw", "minutes"),
    [(0, 0), (1, 0), (29, 0), (30, 1), (59, 1), (60, 1), (89, 1), (90, 2), (1500, 25)],
)
def test_round_half_up_minutes(raw, minutes):
    assert intervals.round_half_up_minutes(raw) == minutes


def test_under_thirty_seconds_is_zero():
    day = intervals.bill_day([(1, msk(10, 0, 0), msk(10, 0, 29))])
    assert day.billed_minutes == 0
    assert day.trail[1] == TrailEntry(0, 29, 0)


def test_thirty_seconds_is_one_minute():
    assert intervals.bill_day([(1, msk(10, 0, 0), msk(10, 0, 30))]).billed_minutes == 1


def test_touching_intervals_merge():
    blocks = intervals.merge_blocks([(1, msk(10, 0), msk(10, 10)), (2, msk(10, 10), msk(10, 20))])
    assert blocks == [Block(msk(10, 0), msk(10, 20), 1200, 20, (1, 2))]


def test_touching_short_intervals_are_billed_as_one_block():
    # 29 s + 29 s round to 0 + 0 on their own, but they touch: one block of 58 s = 1 minute.
    day = intervals.bill_day(
        [(1, msk(10, 0, 0), msk(10, 0, 29)), (2, msk(10, 0, 29), msk(10, 0, 58))]
    )
    assert day.billed_minutes == 1
    assert len(day.blocks) == 1


def test_one_second_gap_does_not_merge():
    blocks = intervals.merge_blocks(
        [(1, msk(10, 0), msk(10, 10)), (2, msk(10, 10, 1), msk(10, 20))]
    )
    assert [(block.seconds, block.billed_minutes) for block in blocks] == [(600, 10), (599, 10)]


def test_contained_interval_is_not_billed_twice():
    day = intervals.bill_day([(1, msk(10, 0), msk(11, 0)), (2, msk(10, 15), msk(10, 20))])
    assert day.billed_minutes == 60
    assert day.trail[2] == TrailEntry(0, 300, 60)


def test_engineers_and_contracts_count_separately():
    rows = [
        (1, "ivanov", "C1", msk(10, 0), msk(10, 30)),
        (2, "petrov", "C1", msk(10, 0), msk(10, 30)),
        (3, "ivanov", "C2", msk(10, 0), msk(10, 30)),
    ]
    billing = intervals.bill_activities(rows)
    assert {group: day.billed_minutes for group, day in billing.items()} == {
        ("ivanov", "C1", date(2025, 3, 10)): 30,
        ("petrov", "C1", date(2025, 3, 10)): 30,
        ("ivanov", "C2", date(2025, 3, 10)): 30,
    }


def test_crossing_moscow_midnight_splits_into_two_days():
    start, end = msk(23, 50), msk(0, 10, day=11)
    assert intervals.split_by_local_day(start, end) == [
        (date(2025, 3, 10), start, msk(0, 0, day=11)),
        (date(2025, 3, 11), msk(0, 0, day=11), end),
    ]
    billing = intervals.bill_activities([(7, "ivanov", "C1", start, end)])
    assert {group[2]: day.billed_minutes for group, day in billing.items()} == {
        date(2025, 3, 10): 10,
        date(2025, 3, 11): 10,
    }


def test_crossing_midnight_rounds_each_day_and_keeps_the_trail():
    # 20 s before midnight (0 minutes) and 40 s after it (1 minute).
    rows = [
        (7, "ivanov", "C1", msk(23, 59, 40), msk(0, 0, 40, day=11)),
        (8, "ivanov", "C1", msk(0, 0, 10, day=11), msk(0, 0, 20, day=11)),
    ]
    billing = intervals.bill_activities(rows)
    first, second = (
        billing["ivanov", "C1", date(2025, 3, 10)],
        billing["ivanov", "C1", date(2025, 3, 11)],
    )
    assert (first.billed_minutes, second.billed_minutes) == (0, 1)
    assert first.trail == {7: TrailEntry(0, 20, 0)}
    assert second.trail == {7: TrailEntry(0, 40, 1), 8: TrailEntry(0, 10, 1)}


def test_midnight_is_moscow_not_utc():
    # 23:30-00:30 UTC is 02:30-03:30 in Moscow: one day.
    start, end = datetime(2025, 3, 10, 23, 30), datetime(2025, 3, 11, 0, 30)
    assert intervals.split_by_local_day(start, end) == [(date(2025, 3, 11), start, end)]
    assert intervals.split_by_local_day(start, end, tz="UTC") == [
        (date(2025, 3, 10), start, datetime(2025, 3, 11)),
        (date(2025, 3, 11), datetime(2025, 3, 11), end),
    ]


def test_split_on_a_daylight_saving_day():
    # Berlin springs forward on 2025-03-30: that local day lasts 23 hours.
    start, end = datetime(2025, 3, 29, 22, 0), datetime(2025, 3, 30, 23, 0)
    pieces = intervals.split_by_local_day(start, end, tz="Europe/Berlin")
    assert pieces == [
        (date(2025, 3, 29), start, datetime(2025, 3, 29, 23, 0)),
        (date(2025, 3, 30), datetime(2025, 3, 29, 23, 0), datetime(2025, 3, 30, 22, 0)),
        (date(2025, 3, 31), datetime(2025, 3, 30, 22, 0), end),
    ]


def test_split_accepts_a_pytz_zone():
    pytz = pytest.importorskip("pytz")
    start, end = msk(23, 50), msk(0, 10, day=11)
    pieces = intervals.split_by_local_day(start, end, tz=pytz.timezone("Europe/Moscow"))
    assert pieces == intervals.split_by_local_day(start, end)


def test_keys_that_do_not_compare():
    blocks = intervals.merge_blocks([("a", msk(10, 0), msk(10, 5)), (2, msk(10, 0), msk(10, 5))])
    assert len(blocks) == 1
    assert set(blocks[0].keys) == {"a", 2}


def test_same_key_twice_in_a_day_is_refused():
    with pytest.raises(ValueError, match="twice"):
        intervals.bill_day([(1, msk(10, 0), msk(10, 5)), (1, msk(11, 0), msk(11, 5))])


def test_empty_input():
    assert intervals.merge_blocks([]) == []
    assert intervals.bill_day([]).billed_minutes == 0
    assert intervals.bill_activities([]) == {}


# --- validation -----------------------------------------------------------------------------


def test_end_before_start_is_refused():
    with pytest.raises(RuleError) as error:
        intervals.validate_interval(msk(10, 5), msk(10, 0))
    assert str(error.value) == (
        "The end 2025-03-10 10:00:00 MSK is before the start 2025-03-10 10:05:00 MSK: "
        'correct the "End" field.'
    )


def test_zero_duration_is_refused():
    with pytest.raises(
        RuleError, match=r'no duration: "End" equals "Start" \(2025-03-10 10:00:00 MSK'
    ):
        intervals.validate_interval(msk(10, 0), msk(10, 0))


def test_longer_than_a_day_is_refused():
    with pytest.raises(RuleError, match=r"lasts 24:00:01 .* longer than 24 hours"):
        intervals.validate_interval(msk(10, 0), msk(10, 0, 1, day=11))


def test_valid_intervals_pass():
    intervals.validate_interval(msk(10, 0), msk(10, 0, 1))
    intervals.validate_interval(msk(10, 0), msk(10, 0, day=11))  # exactly 24 hours


def test_bill_activities_validates_rows():
    with pytest.raises(RuleError, match="before the start"):
        intervals.bill_activities([(1, "ivanov", "C1", msk(10, 5), msk(10, 0))])
    with pytest.raises(RuleError, match="no duration"):
        intervals.bill_activities([(1, "ivanov", "C1", msk(10, 0), msk(10, 0))])


def test_merge_refuses_reversed_interval():
    with pytest.raises(RuleError, match="before the start"):
        intervals.merge_blocks([(1, msk(10, 5), msk(10, 0))])


# --- properties -----------------------------------------------------------------------------

# (start offset, duration) in seconds from BASE; zero durations included, ties and touches likely.
offsets = st.lists(
    st.tuples(st.integers(0, 3600), st.integers(0, 900) | st.sampled_from([0, 29, 30, 60])),
    max_size=25,
)


def as_intervals(pairs):
    return [(key, BASE + seconds(s), BASE + seconds(s + d)) for key, (s, d) in enumerate(pairs)]


def covered_seconds(pairs):
    return {second for s, d in pairs for second in range(s, s + d)}


@given(offsets)
def test_union_matches_a_second_by_second_oracle(pairs):
    items = as_intervals(pairs)
    blocks = intervals.merge_blocks(items)
    assert sum(block.seconds for block in blocks) == len(covered_seconds(pairs))
    # Blocks are in time order and separated by real gaps (touching ones would have merged).
    for previous, block in pairwise(blocks):
        assert previous.end < block.start
    # Every interval lies inside the one block that lists its key.
    block_of = {key: block for block in blocks for key in block.keys}
    assert sorted(block_of) == [key for key, _start, _end in items]
    for key, start, end in items:
        assert block_of[key].start <= start <= end <= block_of[key].end
    for block in blocks:
        assert block.seconds == (block.end - block.start).total_seconds()


@given(st.data(), offsets)
def test_union_is_order_independent(data, pairs):
    items = as_intervals(pairs)
    shuffled = data.draw(st.permutations(items))
    assert intervals.merge_blocks(shuffled) == intervals.merge_blocks(items)
    assert intervals.bill_day(shuffled) == intervals.bill_day(items)


@given(offsets)
def test_merging_is_idempotent(pairs):
    blocks = intervals.merge_blocks(as_intervals(pairs))
    again = intervals.merge_blocks([(block.keys, block.start, block.end) for block in blocks])
    assert again == [
        Block(block.start, block.end, block.seconds, block.billed_minutes, (block.keys,))
        for block in blocks
    ]


@given(offsets)
def test_true_bounds_of_billed_time(pairs):
    """The exact bounds of the rule.

    * merged seconds: max(raw) <= sum(block seconds) <= sum(raw);
    * each block is rounded once: 60*m - 30 <= s <= 60*m + 29, hence in total
      sum(s) - 29*blocks <= 60*billed <= sum(s) + 30*blocks;
    * a block bills at least what its longest interval bills alone and at most the rounding of
      its members' raw seconds (rounding is monotonic).
    """
    items = as_intervals(pairs)
    day = intervals.bill_day(items)
    raw = {key: (end - start).total_seconds() for key, start, end in items}
    merged = sum(block.seconds for block in day.blocks)
    assert merged <= sum(raw.values())
    assert merged >= max(raw.values(), default=0)
    assert day.billed_minutes == sum(block.billed_minutes for block in day.blocks)
    for block in day.blocks:
        assert block.billed_minutes == intervals.round_half_up_minutes(block.seconds)
        assert 60 * block.billed_minutes - 30 <= block.seconds <= 60 * block.billed_minutes + 29
        members = [raw[key] for key in block.keys]
        assert block.billed_minutes >= max(intervals.round_half_up_minutes(s) for s in members)
        assert block.billed_minutes <= intervals.round_half_up_minutes(sum(members))
    count = len(day.blocks)
    assert merged - 29 * count <= 60 * day.billed_minutes <= merged + 30 * count
    for key, entry in day.trail.items():
        assert entry.raw_seconds == raw[key]
        assert entry.block_billed_minutes == day.blocks[entry.block_index].billed_minutes


def test_own_rounded_minutes_plus_blocks_is_not_a_bound():
    """The tempting bound sum(own rounded minutes) + blocks is false: short touching pieces."""
    items = as_intervals([(0, 29), (29, 29), (58, 29), (87, 29)])
    day = intervals.bill_day(items)
    own = sum(intervals.round_half_up_minutes(29) for _item in items)
    assert (own, len(day.blocks), day.billed_minutes) == (0, 1, 2)
    assert day.billed_minutes > own + len(day.blocks)


# Rows over two Moscow days: 22:00 on the 10th + up to 4 hours, two engineers, two contracts.
rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["ivanov", "petrov"]),
        st.sampled_from(["C1", "C2"]),
        st.integers(0, 4 * 3600),
        st.integers(1, 3 * 3600),
    ),
    max_size=20,
)


@given(rows_strategy)
def test_bill_activities_splits_days_without_losing_time(rows):
    night = msk(22, 0)
    activity_rows = [
        (key, engineer, contract, night + seconds(s), night + seconds(s + d))
        for key, (engineer, contract, s, d) in enumerate(rows)
    ]
    billing = intervals.bill_activities(activity_rows)
    expected = defaultdict(list)
    for engineer, contract, s, d in rows:
        expected[engineer, contract].append((s, d))
    merged = defaultdict(int)
    for (engineer, contract, local_date), day in billing.items():
        midnight = datetime.combine(local_date, datetime.min.time(), tzinfo=MSK)
        day_start = midnight.astimezone(UTC).replace(tzinfo=None)
        for block in day.blocks:
            assert day_start <= block.start <= block.end <= day_start + timedelta(days=1)
        merged[engineer, contract] += sum(block.seconds for block in day.blocks)
    assert merged == {group: len(covered_seconds(pairs)) for group, pairs in expected.items()}
