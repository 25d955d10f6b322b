"""Reading uploaded machine files and writing safe exports.

* :func:`decode_text` turns an uploaded file into text: UTF-8 with or without BOM, Windows-1251
  (what Russian Excel and older PBX web panels produce), UTF-16 with BOM; it refuses files larger
  than a bound and binary files.
* :func:`iter_csv_rows` walks CSV text row by row with the 1-based line number of each row, so a
  parser reports a malformed row and still reads the rest.
* :class:`ParseResult` is what every activity parser returns.
* :func:`csv_safe_cell` neutralises spreadsheet formula injection in exported cells.
"""

import codecs
import contextlib
import csv
import dataclasses
import io
import numbers

from . import RuleError, _lt

DEFAULT_MAX_BYTES = 100 * 1024 * 1024

# Leading characters that make Excel / LibreOffice / Google Sheets read a cell as a formula
# (OWASP "CSV injection"), plus their full-width forms, which some locales also accept.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@dataclasses.dataclass
class ParseResult:
    """Outcome of parsing one source file.

    ``records`` are activity dicts for ``register_activities``; ``errors`` and ``skipped`` are
    ``(line_no, message)`` pairs, ``line_no`` 1-based, ``message`` a lazy translation.
    """

    records: list = dataclasses.field(default_factory=list)
    errors: list = dataclasses.field(default_factory=list)
    skipped: list = dataclasses.field(default_factory=list)
    # what the parser found out by itself, e.g. ``{"layout": "cdr_csv_21", "tz": "UTC+00:00"}``
    detected: dict = dataclasses.field(default_factory=dict)


def check_size(size, max_bytes):
    """Raise :class:`RuleError` when ``size`` bytes exceed the ``max_bytes`` bound."""
    if max_bytes is None or max_bytes <= 0:
        raise RuleError(_lt("The maximum file size must be a positive number of bytes."))
    if size > max_bytes:
        raise RuleError(
            _lt(
                "The file is too large: %(size)s bytes, at most %(max_bytes)s bytes are accepted.",
                size=size,
                max_bytes=max_bytes,
            )
        )


def decode_text(data, max_bytes=DEFAULT_MAX_BYTES):
    """Return the text of an uploaded file (``bytes``; a ``str`` is only size-checked).

    Tries UTF-8 (a BOM is dropped), then Windows-1251; a UTF-16 BOM selects UTF-16. Raises
    :class:`RuleError` when the file exceeds ``max_bytes`` or is not text in one of these
    encodings.
    """
    if isinstance(data, str):
        check_size(len(data.encode("utf-8", "surrogatepass")), max_bytes)
        return data.removeprefix("\ufeff")
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"decode_text() expects bytes or str, not {type(data).__name__}")
    check_size(len(data), max_bytes)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise RuleError(
                _lt("The file starts as UTF-16 text but is not valid UTF-16.")
            ) from None
    if b"\x00" in data:
        raise RuleError(_lt("The file is not a text file (it contains NUL bytes)."))
    with contextlib.suppress(UnicodeDecodeError):
        return data.decode("utf-8-sig")
    try:
        return data.decode("cp1251")
    except UnicodeDecodeError:
        raise RuleError(
            _lt("The file is neither UTF-8 nor Windows-1251 text; save it as CSV (UTF-8).")
        ) from None


def decode_lines(data, max_bytes=DEFAULT_MAX_BYTES):
    """Return ``(text, cp1251_lines)``: the text of an uploaded file decoded line by line.

    A PBX appends one line per call, each written with whatever encoding the caller's name came
    in, so one file can mix UTF-8 and Windows-1251 lines: each line is read as UTF-8 when it is
    valid UTF-8, else as Windows-1251 (``cp1251_lines`` counts those). UTF-16 (with a BOM) is
    decoded whole. Raises :class:`RuleError` like :func:`decode_text`.
    """
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, bytes):
        return decode_text(data, max_bytes=max_bytes), 0
    check_size(len(data), max_bytes)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_text(data, max_bytes=max_bytes), 0
    if b"\x00" in data:
        raise RuleError(_lt("The file is not a text file (it contains NUL bytes)."))
    data = data.removeprefix(codecs.BOM_UTF8)
    parts, legacy = [], 0
    for line in data.splitlines(keepends=True):
        try:
            parts.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            legacy += 1
            parts.append(line.decode("cp1251", errors="replace"))
    return "".join(parts), legacy


def iter_csv_rows(text, delimiter=","):
    """Yield ``(line_no, row, error)`` for each CSV record of ``text``.

    ``line_no`` is the 1-based line where the record starts; ``row`` is the list of cells, or
    ``None`` with ``error`` (a lazy message) when the record cannot be read. Blank lines are not
    yielded.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    consumed = 0
    while True:
        start = consumed + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            consumed = reader.line_num
            yield start, None, _lt("Unreadable CSV line: %(reason)s", reason=str(exc))
            continue
        consumed = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        yield start, row, None


def csv_safe_cell(value):
    """Return ``value`` safe to put in a CSV/Excel export cell.

    Text that a spreadsheet would evaluate as a formula (starting with ``=``, ``+``, ``-``,
    ``@``, tab or carriage return) gets a leading apostrophe, which spreadsheets show as text.
    Numbers, dates, ``None`` and other non-text values are returned unchanged.
    """
    if isinstance(value, numbers.Number) or not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value
