"""Quantities, prices and amounts of a UPD line: the decimal forms the format allows
(``КолТов``/``ЦенаТов`` at most 11 decimal places, amounts in kopecks) and
:func:`service_measure`, which states billed minutes at an hourly rate exactly.
"""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from ..rules.money import minutes_amount
from .document import OKEI_HOUR, OKEI_MINUTE, UNIT_HOUR, UNIT_MINUTE, UpdLineMeasure

CENT = Decimal("0.01")
MAX_FRACTION_DIGITS = 11  # КолТов, ЦенаТов: xs:decimal totalDigits 26, fractionDigits 11
MAX_QUANTITY_DIGITS = 26
MAX_AMOUNT_DIGITS = 19  # СтТовБезНДС & co: totalDigits 19, fractionDigits 2


def _money(value):
    return f"{Decimal(value).quantize(CENT):f}"


def _quantity(value):
    return format(Decimal(value).normalize(), "f")


def _price(value):
    value = Decimal(value).normalize()
    if value.as_tuple().exponent > -2:
        value = value.quantize(CENT)
    return format(value, "f")


def _round_cents(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _fraction_digits(value):
    exponent = Decimal(value).normalize().as_tuple().exponent
    return max(0, -exponent)


def _total_digits(value):
    digits = Decimal(value).normalize().as_tuple()
    if digits.exponent >= 0:
        return len(digits.digits) + digits.exponent
    return max(len(digits.digits), -digits.exponent)


def _decimal_ok(value, max_fraction, max_total, positive=True):
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    if positive and value <= 0:
        return False
    return _fraction_digits(value) <= max_fraction and _total_digits(value) <= max_total


def service_measure(minutes, hourly_rate):
    """Unit, quantity and price that state ``minutes`` at ``hourly_rate`` per hour exactly.

    ``ЦенаТов`` and ``КолТов`` have at most 11 decimal places, so 1700/60 per minute cannot be
    written. The amount is ``minutes × rate ÷ 60`` rounded half-up to kopecks; the line is stated
    in hours (356 «ч») when ``minutes ÷ 60`` is a finite decimal (198 min = 3.3 h × 1700 =
    5610.00), otherwise in minutes (355 «мин») at ``rate ÷ 60`` per minute, exact when finite,
    else rounded to 11 places: ``quantity × price`` then still rounds to the amount (the exact
    amount is never within 1/60 kopeck of a half kopeck in that case).
    """
    amount = minutes_amount(minutes, hourly_rate)
    rate = Decimal(hourly_rate)
    hours = Fraction(minutes, 60)
    if _finite_decimal(hours):
        return UpdLineMeasure(
            okei_code=OKEI_HOUR,
            unit_name=UNIT_HOUR,
            quantity=_fraction_to_decimal(hours),
            price=rate,
            amount=amount,
        )
    per_minute = Fraction(rate) / 60
    if _finite_decimal(per_minute):
        price = _fraction_to_decimal(per_minute)
    else:
        price = (Decimal(per_minute.numerator) / Decimal(per_minute.denominator)).quantize(
            Decimal(1).scaleb(-MAX_FRACTION_DIGITS), rounding=ROUND_HALF_UP
        )
    return UpdLineMeasure(
        okei_code=OKEI_MINUTE,
        unit_name=UNIT_MINUTE,
        quantity=Decimal(minutes),
        price=price,
        amount=amount,
    )


def _finite_decimal(value):
    """Whether a fraction has at most 11 decimal places."""
    return (10**MAX_FRACTION_DIGITS * value).denominator == 1


def _fraction_to_decimal(value):
    return (Decimal(value.numerator) / Decimal(value.denominator)).normalize()
