"""Geometry of the portal's balance chart: a line of daily balances with its two axes.

Plain numbers and dates in, SVG coordinates out; the caller formats the labels (dates and money
in the reader's language).
"""

from datetime import date, timedelta

WIDTH = 640
HEIGHT = 170
LEFT = 90  # room for the amounts of the vertical axis
RIGHT = 630
TOP = 10
BOTTOM = 135  # the dates of the horizontal axis go below
X_TICKS = 4  # intervals between dated ticks


def balance_chart(balances, first_day: date):
    """The chart of ``balances`` (one per day from ``first_day``).

    :returns: ``points`` of the polyline, ``x_ticks`` as ``(x, day)``, ``y_ticks`` as
        ``(y, amount)`` for the lowest and highest balance (and zero when it lies between),
        ``zero`` (the y of zero or ``None``), the plot box and the ``min`` / ``max`` balance.
    """
    box = {"left": LEFT, "right": RIGHT, "top": TOP, "bottom": BOTTOM}
    if not balances:
        return {**box, "points": "", "x_ticks": [], "y_ticks": [], "zero": None, "min": 0.0,
                "max": 0.0}  # fmt: skip
    low, high = min(balances), max(balances)
    span = (high - low) or 1.0
    last = max(len(balances) - 1, 1)

    def x_of(index):
        return LEFT + (RIGHT - LEFT) * index / last

    def y_of(value):
        return BOTTOM - (value - low) / span * (BOTTOM - TOP)

    points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(balances))
    indexes = sorted({round(last * step / X_TICKS) for step in range(X_TICKS + 1)})
    x_ticks = [(round(x_of(i), 1), first_day + timedelta(days=i)) for i in indexes]
    amounts = [low, high] if high != low else [low]
    zero = None
    if low < 0 < high:
        zero = round(y_of(0.0), 1)
        amounts.insert(1, 0.0)
    y_ticks = [(round(y_of(amount), 1), amount) for amount in amounts]
    return {**box, "points": points, "x_ticks": x_ticks, "y_ticks": y_ticks, "zero": zero,
            "min": low, "max": high}  # fmt: skip
