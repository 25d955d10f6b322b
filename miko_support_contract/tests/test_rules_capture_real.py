"""Call records written by real PBX installations (``tests/data/README.md`` names their origin):
layouts recognised from the content, the PBX time zone detected from the uniqueids, lines of
mixed encodings, city numbers dialled without their code, legs nobody talked on."""

import collections
import csv
import io
import json
import pathlib
import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from odoo.tests import BaseCase

from odoo.addons.miko_support_contract.rules.mikopbx_cdr import parse_cdr_rows
from odoo.addons.miko_support_contract.rules.pbx_cdr import (
    CDR_CSV_FIELDS,
    detect_offset,
    offset_label,
    parse_master_csv,
    uniqueid_epoch,
)
from odoo.addons.miko_support_contract.rules.phones import complete_local_number
from odoo.addons.miko_support_contract.rules.teamviewer import parse_connections_json
from odoo.addons.miko_support_contract.tests.fake_capture import load_cdr

DATA = pathlib.Path(__file__).parent / "data"


def reasons(result):
    return collections.Counter(message._source for _line, message in result.skipped)


def moscow(*parts):
    return datetime(*parts, tzinfo=ZoneInfo("Europe/Moscow")).astimezone(UTC)


# FreePBX «CDR Reports» CSV export: the header its exporter writes (FreePBX/cdr,
# functions.inc.php, cdr_export_csv, commit ba021d098eb33c9a42143b64db47fec4d3cd184e)
FREEPBX_HEADER = (
    "calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,billsec,"
    "disposition,amaflags,accountcode,uniqueid,userfield,did,cnum,cnam,outbound_cnum,"
    "outbound_cnam,dst_cnam,recordingfile,linkedid,peeraccount,sequence"
)


def freepbx_export(master_csv_lines):
    """What the FreePBX exporter writes for these call records: its 26 columns by name, the
    FreePBX-only ones (did, cnum, recording…) empty, as fputcsv quotes them."""
    columns = FREEPBX_HEADER.split(",")
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(columns)
    for row in csv.reader(master_csv_lines):
        values = dict(zip(CDR_CSV_FIELDS, row, strict=False))
        values["calldate"] = values["start"]
        writer.writerow([values.get(name, "") for name in columns])
    return output.getvalue()


class TestRulesCaptureReal(BaseCase):
    def test_utc_master_csv_is_detected_and_every_call_lands_at_its_real_moment(self):
        """Ulan-Ude PBX (usegmtime=yes, newcdrcolumns: 21 columns), imported without a zone."""
        data = (DATA / "asterisk_master_21col_utc.csv").read_bytes()
        result = parse_master_csv(data, {"301"}, pbx_tz=None, city_code="3012")

        self.assertEqual(
            result.detected,
            {
                "tz": "UTC+00:00",
                "tz_detected": True,
                "layouts": {"cdr_csv_21": 84},
                "cp1251_lines": 8,
            },
        )
        self.assertEqual(result.errors, [])
        self.assertEqual(len(result.records), 24)
        self.assertEqual(len(result.records) + len(result.skipped), 84)
        # line 26: 89025348783 → 211553 → SIP/301, answered 02:04:12, hung up 02:04:29 (UTC)
        first = result.records[0]
        self.assertEqual(
            (first["kind"], first["engineer_ref"], first["customer_ref"]),
            (
                "call_in",
                "301",
                "79025348783",
            ),
        )
        self.assertEqual(
            (first["start"], first["end"]),
            (
                datetime(2024, 1, 28, 2, 4, 12, tzinfo=UTC),
                datetime(2024, 1, 28, 2, 4, 29, tzinfo=UTC),
            ),
        )
        self.assertEqual(first["source_ref"], "1706407446.50:50")
        # each start matches the uniqueid's own clock: no call moved by the company's zone
        for record in result.records:
            self.assertGreaterEqual(
                record["start"],
                datetime.fromtimestamp(uniqueid_epoch(record["source_ref"].split(":")[0]), UTC),
            )

    def test_utc_file_read_in_moscow_would_move_every_call_by_three_hours(self):
        data = (DATA / "asterisk_master_21col_utc.csv").read_bytes()
        detected = parse_master_csv(data, {"301"}, pbx_tz=None).records
        moscow = parse_master_csv(data, {"301"}, pbx_tz="Europe/Moscow").records
        self.assertEqual(
            [r["start"] - m["start"] for r, m in zip(detected, moscow, strict=True)],
            [timedelta(hours=3)] * len(detected),
        )

    def test_zero_length_ivr_only_and_unanswered_legs_are_skipped_with_a_reason(self):
        data = (DATA / "asterisk_master_21col_utc.csv").read_bytes()
        result = parse_master_csv(data, {"301"}, pbx_tz=None, city_code="3012")
        self.assertEqual(
            reasons(result),
            {
                "Call not answered (%(disposition)s).": 47,
                "Zero-length leg (answered and hung up in the same second).": 7,
                "Answered by the IVR only (%(app)s), no person talked.": 6,
            },
        )

    def test_six_digit_city_numbers_completed_with_the_city_code(self):
        data = (DATA / "asterisk_master_21col_utc.csv").read_bytes()
        with_code = parse_master_csv(data, {"301"}, pbx_tz=None, city_code="3012")
        # line 29: 214943 (a Ulan-Ude number) → 211553 → SIP/301
        city = [r for r in with_code.records if r["source_ref"] == "1706412022.63:61"]
        self.assertEqual(
            [(r["engineer_ref"], r["customer_ref"]) for r in city], [("301", "73012214943")]
        )
        self.assertEqual(city[0]["subject"], "Входящий звонок с 73012214943")
        self.assertEqual(complete_local_number("214943", "3012"), "73012214943")
        self.assertEqual(complete_local_number("2149", "3012"), "2149")
        self.assertEqual(complete_local_number("21494", "3012", extension_length=5), "21494")
        self.assertEqual(complete_local_number("214943", ""), "214943")

    def test_mixed_encoding_file_loses_no_line(self):
        """The Ulan-Ude file has 8 lines in a legacy 8-bit encoding among UTF-8 ones; a line with a
        UTF-8 Cyrillic name appended keeps its name while the 8-bit lines are still read."""
        data = (DATA / "asterisk_master_21col_utc.csv").read_bytes()
        utf8_line = (DATA / "asterisk_master.csv").read_bytes().splitlines(keepends=True)[0]
        result = parse_master_csv(data + utf8_line, {"301", "101"}, pbx_tz="UTC")
        self.assertEqual(result.errors, [])
        self.assertEqual(len(result.records) + len(result.skipped), 85)
        self.assertEqual(result.detected["cp1251_lines"], 8)
        self.assertIn("Иван Петров", result.records[-1]["description"])
        legacy = [r for r in result.records if r["customer_ref"] == "79246516548"]
        self.assertTrue(legacy and "8107924651ҐҐb" in legacy[0]["description"])

    def test_18_column_master_csv_in_utc(self):
        """cdr_csv default layout (loguniqueid, loguserfield), pseudonymised real records."""
        result = parse_master_csv(
            (DATA / "asterisk_master_18col_utc.csv").read_bytes(), {"9999"}, pbx_tz=None
        )
        self.assertEqual(result.detected["layouts"], {"cdr_csv_18": 45})
        self.assertEqual(result.detected["tz"], "UTC+00:00")
        self.assertEqual(result.errors, [])
        self.assertEqual(len(result.records), 26)
        self.assertEqual(
            reasons(result),
            {
                "Call not answered (%(disposition)s).": 18,
                "Zero-length leg (answered and hung up in the same second).": 1,
            },
        )
        first = result.records[0]
        self.assertEqual(
            (first["start"], first["end"]),
            (
                datetime(2017, 6, 27, 10, 29, 14, tzinfo=UTC),
                datetime(2017, 6, 27, 10, 35, 45, tzinfo=UTC),
            ),
        )

    def test_16_and_17_column_layouts_are_recognised_from_the_content(self):
        """cdr_csv without loguserfield (17) and without loguniqueid (16) writes the first columns
        of the same record: the 18-column real file cut accordingly."""
        lines = (DATA / "asterisk_master_18col_utc.csv").read_text().splitlines()
        reference = parse_master_csv("\n".join(lines), {"9999"}, pbx_tz="UTC")
        for width in (16, 17):
            cut = "\n".join(line.rsplit(",", 18 - width)[0] for line in lines)
            result = parse_master_csv(cut, {"9999"}, pbx_tz="UTC")
            self.assertEqual(result.detected["layouts"], {f"cdr_csv_{width}": 45})
            self.assertEqual(result.errors, [])
            self.assertEqual(
                [(r["start"], r["end"], r["customer_ref"]) for r in result.records],
                [(r["start"], r["end"], r["customer_ref"]) for r in reference.records],
            )

    def test_cdr_custom_layout_and_an_east_african_pbx_clock(self):
        """cdr_custom's sample mapping (clid first), a PBX in UTC+3 (Madagascar)."""
        result = parse_master_csv(
            (DATA / "asterisk_cdr_custom_19col.csv").read_bytes(), {"client1"}, pbx_tz=None
        )
        self.assertEqual(result.detected["layouts"], {"cdr_custom": 14})
        self.assertEqual(result.detected["tz"], "UTC+03:00")
        self.assertEqual(result.errors, [])
        # client1 dials 6789 (an internal number): skipped; client2's calls answered on
        # PJSIP/client1 come from a caller with no number: kept for client1, caller hidden
        self.assertEqual(
            [(r["engineer_ref"], r["customer_ref"]) for r in result.records],
            [("client1", None)] * 3,
        )
        self.assertEqual(result.records[0]["start"], datetime(2023, 7, 25, 22, 54, 23, tzinfo=UTC))
        self.assertEqual(
            reasons(result),
            {
                "Internal or service call to %(dst)s.": 8,
                "Call not answered (%(disposition)s).": 3,
            },
        )

    def test_detect_offset_from_uniqueids(self):
        self.assertEqual(uniqueid_epoch("mainserverdss-1706420300.0"), 1706420300)
        self.assertEqual(uniqueid_epoch("mikopbx-1696316579.10565_0Fk3uO"), 1696316579)
        self.assertIsNone(uniqueid_epoch(""))
        moscow = datetime(2024, 1, 27, 18, 7, 25)  # 1706368044 is 15:07:24 UTC
        self.assertEqual(detect_offset([(1706368044, moscow)]), timedelta(hours=3))
        self.assertIsNone(detect_offset([(1706368044, moscow - timedelta(minutes=40))]))
        self.assertIsNone(detect_offset([]))
        self.assertEqual(offset_label(timedelta(hours=-3, minutes=-30)), "UTC-03:30")

    def test_teamviewer_do_not_bill_is_skipped_with_its_reason(self):
        report = json.loads((DATA / "teamviewer_connections.json").read_text())
        free = dict(report["records"][0], billing_state="DoNotBill")
        result = parse_connections_json({"records": [free]})
        self.assertEqual(result.records, [])
        self.assertEqual(
            [(line, message._source) for line, message in result.skipped],
            [(1, "The connection is marked «Do not bill» in TeamViewer.")],
        )

    def test_mikopbx_rows_one_activity_per_answered_leg_of_a_linkedid(self):
        """MikoPBX's own CDR fixture: the call 79001234567 → 201, transferred to 202 then 203."""
        db = sqlite3.connect(":memory:")
        db.row_factory = sqlite3.Row
        load_cdr(db)
        rows = [dict(row) for row in db.execute("SELECT * FROM cdr_general")]
        result = parse_cdr_rows(rows, {"201"}, "Europe/Moscow", extension_length=3)
        self.assertEqual(result.errors, [])
        linked = [
            (r["engineer_ref"], r["customer_ref"], r["kind"], r["start"], r["end"])
            for r in result.records
            if r["source_ref"].startswith("mikopbx-linked-call.10")
        ]
        self.assertEqual(
            linked,
            [
                (
                    "201",
                    "79001234567",
                    "call_in",
                    moscow(2025, 12, 25, 9, 30, 39),
                    moscow(2025, 12, 25, 9, 31, 15),
                ),
                (
                    "202",
                    "79001234567",
                    "call_in",
                    moscow(2025, 12, 26, 12, 47, 11),
                    moscow(2025, 12, 26, 12, 51, 36),
                ),
                (
                    "203",
                    "79001234567",
                    "call_in",
                    moscow(2025, 12, 27, 15, 4, 35),
                    moscow(2025, 12, 27, 15, 9, 37),
                ),
            ],
        )
        self.assertEqual(len(result.records), 21)
        self.assertEqual(
            collections.Counter(m._source for _i, m in result.skipped),
            {
                "Call not answered (%(disposition)s).": 12,
                "Internal call between %(src)s and %(dst)s.": 3,
            },
        )

    def test_freepbx_export_is_read_by_its_header_with_no_row_error(self):
        lines = (DATA / "asterisk_master_18col_utc.csv").read_text().splitlines()
        reference = parse_master_csv("\n".join(lines), {"9999"}, pbx_tz="UTC")
        result = parse_master_csv(freepbx_export(lines), {"9999"}, pbx_tz="UTC")
        self.assertEqual(result.detected["layouts"], {"header": 45})
        self.assertEqual(result.errors, [])
        header_line, header_reason = result.skipped[0]
        self.assertEqual((header_line, header_reason._source), (1, "Header line."))
        # the export has no answer/end columns: end = calldate + duration, answer = end − billsec,
        # which Asterisk's rounded durations put within a second of the real moments
        self.assertTrue(len(result.records) == len(reference.records) == 26)
        self.assertTrue(
            all(
                abs(r[key] - m[key]) <= timedelta(seconds=1)
                for r, m in zip(result.records, reference.records, strict=True)
                for key in ("start", "end")
            )
        )
        self.assertEqual(
            [r["end"] - r["start"] for r in result.records][:3],
            [
                timedelta(seconds=390),
                timedelta(seconds=8),
                timedelta(seconds=728),
            ],
        )
        self.assertEqual(len(FREEPBX_HEADER.split(",")), 26)
