"""Capture: phone numbers, source files, Asterisk CDRs, TeamViewer reports, safe CSV exports."""

import csv
import io
import json
import pathlib
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from odoo.tests import BaseCase
from odoo.tools.translate import LazyGettext

from odoo.addons.miko_support_contract.rules import RuleError
from odoo.addons.miko_support_contract.rules.pbx_cdr import channel_peer, parse_master_csv
from odoo.addons.miko_support_contract.rules.phones import (
    normalize_phone,
    normalize_subscriber_phone,
)
from odoo.addons.miko_support_contract.rules.source_files import (
    csv_safe_cell,
    decode_text,
    iter_csv_rows,
)
from odoo.addons.miko_support_contract.rules.teamviewer import (
    parse_connections_csv,
    parse_connections_json,
    parse_duration,
)

DATA = pathlib.Path(__file__).parent / "data"
ENGINEERS = {"101", "102"}
RECORD_KEYS = {
    "engineer_ref",
    "customer_ref",
    "kind",
    "start",
    "end",
    "subject",
    "description",
    "source",
    "source_ref",
}


def master_csv_text():
    return (DATA / "asterisk_master.csv").read_text(encoding="utf-8")


def messages(pairs):
    return [  # lazy texts asked in English: see test_rules_business_hours._message
        (line_no, msg._translate("en_US") if isinstance(msg, LazyGettext) else str(msg))
        for line_no, msg in pairs
    ]


def cdr_row(**values):
    """One Master.csv line (default cdr_csv columns) of an answered outgoing call by 101."""
    row = {
        "accountcode": "",
        "src": "101",
        "dst": "89851234567",
        "dcontext": "from-internal",
        "clid": '"Иван Петров" <101>',
        "channel": "SIP/101-0000001a",
        "dstchannel": "SIP/mts-trunk-0000001b",
        "lastapp": "Dial",
        "lastdata": "SIP/mts-trunk/89851234567,60",
        "start": "2026-11-02 10:42:05",
        "answer": "2026-11-02 10:42:12",
        "end": "2026-11-02 10:50:00",
        "duration": "475",
        "billsec": "468",
        "disposition": "ANSWERED",
        "amaflags": "DOCUMENTATION",
        "uniqueid": "1793605325.26",
        "userfield": "",
    }
    extra = values.pop("extra", [])
    row.update(values)
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow([*row.values(), *extra])
    return out.getvalue()


PHONE_FORMATS = (
    "+7 ({a}) {b}-{c}-{d}",
    "8 {a} {b} {c} {d}",
    "8{a}{b}{c}{d}",
    "{a}{b}{c}{d}",
    "7{a}{b}{c}{d}",
    "+7{a}{b}{c}{d}",
    "8 ({a}) {b}-{c}-{d}",
    "+7-{a}-{b}-{c}-{d}",
)


class TestRulesCapture(BaseCase):
    # --- phone numbers -------------------------------------------------------------------------
    def test_normalize_phone(self):
        for raw, expected in [
            ("+7 (985) 123-45-67", "79851234567"),
            ("8 985 123 45 67", "79851234567"),
            ("89851234567", "79851234567"),
            ("9851234567", "79851234567"),
            ("79851234567", "79851234567"),
            ("8-800-555-35-35", "78005553535"),
            ("+7 495 123-45-67", "74951234567"),
            ("tel:+79851234567", "79851234567"),
            (79851234567, "79851234567"),
            ("101", "101"),
            (" 2045 ", "2045"),
            ("12", "12"),
            ("+49 30 1234567", "+49301234567"),
            ("0049301234567", "+49301234567"),
            ("81049301234567", "+49301234567"),
            ("", None),
            (None, None),
            ("anonymous", None),
            ("sip:101@pbx", None),
            ("1", None),
            ("1234567", None),
            ("+7 985 123 45", None),
            ("8 985 123 45 67 8", None),
            ("0123456789", None),
            ("985-12-34-56x", None),
            (True, None),
            (98.5, None),
        ]:
            with self.subTest(raw=raw, expected=expected):
                self.assertEqual(normalize_phone(raw), expected)

    @given(
        first=st.sampled_from("3489"),
        rest=st.text("0123456789", min_size=9, max_size=9),
        template=st.sampled_from(PHONE_FORMATS),
    )
    def test_normalize_phone_any_written_form_of_a_russian_number(self, first, rest, template):
        national = first + rest
        written = template.format(a=national[:3], b=national[3:6], c=national[6:8], d=national[8:])
        self.assertEqual(normalize_phone(written), "7" + national)

    @given(st.one_of(st.text(), st.text("0123456789 +()-", max_size=20), st.integers()))
    def test_normalize_phone_shape_and_idempotence(self, value):
        normalized = normalize_phone(value)
        if normalized is None:
            return
        digits = normalized.removeprefix("+")
        self.assertTrue(digits.isascii() and digits.isdigit())
        if normalized.startswith("+"):
            self.assertTrue(8 <= len(digits) <= 15 and not digits.startswith("7"))
        else:
            self.assertTrue((len(digits) == 11 and digits.startswith("7")) or 2 <= len(digits) <= 6)
        self.assertEqual(normalize_phone(normalized), normalized)

    # --- source files --------------------------------------------------------------------------
    def test_decode_text_encodings(self):
        text = "Иван Петров;Звонок\n"
        self.assertEqual(decode_text(text.encode("utf-8")), text)
        self.assertEqual(decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")), text)
        self.assertEqual(decode_text(text.encode("cp1251")), text)
        self.assertEqual(decode_text(text.encode("utf-16")), text)
        self.assertEqual(decode_text("\ufeff" + text), text)

    def test_decode_text_refuses_oversize_and_binary(self):
        with self.assertRaises(RuleError) as caught:
            decode_text(b"x" * 101, max_bytes=100)
        self.assertIn("101", caught.exception.message._translate("en_US"))
        self.assertEqual(decode_text(b"x" * 100, max_bytes=100), "x" * 100)
        with self.assertRaises(RuleError):
            decode_text("я" * 51, max_bytes=100)  # 102 bytes in UTF-8
        with self.assertRaises(RuleError):
            decode_text(b"PK\x03\x04\x00\x00binary")
        with self.assertRaises(RuleError):
            decode_text(b"\x98\x98 not cp1251 either")

    def test_iter_csv_rows_reports_start_line_of_each_record(self):
        text = 'a,b\n\n"multi\nline",c\nbad,"x"y\nlast,row\n'
        rows = list(iter_csv_rows(text))
        self.assertEqual(
            [(line_no, row) for line_no, row, _error in rows if row],
            [
                (1, ["a", "b"]),
                (3, ["multi\nline", "c"]),
                (6, ["last", "row"]),
            ],
        )
        self.assertEqual([line_no for line_no, row, _error in rows if row is None], [5])

    def test_csv_safe_cell(self):
        for value, expected in [
            ('=HYPERLINK("http://evil","click")', '\'=HYPERLINK("http://evil","click")'),
            ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
            ("+7 985 123-45-67", "'+7 985 123-45-67"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "'\r=1+1"),
            ("Настройка 1С", "Настройка 1С"),
            ("a=b", "a=b"),
            ("", ""),
            (-5, -5),
            (12.5, 12.5),
            (Decimal("-1.50"), Decimal("-1.50")),
            (None, None),
        ]:
            with self.subTest(value=value, expected=expected):
                self.assertEqual(csv_safe_cell(value), expected)
                self.assertIs(type(csv_safe_cell(value)), type(expected))

    @given(st.text())
    def test_csv_safe_cell_never_leaves_a_formula(self, value):
        safe = csv_safe_cell(value)
        self.assertIn(safe, (value, "'" + value))
        self.assertFalse(safe.startswith(("=", "+", "-", "@", "\t", "\r")))
        self.assertEqual(csv_safe_cell(safe), safe)
        # Through a real CSV file, the cell reads back exactly as written.
        out = io.StringIO()
        csv.writer(out).writerow([safe, "next"])
        self.assertEqual(next(csv.reader(io.StringIO(out.getvalue(), newline=""))), [safe, "next"])

    @given(st.one_of(st.integers(), st.floats(allow_nan=False), st.decimals(allow_nan=False)))
    def test_csv_safe_cell_leaves_numbers_alone(self, number):
        self.assertIs(csv_safe_cell(number), number)

    # --- Asterisk Master.csv -------------------------------------------------------------------
    def test_master_csv_sample(self):
        result = parse_master_csv((DATA / "asterisk_master.csv").read_bytes(), ENGINEERS)

        self.assertTrue(all(set(record) == RECORD_KEYS for record in result.records))
        self.assertEqual(
            [(r["kind"], r["engineer_ref"], r["customer_ref"]) for r in result.records],
            [
                ("call_out", "101", "79851234567"),
                ("call_in", "102", "74951112233"),  # through a queue, answered on Local/102@...
                ("call_in", None, "74953334455"),  # answered by 150, not an engineer: to assign
                ("call_in", "101", None),  # hidden caller ID
            ],
        )
        out, queue, unmatched, hidden = result.records
        self.assertEqual(out["subject"], "Исходящий звонок на 79851234567")
        self.assertEqual(queue["subject"], "Входящий звонок с 74951112233")
        self.assertEqual(hidden["subject"], "Входящий звонок со скрытого номера")
        self.assertEqual(unmatched["subject"], "Входящий звонок с 74953334455")
        # Begin at answer, finish at hang-up; PBX local Moscow time (UTC+3) to UTC.
        self.assertEqual(out["start"], datetime(2026, 11, 2, 7, 42, 12, tzinfo=UTC))
        self.assertEqual(out["end"], datetime(2026, 11, 2, 7, 50, 0, tzinfo=UTC))
        self.assertEqual(out["start"].utcoffset().total_seconds(), 0)
        self.assertEqual(queue["start"], datetime(2026, 11, 2, 8, 0, 20, tzinfo=UTC))
        self.assertEqual({r["source"] for r in result.records}, {"pbx"})
        self.assertTrue(out["source_ref"].startswith("1793605325.26:"))
        self.assertIn("Иван Петров", out["description"])
        self.assertEqual(len({r["source_ref"] for r in result.records}), 4)

        self.assertEqual(
            messages(result.errors),
            [
                (
                    5,
                    "Unrecognised call record layout (6 columns): expected Asterisk cdr_csv "
                    "with 16, 17, 18 or 21 columns, a cdr_custom line or a header.",
                ),
                (9, "Invalid answer time yesterday."),
            ],
        )
        self.assertEqual(
            messages(result.skipped),
            [
                (3, "Call not answered (NO ANSWER)."),
                (4, "Call not answered (BUSY)."),
                (7, "Internal call between engineers 101 and 102."),
            ],
        )

    def test_master_csv_same_records_from_cp1251_utf8_bom_and_text(self):
        text = master_csv_text()
        reference = parse_master_csv(text, ENGINEERS).records
        for data in (
            text.encode("cp1251"),
            b"\xef\xbb\xbf" + text.encode("utf-8"),
            text.encode("utf-8"),
            text.replace("\n", "\r\n").encode("cp1251"),
        ):
            result = parse_master_csv(data, ENGINEERS)
            self.assertEqual(result.records, reference)
            self.assertEqual([line_no for line_no, _ in result.errors], [5, 9])
        self.assertIn('Звонящий: "Иван Петров" <101>', reference[0]["description"])

    def test_master_csv_source_refs_are_stable_across_imports(self):
        first = parse_master_csv(master_csv_text(), ENGINEERS)
        again = parse_master_csv(master_csv_text().encode("cp1251"), ENGINEERS)
        self.assertEqual(
            [r["source_ref"] for r in first.records], [r["source_ref"] for r in again.records]
        )

    def test_master_csv_pbx_local_time_zone(self):
        row = cdr_row(answer="2026-11-02 10:42:12", end="2026-11-02 10:50:00")
        moscow = parse_master_csv(row, ENGINEERS).records[0]
        utc = parse_master_csv(row, ENGINEERS, pbx_tz="UTC").records[0]
        yekaterinburg = parse_master_csv(row, ENGINEERS, pbx_tz="Asia/Yekaterinburg").records[0]
        self.assertEqual(moscow["start"], datetime(2026, 11, 2, 7, 42, 12, tzinfo=UTC))
        self.assertEqual(utc["start"], datetime(2026, 11, 2, 10, 42, 12, tzinfo=UTC))
        self.assertEqual(yekaterinburg["start"], datetime(2026, 11, 2, 5, 42, 12, tzinfo=UTC))
        with self.assertRaises(RuleError):
            parse_master_csv(row, ENGINEERS, pbx_tz="Mars/Olympus")

    def test_master_csv_daylight_saving_pbx(self):
        # Berlin: CET (UTC+1) in winter, CEST (UTC+2) in summer.
        summer = cdr_row(answer="2026-07-01 10:00:00", end="2026-07-01 10:10:00")
        winter = cdr_row(answer="2026-12-01 10:00:00", end="2026-12-01 10:10:00")
        self.assertEqual(
            parse_master_csv(summer, ENGINEERS, pbx_tz="Europe/Berlin").records[0]["start"],
            datetime(2026, 7, 1, 8, 0, tzinfo=UTC),
        )
        self.assertEqual(
            parse_master_csv(winter, ENGINEERS, pbx_tz="Europe/Berlin").records[0]["start"],
            datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        )

    def test_master_csv_direction_from_channels(self):
        # Outgoing through the company's main caller ID: the engineer is in the channel only.
        outgoing = cdr_row(src="74951234567", dst="89161112233", channel="PJSIP/102-00000042")
        record = parse_master_csv(outgoing, ENGINEERS).records[0]
        self.assertEqual(
            (record["kind"], record["engineer_ref"], record["customer_ref"]),
            (
                "call_out",
                "102",
                "79161112233",
            ),
        )
        # Incoming to a DID, answered by a ring-group member.
        incoming = cdr_row(
            src="+79161112233",
            dst="74951234567",
            channel="SIP/mts-trunk-00000043",
            dstchannel="SIP/101-00000044",
        )
        record = parse_master_csv(incoming, ENGINEERS).records[0]
        self.assertEqual(
            (record["kind"], record["engineer_ref"], record["customer_ref"]),
            (
                "call_in",
                "101",
                "79161112233",
            ),
        )
        # Unknown extension calling out: kept for a person to assign, guessed outgoing.
        unknown = cdr_row(src="150", channel="SIP/150-00000045")
        record = parse_master_csv(unknown, ENGINEERS).records[0]
        self.assertEqual(
            (record["kind"], record["engineer_ref"], record["customer_ref"]),
            (
                "call_out",
                None,
                "79851234567",
            ),
        )

    def test_master_csv_engineers_as_callable_ints_or_none(self):
        row = cdr_row()
        self.assertEqual(parse_master_csv(row, {101}).records[0]["engineer_ref"], "101")
        self.assertEqual(
            parse_master_csv(row, lambda ext: ext.startswith("1")).records[0]["engineer_ref"], "101"
        )
        self.assertIsNone(parse_master_csv(row, None).records[0]["engineer_ref"])

    def test_master_csv_internal_and_service_calls_are_skipped(self):
        voicemail = cdr_row(dst="*97", dstchannel="")
        colleague = cdr_row(src="150", dst="101", channel="SIP/150-0a", dstchannel="SIP/101-0b")
        data = voicemail + colleague
        result = parse_master_csv(data, ENGINEERS)
        self.assertEqual(result.records, [])
        self.assertEqual(
            messages(result.skipped),
            [
                (1, "Internal or service call to *97."),
                (2, "Internal call from 150."),
            ],
        )

    def test_master_csv_new_cdr_columns_and_legs_of_one_call(self):
        # newcdrcolumns = yes: peeraccount, linkedid, sequence appended (21 columns).
        first_leg = cdr_row(extra=["", "1793605325.26", "41"])
        transferred = cdr_row(
            dst="89851234567",
            dstchannel="SIP/mts-trunk-0000001d",
            answer="2026-11-02 10:50:00",
            end="2026-11-02 10:55:00",
            extra=["", "1793605325.26", "44"],
        )
        result = parse_master_csv(first_leg + transferred, ENGINEERS)
        self.assertEqual(
            [r["source_ref"] for r in result.records], ["1793605325.26:41", "1793605325.26:44"]
        )
        # Without the sequence column, two answered legs of one uniqueid still differ.
        result = parse_master_csv(
            cdr_row() + cdr_row(answer="2026-11-02 10:50:00", end="2026-11-02 10:55:00"), ENGINEERS
        )
        self.assertEqual(len({r["source_ref"] for r in result.records}), 2)

    def test_master_csv_duplicate_lines_are_skipped(self):
        result = parse_master_csv(cdr_row() + cdr_row(), ENGINEERS)
        self.assertEqual(len(result.records), 1)
        self.assertEqual(
            messages(result.skipped), [(2, "Duplicate of call 1793605325.26:1793605332.")]
        )

    def test_master_csv_malformed_row_among_good_rows(self):
        for values, message in [
            ({"answer": ""}, "The answered call has no answer or end time."),
            ({"end": "2026-11-02 10:40:00"}, "The call ends before it was answered."),
            ({"billsec": "a lot"}, "Invalid billsec seconds a lot."),
            ({"disposition": "WHATEVER"}, "Unknown call disposition WHATEVER."),
            ({"uniqueid": ""}, "The call has no uniqueid."),
            ({"start": "02.11.2026 10:42"}, "Invalid start time 02.11.2026 10:42."),
        ]:
            with self.subTest(values=values, message=message):
                data = cdr_row(uniqueid="1.1") + cdr_row(**values) + cdr_row(uniqueid="3.3")
                result = parse_master_csv(data, ENGINEERS)
                self.assertEqual(
                    [r["source_ref"].split(":")[0] for r in result.records], ["1.1", "3.3"]
                )
                self.assertEqual(messages(result.errors), [(2, message)])

    def test_master_csv_broken_quoting_and_blank_lines(self):
        data = cdr_row(uniqueid="1.1") + "\n" + '"","101","x"y",\n' + cdr_row(uniqueid="3.3")
        result = parse_master_csv(data, ENGINEERS)
        self.assertEqual(len(result.records), 2)
        self.assertEqual([line_no for line_no, _ in result.errors], [3])

    def test_master_csv_oversize_refused(self):
        data = (DATA / "asterisk_master.csv").read_bytes()
        with self.assertRaises(RuleError):
            parse_master_csv(data, ENGINEERS, max_bytes=len(data) - 1)
        self.assertTrue(parse_master_csv(data, ENGINEERS, max_bytes=len(data)).records)

    def test_channel_peer(self):
        self.assertEqual(channel_peer("SIP/101-0000abcd"), "101")
        self.assertEqual(channel_peer("PJSIP/102-00000012"), "102")
        self.assertEqual(channel_peer("Local/103@from-queue-0000001c;2"), "103")
        self.assertEqual(channel_peer("SIP/mts-trunk-0000001b"), "mts-trunk")
        self.assertIsNone(channel_peer(""))
        self.assertIsNone(channel_peer("garbage"))

    # --- TeamViewer CSV export -----------------------------------------------------------------
    def test_teamviewer_csv_sample(self):
        result = parse_connections_csv((DATA / "teamviewer_connections.csv").read_bytes())
        self.assertTrue(all(set(record) == RECORD_KEYS for record in result.records))
        first, second, third = result.records
        self.assertEqual(first["engineer_ref"], "Ivan Petrov")
        self.assertEqual(first["customer_ref"], "264488246")
        self.assertEqual(first["kind"], "remote")
        self.assertEqual(first["source"], "teamviewer")
        self.assertEqual(first["subject"], "Удалённое подключение [264488246]")
        self.assertEqual(first["start"], datetime(2026, 11, 2, 7, 42, tzinfo=UTC))
        self.assertEqual(first["end"], datetime(2026, 11, 2, 8, 7, tzinfo=UTC))
        self.assertIn("Настройка 1С, обновление", first["description"])
        self.assertIn("ACC-PC-01", first["description"])
        # US date with AM/PM, TeamViewer ID in its "r" form.
        self.assertEqual(second["customer_ref"], "123456789")
        self.assertEqual(second["start"], datetime(2026, 11, 2, 10, 5, tzinfo=UTC))
        self.assertEqual(second["end"], datetime(2026, 11, 2, 10, 35, tzinfo=UTC))
        # No end: start + duration.
        self.assertEqual(
            third["end"] - third["start"],
            datetime(2026, 11, 3, 9, 15) - datetime(2026, 11, 3, 9, 0),
        )
        self.assertEqual(messages(result.errors), [(4, "Invalid date and time not a date.")])
        self.assertEqual(messages(result.skipped), [(6, "Summary line.")])
        # No connection id column: a stable hash, the same on every import.
        again = parse_connections_csv((DATA / "teamviewer_connections.csv").read_text())
        self.assertEqual(
            [r["source_ref"] for r in again.records], [r["source_ref"] for r in result.records]
        )
        self.assertEqual(len({r["source_ref"] for r in result.records}), 3)

    def test_teamviewer_csv_tz_argument_and_utc_header(self):
        data = (
            "User,Device,Device ID,Start time,End time\n"
            "a@b.ru,PC,111222333,2026-11-02 10:00,2026-11-02 10:30\n"
        )
        self.assertEqual(
            parse_connections_csv(data).records[0]["start"], datetime(2026, 11, 2, 7, tzinfo=UTC)
        )
        self.assertEqual(
            parse_connections_csv(data, tz="UTC").records[0]["start"],
            datetime(2026, 11, 2, 10, tzinfo=UTC),
        )
        utc_header = data.replace("Start time", "Start time (UTC)").replace("End time", "End (UTC)")
        self.assertEqual(
            parse_connections_csv(utc_header).records[0]["start"],
            datetime(2026, 11, 2, 10, tzinfo=UTC),
        )
        with_offset = data.replace("2026-11-02 10:00", "2026-11-02T10:00:00Z").replace(
            "2026-11-02 10:30", "2026-11-02T13:30:00+03:00"
        )
        self.assertEqual(
            parse_connections_csv(with_offset).records[0]["start"],
            datetime(2026, 11, 2, 10, tzinfo=UTC),
        )

    def test_teamviewer_csv_russian_excel_export_in_cp1251(self):
        text = (
            "Отчёт о подключениях;;;;;\r\n"
            "Пользователь;Компьютер;ID;Начало;Конец;Примечания;ID подключения\r\n"
            "Иван Петров;Бухгалтерия;264488246;02.11.2026 10:42;02.11.2026 11:07;1С;c-1\r\n"
            "Иван Петров;Бухгалтерия;264488246;02.11.2026 12:00;02.11.2026 11:00;;c-2\r\n"
        )
        result = parse_connections_csv(text.encode("cp1251"))
        (record,) = result.records
        self.assertEqual(record["engineer_ref"], "Иван Петров")
        self.assertEqual(record["source_ref"], "c-1")
        self.assertEqual(record["start"], datetime(2026, 11, 2, 7, 42, tzinfo=UTC))
        self.assertEqual(messages(result.errors), [(4, "The connection ends before it starts.")])

    def test_teamviewer_csv_without_header_is_refused(self):
        with self.assertRaises(RuleError):
            parse_connections_csv(master_csv_text())

    def test_teamviewer_csv_oversize_refused(self):
        data = (DATA / "teamviewer_connections.csv").read_bytes()
        with self.assertRaises(RuleError):
            parse_connections_csv(data, max_bytes=100)

    def test_teamviewer_duration(self):
        for raw, seconds in [
            ("00:25:00", 1500),
            ("1:05", 3900),
            ("25 min", 1500),
            ("1h 5m", 3900),
            ("25", 1500),
        ]:
            with self.subTest(raw=raw, seconds=seconds):
                self.assertEqual(parse_duration(raw), seconds)

    def test_teamviewer_duration_invalid(self):
        with self.assertRaises(ValueError):
            parse_duration("about an hour")

    # --- TeamViewer Web API JSON ---------------------------------------------------------------
    def test_teamviewer_json_sample(self):
        result = parse_connections_json((DATA / "teamviewer_connections.json").read_bytes())
        self.assertTrue(all(set(record) == RECORD_KEYS for record in result.records))
        first, second = result.records
        self.assertEqual(first["source_ref"], "0f3a5e1c-8d2b-4c1e-9a7f-5b6d4e3c2a10")
        self.assertEqual(first["engineer_ref"], "Ivan Petrov")
        self.assertEqual(first["customer_ref"], "264488246")
        self.assertEqual(first["subject"], "Удалённое подключение [264488246]")
        self.assertEqual(first["start"], datetime(2026, 11, 2, 7, 42, tzinfo=UTC))
        self.assertEqual(first["end"], datetime(2026, 11, 2, 8, 7, 30, tzinfo=UTC))
        self.assertIn("ООО Ромашка", first["description"])
        self.assertEqual(second["customer_ref"], "123456789")
        self.assertEqual(second["end"], datetime(2026, 11, 2, 10, 35, tzinfo=UTC))
        self.assertIn("12.5 EUR", second["description"])
        self.assertEqual(messages(result.errors), [(4, "The connection ends before it starts.")])
        self.assertEqual(
            messages(result.skipped),
            [
                (3, "The connection has not ended yet."),
                (5, "Duplicate of connection 0f3a5e1c-8d2b-4c1e-9a7f-5b6d4e3c2a10."),
            ],
        )

    def test_teamviewer_json_decoded_and_bare_list(self):
        document = json.loads((DATA / "teamviewer_connections.json").read_text(encoding="utf-8"))
        self.assertEqual(len(parse_connections_json(document).records), 2)
        self.assertEqual(len(parse_connections_json(document["records"]).records), 2)
        result = parse_connections_json({"records": ["oops", {"id": "x"}]})
        self.assertEqual([line_no for line_no, _ in result.errors], [1, 2])

    def test_teamviewer_json_unreadable(self):
        for data in [b"{not json", b'{"devices": []}', b"[1, 2"]:
            with self.subTest(data=data), self.assertRaises(RuleError):
                parse_connections_json(data)

    def test_teamviewer_json_oversize_refused(self):
        data = (DATA / "teamviewer_connections.json").read_bytes()
        with self.assertRaises(RuleError):
            parse_connections_json(data, max_bytes=1024)

    def test_teamviewer_json_too_deep_is_refused(self):
        with self.assertRaises(RuleError):
            parse_connections_json(b"[" * 200_000 + b"]" * 200_000)

    def test_subscriber_phone_refuses_extensions(self):
        for value, expected in [
            ("+7 (985) 123-45-67", "79851234567"),
            ("8 495 111-22-33", "74951112233"),
            ("+49 30 1234567", "+49301234567"),
            ("123", None),
            ("101", None),
            ("12345", None),
            ("", None),
        ]:
            with self.subTest(value=value, expected=expected):
                self.assertEqual(normalize_subscriber_phone(value), expected)
