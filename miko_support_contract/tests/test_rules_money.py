from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from odoo.tests import BaseCase

from odoo.addons.miko_support_contract.rules import RuleError, money


def exact_rounded(minutes_rates):
    """Half-up kopecks of the exact sum, computed independently of the module."""
    total = sum((Fraction(m) * Fraction(str(r)) / 60 for m, r in minutes_rates), Fraction(0))
    return (Decimal(total.numerator) / Decimal(total.denominator)).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )


rates = st.decimals(min_value=0, max_value=100000, places=2) | st.sampled_from(
    [Decimal("1700"), Decimal("1000"), Decimal("999.99"), Decimal("0.10")]
)
day_rows = st.lists(st.tuples(st.integers(0, 24 * 60), rates), max_size=40)


def message_text(error):
    """The English text of a rule's error (its lazy message translated outside the test case,
    whose frame has no environment to read a language from)."""
    return str(error)


class TestRulesMoney(BaseCase):
    """Money of billed minutes (rules.money): exact amounts rounded half-up to kopecks."""

    def test_198_minutes_at_1700_per_hour(self):
        amount = money.minutes_amount(198, Decimal("1700"))
        assert amount == Decimal("5610.00")
        assert str(amount) == "5610.00"

    def test_minutes_amount_rounds_half_up(self):
        for minutes, rate, amount in [
            (0, "1700", "0.00"),
            (1, "1700", "28.33"),  # 28.333...
            (1, "1000", "16.67"),  # 16.666...
            (3, "0.10", "0.01"),  # 0.005 exactly: half-up
            (1, "0.10", "0.00"),  # 0.00166...
            (26, "1700.00", "736.67"),
            (60, "1234.56", "1234.56"),
        ]:
            with self.subTest(minutes=minutes, rate=rate, amount=amount):
                assert money.minutes_amount(minutes, Decimal(rate)) == Decimal(amount)

    def test_minutes_amount_accepts_floats_int_and_str(self):
        assert money.minutes_amount(198, 1700.0) == Decimal("5610.00")
        assert money.minutes_amount(198, 1700) == Decimal("5610.00")
        assert money.minutes_amount(198, "1700.00") == Decimal("5610.00")

    def test_sum_of_rounded_pieces_differs_from_rounded_total(self):
        days = [(date(2025, 3, d), 1, Decimal("1000")) for d in range(1, 4)]
        pieces = sum(money.minutes_amount(m, r) for _d, m, r in days)
        assert pieces == Decimal("50.01")  # 16.67 * 3
        allocated = money.allocate_cumulative(days)
        assert [amount for _day, amount in allocated] == [
            Decimal("16.67"),
            Decimal("16.66"),
            Decimal("16.67"),
        ]
        assert sum(amount for _day, amount in allocated) == Decimal("50.00")

    def test_allocate_takes_days_in_date_order(self):
        days = [(date(2025, 3, 2), 1, "1000"), (date(2025, 3, 1), 1, "1000")]
        assert money.allocate_cumulative(days) == [
            (date(2025, 3, 1), Decimal("16.67")),
            (date(2025, 3, 2), Decimal("16.66")),
        ]

    def test_allocate_empty(self):
        assert money.allocate_cumulative([]) == []

    def test_to_decimal(self):
        for value, expected in [
            (0.1 + 0.2, Decimal("0.30")),
            (1699.9999999999998, Decimal("1700.00")),
            (1700.0, Decimal("1700.00")),
            (2.675, Decimal("2.68")),  # the float is 2.67499999..., its repr is 2.675
            (1700, Decimal("1700")),
            ("1234.567", Decimal("1234.567")),
            (Decimal("0.005"), Decimal("0.005")),
        ]:
            with self.subTest(value=value, expected=expected):
                result = money.to_decimal(value)
                assert isinstance(result, Decimal)
                assert result == expected

    def test_to_decimal_refuses_non_amounts(self):
        for value in [None, True, [1]]:
            with self.subTest(value=value), self.assertRaises(TypeError):
                money.to_decimal(value)

    def test_to_decimal_refuses_non_finite(self):
        for value in [float("nan"), float("inf"), "NaN", Decimal("Infinity")]:
            with self.subTest(value=value), self.assertRaises(ValueError):
                money.to_decimal(value)

    def test_negative_rate_is_refused(self):
        with self.assertRaises(RuleError) as error:
            money.minutes_amount(10, Decimal("-1700.00"))
        assert message_text(error.exception) == "The hourly rate -1700.00 is negative."

    def test_negative_minutes_are_refused(self):
        with self.assertRaisesRegex(RuleError, r"The billed minutes -1 are negative\."):
            money.allocate_cumulative([(date(2025, 3, 1), -1, "1700")])

    def test_fractional_minutes_are_refused(self):
        with self.assertRaises(TypeError):
            money.minutes_amount(1.5, "1700")

    @given(st.integers(0, 10**6), rates)
    def test_minutes_amount_is_the_exact_value_rounded(self, minutes, rate):
        amount = money.minutes_amount(minutes, rate)
        assert amount == exact_rounded([(minutes, rate)])
        assert amount.as_tuple().exponent == -2
        assert abs(Fraction(amount) - Fraction(minutes) * Fraction(rate) / 60) <= Fraction(1, 200)

    @given(day_rows)
    def test_allocate_cumulative_running_sums_are_exact(self, rows):
        days = [(date(2025, 3, 1) + timedelta(days=i), m, r) for i, (m, r) in enumerate(rows)]
        allocated = money.allocate_cumulative(days)
        assert [day for day, _amount in allocated] == [day for day, _m, _r in days]
        running = Decimal("0.00")
        for index, (_day, amount) in enumerate(allocated):
            running += amount
            assert running == exact_rounded(rows[: index + 1])
            assert amount >= 0
            # Never more than a kopeck away from the day rounded alone.
            own = money.minutes_amount(rows[index][0], rows[index][1])
            assert abs(amount - own) <= Decimal("0.01")
        assert sum((amount for _day, amount in allocated), Decimal("0.00")) == exact_rounded(rows)

    def test_amount_in_words_ru_as_on_a_payment_document(self):
        for amount, words in [
            (17000, "Семнадцать тысяч рублей 00 копеек"),
            (Decimal("1.01"), "Один рубль 01 копейка"),
            (Decimal("22.42"), "Двадцать два рубля 42 копейки"),
            (Decimal("111.11"), "Сто одиннадцать рублей 11 копеек"),
            (1700.5, "Одна тысяча семьсот рублей 50 копеек"),
        ]:
            with self.subTest(amount=amount, words=words):
                assert money.amount_in_words_ru(amount) == words

    def test_significant_places_never_scientific(self):
        for value, places in [
            (Decimal("1E+1"), 0),
            (Decimal("10.00"), 0),
            (10.0, 0),
            (1.5, 1),
            (Decimal("0.25"), 2),
        ]:
            with self.subTest(value=value, places=places):
                assert money.significant_places(value) == places
