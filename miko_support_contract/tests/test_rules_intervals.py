from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from odoo.tests import BaseCase

from odoo.addons.miko_support_contract.rules import RuleError, intervals
from odoo.addons.miko_support_contract.tests import oracle_intervals as oracle
from odoo.addons.miko_support_contract.tests.oracle_intervals import Block, TrailEntry

MSK = ZoneInfo("Europe/Moscow")
BASE = datetime(2025, 3, 10, 7, 0)  # 10:00 Moscow, naive UTC


def msk(hour, minute, second=0, day=10):
    """Naive UTC of a Moscow wall-clock time on 2025-03-<day>."""
    local = datetime(2025, 3, day, hour, minute, second, tzinfo=MSK)
    return local.astimezone(UTC).replace(tzinfo=None)


def seconds(n):
    return timedelta(seconds=n)


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


def message_text(error):
    """The English text of a rule's error (its lazy message translated outside the test case,
    whose frame has no environment to read a language from)."""
    return str(error)


class TestRulesIntervals(BaseCase):
    """Activity intervals: validation and midnight split (rules.intervals), and the union oracle."""

    # --- examples -------------------------------------------------------------------------------
    def test_example_day_two_blocks(self):
        day = oracle.bill_day(
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

    def test_example_day_through_bill_activities(self):
        rows = [
            (3, "ivanov", "C1", msk(11, 44), msk(12, 8)),
            (1, "ivanov", "C1", msk(10, 42), msk(10, 43)),
            (2, "ivanov", "C1", msk(11, 43), msk(11, 46)),
        ]
        billing = oracle.bill_activities(rows)
        assert list(billing) == [("ivanov", "C1", date(2025, 3, 10))]
        assert billing["ivanov", "C1", date(2025, 3, 10)].billed_minutes == 26

    def test_round_half_up_minutes(self):
        for raw, minutes in [
            (0, 0),
            (1, 0),
            (29, 0),
            (30, 1),
            (59, 1),
            (60, 1),
            (89, 1),
            (90, 2),
            (1500, 25),
        ]:
            with self.subTest(raw=raw, minutes=minutes):
                assert oracle.round_half_up_minutes(raw) == minutes

    def test_under_thirty_seconds_is_zero(self):
        day = oracle.bill_day([(1, msk(10, 0, 0), msk(10, 0, 29))])
        assert day.billed_minutes == 0
        assert day.trail[1] == TrailEntry(0, 29, 0)

    def test_thirty_seconds_is_one_minute(self):
        assert oracle.bill_day([(1, msk(10, 0, 0), msk(10, 0, 30))]).billed_minutes == 1

    def test_touching_intervals_merge(self):
        blocks = oracle.merge_blocks([(1, msk(10, 0), msk(10, 10)), (2, msk(10, 10), msk(10, 20))])
        assert blocks == [Block(msk(10, 0), msk(10, 20), 1200, 20, (1, 2))]

    def test_touching_short_intervals_are_billed_as_one_block(self):
        day = oracle.bill_day(
            [(1, msk(10, 0, 0), msk(10, 0, 29)), (2, msk(10, 0, 29), msk(10, 0, 58))]
        )
        assert day.billed_minutes == 1
        assert len(day.blocks) == 1

    def test_one_second_gap_does_not_merge(self):
        blocks = oracle.merge_blocks(
            [(1, msk(10, 0), msk(10, 10)), (2, msk(10, 10, 1), msk(10, 20))]
        )
        assert [(block.seconds, block.billed_minutes) for block in blocks] == [(600, 10), (599, 10)]

    def test_contained_interval_is_not_billed_twice(self):
        day = oracle.bill_day([(1, msk(10, 0), msk(11, 0)), (2, msk(10, 15), msk(10, 20))])
        assert day.billed_minutes == 60
        assert day.trail[2] == TrailEntry(0, 300, 60)

    def test_engineers_and_contracts_count_separately(self):
        rows = [
            (1, "ivanov", "C1", msk(10, 0), msk(10, 30)),
            (2, "petrov", "C1", msk(10, 0), msk(10, 30)),
            (3, "ivanov", "C2", msk(10, 0), msk(10, 30)),
        ]
        billing = oracle.bill_activities(rows)
        assert {group: day.billed_minutes for group, day in billing.items()} == {
            ("ivanov", "C1", date(2025, 3, 10)): 30,
            ("petrov", "C1", date(2025, 3, 10)): 30,
            ("ivanov", "C2", date(2025, 3, 10)): 30,
        }

    def test_crossing_moscow_midnight_splits_into_two_days(self):
        start, end = msk(23, 50), msk(0, 10, day=11)
        assert oracle.split_by_local_day(start, end) == [
            (date(2025, 3, 10), start, msk(0, 0, day=11)),
            (date(2025, 3, 11), msk(0, 0, day=11), end),
        ]
        billing = oracle.bill_activities([(7, "ivanov", "C1", start, end)])
        assert {group[2]: day.billed_minutes for group, day in billing.items()} == {
            date(2025, 3, 10): 10,
            date(2025, 3, 11): 10,
        }

    def test_crossing_midnight_rounds_each_day_and_keeps_the_trail(self):
        rows = [
            (7, "ivanov", "C1", msk(23, 59, 40), msk(0, 0, 40, day=11)),
            (8, "ivanov", "C1", msk(0, 0, 10, day=11), msk(0, 0, 20, day=11)),
        ]
        billing = oracle.bill_activities(rows)
        first, second = (
            billing["ivanov", "C1", date(2025, 3, 10)],
            billing["ivanov", "C1", date(2025, 3, 11)],
        )
        assert (first.billed_minutes, second.billed_minutes) == (0, 1)
        assert first.trail == {7: TrailEntry(0, 20, 0)}
        assert second.trail == {7: TrailEntry(0, 40, 1), 8: TrailEntry(0, 10, 1)}

    def test_midnight_is_moscow_not_utc(self):
        start, end = datetime(2025, 3, 10, 23, 30), datetime(2025, 3, 11, 0, 30)
        assert oracle.split_by_local_day(start, end) == [(date(2025, 3, 11), start, end)]
        assert oracle.split_by_local_day(start, end, tz="UTC") == [
            (date(2025, 3, 10), start, datetime(2025, 3, 11)),
            (date(2025, 3, 11), datetime(2025, 3, 11), end),
        ]

    def test_split_on_a_daylight_saving_day(self):
        start, end = datetime(2025, 3, 29, 22, 0), datetime(2025, 3, 30, 23, 0)
        pieces = oracle.split_by_local_day(start, end, tz="Europe/Berlin")
        assert pieces == [
            (date(2025, 3, 29), start, datetime(2025, 3, 29, 23, 0)),
            (date(2025, 3, 30), datetime(2025, 3, 29, 23, 0), datetime(2025, 3, 30, 22, 0)),
            (date(2025, 3, 31), datetime(2025, 3, 30, 22, 0), end),
        ]

    def test_keys_that_do_not_compare(self):
        blocks = oracle.merge_blocks([("a", msk(10, 0), msk(10, 5)), (2, msk(10, 0), msk(10, 5))])
        assert len(blocks) == 1
        assert set(blocks[0].keys) == {"a", 2}

    def test_same_key_twice_in_a_day_is_refused(self):
        with self.assertRaisesRegex(ValueError, "twice"):
            oracle.bill_day([(1, msk(10, 0), msk(10, 5)), (1, msk(11, 0), msk(11, 5))])

    def test_empty_input(self):
        assert oracle.merge_blocks([]) == []
        assert oracle.bill_day([]).billed_minutes == 0
        assert oracle.bill_activities([]) == {}

    # --- validation -----------------------------------------------------------------------------
    def test_end_before_start_is_refused(self):
        with self.assertRaises(RuleError) as error:
            intervals.validate_interval(msk(10, 5), msk(10, 0))
        assert message_text(error.exception) == (
            "The end 2025-03-10 10:00:00 MSK is before the start 2025-03-10 10:05:00 MSK: "
            'correct the "End" field.'
        )

    def test_zero_duration_is_refused(self):
        with self.assertRaisesRegex(
            RuleError, r'no duration: "End" equals "Start" \(2025-03-10 10:00:00 MSK'
        ):
            intervals.validate_interval(msk(10, 0), msk(10, 0))

    def test_longer_than_a_day_is_refused(self):
        with self.assertRaisesRegex(RuleError, r"lasts 24:00:01 .* longer than 24 hours"):
            intervals.validate_interval(msk(10, 0), msk(10, 0, 1, day=11))

    def test_valid_intervals_pass(self):
        intervals.validate_interval(msk(10, 0), msk(10, 0, 1))
        intervals.validate_interval(msk(10, 0), msk(10, 0, day=11))  # exactly 24 hours

    def test_bill_activities_validates_rows(self):
        with self.assertRaisesRegex(RuleError, "before the start"):
            oracle.bill_activities([(1, "ivanov", "C1", msk(10, 5), msk(10, 0))])
        with self.assertRaisesRegex(RuleError, "no duration"):
            oracle.bill_activities([(1, "ivanov", "C1", msk(10, 0), msk(10, 0))])

    def test_merge_refuses_reversed_interval(self):
        with self.assertRaisesRegex(RuleError, "before the start"):
            oracle.merge_blocks([(1, msk(10, 5), msk(10, 0))])

    @given(offsets)
    def test_union_matches_a_second_by_second_oracle(self, pairs):
        items = as_intervals(pairs)
        blocks = oracle.merge_blocks(items)
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
    def test_union_is_order_independent(self, data, pairs):
        items = as_intervals(pairs)
        shuffled = data.draw(st.permutations(items))
        assert oracle.merge_blocks(shuffled) == oracle.merge_blocks(items)
        assert oracle.bill_day(shuffled) == oracle.bill_day(items)

    @given(offsets)
    def test_merging_is_idempotent(self, pairs):
        blocks = oracle.merge_blocks(as_intervals(pairs))
        again = oracle.merge_blocks([(block.keys, block.start, block.end) for block in blocks])
        assert again == [
            Block(block.start, block.end, block.seconds, block.billed_minutes, (block.keys,))
            for block in blocks
        ]

    @given(offsets)
    def test_true_bounds_of_billed_time(self, pairs):
        """The exact bounds of the rule.

        * merged seconds: max(raw) <= sum(block seconds) <= sum(raw);
        * each block is rounded once: 60*m - 30 <= s <= 60*m + 29, hence in total
          sum(s) - 29*blocks <= 60*billed <= sum(s) + 30*blocks;
        * a block bills at least what its longest interval bills alone and at most the rounding of
          its members' raw seconds (rounding is monotonic).
        """
        items = as_intervals(pairs)
        day = oracle.bill_day(items)
        raw = {key: (end - start).total_seconds() for key, start, end in items}
        merged = sum(block.seconds for block in day.blocks)
        assert merged <= sum(raw.values())
        assert merged >= max(raw.values(), default=0)
        assert day.billed_minutes == sum(block.billed_minutes for block in day.blocks)
        for block in day.blocks:
            assert block.billed_minutes == oracle.round_half_up_minutes(block.seconds)
            assert 60 * block.billed_minutes - 30 <= block.seconds <= 60 * block.billed_minutes + 29
            members = [raw[key] for key in block.keys]
            assert block.billed_minutes >= max(oracle.round_half_up_minutes(s) for s in members)
            assert block.billed_minutes <= oracle.round_half_up_minutes(sum(members))
        count = len(day.blocks)
        assert merged - 29 * count <= 60 * day.billed_minutes <= merged + 30 * count
        for key, entry in day.trail.items():
            assert entry.raw_seconds == raw[key]
            assert entry.block_billed_minutes == day.blocks[entry.block_index].billed_minutes

    def test_own_rounded_minutes_plus_blocks_is_not_a_bound(self):
        """The tempting bound sum(own rounded minutes) + blocks is false: short touching pieces."""
        items = as_intervals([(0, 29), (29, 29), (58, 29), (87, 29)])
        day = oracle.bill_day(items)
        own = sum(oracle.round_half_up_minutes(29) for _item in items)
        assert (own, len(day.blocks), day.billed_minutes) == (0, 1, 2)
        assert day.billed_minutes > own + len(day.blocks)

    @given(rows_strategy)
    def test_bill_activities_splits_days_without_losing_time(self, rows):
        night = msk(22, 0)
        activity_rows = [
            (key, engineer, contract, night + seconds(s), night + seconds(s + d))
            for key, (engineer, contract, s, d) in enumerate(rows)
        ]
        billing = oracle.bill_activities(activity_rows)
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
