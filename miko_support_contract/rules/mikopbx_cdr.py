"""Engineers' phone calls from MikoPBX call records (``cdr_general``).

MikoPBX (formerly Askozia) writes no ``Master.csv``: its calls are rows of the SQLite table
``cdr_general`` (``/storage/usbdisk1/mikopbx/astlogs/asterisk/cdr.db``), served from release
2026.1 by ``GET /pbxcore/api/v3/cdr``. A row is one leg: ``id``, ``start``, ``answer``,
``endtime`` (PBX local time, ``YYYY-MM-DD HH:MM:SS[.mmm]``), ``src_num``, ``dst_num``,
``disposition``, ``billsec``, ``UNIQUEID`` and ``linkedid`` (the legs of one call, transfers
included, share it).

Calls of one ``linkedid`` become one activity per leg an engineer actually answered: the
customer is the external number of the linkedid (its first leg's outside party), the engineer
the extension that answered the leg (the called one, else the calling one). ``source_ref`` is the
leg's ``UNIQUEID``: stable across pulls, so a re-pull creates nothing.
"""

import datetime

from . import _lt
from .pbx_cdr import (
    CALL_IN,
    CALL_OUT,
    SOURCE,
    SUBJECT_CALL_IN,
    SUBJECT_CALL_IN_HIDDEN,
    SUBJECT_CALL_OUT,
    _engineer_matcher,
    _is_extension,
    _zone,
)
from .phones import complete_local_number, normalize_phone
from .source_files import ParseResult

ANSWERED = frozenset({"ANSWERED", "ANSWER"})


def _naive(value, column):
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return datetime.datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise ValueError(
            _lt("Invalid %(column)s time %(value)s.", column=column, value=text)
        ) from None


def _number(value, options):
    text = str(value or "").strip()
    completed = complete_local_number(text, options["city_code"], options["extension_length"])
    return normalize_phone(completed) or (completed if completed.isdigit() else None)


def _customer_of(legs, options):
    """The outside party of a call: the first leg's full phone number (a short number that the
    city code did not complete is an extension or a service code, not a customer)."""
    for leg in legs:
        for side, kind in (("src_num", CALL_IN), ("dst_num", CALL_OUT)):
            number = _number(leg.get(side), options)
            if number and (number.startswith("+") or len(number) >= 8):
                return number, kind
    return None, None


def _leg_record(leg, call, is_engineer, zone, length):
    """Return an activity dict for an answered leg of ``call`` (its ``(customer, kind)``), or a
    lazy reason to skip it."""
    customer, kind = call
    disposition = str(leg.get("disposition") or "").strip().upper()
    if disposition not in ANSWERED:
        return _lt("Call not answered (%(disposition)s).", disposition=disposition or "-")
    answer = _naive(leg.get("answer"), "answer")
    end = _naive(leg.get("endtime"), "endtime")
    if answer is None or end is None:
        raise ValueError(_lt("The answered call has no answer or end time."))
    if end < answer:
        raise ValueError(_lt("The call ends before it was answered."))
    if end == answer:
        return _lt("Zero-length leg (answered and hung up in the same second).")
    src, dst = str(leg.get("src_num") or "").strip(), str(leg.get("dst_num") or "").strip()
    # the leg belongs to whoever answered it: the called extension, else the calling one (an
    # extension not known as an engineer's yet waits to be assigned with its number)
    engineer = next(
        (side for side in (dst, src) if is_engineer(side) or _is_extension(side, length)), None
    )
    if customer is None:
        if engineer:
            return _lt("Internal call between %(src)s and %(dst)s.", src=src, dst=dst)
        return _lt("Answered by the IVR only (%(app)s), no person talked.", app=dst or "-")
    if engineer is None and str(leg.get("is_app") or "0") == "1":
        return _lt("Answered by the IVR only (%(app)s), no person talked.", app=dst or "-")
    uniqueid = str(leg.get("UNIQUEID") or "").strip()
    if not uniqueid:
        raise ValueError(_lt("The call has no uniqueid."))
    talk = int((end - answer).total_seconds())
    if kind == CALL_OUT:
        subject = SUBJECT_CALL_OUT.format(number=customer)
    else:
        subject = SUBJECT_CALL_IN.format(number=customer) if customer else SUBJECT_CALL_IN_HIDDEN
    minutes, seconds = divmod(talk, 60)
    return {
        "engineer_ref": engineer,
        "customer_ref": customer,
        "kind": kind,
        "start": answer.replace(tzinfo=zone).astimezone(datetime.UTC),
        "end": end.replace(tzinfo=zone).astimezone(datetime.UTC),
        "subject": subject,
        "description": f"Разговор {minutes} мин {seconds:02d} с\n{src} → {dst}",
        "source": SOURCE,
        "source_ref": uniqueid,
    }


def parse_cdr_rows(rows, engineer_extensions, pbx_tz, city_code=None, extension_length=None):
    """Parse MikoPBX ``cdr_general`` rows (dicts, API or SQLite) into activity records.

    ``pbx_tz`` is the PBX's zone (``time-settings`` ``PBXTimezone``). Row numbers in
    ``errors``/``skipped`` are the rows' ``id``. Legs not answered, zero-length, internal or
    taken by an application (IVR) only are skipped with the reason.
    """
    zone = _zone(pbx_tz)
    is_engineer = _engineer_matcher(engineer_extensions)
    options = {"city_code": city_code, "extension_length": extension_length}
    result = ParseResult()
    result.detected["tz"] = str(pbx_tz)
    calls = {}
    for row in sorted(rows, key=lambda row: int(row.get("id") or 0)):
        calls.setdefault(str(row.get("linkedid") or row.get("UNIQUEID") or ""), []).append(row)
    for legs in calls.values():
        call = _customer_of(legs, options)
        for leg in legs:
            row_no = int(leg.get("id") or 0)
            try:
                parsed = _leg_record(leg, call, is_engineer, zone, options["extension_length"])
            except ValueError as exc:
                result.errors.append((row_no, exc.args[0]))
                continue
            if isinstance(parsed, dict):
                result.records.append(parsed)
            else:
                result.skipped.append((row_no, parsed))
    return result
