"""Importing call records of a real PBX (``tests/data/README.md``): its zone is detected, every
call lands at its real moment, a re-import creates nothing; TeamViewer's «Do not bill»."""

import base64
import json
import pathlib
from datetime import datetime

from odoo.tests import tagged

from .common import MikoSupportCommon

DATA = pathlib.Path(__file__).parent / "data"


@tagged("post_install", "-at_install")
class TestCaptureReal(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls.create_contract()
        cls.engineer.miko_pbx_extension = "301"
        cls.customer.phone = "+7 902 534-87-83"
        cls.Activity = cls.env["miko.support.activity"]

    def test_utc_master_csv_without_a_zone_puts_calls_at_their_real_moment(self):
        data = (DATA / "asterisk_master_21col_utc.csv").read_bytes()
        result = self.Activity.import_pbx_cdr(data)

        self.assertEqual(result["errors"], [])
        self.assertEqual(result["detected"]["tz"], "UTC+00:00")
        self.assertTrue(result["detected"]["tz_detected"])
        self.assertEqual(result["created"], 1)
        # 22 answered legs with a person (without a city code the two calls from 6-digit city
        # numbers read as internal): 1 of this customer, 21 wait to be assigned
        self.assertEqual(result["unmatched"], 21)
        activity = self.Activity.search([("source_ref", "=", "1706407446.50:50")])
        self.assertEqual(activity.user_id, self.engineer)
        self.assertEqual(activity.contract_id, self.contract)
        # 02:04:12 UTC as written by the PBX, not 02:04:12 Moscow (23:04:12 UTC the day before)
        self.assertEqual(activity.date_begin, datetime(2024, 1, 28, 2, 4, 12))
        self.assertEqual(activity.date_end, datetime(2024, 1, 28, 2, 4, 29))

        again = self.Activity.import_pbx_cdr(data)
        self.assertEqual((again["created"], again["updated"], again["unmatched"]), (0, 0, 0))
        self.assertEqual(again["errors"], [])

    def test_wizard_shows_the_detected_zone(self):
        wizard = self.env["miko.support.activity.import.wizard"].create(
            {
                "source": "pbx",
                "file": base64.b64encode((DATA / "asterisk_master_18col_utc.csv").read_bytes()),
            }
        )
        wizard.action_import()
        self.assertEqual(
            wizard.detected_text,
            "Time zone UTC+00:00 detected from the call identifiers; layout cdr_csv_18.",
        )
        self.assertFalse(wizard.error_text)

    def test_wizard_preview_counts_exactly_and_writes_nothing(self):
        wizard = self.env["miko.support.activity.import.wizard"].create(
            {
                "source": "pbx",
                "file": base64.b64encode((DATA / "asterisk_master_21col_utc.csv").read_bytes()),
            }
        )
        queued = self.env["miko.support.activity.unmatched"].search_count([])
        wizard.action_preview()
        self.assertEqual(wizard.state, "preview")
        self.assertEqual((wizard.created_count, wizard.unmatched_count), (1, 21))
        self.assertEqual(wizard.skipped_count, 62)
        self.assertEqual(
            wizard.skip_reasons_text.splitlines()[:3],
            [
                "46 × Call not answered (NO ANSWER).",
                "7 × Zero-length leg (answered and hung up in the same second).",
                "6 × Answered by the IVR only (Hangup), no person talked.",
            ],
        )
        self.assertFalse(self.Activity.search([("source_ref", "=", "1706407446.50:50")]))
        self.assertEqual(self.env["miko.support.activity.unmatched"].search_count([]), queued)

        wizard.action_import()
        self.assertEqual((wizard.state, wizard.created_count), ("done", 1))
        self.assertTrue(self.Activity.search([("source_ref", "=", "1706407446.50:50")]))

    def test_teamviewer_do_not_bill_connection_is_not_billable(self):
        self.env["miko.support.remote.device"].create(
            {"name": "ACC-PC-01", "device_ref": "264488246", "contract_id": self.contract.id}
        )
        self.engineer.miko_teamviewer_ref = "Ivan Petrov"
        report = json.loads((DATA / "teamviewer_connections.json").read_text())
        billed = dict(report["records"][0], id="billed-1")
        free = dict(report["records"][0], id="free-1", billing_state="DoNotBill")
        result = self.Activity.import_teamviewer_report(
            json.dumps({"records": [billed, free]}).encode(), file_format="json"
        )
        self.assertEqual((result["created"], result["skipped"]), (1, 1))
        self.assertFalse(self.Activity.search([("source_ref", "=", "free-1")]))
