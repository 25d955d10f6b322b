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

import collections
import datetime
import re
import zoneinfo

from . import RuleError, _lt, phones
from .phones import normalize_phone
from .source_files import DEFAULT_MAX_BYTES, ParseResult, decode_lines, iter_csv_rows

SOURCE = "pbx"
CALL_IN = "call_in"
CALL_OUT = "call_out"

# ``cdr_csv`` (Master.csv without a header) writes these fields in this order; how many of them
# depends on its options: 16 without ``loguniqueid``/``loguserfield``, 17 with the uniqueid only,
# 18 with both (the default), 21 with ``newcdrcolumns`` (peeraccount, linkedid, sequence)
CDR_CSV_FIELDS = (
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "uniqueid",
    "userfield",
    "peeraccount",
    "linkedid",
    "sequence",
)
CDR_CSV_WIDTHS = (16, 17, 18, 21)
# ``cdr_custom``'s sample mapping (``cdr_custom.conf.sample``): clid first, accountcode after the
# AMA flags, then uniqueid, userfield and the sequence
CDR_CUSTOM_FIELDS = (
    "clid",
    "src",
    "dst",
    "dcontext",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "accountcode",
    "uniqueid",
    "userfield",
    "sequence",
)
# header names of CDR table exports (FreePBX «CDR Reports», database dumps) → our field names
HEADER_ALIASES = {
    "calldate": "start",
    "start": "start",
    "answer": "answer",
    "end": "end",
    "src": "src",
    "source": "src",
    "dst": "dst",
    "destination": "dst",
    "dcontext": "dcontext",
    "clid": "clid",
    "callerid": "clid",
    "channel": "channel",
    "dstchannel": "dstchannel",
    "lastapp": "lastapp",
    "lastdata": "lastdata",
    "duration": "duration",
    "billsec": "billsec",
    "disposition": "disposition",
    "amaflags": "amaflags",
    "accountcode": "accountcode",
    "uniqueid": "uniqueid",
    "userfield": "userfield",
    "linkedid": "linkedid",
    "peeraccount": "peeraccount",
    "sequence": "sequence",
    "cnum": "cnum",
    "did": "did",
}
DISPOSITIONS = frozenset({"ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"})
# dialplan applications that answer a call without a person: an answered call whose last
# application is one of these and that reached no extension was taken by the IVR only
IVR_APPS = frozenset(
    {
        "answer",
        "background",
        "hangup",
        "playback",
        "read",
        "waitexten",
        "voicemail",
        "voicemailmain",
        "ivr",
        "queue",
        "musiconhold",
        "",
    }
)
# a uniqueid is ``[system name-]<epoch seconds>.<counter>``: the moment the channel was created
_UNIQUEID_EPOCH_RE = re.compile(r"(?:^|-)(?P<epoch>\d{9,11})\.\d+(?:_.*)?$")
TZ_DETECT_QUANTUM = 900  # offsets are whole quarters of an hour
TZ_DETECT_TOLERANCE = 120  # the channel is created at most this many seconds before «start»

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


def _naive(value, column):
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.datetime.strptime(value[:19], DATE_FORMAT)
    except ValueError:
        raise ValueError(
            _lt("Invalid %(column)s time %(value)s.", column=column, value=value)
        ) from None


def _seconds(value, column):
    value = (value or "").strip()
    if not value.isdigit():
        raise ValueError(_lt("Invalid %(column)s seconds %(value)s.", column=column, value=value))
    return int(value)


def uniqueid_epoch(uniqueid):
    """The Unix time in an Asterisk uniqueid (``1706368044.0``, ``mikopbx-1706420300.5``)."""
    match = _UNIQUEID_EPOCH_RE.search((uniqueid or "").strip())
    return int(match.group("epoch")) if match else None


def detect_offset(pairs):
    """Return the UTC offset (``timedelta``) the ``(uniqueid epoch, naive start)`` pairs agree on.

    A channel's uniqueid holds the Unix time it was created, a moment before the CDR's start,
    which the PBX writes in its own zone (UTC with ``usegmtime``): their difference, rounded to a
    quarter of an hour, is the zone's offset. The most frequent offset wins; ``None`` when no
    pair fits (no uniqueid, or legs whose start was reset).
    """
    votes = collections.Counter()
    for epoch, naive in pairs:
        if epoch is None or naive is None:
            continue
        utc = datetime.datetime.fromtimestamp(epoch, datetime.UTC).replace(tzinfo=None)
        difference = (naive - utc).total_seconds()
        offset = round(difference / TZ_DETECT_QUANTUM) * TZ_DETECT_QUANTUM
        if abs(difference - offset) <= TZ_DETECT_TOLERANCE and abs(offset) <= 14 * 3600:
            votes[offset] += 1
    if not votes:
        return None
    return datetime.timedelta(seconds=votes.most_common(1)[0][0])


def offset_label(offset):
    """``UTC+03:00`` for a ``timedelta`` offset."""
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def _first_engineer(is_engineer, *candidates):
    for candidate in candidates:
        if candidate and is_engineer(candidate):
            return candidate
    return None


def _caller_number(row):
    src = row.get("src", "").strip() or row.get("cnum", "").strip()
    if src:
        return src
    match = _CLID_NUMBER_RE.search(row.get("clid", ""))
    return match.group(1).strip() if match else ""


def _is_extension(number, extension_length=None):
    if not (number and number.isdigit()):
        return False
    if extension_length:
        return len(number) <= extension_length
    return 2 <= len(number) <= 6


def _customer_number(value, options):
    number = phones.complete_local_number(
        (value or "").strip(), options["city_code"], options["extension_length"]
    )
    return normalize_phone(number) or (number if number.isdigit() else None)


def _direction(row, is_engineer, options):
    """Return ``(kind, engineer_ref, customer_ref)``, or a lazy reason to skip the call."""
    src = row.get("src", "").strip()
    dst = row.get("dst", "").strip()
    caller = _caller_number(row)
    out_engineer = _first_engineer(is_engineer, src, channel_peer(row.get("channel")))
    in_engineer = _first_engineer(is_engineer, dst, channel_peer(row.get("dstchannel")))
    if out_engineer and in_engineer:
        return _lt("Internal call between engineers %(src)s and %(dst)s.", src=src, dst=dst)
    if out_engineer:
        return CALL_OUT, out_engineer, _customer_number(dst, options)
    if in_engineer:
        return CALL_IN, in_engineer, _customer_number(caller, options)
    length = options["extension_length"]
    caller_number = _customer_number(caller, options)
    dst_number = _customer_number(dst, options)
    if _is_extension(caller_number, length) and not _is_extension(dst_number, length):
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
    clid = row.get("clid", "").strip()
    if clid:
        lines.append(f"Звонящий: {clid}")
    channels = " → ".join(
        c.strip() for c in (row.get("channel", ""), row.get("dstchannel", "")) if c.strip()
    )
    if channels:
        lines.append(f"Каналы: {channels}")
    userfield = row.get("userfield", "").strip()
    if userfield:
        lines.append(userfield)
    return "\n".join(lines)


def _moments(row):
    """Return the naive ``(start, answer, end)`` of a row; FreePBX exports have only the call
    date and the durations: answer = start + (duration − billsec), end = start + duration."""
    start = _naive(row.get("start"), "start")
    if "end" not in row:
        duration = _seconds(row.get("duration"), "duration")
        billsec = _seconds(row.get("billsec"), "billsec")
        if start is None:
            raise ValueError(_lt("The call has no start time."))
        end = start + datetime.timedelta(seconds=duration)
        answer = end - datetime.timedelta(seconds=billsec) if billsec else None
        return start, answer, end
    _seconds(row.get("duration"), "duration")
    _seconds(row.get("billsec"), "billsec")
    return start, _naive(row.get("answer"), "answer"), _naive(row.get("end"), "end")


def _parse_row(row, zone, is_engineer, options):
    """Return a record dict, or a lazy skip reason; raise ValueError(lazy message) on bad data."""
    disposition = row.get("disposition", "").strip().upper()
    if disposition in NOT_ANSWERED:
        return _lt("Call not answered (%(disposition)s).", disposition=disposition)
    if disposition != ANSWERED:
        raise ValueError(_lt("Unknown call disposition %(value)s.", value=row.get("disposition")))
    _start, answer, end = _moments(row)
    if answer is None or end is None:
        if answer is None and end is not None and "end" not in row:
            return _lt("Answered by the PBX only, nobody talked.")
        raise ValueError(_lt("The answered call has no answer or end time."))
    if end < answer:
        raise ValueError(_lt("The call ends before it was answered."))
    uniqueid = row.get("uniqueid", "").strip()
    if "uniqueid" in row and not uniqueid:
        raise ValueError(_lt("The call has no uniqueid."))
    if end == answer:
        return _lt("Zero-length leg (answered and hung up in the same second).")

    direction = _direction(row, is_engineer, options)
    if not isinstance(direction, tuple):
        return direction
    kind, engineer_ref, customer_ref = direction
    length = options["extension_length"]
    ivr_app = row.get("lastapp", "").strip().lower() in IVR_APPS
    if engineer_ref is None and not row.get("dstchannel", "").strip() and ivr_app:
        return _lt(
            "Answered by the IVR only (%(app)s), no person talked.",
            app=row.get("lastapp", "").strip() or "-",
        )
    if kind == CALL_OUT and (not customer_ref or _is_extension(customer_ref, length)):
        return _lt("Internal or service call to %(dst)s.", dst=row.get("dst", "").strip())
    if kind == CALL_IN and _is_extension(customer_ref, length):
        return _lt("Internal call from %(src)s.", src=customer_ref)

    answer_utc = answer.replace(tzinfo=zone).astimezone(datetime.UTC)
    end_utc = end.replace(tzinfo=zone).astimezone(datetime.UTC)
    # One uniqueid can carry several answered legs (transfers, queues): add what tells them apart.
    leg = row.get("sequence", "").strip() or str(int(answer_utc.timestamp()))
    if not uniqueid:
        uniqueid = "|".join(
            (row.get("channel", "").strip(), row.get("dstchannel", "").strip(), str(answer))
        )
    return {
        "engineer_ref": engineer_ref,
        "customer_ref": customer_ref,
        "kind": kind,
        "start": answer_utc,
        "end": end_utc,
        "subject": _subject(kind, customer_ref),
        "description": _description(row, int((end - answer).total_seconds())),
        "source": SOURCE,
        "source_ref": f"{uniqueid}:{leg}",
    }


def _header_fields(row):
    """The field names of a header row (FreePBX export, database dump), or ``None``."""
    names = [HEADER_ALIASES.get(cell.strip().lower().replace(" ", "")) for cell in row]
    found = {name for name in names if name}
    if {"src", "dst", "start", "disposition"} <= found and "duration" in found:
        return names
    return None


def _layout_fields(row):
    """Recognise a header-less row by its content: the disposition sits in column 15 for
    ``cdr_csv`` (16, 17, 18 or 21 columns) and in column 14 for the ``cdr_custom`` sample."""

    def is_disposition(index):
        return len(row) > index and row[index].strip().upper() in DISPOSITIONS

    if len(row) in CDR_CSV_WIDTHS and is_disposition(14):
        return f"cdr_csv_{len(row)}", CDR_CSV_FIELDS[: len(row)]
    if len(row) >= 14 and is_disposition(13):
        return "cdr_custom", CDR_CUSTOM_FIELDS[: len(row)]
    if len(row) in CDR_CSV_WIDTHS:  # a cdr_csv line with a bad value, reported by its field
        return f"cdr_csv_{len(row)}", CDR_CSV_FIELDS[: len(row)]
    return None, None


def _rows(text, column_map):
    """Yield ``(line_no, fields dict | None, layout, error)`` for each CSV record."""
    header = None
    for line_no, row, error in iter_csv_rows(text):
        if error is not None:
            yield line_no, None, None, error
            continue
        if column_map:
            fields = {
                name: row[index].strip() if index < len(row) else ""
                for name, index in column_map.items()
            }
            yield line_no, fields, "mapping", None
            continue
        if header is None and line_no == 1:
            header = _header_fields(row)
            if header:
                yield line_no, None, "header", None
                continue
        if header:
            fields = {name: value for name, value in zip(header, row, strict=False) if name}
            yield line_no, fields, "header", None
            continue
        layout, names = _layout_fields(row)
        if layout is None:
            yield (
                line_no,
                None,
                None,
                _lt(
                    "Unrecognised call record layout (%(found)s columns): expected Asterisk "
                    "cdr_csv with 16, 17, 18 or 21 columns, a cdr_custom line or a header.",
                    found=len(row),
                ),
            )
            continue
        yield line_no, dict(zip(names, row, strict=False)), layout, None


def parse_master_csv(
    data,
    engineer_extensions,
    pbx_tz="Europe/Moscow",
    max_bytes=DEFAULT_MAX_BYTES,
    *,
    default_tz="Europe/Moscow",
    city_code=None,
    extension_length=None,
    column_map=None,
):
    """Parse Asterisk call records (bytes or text) into activity records.

    Reads ``cdr_csv``'s ``Master.csv`` (16, 17, 18 or 21 columns, recognised per line from its
    content), the ``cdr_custom`` sample layout, a CDR export with a header row (FreePBX «CDR
    Reports») or any layout given by ``column_map`` (``{"src": 1, "start": 9, …}``, 0-based).
    Each line is decoded by itself (UTF-8, else Windows-1251).

    ``pbx_tz``: the zone the PBX writes its times in; ``None`` detects it from the uniqueids
    (see :func:`detect_offset`), falling back to ``default_tz``. What was found is in
    ``result.detected`` (``layouts``, ``tz``, ``tz_detected``, ``cp1251_lines``).
    ``city_code`` completes 5–7 digit local numbers; ``extension_length`` is the length of
    internal extensions (2–6 digits when not given).

    ``engineer_extensions`` is a set of extensions (``str``/``int``), a callable taking an
    extension and returning whether it belongs to an engineer, or ``None``. Raises
    :class:`RuleError` for a file that cannot be read at all (too large, not text, unknown time
    zone); malformed rows go to ``errors`` with their line number; unanswered, zero-length,
    IVR-only, internal and duplicate calls to ``skipped`` with the reason.
    """
    text, legacy_lines = decode_lines(data, max_bytes=max_bytes)
    is_engineer = _engineer_matcher(engineer_extensions)
    options = {"city_code": city_code, "extension_length": extension_length}
    result = ParseResult()
    rows = list(_rows(text, column_map))
    layouts = collections.Counter(layout for _n, fields, layout, _e in rows if fields)
    if pbx_tz is None:
        pairs = []
        for _line_no, fields, _layout, _error in rows:
            if not fields:
                continue
            try:
                pairs.append(
                    (uniqueid_epoch(fields.get("uniqueid")), _naive(fields.get("start"), "start"))
                )
            except ValueError:
                continue
        offset = detect_offset(pairs)
        if offset is None:
            zone = _zone(default_tz)
            result.detected["tz"] = str(default_tz)
            result.detected["tz_detected"] = False
        else:
            zone = datetime.timezone(offset)
            result.detected["tz"] = offset_label(offset)
            result.detected["tz_detected"] = True
    else:
        zone = _zone(pbx_tz)
        result.detected["tz"] = str(pbx_tz)
        result.detected["tz_detected"] = False
    result.detected["layouts"] = dict(layouts)
    result.detected["cp1251_lines"] = legacy_lines
    seen_refs = set()
    for line_no, fields, _layout, error in rows:
        if error is not None:
            result.errors.append((line_no, error))
            continue
        if fields is None:
            result.skipped.append((line_no, _lt("Header line.")))
            continue
        try:
            parsed = _parse_row(fields, zone, is_engineer, options)
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
