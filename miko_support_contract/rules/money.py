"""Money of billed minutes, in ``Decimal`` rounded half-up to kopecks.

Amounts are computed exactly (as fractions) and rounded once, on totals: a period total is the
rounding of the exact total, never the sum of rounded pieces.
"""

import math
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from operator import itemgetter

from . import RuleError, _lt

CURRENCY_DIGITS = 2
CENT = Decimal("0.01")
_HALF = Fraction(1, 2)


def to_decimal(value, digits=CURRENCY_DIGITS) -> Decimal:
    """``value`` as a ``Decimal``, safe from binary floats.

    A float (what Odoo's ``Monetary`` fields hold) goes through its shortest ``repr`` and is rounded
    half-up to the currency's ``digits``: ``1699.9999999999998`` -> ``Decimal("1700.00")``.
    ``Decimal``, ``int`` and ``str`` values are exact and kept as they are.
    """
    if isinstance(value, bool) or value is None:
        raise TypeError(f"Not an amount: {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"Not a finite amount: {value!r}")
        return Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        result = Decimal(value)
    else:
        raise TypeError(f"Not an amount: {value!r}")
    if not result.is_finite():
        raise ValueError(f"Not a finite amount: {value!r}")
    return result


def _round_cents(amount: Fraction) -> Decimal:
    """A non-negative exact amount rounded half-up to kopecks."""
    return Decimal(math.floor(amount * 100 + _HALF)).scaleb(-2)


def _exact_amount(minutes, hourly_rate) -> Fraction:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise TypeError(f"Billed minutes must be an integer, not {minutes!r}")
    if minutes < 0:
        raise RuleError(_lt("The billed minutes %(minutes)s are negative.", minutes=str(minutes)))
    rate = to_decimal(hourly_rate)
    if rate < 0:
        raise RuleError(_lt("The hourly rate %(rate)s is negative.", rate=str(rate)))
    return minutes * Fraction(rate) / 60


def minutes_amount(minutes: int, hourly_rate) -> Decimal:
    """``minutes × hourly_rate ÷ 60`` rounded half-up to kopecks (computed exactly)."""
    return _round_cents(_exact_amount(minutes, hourly_rate))


def allocate_cumulative(
    day_minutes: Iterable[tuple[date, int, object]],
) -> list[tuple[date, Decimal]]:
    """Per-day amounts of ``(date, minutes, hourly_rate)`` whose running sums are exact.

    Days are taken in date order (ties keep the input order). The sum of the returned amounts up
    to any day equals the exact amount up to that day rounded half-up to kopecks, so the period
    total is the rounding of the exact total. Each day's amount differs from its own
    :func:`minutes_amount` by at most one kopeck.
    """
    running = Fraction(0)
    billed = Decimal("0.00")
    amounts = []
    for day, minutes, hourly_rate in sorted(day_minutes, key=itemgetter(0)):
        running += _exact_amount(minutes, hourly_rate)
        rounded = _round_cents(running)
        amounts.append((day, rounded - billed))
        billed = rounded
    return amounts


def significant_places(value, max_places=6) -> int:
    """Decimal places ``value`` needs to be shown without trailing zeros: ``10`` -> 0 (never the
    ``1E+1`` of a normalised ``Decimal``), ``1.50`` -> 1, at most ``max_places``."""
    exponent = to_decimal(value, max_places).normalize().as_tuple().exponent
    return max(0, min(max_places, -exponent))


RUBLE_FORMS = ("рубль", "рубля", "рублей")
KOPECK_FORMS = ("копейка", "копейки", "копеек")


def plural_ru(number: int, forms) -> str:
    """The Russian form of a noun after ``number``: 1 рубль, 2 рубля, 5 рублей, 11 рублей."""
    number = abs(number)
    if number % 10 == 1 and number % 100 != 11:
        return forms[0]
    if 2 <= number % 10 <= 4 and not 12 <= number % 100 <= 14:
        return forms[1]
    return forms[2]


def amount_in_words_ru(amount) -> str:
    """A ruble amount as written on Russian payment documents, rubles in words (``num2words``)
    and kopecks in figures: ``17000`` -> «Семнадцать тысяч рублей 00 копеек»."""
    from num2words import num2words

    amount = to_decimal(amount).quantize(CENT, ROUND_HALF_UP)
    sign = "минус " if amount < 0 else ""
    amount = abs(amount)
    rubles = int(amount)
    kopecks = int((amount - rubles) * 100)
    text = (
        f"{sign}{num2words(rubles, lang='ru')} {plural_ru(rubles, RUBLE_FORMS)} "
        f"{kopecks:02d} {plural_ru(kopecks, KOPECK_FORMS)}"
    )
    return text[0].upper() + text[1:]


def exact_total(minutes_rates: Iterable[tuple[int, object]]) -> Decimal:
    """``Σ minutes × hourly_rate ÷ 60`` of signed ``(minutes, hourly_rate)`` pairs, computed
    exactly and rounded half-up (away from zero) once to kopecks: a month's settlement."""
    total = Fraction(0)
    for minutes, hourly_rate in minutes_rates:
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise TypeError(f"Billed minutes must be an integer, not {minutes!r}")
        total += _exact_amount(abs(minutes), hourly_rate) * (1 if minutes >= 0 else -1)
    rounded = _round_cents(abs(total))
    return rounded if total >= 0 else -rounded
