"""Cutting an uploaded capture file into batches of whole records, for an import job.

Pure functions, no ORM. A job imports a large file a batch at a time through the same import
methods as a small upload, so a batch is a valid file of the same format: for a CSV file, its
leading records (the header and the title lines above it) followed by whole records (a quoted
value spanning lines is never cut); for a TeamViewer JSON report, a ``records`` list; for the
rows of a MikoPBX ``cdr_general`` table, whole calls (every leg of a ``linkedid``).
"""

import codecs
import json


def csv_records(data):
    """Return the records of CSV ``data`` (bytes) as ``[(line_no, bytes)]``, or ``None``.

    ``line_no`` is the 1-based line where the record's bytes start; the bytes of all records
    joined are ``data`` (a blank line stays with the record before it, leading blank lines
    with the first record). ``None`` when the file cannot be cut by lines (UTF-16 text): it is then
    imported in one batch. Each line is kept as bytes, so lines of different encodings stay
    as they are.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    records, pending, open_quote, prefix = [], None, False, b""
    for line_no, line in enumerate(data.splitlines(keepends=True), start=1):
        if open_quote:
            pending[1].append(line)
        elif not line.strip() or line.strip() == codecs.BOM_UTF8:
            if pending is None:
                prefix += line
            else:
                pending[1].append(line)
            continue
        else:
            if pending is not None:
                records.append((pending[0], b"".join(pending[1])))
            first_line = line_no - len(prefix.splitlines())
            pending = [first_line, [prefix, line]]
            prefix = b""
        # a quote doubled inside a quoted value counts twice: an odd total leaves a value open
        open_quote ^= line.count(b'"') % 2 == 1
    if pending is not None:
        records.append((pending[0], b"".join(pending[1])))
    return records


def header_count(records, header_line):
    """How many leading records lie on or above line ``header_line`` (0: no header)."""
    return sum(1 for line_no, _payload in records if line_no <= header_line)


def csv_batch(records, head, start, end):
    """Return ``(bytes, shift)``: the ``head`` leading records and records ``start:end``.

    ``start``/``end`` index ``records`` (``start >= head``). A line ``n`` of the batch past its
    head lines is line ``n + shift`` of the file (a line of the head keeps its number).
    """
    head_bytes = b"".join(payload for _line_no, payload in records[:head])
    body = records[start:end]
    if not body:
        return head_bytes, 0
    head_lines = len(head_bytes.splitlines())
    return head_bytes + b"".join(payload for _line_no, payload in body), body[0][0] - 1 - head_lines


def shift_line(line_no, head_lines, shift):
    """The file's line number of line ``line_no`` of a batch (see :func:`csv_batch`)."""
    if not line_no or line_no <= head_lines:
        return line_no
    return line_no + shift


def json_batch(records, start, end):
    """A TeamViewer Web API connections document holding ``records[start:end]``."""
    return json.dumps({"records": records[start:end]}, ensure_ascii=False).encode("utf-8")


def cdr_calls(rows):
    """MikoPBX ``cdr_general`` rows grouped by call (``linkedid``), calls in the order of their
    first row id: a batch holds whole calls, since the legs of one call decide together who
    the customer is."""
    calls = {}
    for row in sorted(rows, key=lambda row: int(row.get("id") or 0)):
        calls.setdefault(str(row.get("linkedid") or row.get("UNIQUEID") or ""), []).append(row)
    return list(calls.values())


def batch_end(weights, start, size):
    """Index past the units of the batch starting at ``start``: units are added until their
    weights (rows) reach ``size``; a batch holds at least one unit."""
    end, rows = start, 0
    while end < len(weights) and (end == start or rows < size):
        rows += weights[end]
        end += 1
    return end
