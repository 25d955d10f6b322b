"""Support hours and the response deadline of a support request.

Support is open Monday to Friday, 09:00 to 18:00 in Europe/Moscow, except on Russian public
holidays and the official transferred days off, and on the working Saturdays decreed by the
Government (the production calendar of the ``holidays`` package). Callers may close extra dates
(``extra_closed_dates``) and open extra ones (``extra_working_dates``); closing wins.

The response deadline rule: a request that arrives outside support hours counts from the next
opening; the deadline is ``hours`` elapsed hours after that start; a deadline that falls outside
support hours moves to the next opening.

Datetimes given to and returned by :func:`compute_response_deadline` and
:func:`working_time_left` are naive and mean UTC, as Odoo stores them; :func:`is_open` and
:func:`next_opening` work on naive local wall-clock times.
"""

import functools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from . import RuleError, _lt

COUNTRY = "RU"
DEFAULT_TZ = "Europe/Moscow"
DEFAULT_HOURS = 24
OPEN_TIME = time(9)
CLOSE_TIME = time(18)
# Give up looking for an opening after ten years of closed days (a misconfiguration).
MAX_CLOSED_DAYS = 3660


@functools.lru_cache(maxsize=32)
def _country_calendar(year):
    """The public holidays, transferred days off and working weekend days of ``year``."""
    return holidays.country_holidays(COUNTRY, years=year)


def _date_set(dates):
    if isinstance(dates, frozenset):
        return dates
    return frozenset(d.date() if isinstance(d, datetime) else d for d in dates or ())


def _zone(tz):
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise RuleError(_lt("Time zone %(tz)s is unknown.", tz=tz)) from error


def _check_opening_hours(open_time, close_time):
    if open_time >= close_time:
        raise RuleError(
            _lt(
                "Support opening time %(open)s must be earlier than closing time %(close)s.",
                open=open_time.strftime("%H:%M"),
                close=close_time.strftime("%H:%M"),
            )
        )


def _utc_naive(value):
    """Accept a naive UTC datetime (or an aware one, converted to UTC) and return it naive."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _utc_to_local(utc_naive, zone):
    return utc_naive.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def _local_to_utc(local_naive, zone):
    return local_naive.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def is_working_day(day, *, extra_closed_dates=(), extra_working_dates=()):
    """Whether support works on ``day`` (a ``date``) according to the Russian calendar."""
    if day in _date_set(extra_closed_dates):
        return False
    if day in _date_set(extra_working_dates):
        return True
    return _country_calendar(day.year).is_working_day(day)


def is_open(
    local_dt,
    *,
    extra_closed_dates=(),
    open_time=OPEN_TIME,
    close_time=CLOSE_TIME,
    extra_working_dates=(),
):
    """Whether support is open at ``local_dt`` (naive local time): ``open_time`` is inside,
    ``close_time`` is outside."""
    _check_opening_hours(open_time, close_time)
    return open_time <= local_dt.time() < close_time and is_working_day(
        local_dt.date(),
        extra_closed_dates=extra_closed_dates,
        extra_working_dates=extra_working_dates,
    )


def next_opening(
    local_dt,
    *,
    extra_closed_dates=(),
    open_time=OPEN_TIME,
    close_time=CLOSE_TIME,
    extra_working_dates=(),
):
    """Return the first moment at or after ``local_dt`` (naive local time) when support is open:
    ``local_dt`` itself during support hours, otherwise the next opening time."""
    _check_opening_hours(open_time, close_time)
    days = {
        "extra_closed_dates": _date_set(extra_closed_dates),
        "extra_working_dates": _date_set(extra_working_dates),
    }
    day = local_dt.date()
    if is_working_day(day, **days):
        if local_dt.time() < open_time:
            return datetime.combine(day, open_time)
        if local_dt.time() < close_time:
            return local_dt
    for _offset in range(MAX_CLOSED_DAYS):
        day += timedelta(days=1)
        if is_working_day(day, **days):
            return datetime.combine(day, open_time)
    raise RuleError(
        _lt(
            "Support is closed for more than %(days)s days after %(date)s: check the closed "
            "dates of the support calendar.",
            days=MAX_CLOSED_DAYS,
            date=local_dt.date().isoformat(),
        )
    )


def compute_response_deadline(
    arrival_utc_naive,
    hours=DEFAULT_HOURS,
    tz=DEFAULT_TZ,
    *,
    extra_closed_dates=(),
    open_time=OPEN_TIME,
    close_time=CLOSE_TIME,
    extra_working_dates=(),
):
    """Return the response deadline (naive UTC) of a request that arrived at ``arrival_utc_naive``.

    The count starts at the arrival, or at the next opening when the request arrives outside
    support hours; the deadline is ``hours`` elapsed hours later, moved to the next opening when it
    falls outside support hours.
    """
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours < 0:
        raise RuleError(
            _lt("Response time %(hours)s must be a non-negative number of hours.", hours=hours)
        )
    zone = _zone(tz)
    support_hours = {
        "extra_closed_dates": _date_set(extra_closed_dates),
        "open_time": open_time,
        "close_time": close_time,
        "extra_working_dates": _date_set(extra_working_dates),
    }
    arrival_local = _utc_to_local(_utc_naive(arrival_utc_naive), zone)
    start_local = next_opening(arrival_local, **support_hours)
    # Elapsed (not wall-clock) hours: add them in UTC.
    deadline_utc = _local_to_utc(start_local, zone) + timedelta(hours=hours)
    deadline_local = next_opening(_utc_to_local(deadline_utc, zone), **support_hours)
    return _local_to_utc(deadline_local, zone)


def _open_time_between(start_utc, end_utc, zone, *, open_time, close_time, **days):
    """Total support time between two naive UTC datetimes (``start_utc <= end_utc``)."""
    total = timedelta()
    day = _utc_to_local(start_utc, zone).date()
    last_day = _utc_to_local(end_utc, zone).date()
    while day <= last_day:
        if is_working_day(day, **days):
            opens = _local_to_utc(datetime.combine(day, open_time), zone)
            closes = _local_to_utc(datetime.combine(day, close_time), zone)
            overlap = min(closes, end_utc) - max(opens, start_utc)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return total


def working_time_left(
    now_utc,
    deadline_utc,
    tz=DEFAULT_TZ,
    *,
    extra_closed_dates=(),
    open_time=OPEN_TIME,
    close_time=CLOSE_TIME,
    extra_working_dates=(),
):
    """Support time (a ``timedelta``) left from ``now_utc`` until ``deadline_utc`` (naive UTC).

    Only support hours count. Past the deadline the result is negative: minus the support time
    elapsed since the deadline.
    """
    _check_opening_hours(open_time, close_time)
    zone = _zone(tz)
    support_hours = {
        "extra_closed_dates": _date_set(extra_closed_dates),
        "open_time": open_time,
        "close_time": close_time,
        "extra_working_dates": _date_set(extra_working_dates),
    }
    now_utc, deadline_utc = _utc_naive(now_utc), _utc_naive(deadline_utc)
    if now_utc <= deadline_utc:
        return _open_time_between(now_utc, deadline_utc, zone, **support_hours)
    return -_open_time_between(deadline_utc, now_utc, zone, **support_hours)
