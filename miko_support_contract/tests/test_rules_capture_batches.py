"""Cutting a capture file into batches (``rules/capture_batches.py``) on the real samples of
``tests/data/README.md``: batches are valid files whose parse, lines renumbered, is the parse of
the whole file."""

import json
import pathlib

import pytest

from odoo.addons.miko_support_contract.rules import capture_batches
from odoo.addons.miko_support_contract.rules.pbx_cdr import parse_master_csv
from odoo.addons.miko_support_contract.rules.teamviewer import parse_connections_json
from odoo.addons.miko_support_contract.tests.test_rules_capture_real import freepbx_export

DATA = pathlib.Path(__file__).parent / "data"
CSV_SAMPLES = (
    "asterisk_master_21col_utc.csv",
    "asterisk_master_18col_utc.csv",
    "asterisk_cdr_custom_19col.csv",
    "teamviewer_connections.csv",
)


def parse_by_batches(data, head, size):
    """Parse ``data`` a batch of ``size`` records at a time, lines as in the file."""
    records = capture_batches.csv_records(data)
    head_lines = len(b"".join(payload for _n, payload in records[:head]).splitlines())
    weights = [1] * (len(records) - head)
    parsed, start = [], 0
    while start < len(weights):
        end = capture_batches.batch_end(weights, start, size)
        payload, shift = capture_batches.csv_batch(records, head, head + start, head + end)
        result = parse_master_csv(payload, {"301"}, pbx_tz="UTC")
        parsed.append(
            (
                result.records,
                [(capture_batches.shift_line(n, head_lines, shift), m) for n, m in result.skipped],
                [(capture_batches.shift_line(n, head_lines, shift), m) for n, m in result.errors],
            )
        )
        start = end
    return parsed


def key(entries):
    return sorted((line, message._source) for line, message in entries)


@pytest.mark.parametrize("sample", CSV_SAMPLES)
def test_records_joined_are_the_file(sample):
    data = (DATA / sample).read_bytes()
    records = capture_batches.csv_records(data)
    assert b"".join(payload for _n, payload in records) == data
    assert [n for n, _payload in records] == sorted({n for n, _payload in records})


def test_a_quoted_line_break_stays_in_its_record_and_blank_lines_keep_the_numbering():
    data = b'\n"a","multi\nline",1\n\n"b","x ""quoted""",2\r\n'
    records = capture_batches.csv_records(data)
    assert records == [(1, b'\n"a","multi\nline",1\n\n'), (5, b'"b","x ""quoted""",2\r\n')]
    payload, shift = capture_batches.csv_batch(records, 0, 1, 2)
    assert (payload, capture_batches.shift_line(1, 0, shift)) == (records[1][1], 5)


def test_utf16_text_is_not_cut():
    assert capture_batches.csv_records("a,b\n".encode("utf-16")) is None


def test_mixed_encoding_master_csv_parsed_by_batches_is_the_whole_file():
    data = (DATA / "asterisk_master_21col_utc.csv").read_bytes()
    whole = parse_master_csv(data, {"301"}, pbx_tz="UTC")
    batches = parse_by_batches(data, head=0, size=25)
    assert len(batches) == 4
    assert [r for records, _s, _e in batches for r in records] == whole.records
    assert key(s for _r, skipped, _e in batches for s in skipped) == key(whole.skipped)
    assert not whole.errors


def test_freepbx_export_batches_repeat_its_header_and_keep_line_numbers():
    lines = (DATA / "asterisk_master_18col_utc.csv").read_text().splitlines()
    data = freepbx_export(lines).encode()
    whole = parse_master_csv(data, {"301"}, pbx_tz="UTC")
    batches = parse_by_batches(data, head=1, size=10)
    assert len(batches) == 5  # 45 records
    assert [r for records, _s, _e in batches for r in records] == whole.records
    skipped = key(s for _r, skipped, _e in batches for s in skipped)
    # every batch skips its copy of the header (line 1), the rest lands on the file's lines
    assert skipped == sorted(key(whole.skipped) + [(1, "Header line.")] * 4)


def test_batches_hold_whole_calls_and_json_batches_number_rows_as_the_file():
    rows = [
        {"id": 1, "linkedid": "a"},
        {"id": 2, "linkedid": "b"},
        {"id": 3, "linkedid": "a"},
        {"id": 4, "linkedid": "c"},
    ]
    calls = capture_batches.cdr_calls(rows)
    assert [[row["id"] for row in call] for call in calls] == [[1, 3], [2], [4]]
    weights = [len(call) for call in calls]
    assert capture_batches.batch_end(weights, 0, 1) == 1  # a call is never cut
    assert capture_batches.batch_end(weights, 1, 2) == 3
    report = json.loads((DATA / "teamviewer_connections.json").read_text())
    items = report["records"]
    batch = capture_batches.json_batch(items, 1, 3)
    assert json.loads(batch) == {"records": items[1:3]}
    assert (
        parse_connections_json(batch).records
        == parse_connections_json({"records": items[1:3]}).records
    )
