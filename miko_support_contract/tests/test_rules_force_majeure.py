from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from odoo.tests import BaseCase

from odoo.addons.miko_support_contract.rules.force_majeure import (
    allows_termination,
    extend_days,
    extend_time_limit,
)

START = datetime(2026, 11, 2, 10, 0)
END = datetime(2026, 11, 3, 10, 0)


hours = st.integers(min_value=-48, max_value=96).map(lambda h: START + timedelta(hours=h))


class TestRulesForceMajeure(BaseCase):
    def test_no_event_changes_nothing(self):
        self.assertEqual(extend_time_limit(START, END, []), END)

    def test_event_inside_the_time_limit_extends_it_by_its_duration(self):
        event = (datetime(2026, 11, 2, 12, 0), datetime(2026, 11, 2, 18, 0))
        self.assertEqual(extend_time_limit(START, END, [event]), END + timedelta(hours=6))

    def test_event_before_or_after_the_time_limit_is_ignored(self):
        before = (datetime(2026, 11, 1), datetime(2026, 11, 2, 10, 0))
        after = (datetime(2026, 11, 3, 10, 0), datetime(2026, 11, 4))
        self.assertEqual(extend_time_limit(START, END, [before, after]), END)

    def test_event_running_at_the_start_counts_from_the_start(self):
        event = (datetime(2026, 11, 1), datetime(2026, 11, 2, 14, 0))
        self.assertEqual(extend_time_limit(START, END, [event]), END + timedelta(hours=4))

    def test_event_reached_only_thanks_to_an_earlier_extension_counts_too(self):
        first = (datetime(2026, 11, 2, 12, 0), datetime(2026, 11, 2, 22, 0))  # end → 3 Nov 20:00
        second = (datetime(2026, 11, 3, 15, 0), datetime(2026, 11, 3, 17, 0))
        self.assertEqual(
            extend_time_limit(START, END, [second, first]), datetime(2026, 11, 3, 22, 0)
        )

    def test_overlapping_events_count_once(self):
        a = (datetime(2026, 11, 2, 12, 0), datetime(2026, 11, 2, 18, 0))
        b = (datetime(2026, 11, 2, 15, 0), datetime(2026, 11, 2, 20, 0))
        self.assertEqual(extend_time_limit(START, END, [a, b]), END + timedelta(hours=8))

    def test_acceptance_days_extended_by_three_days_of_force_majeure(self):
        # delivered on 2 Nov: the 7 days are 3–9 Nov; 4–6 Nov are lost to force majeure
        event = (datetime(2026, 11, 4), datetime(2026, 11, 7))
        self.assertEqual(extend_days(date(2026, 11, 3), 7, []), date(2026, 11, 9))
        self.assertEqual(extend_days(date(2026, 11, 3), 7, [event]), date(2026, 11, 12))
        # a started day counts whole
        half = (datetime(2026, 11, 4, 12, 0), datetime(2026, 11, 4, 13, 0))
        self.assertEqual(extend_days(date(2026, 11, 3), 7, [half]), date(2026, 11, 10))

    @given(st.lists(st.tuples(hours, st.integers(min_value=0, max_value=48)), max_size=5))
    def test_extension_never_shortens_and_at_most_adds_the_events(self, raw):
        events = [(begin, begin + timedelta(hours=length)) for begin, length in raw]
        extended = extend_time_limit(START, END, events)
        self.assertGreaterEqual(extended, END)
        self.assertLessEqual(
            extended - END, sum((finish - begin for begin, finish in events), timedelta())
        )

    def test_termination_after_three_consecutive_months(self):
        events = [
            (datetime(2026, 7, 1), datetime(2026, 8, 15)),
            (datetime(2026, 8, 15), datetime(2026, 10, 15)),
        ]
        self.assertTrue(allows_termination(events, date(2026, 10, 1)))
        self.assertFalse(allows_termination(events, date(2026, 9, 30)))
        self.assertFalse(allows_termination(events, date(2026, 10, 16)))
        gap = [
            (datetime(2026, 7, 1), datetime(2026, 8, 1)),
            (datetime(2026, 8, 2), datetime(2026, 11, 1)),
        ]
        self.assertFalse(allows_termination(gap, date(2026, 10, 15)))
