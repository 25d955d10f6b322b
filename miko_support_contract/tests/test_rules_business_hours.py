from datetime import date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from odoo.tests import BaseCase

from odoo.addons.miko_support_contract.rules import RuleError, business_hours

MSK = timedelta(hours=3)  # Europe/Moscow is UTC+3 all year round since 2014


def utc(*args):
    """Naive UTC datetime of the given Moscow wall-clock time."""
    return datetime(*args) - MSK


def deadline_msk(*args, **kwargs):
    """Response deadline, as Moscow wall-clock time, of a request arriving at Moscow time args."""
    return business_hours.compute_response_deadline(utc(*args), **kwargs) + MSK


# Properties

arrivals = st.datetimes(min_value=datetime(2021, 1, 1), max_value=datetime(2027, 11, 30))


def _local(utc_naive):
    return utc_naive + MSK


def _message(raised):
    """The English text of a caught RuleError, asked in English: a lazy translation looks for the
    language through the caller's ``self.env``, which a BaseCase without a database has not."""
    return raised.exception.message._translate("en_US")


class TestRulesBusinessHours(BaseCase):
    # The Russian production calendar as given by the holidays package

    def test_closed_days(self):
        for day in [
            date(2026, 1, 1),
            date(2026, 1, 8),
            date(2026, 1, 9),  # day off transferred from Saturday 3 January
            date(2026, 2, 23),
            date(2026, 3, 9),  # 8 March falls on a Sunday
            date(2026, 5, 1),
            date(2026, 5, 11),  # 9 May falls on a Saturday
            date(2026, 6, 12),
            date(2026, 11, 4),
            date(2026, 12, 31),  # day off transferred from Sunday 4 January
            date(2025, 11, 3),  # day off transferred from Saturday 1 November
            date(2026, 3, 14),  # an ordinary Saturday
            date(2026, 3, 15),  # an ordinary Sunday
        ]:
            with self.subTest(day=day):
                self.assertFalse(business_hours.is_working_day(day))

    def test_working_days(self):
        for day in [
            date(2026, 3, 17),
            date(2026, 11, 3),
            date(2025, 11, 1),  # working Saturday
            date(2024, 12, 28),  # working Saturday
        ]:
            with self.subTest(day=day):
                self.assertTrue(business_hours.is_working_day(day))

    def test_extra_dates(self):
        tuesday, saturday = date(2026, 3, 17), date(2026, 3, 21)
        self.assertFalse(business_hours.is_working_day(tuesday, extra_closed_dates={tuesday}))
        self.assertTrue(business_hours.is_working_day(saturday, extra_working_dates=[saturday]))
        # closing wins
        self.assertFalse(
            business_hours.is_working_day(
                saturday, extra_closed_dates=[saturday], extra_working_dates=[saturday]
            )
        )

    # is_open / next_opening

    def test_is_open(self):
        for local_dt, expected in [
            (datetime(2026, 3, 17, 9, 0), True),
            (datetime(2026, 3, 17, 17, 59, 59), True),
            (datetime(2026, 3, 17, 18, 0), False),
            (datetime(2026, 3, 17, 8, 59, 59), False),
            (datetime(2026, 3, 21, 12, 0), False),  # Saturday
            (datetime(2026, 11, 4, 12, 0), False),  # Unity Day
            (datetime(2025, 11, 1, 12, 0), True),  # working Saturday
        ]:
            with self.subTest(local_dt=local_dt, expected=expected):
                self.assertIs(business_hours.is_open(local_dt), expected)

    def test_next_opening(self):
        for local_dt, expected in [
            (datetime(2026, 3, 17, 10, 30), datetime(2026, 3, 17, 10, 30)),
            (datetime(2026, 3, 17, 7, 0), datetime(2026, 3, 17, 9, 0)),
            (datetime(2026, 3, 17, 18, 0), datetime(2026, 3, 18, 9, 0)),
            (datetime(2026, 3, 20, 18, 0), datetime(2026, 3, 23, 9, 0)),
            (datetime(2026, 3, 21, 12, 0), datetime(2026, 3, 23, 9, 0)),
            (datetime(2025, 12, 30, 19, 0), datetime(2026, 1, 12, 9, 0)),  # New Year holidays
            (datetime(2026, 5, 8, 18, 30), datetime(2026, 5, 12, 9, 0)),  # Victory Day weekend
        ]:
            with self.subTest(local_dt=local_dt, expected=expected):
                self.assertEqual(business_hours.next_opening(local_dt), expected)

    def test_next_opening_custom_hours_and_closed_dates(self):
        self.assertEqual(
            business_hours.next_opening(
                datetime(2026, 3, 17, 19, 0),
                extra_closed_dates=[date(2026, 3, 18)],
                open_time=time(10),
                close_time=time(20),
            ),
            datetime(2026, 3, 17, 19, 0),
        )
        self.assertEqual(
            business_hours.next_opening(
                datetime(2026, 3, 17, 20, 0),
                extra_closed_dates=[date(2026, 3, 18)],
                open_time=time(10),
                close_time=time(20),
            ),
            datetime(2026, 3, 19, 10, 0),
        )

    def test_next_opening_gives_up_on_an_always_closed_calendar(self):
        start = date(2026, 3, 17)
        closed = [start + timedelta(days=n) for n in range(business_hours.MAX_CLOSED_DAYS + 2)]
        with self.assertRaises(RuleError) as excinfo:
            business_hours.next_opening(datetime(2026, 3, 17, 12), extra_closed_dates=closed)
        self.assertIn("closed dates", _message(excinfo))

    def test_opening_hours_must_be_ordered(self):
        with self.assertRaises(RuleError) as excinfo:
            business_hours.is_open(
                datetime(2026, 3, 17, 12), open_time=time(18), close_time=time(9)
            )
        self.assertIn("18:00", _message(excinfo))

    # compute_response_deadline

    def test_compute_response_deadline(self):
        for arrival, expected in [
            # Tuesday 10:00 -> Wednesday 10:00
            ((2026, 3, 17, 10, 0), datetime(2026, 3, 18, 10, 0)),
            # Friday 17:00 -> Saturday 17:00 is closed -> Monday 09:00
            ((2026, 3, 20, 17, 0), datetime(2026, 3, 23, 9, 0)),
            # Saturday 12:00 -> counts from Monday 09:00 -> Tuesday 09:00
            ((2026, 3, 21, 12, 0), datetime(2026, 3, 24, 9, 0)),
            # The day before Unity Day: Wednesday 4 November is closed -> Thursday 09:00
            ((2026, 11, 3, 10, 0), datetime(2026, 11, 5, 9, 0)),
            # 18:00 is outside support hours: counts from Wednesday 09:00
            ((2026, 3, 17, 18, 0), datetime(2026, 3, 19, 9, 0)),
            # 09:00 is inside support hours
            ((2026, 3, 17, 9, 0), datetime(2026, 3, 18, 9, 0)),
            # 17:59 -> Wednesday 17:59 is still open
            ((2026, 3, 17, 17, 59), datetime(2026, 3, 18, 17, 59)),
            # before opening: counts from 09:00 the same day
            ((2026, 3, 17, 3, 0), datetime(2026, 3, 18, 9, 0)),
            # Friday 12:00 -> the working Saturday 1 November 2025 12:00
            ((2025, 10, 31, 12, 0), datetime(2025, 11, 1, 12, 0)),
            # working Saturday 1 November 2025 12:00 -> Sunday, the 3rd (day off), 4th (holiday)
            ((2025, 11, 1, 12, 0), datetime(2025, 11, 5, 9, 0)),
            # New Year: 30 December evening -> counts from 12 January 09:00
            ((2025, 12, 30, 19, 0), datetime(2026, 1, 13, 9, 0)),
        ]:
            with self.subTest(arrival=arrival, expected=expected):
                self.assertEqual(deadline_msk(*arrival), expected)

    def test_compute_response_deadline_options(self):
        self.assertEqual(deadline_msk(2026, 3, 17, 10, 0, hours=4), datetime(2026, 3, 17, 14, 0))
        self.assertEqual(deadline_msk(2026, 3, 17, 16, 0, hours=4), datetime(2026, 3, 18, 9, 0))
        self.assertEqual(
            deadline_msk(2026, 3, 17, 10, 0, extra_closed_dates=[date(2026, 3, 18)]),
            datetime(2026, 3, 19, 9, 0),
        )
        self.assertEqual(
            deadline_msk(2026, 3, 20, 17, 0, extra_working_dates=[date(2026, 3, 21)]),
            datetime(2026, 3, 21, 17, 0),
        )

    def test_compute_response_deadline_other_time_zone(self):
        # 10:00 in Yekaterinburg (UTC+5) is 05:00 UTC; the deadline is 10:00 local the next day
        arrival = datetime(2026, 3, 17, 5, 0)
        deadline = business_hours.compute_response_deadline(arrival, tz="Asia/Yekaterinburg")
        self.assertEqual(deadline, datetime(2026, 3, 18, 5, 0))

    def test_compute_response_deadline_accepts_aware_datetimes(self):
        from datetime import UTC

        arrival = utc(2026, 3, 17, 10, 0)
        self.assertEqual(
            business_hours.compute_response_deadline(arrival.replace(tzinfo=UTC)),
            business_hours.compute_response_deadline(arrival),
        )

    def test_compute_response_deadline_rejects(self):
        for kwargs, expected in [
            ({"hours": -1}, "Response time"),
            ({"hours": "24"}, "Response time"),
            ({"tz": "Mars/Olympus"}, "Time zone Mars/Olympus"),
            ({"open_time": time(18), "close_time": time(18)}, "opening time"),
        ]:
            with self.subTest(kwargs=kwargs, expected=expected):
                with self.assertRaises(RuleError) as excinfo:
                    business_hours.compute_response_deadline(utc(2026, 3, 17, 10), **kwargs)
                self.assertIn(expected, _message(excinfo))

    # working_time_left

    def test_working_time_left(self):
        left = business_hours.working_time_left
        # Friday 17:00 -> Monday 09:00: one support hour (Friday 17:00-18:00)
        self.assertEqual(left(utc(2026, 3, 20, 17), utc(2026, 3, 23, 9)), timedelta(hours=1))
        # Tuesday 10:00 -> Wednesday 10:00: 8 h Tuesday + 1 h Wednesday
        self.assertEqual(left(utc(2026, 3, 17, 10), utc(2026, 3, 18, 10)), timedelta(hours=9))
        # over the Unity Day
        self.assertEqual(left(utc(2026, 11, 3, 10), utc(2026, 11, 5, 9)), timedelta(hours=8))
        # overdue since Wednesday 10:00, now Thursday 10:00: minus 9 support hours
        self.assertEqual(left(utc(2026, 3, 19, 10), utc(2026, 3, 18, 10)), -timedelta(hours=9))
        # both at night
        self.assertEqual(left(utc(2026, 3, 17, 20), utc(2026, 3, 18, 8)), timedelta())

    @given(arrivals, st.sampled_from([1, 4, 8, 24, 48, 72]))
    def test_deadline_properties(self, arrival, hours):
        deadline = business_hours.compute_response_deadline(arrival, hours=hours)
        # never earlier than arrival + hours, always inside support hours
        self.assertGreaterEqual(deadline, arrival + timedelta(hours=hours))
        self.assertTrue(business_hours.is_open(_local(deadline)))
        # exactly the rule
        start = business_hours.next_opening(_local(arrival))
        self.assertEqual(
            _local(deadline), business_hours.next_opening(start + timedelta(hours=hours))
        )
        # a request that arrives in support hours and ends in support hours gets exactly `hours`
        if business_hours.is_open(_local(arrival)) and business_hours.is_open(
            _local(arrival) + timedelta(hours=hours)
        ):
            self.assertEqual(deadline, arrival + timedelta(hours=hours))

    @given(arrivals, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)))
    def test_deadline_is_monotonic(self, arrival, delay):
        self.assertGreaterEqual(
            business_hours.compute_response_deadline(arrival + delay),
            business_hours.compute_response_deadline(arrival),
        )

    @given(arrivals)
    def test_next_opening_properties(self, arrival):
        local = _local(arrival)
        opening = business_hours.next_opening(local)
        self.assertGreaterEqual(opening, local)
        self.assertTrue(business_hours.is_open(opening))
        self.assertEqual(opening == local, business_hours.is_open(local))

    @given(arrivals, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)))
    def test_working_time_left_is_bounded_and_antisymmetric(self, now, span):
        deadline = now + span
        left = business_hours.working_time_left(now, deadline)
        self.assertTrue(timedelta(0) <= left <= span)
        self.assertEqual(business_hours.working_time_left(deadline, now), -left)
