"""Engineers' remote sessions from TeamViewer connection reports.

Two sources give the same records (``kind='remote'``, ``source='teamviewer'``):

* :func:`parse_connections_csv` reads the CSV export of the Management Console connection report.
  Columns are found by their header, in English (``User``, ``Computer``/``Device``,
  ``ID``/``Device ID``, ``Start``/``Start time``, ``End``/``End time``, ``Duration``,
  ``Connection type``, ``Notes``…) or Russian, separated by commas, semicolons or tabs; title
  lines above the header are ignored. Times without an offset are read in ``tz``; a header that
  says ``UTC`` (``Start (UTC)``) or a value with an offset (``Z``, ``+03:00``) wins. Current
  TeamViewer exports write UTC: pass ``tz="UTC"`` for them.
* :func:`parse_connections_json` reads a page of the Web API ``GET /api/v1/reports/connections``
  (``{"records": [...], "records_remaining": n, "next_offset": "..."}``; paging is the caller's
  business), dates in ISO 8601 UTC; a connection whose ``billing_state`` is ``DoNotBill`` is
  skipped (not billable).

``engineer_ref`` is the TeamViewer account user name (CSV: its e-mail when there is no user
column), ``customer_ref`` the TeamViewer ID of the device (its name when there is no ID), and
``source_ref`` the connection id; a CSV row without one gets a stable hash of
user, device, start and end.
"""

import datetime
import hashlib
import json
import re
import zoneinfo

from . import RuleError, _lt
from .source_files import DEFAULT_MAX_BYTES, ParseResult, decode_text, iter_csv_rows

SOURCE = "teamviewer"
KIND = "remote"
SUBJECT = "Удалённое подключение [{device}]"

DELIMITERS = (",", ";", "\t")
HEADER_SEARCH_ROWS = 10

# Normalised header (see _header_key) → field.
HEADER_ALIASES = {
    "connection_id": (
        "connection id",
        "connectionid",
        "session id",
        "sessionid",
        "id подключения",
        "id соединения",
    ),
    "user": (
        "user",
        "username",
        "user name",
        "account",
        "account name",
        "expert",
        "supporter",
        "technician",
        "пользователь",
        "учетная запись",
        "учётная запись",
        "эксперт",
    ),
    "email": ("e-mail", "email", "user e-mail", "user email", "электронная почта"),
    "device_name": (
        "computer",
        "computer name",
        "device",
        "device name",
        "devicename",
        "partner",
        "partner name",
        "target device",
        "компьютер",
        "устройство",
        "имя устройства",
        "партнер",
        "партнёр",
    ),
    "device_id": (
        "id",
        "device id",
        "deviceid",
        "teamviewer id",
        "remote id",
        "partner id",
        "id устройства",
        "id партнера",
        "id партнёра",
    ),
    "start": (
        "start",
        "start time",
        "start date",
        "started",
        "начало",
        "время начала",
        "дата начала",
    ),
    "end": ("end", "end time", "end date", "ended", "конец", "окончание", "время окончания"),
    "duration": ("duration", "длительность", "продолжительность"),
    "connection_type": (
        "connection type",
        "session type",
        "type",
        "тип подключения",
        "тип соединения",
        "тип",
    ),
    "notes": (
        "notes",
        "note",
        "comment",
        "comments",
        "примечания",
        "примечание",
        "заметки",
        "комментарий",
        "комментарии",
    ),
    "group": ("group", "group name", "группа"),
}
_FIELD_BY_HEADER = {alias: field for field, aliases in HEADER_ALIASES.items() for alias in aliases}
_SUMMARY_LABELS = frozenset({"total", "totals", "sum", "итого", "всего"})

_HEADER_PAREN_RE = re.compile(r"\(([^)]*)\)")
_SLASH_DATE_RE = re.compile(
    r"^(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<year>\d{4}),?\s+"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?$"
)
_CLOCK_DURATION_RE = re.compile(r"^(\d+):(\d{2})(?::(\d{2}))?$")
_UNIT_DURATION_RE = re.compile(r"(\d+)\s*([a-zа-яё]+)\.?")
_UNIT_DURATION_FULL_RE = re.compile(r"^(?:\d+\s*[a-zа-яё]+\.?[\s,]*)+$")
_DURATION_UNITS = {
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "ч": 3600,
    "час": 3600,
    "часа": 3600,
    "часов": 3600,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "м": 60,
    "мин": 60,
    "минут": 60,
    "минуты": 60,
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "с": 1,
    "сек": 1,
    "секунд": 1,
}


# --- shared ------------------------------------------------------------------------------------


def _zone(tz):
    if isinstance(tz, datetime.tzinfo):
        return tz
    try:
        return zoneinfo.ZoneInfo(str(tz))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise RuleError(_lt("Unknown time zone %(tz)s.", tz=tz)) from None


def _text(value):
    if value is None:
        return ""
    return str(value).strip()


def device_ref(device_id):
    """Return the TeamViewer ID as digits: ``"264 488 246"`` and ``"r264488246"`` → 264488246."""
    ref = re.sub(r"\s+", "", _text(device_id))
    if len(ref) > 1 and ref[0] in "rR" and ref[1:].isdigit():
        ref = ref[1:]
    return ref


def _description(fields, device):
    device_name = _text(fields.get("device_name"))
    group = _text(fields.get("group"))
    connection_type = _text(fields.get("connection_type"))
    notes = _text(fields.get("notes"))
    lines = []
    if device_name and device_name != device:
        lines.append(f"Устройство: {device_name}")
    if group:
        lines.append(f"Группа: {group}")
    if connection_type:
        lines.append(f"Тип подключения: {connection_type}")
    lines.extend(fields.get("extra", ()))
    if notes:
        lines.append(notes)
    return "\n".join(lines)


def _hash_ref(engineer_ref, device, start, end):
    key = "|".join((engineer_ref or "", device, start.isoformat(), end.isoformat()))
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _record(fields, start, end):
    """Build the activity dict from the text ``fields`` of one connection; ValueError if bad."""
    if end < start:
        raise ValueError(_lt("The connection ends before it starts."))
    device_id = device_ref(fields.get("device_id"))
    device_name = _text(fields.get("device_name"))
    device = device_id or device_name
    if not device:
        raise ValueError(_lt("The connection has neither a device ID nor a device name."))
    engineer_ref = _text(fields.get("user")) or _text(fields.get("email")) or None
    source_ref = _text(fields.get("connection_id")) or _hash_ref(engineer_ref, device, start, end)
    return {
        "engineer_ref": engineer_ref,
        "customer_ref": device,
        "kind": KIND,
        "start": start,
        "end": end,
        "subject": SUBJECT.format(device=device),
        "description": _description(fields, device),
        "source": SOURCE,
        "source_ref": source_ref,
    }


def _collect(result, seen_refs, line_no, record):
    if record["source_ref"] in seen_refs:
        result.skipped.append(
            (line_no, _lt("Duplicate of connection %(ref)s.", ref=record["source_ref"]))
        )
    else:
        seen_refs.add(record["source_ref"])
        result.records.append(record)


# --- CSV export --------------------------------------------------------------------------------


def _header_key(cell):
    """Return ``(normalised header, says_utc)``: ``" Start time (UTC) "`` → ("start time", True)."""
    text = cell.replace("\ufeff", "").strip().strip('"').lower()
    says_utc = any(part.strip() in ("utc", "gmt") for part in _HEADER_PAREN_RE.findall(text))
    text = _HEADER_PAREN_RE.sub(" ", text).replace("_", " ").rstrip(":")
    return " ".join(text.split()), says_utc


def _map_header(row):
    """Return ``{field: (column index, says_utc)}`` for the recognised cells of ``row``."""
    columns = {}
    for index, cell in enumerate(row):
        key, says_utc = _header_key(cell)
        field = _FIELD_BY_HEADER.get(key)
        if field and field not in columns:
            columns[field] = (index, says_utc)
    return columns


def _is_report_header(columns):
    has_device = "device_id" in columns or "device_name" in columns
    has_time = "end" in columns or "duration" in columns
    return "start" in columns and has_device and has_time


def _find_header(text):
    """Return ``(delimiter, header line_no, columns)`` of the best-looking header line."""
    best = None
    for delimiter in DELIMITERS:
        for index, (line_no, row, _error) in enumerate(iter_csv_rows(text, delimiter)):
            if index >= HEADER_SEARCH_ROWS:
                break
            if row is None:
                continue
            columns = _map_header(row)
            if _is_report_header(columns):
                if best is None or len(columns) > len(best[2]):
                    best = (delimiter, line_no, columns)
                break
    if best is None:
        raise RuleError(
            _lt(
                "No TeamViewer connection report header found: expected columns such as "
                "User, Computer, ID, Start, End."
            )
        )
    return best


def parse_datetime(value, zone):
    """Parse a report time into an aware UTC datetime; ``zone`` applies when it has no offset.

    Accepts ISO 8601 (``2026-11-02 10:42``, ``2026-11-02T07:42:05Z``), US
    ``11/02/2026 10:42 AM`` (month first), and ``02.11.2026 10:42`` (day first).
    Raises ``ValueError`` with a lazy message.
    """
    text = _text(value)
    moment = None
    if ":" in text:
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            moment = _parse_numeric_date(text)
    if moment is None:
        raise ValueError(_lt("Invalid date and time %(value)s.", value=text))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(datetime.UTC)


def _parse_numeric_date(text):
    match = _SLASH_DATE_RE.match(text)
    if not match:
        return None
    first, second = int(match["a"]), int(match["b"])
    # 11/02/2026 is American (month first); 02.11.2026 is European (day first).
    month, day = (first, second) if "/" in text else (second, first)
    hour, minute, second_ = int(match["hour"]), int(match["minute"]), int(match["second"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["ampm"][0] in "Pp" else 0)
    try:
        return datetime.datetime(int(match["year"]), month, day, hour, minute, second_)
    except ValueError:
        return None


def parse_duration(value):
    """Return a duration in seconds: ``"01:05:00"``, ``"1:05"`` (h:mm), ``"1h 5m"``, ``"65 min"``.

    A bare number is minutes. Raises ``ValueError`` with a lazy message.
    """
    text = _text(value).lower()
    match = _CLOCK_DURATION_RE.match(text)
    if match:
        hours, minutes, seconds = (int(part or 0) for part in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    if text.isdigit():
        return int(text) * 60
    if _UNIT_DURATION_FULL_RE.match(text):
        parts = [(int(n), _DURATION_UNITS.get(unit)) for n, unit in _UNIT_DURATION_RE.findall(text)]
        if all(factor for _number, factor in parts):
            return sum(number * factor for number, factor in parts)
    raise ValueError(_lt("Invalid duration %(value)s.", value=_text(value)))


def _csv_fields(row, columns):
    return {
        field: (row[index] if index < len(row) else "") for field, (index, _) in columns.items()
    }


def _parse_csv_row(row, columns, zone):
    fields = _csv_fields(row, columns)
    first_cell = next((cell.strip().lower() for cell in row if cell.strip()), "")
    if first_cell.rstrip(":") in _SUMMARY_LABELS:
        return _lt("Summary line.")
    start_zone = datetime.UTC if columns["start"][1] else zone
    if not _text(fields["start"]):
        raise ValueError(_lt("The connection has no start time."))
    start = parse_datetime(fields["start"], start_zone)
    if _text(fields.get("end")):
        end_zone = datetime.UTC if columns["end"][1] else zone
        end = parse_datetime(fields["end"], end_zone)
    elif _text(fields.get("duration")):
        end = start + datetime.timedelta(seconds=parse_duration(fields["duration"]))
    else:
        return _lt("The connection has not ended yet.")
    return _record(fields, start, end)


def parse_connections_csv(data, tz="Europe/Moscow", max_bytes=DEFAULT_MAX_BYTES):
    """Parse the CSV export of a TeamViewer connection report (bytes or text).

    Raises :class:`RuleError` when the file cannot be read at all (too large, not text, no
    recognisable header, unknown ``tz``). Malformed rows go to ``errors`` with their line
    number; summary lines, open connections and duplicates go to ``skipped``.
    """
    zone = _zone(tz)
    text = decode_text(data, max_bytes=max_bytes)
    delimiter, header_line, columns = _find_header(text)
    result = ParseResult()
    seen_refs = set()
    for line_no, row, error in iter_csv_rows(text, delimiter):
        if line_no <= header_line:
            continue
        if error is not None:
            result.errors.append((line_no, error))
            continue
        try:
            parsed = _parse_csv_row(row, columns, zone)
        except ValueError as exc:
            result.errors.append((line_no, exc.args[0]))
            continue
        if isinstance(parsed, dict):
            _collect(result, seen_refs, line_no, parsed)
        else:
            result.skipped.append((line_no, parsed))
    return result


# --- Web API JSON ------------------------------------------------------------------------------


def _json_records(data, max_bytes):
    if isinstance(data, bytes | bytearray | memoryview | str):
        try:
            data = json.loads(decode_text(data, max_bytes=max_bytes))
        except json.JSONDecodeError as exc:
            raise RuleError(
                _lt("The connection report is not valid JSON: %(reason)s", reason=str(exc))
            ) from None
        except RecursionError:
            raise RuleError(_lt("The connection report is nested too deeply.")) from None
    if isinstance(data, dict):
        data = data.get("records")
    if not isinstance(data, list):
        raise RuleError(_lt("The connection report has no list of records."))
    return data


def _parse_json_record(item):
    if not isinstance(item, dict):
        raise ValueError(_lt("The connection record is not an object."))
    if not _text(item.get("start_date")):
        raise ValueError(_lt("The connection has no start time."))
    start = parse_datetime(item["start_date"], datetime.UTC)
    if not _text(item.get("end_date")):
        return _lt("The connection has not ended yet.")
    if _text(item.get("billing_state")).lower() == "donotbill":
        return _lt("The connection is marked «Do not bill» in TeamViewer.")
    end = parse_datetime(item["end_date"], datetime.UTC)
    extra = []
    fee = _text(item.get("fee"))
    if fee and fee.strip("0.,"):
        extra.append(f"Стоимость: {fee} {_text(item.get('currency'))}".rstrip())
    fields = {
        "connection_id": item.get("id"),
        "user": item.get("username") or item.get("userid"),
        "device_id": item.get("deviceid"),
        "device_name": item.get("devicename"),
        "group": item.get("groupname"),
        "notes": item.get("notes"),
        "extra": extra,
    }
    return _record(fields, start, end)


def parse_connections_json(data, max_bytes=DEFAULT_MAX_BYTES):
    """Parse a page of ``GET /api/v1/reports/connections`` (bytes, text or decoded JSON).

    Row numbers in ``errors``/``skipped`` are 1-based positions in ``records``. Raises
    :class:`RuleError` when the document is too large, not JSON, or has no ``records`` list.
    """
    result = ParseResult()
    seen_refs = set()
    for row_no, item in enumerate(_json_records(data, max_bytes), start=1):
        try:
            parsed = _parse_json_record(item)
        except ValueError as exc:
            result.errors.append((row_no, exc.args[0]))
            continue
        if isinstance(parsed, dict):
            _collect(result, seen_refs, row_no, parsed)
        else:
            result.skipped.append((row_no, parsed))
    return result
