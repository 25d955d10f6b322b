"""Engineers' phone calls from an Asterisk ``cdr-csv`` ``Master.csv`` file.

``Master.csv`` has no header. ``cdr_csv`` writes, in this order: accountcode, src, dst, dcontext,
clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition,
amaflags, uniqueid, userfield; with ``newcdrcolumns = yes`` it appends peeraccount, linkedid and
sequence. Times are the PBX's local wall-clock time without an offset (``usegmtime = yes`` writes
UTC: pass ``pbx_tz="UTC"`` then).

Only answered calls become activities, from the answer time to the end (hang-up) time. An
engineer is recognised by extension, in ``src``/``channel`` (outgoing call) or in
``dst``/``dstchannel`` (incoming call, also through a queue or a ring group). A customer call
where no engineer is recognised is still returned, with ``engineer_ref=None`` and a guessed
``kind``, so the product can queue it for a person to assign. Calls between internal extensions
and calls to service codes are skipped.

``source_ref`` is the Asterisk ``uniqueid`` with the CDR ``sequence`` when the file has it, else
with the answer time (Unix seconds): unique per answered leg, stable across re-imports.
"""

import datetime
import re
import zoneinfo

from . import RuleError, _lt
from .phones import normalize_phone
from .source_files import DEFAULT_MAX_BYTES, ParseResult, decode_text, iter_csv_rows

SOURCE = "pbx"
CALL_IN = "call_in"
CALL_OUT = "call_out"

MIN_COLUMNS = 18
NEW_COLUMNS = 21  # with newcdrcolumns: + peeraccount, linkedid, sequence
(
    COL_ACCOUNTCODE,
    COL_SRC,
    COL_DST,
    COL_DCONTEXT,
    COL_CLID,
    COL_CHANNEL,
    COL_DSTCHANNEL,
    COL_LASTAPP,
    COL_LASTDATA,
    COL_START,
    COL_ANSWER,
    COL_END,
    COL_DURATION,
    COL_BILLSEC,
    COL_DISPOSITION,
    COL_AMAFLAGS,
    COL_UNIQUEID,
    COL_USERFIELD,
    COL_PEERACCOUNT,
    COL_LINKEDID,
    COL_SEQUENCE,
) = range(21)

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
ANSWERED = "ANSWERED"
NOT_ANSWERED = frozenset({"NO ANSWER", "BUSY", "FAILED", "CONGESTION"})

# "SIP/101-0000000a", "PJSIP/101-00000012", "IAX2/101-1234", "Local/101@from-queue-0000001c;2"
_CHANNEL_RE = re.compile(r"^[A-Za-z0-9_]+/(?P<peer>.+?)-[0-9A-Fa-f]+(?:;\d+)?$")
_CLID_NUMBER_RE = re.compile(r"<([^<>]*)>\s*$")

# What a customer reads in the activity list (the product is used in Russian).
SUBJECT_CALL_OUT = "Исходящий звонок на {number}"
SUBJECT_CALL_IN = "Входящий звонок с {number}"
SUBJECT_CALL_IN_HIDDEN = "Входящий звонок со скрытого номера"


def channel_peer(channel):
    """Return the peer (extension) of an Asterisk channel name, e.g. ``SIP/101-0000abcd`` → 101."""
    match = _CHANNEL_RE.match((channel or "").strip())
    if not match:
        return None
    return match.group("peer").split("@", 1)[0].split("/", 1)[0] or None


def _engineer_matcher(engineer_extensions):
    if engineer_extensions is None:
        return lambda extension: False
    if callable(engineer_extensions):
        return lambda extension: bool(extension) and bool(engineer_extensions(extension))
    known = {str(extension).strip() for extension in engineer_extensions}
    known.discard("")
    return lambda extension: extension in known


def _zone(pbx_tz):
    if isinstance(pbx_tz, datetime.tzinfo):
        return pbx_tz
    try:
        return zoneinfo.ZoneInfo(str(pbx_tz))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise RuleError(_lt("Unknown time zone %(tz)s.", tz=pbx_tz)) from None


def _local_time(value, zone, column):
    value = value.strip()
    if not value:
        return None
    try:
        naive = datetime.datetime.strptime(value, DATE_FORMAT)
    except ValueError:
        raise ValueError(
            _lt("Invalid %(column)s time %(value)s.", column=column, value=value)
        ) from None
    return naive.replace(tzinfo=zone).astimezone(datetime.UTC)


def _seconds(value, column):
    value = value.strip()
    if not value.isdigit():
        raise ValueError(_lt("Invalid %(column)s seconds %(value)s.", column=column, value=value))
    return int(value)


def _first_engineer(is_engineer, *candidates):
    for candidate in candidates:
        if candidate and is_engineer(candidate):
            return candidate
    return None


def _caller_number(row):
    src = row[COL_SRC].strip()
    if src:
        return src
    match = _CLID_NUMBER_RE.search(row[COL_CLID])
    return match.group(1).strip() if match else ""


def _is_extension(number):
    return bool(number) and number.isdigit() and 2 <= len(number) <= 6


def _direction(row, is_engineer):
    """Return ``(kind, engineer_ref, customer_ref)``, or a lazy reason to skip the call."""
    src = row[COL_SRC].strip()
    dst = row[COL_DST].strip()
    caller = _caller_number(row)
    out_engineer = _first_engineer(is_engineer, src, channel_peer(row[COL_CHANNEL]))
    in_engineer = _first_engineer(is_engineer, dst, channel_peer(row[COL_DSTCHANNEL]))
    if out_engineer and in_engineer:
        return _lt("Internal call between engineers %(src)s and %(dst)s.", src=src, dst=dst)
    if out_engineer:
        return CALL_OUT, out_engineer, normalize_phone(dst)
    if in_engineer:
        return CALL_IN, in_engineer, normalize_phone(caller)
    caller_number = normalize_phone(caller)
    dst_number = normalize_phone(dst)
    if _is_extension(caller_number) and not _is_extension(dst_number):
        return CALL_OUT, None, dst_number
    return CALL_IN, None, caller_number


def _subject(kind, number):
    if kind == CALL_OUT:
        return SUBJECT_CALL_OUT.format(number=number)
    if number:
        return SUBJECT_CALL_IN.format(number=number)
    return SUBJECT_CALL_IN_HIDDEN


def _description(row, talk_seconds):
    minutes, seconds = divmod(talk_seconds, 60)
    lines = [f"Разговор {minutes} мин {seconds:02d} с"]
    clid = row[COL_CLID].strip()
    if clid:
        lines.append(f"Звонящий: {clid}")
    channels = " → ".join(c.strip() for c in (row[COL_CHANNEL], row[COL_DSTCHANNEL]) if c.strip())
    if channels:
        lines.append(f"Каналы: {channels}")
    userfield = row[COL_USERFIELD].strip()
    if userfield:
        lines.append(userfield)
    return "\n".join(lines)


def _parse_row(row, zone, is_engineer):
    """Return a record dict, or a lazy skip reason; raise ValueError(lazy message) on bad data."""
    if len(row) < MIN_COLUMNS:
        raise ValueError(
            _lt(
                "Expected at least %(expected)s columns, found %(found)s.",
                expected=MIN_COLUMNS,
                found=len(row),
            )
        )
    disposition = row[COL_DISPOSITION].strip().upper()
    if disposition in NOT_ANSWERED:
        return _lt("Call not answered (%(disposition)s).", disposition=disposition)
    if disposition != ANSWERED:
        raise ValueError(_lt("Unknown call disposition %(value)s.", value=row[COL_DISPOSITION]))
    uniqueid = row[COL_UNIQUEID].strip()
    if not uniqueid:
        raise ValueError(_lt("The call has no uniqueid."))
    _local_time(row[COL_START], zone, "start")
    answer = _local_time(row[COL_ANSWER], zone, "answer")
    end = _local_time(row[COL_END], zone, "end")
    _seconds(row[COL_DURATION], "duration")
    _seconds(row[COL_BILLSEC], "billsec")
    if answer is None or end is None:
        raise ValueError(_lt("The answered call has no answer or end time."))
    if end < answer:
        raise ValueError(_lt("The call ends before it was answered."))

    direction = _direction(row, is_engineer)
    if not isinstance(direction, tuple):
        return direction
    kind, engineer_ref, customer_ref = direction
    if kind == CALL_OUT and (not customer_ref or _is_extension(customer_ref)):
        return _lt("Internal or service call to %(dst)s.", dst=row[COL_DST].strip())
    if kind == CALL_IN and _is_extension(customer_ref):
        return _lt("Internal call from %(src)s.", src=customer_ref)

    # One uniqueid can carry several answered legs (transfers, queues): add what tells them apart.
    sequence = row[COL_SEQUENCE].strip() if len(row) >= NEW_COLUMNS else ""
    leg = sequence or str(int(answer.timestamp()))
    return {
        "engineer_ref": engineer_ref,
        "customer_ref": customer_ref,
        "kind": kind,
        "start": answer,
        "end": end,
        "subject": _subject(kind, customer_ref),
        "description": _description(row, int((end - answer).total_seconds())),
        "source": SOURCE,
        "source_ref": f"{uniqueid}:{leg}",
    }


def _is_header(row):
    return len(row) > COL_DISPOSITION and row[COL_SRC].strip().lower() in ("src", "source")


def parse_master_csv(
    data, engineer_extensions, pbx_tz="Europe/Moscow", max_bytes=DEFAULT_MAX_BYTES
):
    """Parse an Asterisk ``Master.csv`` (bytes or text) into activity records.

    ``engineer_extensions`` is a set of extensions (``str``/``int``), a callable taking an
    extension and returning whether it belongs to an engineer, or ``None``. Raises
    :class:`RuleError` for a file that cannot be read at all (too large, not text, unknown time
    zone); malformed rows go to ``errors`` with their line number, unanswered, internal and
    duplicate calls to ``skipped``.
    """
    zone = _zone(pbx_tz)
    text = decode_text(data, max_bytes=max_bytes)
    is_engineer = _engineer_matcher(engineer_extensions)
    result = ParseResult()
    seen_refs = set()
    for line_no, row, error in iter_csv_rows(text):
        if error is not None:
            result.errors.append((line_no, error))
            continue
        if line_no == 1 and _is_header(row):
            result.skipped.append((line_no, _lt("Header line.")))
            continue
        try:
            parsed = _parse_row(row, zone, is_engineer)
        except ValueError as exc:
            result.errors.append((line_no, exc.args[0]))
            continue
        if not isinstance(parsed, dict):
            result.skipped.append((line_no, parsed))
        elif parsed["source_ref"] in seen_refs:
            result.skipped.append(
                (line_no, _lt("Duplicate of call %(ref)s.", ref=parsed["source_ref"]))
            )
        else:
            seen_refs.add(parsed["source_ref"])
            result.records.append(parsed)
    return result
