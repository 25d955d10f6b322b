"""Force majeure (contract section IX): periods that extend the contract's time limits.

A time limit running from ``start`` to ``end`` is extended by the part of every force-majeure
period that falls after ``start`` and begins before the (already extended) end: the clock stands
still while the event lasts. Events are ``(begin, finish)`` pairs of naive datetimes in one time
reference; overlapping events count once.
"""

from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta

# force majeure lasting this many consecutive months lets either party terminate (section IX)
TERMINATION_MONTHS = 3


def extend_time_limit(start, end, events):
    """The end of the time limit ``[start, end)`` once the clock stood still during ``events``."""
    for event_begin, finish in sorted(events):
        begin = max(event_begin, start)
        if finish <= begin or begin >= end:
            continue
        end += finish - begin
        start = finish  # what is counted stays counted: overlapping events count once
    return end


def extend_days(first_day, days, events):
    """The last day of a period of ``days`` calendar days counted from ``first_day`` (itself
    day 1), extended by the force-majeure ``events`` (a started day counts whole)."""
    start = datetime.combine(first_day, time.min)
    end = extend_time_limit(start, start + timedelta(days=days), events)
    last = end - timedelta(microseconds=1)
    return last.date()


def lasting_since(events, day):
    """The start of the force majeure in force on ``day`` without interruption, or ``None``.

    Events that overlap or touch make one continuous period; the period counts when it covers
    part of ``day`` (a ``date``)."""
    day_start = datetime.combine(day, time.min)
    day_end = day_start + timedelta(days=1)
    begin = finish = None
    for event_begin, event_finish in sorted(events):
        if finish is not None and event_begin <= finish:
            finish = max(finish, event_finish)
        else:
            begin, finish = event_begin, event_finish
        if begin < day_end and finish > day_start:
            return begin
    return None


def allows_termination(events, day, months=TERMINATION_MONTHS):
    """Either party may terminate on ``day`` when force majeure has lasted ``months``
    consecutive months by then (section IX)."""
    since = lasting_since(events, day)
    return since is not None and since.date() + relativedelta(months=months) <= day
