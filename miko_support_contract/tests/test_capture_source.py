"""Capture sources pulled from local fakes of MikoPBX's REST API v3 and TeamViewer's Web API
(MikoPBX's own CDR fixture), and a MikoPBX ``cdr.db`` upload: incremental, idempotent."""

import base64
import json
import pathlib
import tempfile
from datetime import datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from . import fake_capture
from .common import MikoSupportCommon

DATA = pathlib.Path(__file__).parent / "data"


@tagged("post_install", "-at_install")
class TestCaptureSource(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls.create_contract()
        cls.engineer.miko_pbx_extension = "201"
        cls.customer.phone = "+7 900 123-45-67"
        cls.Activity = cls.env["miko.support.activity"]
        cls.Source = cls.env["miko.support.capture.source"]
        cls.pbx = fake_capture.FakeMikoPbx()
        cls.addClassCleanup(cls.pbx.stop)

    def mikopbx_source(self, **values):
        return self.Source.create(
            {
                "name": "MikoPBX office",
                "kind": "mikopbx_api",
                "url": self.pbx.url,
                "api_key": fake_capture.API_KEY,
                **values,
            }
        )

    def test_mikopbx_pull_twice_creates_nothing_the_second_time(self):
        source = self.mikopbx_source()
        action = source.action_test_connection()
        self.assertIn("Europe/Moscow", action["params"]["message"])

        source.action_pull()
        # the call transferred 201 → 202 → 203 (one linkedid): one activity per answered leg;
        # 201 is our engineer, 202/203 and the other extensions wait to be assigned
        mine = self.Activity.search([("user_id", "=", self.engineer.id), ("source", "=", "pbx")])
        self.assertEqual(
            sorted(mine.mapped("source_ref")),
            ["mikopbx-linked-call.100", "mikopbx-linked-call.34_leg1"],
        )
        first = mine.filtered(lambda a: a.source_ref == "mikopbx-linked-call.100")
        # 09:30:39 Moscow (the PBX's zone from time-settings) = 06:30:39 UTC
        self.assertEqual(first.date_begin, datetime(2025, 12, 25, 6, 30, 39))
        self.assertEqual(first.contract_id, self.contract)
        self.assertEqual(source.last_cursor, "36")
        self.assertTrue(
            source.last_result.startswith("Created 2, updated 0, skipped 15, to assign 19")
        )
        cdr_calls = [q for path, q in self.pbx.requests_seen if path.endswith("/cdr")]
        self.assertEqual(
            cdr_calls[0],
            {"grouped": "false", "sort": "id", "order": "ASC", "idFrom": "0", "limit": "1000"},
        )
        queued = self.env["miko.support.activity.unmatched"].search_count([])

        source.action_pull()
        self.assertEqual(source.last_cursor, "36")
        self.assertTrue(
            source.last_result.startswith("Created 0, updated 0, skipped 0, to assign 0")
        )
        self.assertEqual(
            [q["idFrom"] for p, q in self.pbx.requests_seen if p.endswith("/cdr")][-1], "36"
        )

        source.last_cursor = False  # a full re-pull: still nothing new
        source.action_pull()
        self.assertTrue(source.last_result.startswith("Created 0, updated 0"))
        self.assertEqual(self.env["miko.support.activity.unmatched"].search_count([]), queued)
        self.assertEqual(len(self.Activity.search([("source_ref", "like", "mikopbx-")])), 2)

    def test_cron_pulls_active_api_sources_only(self):
        source = self.mikopbx_source()
        self.mikopbx_source(name="archived", active=False)
        self.Source.create({"name": "uploads", "kind": "asterisk_csv"})
        self.Source._cron_pull_sources()
        self.assertEqual(source.last_cursor, "36")
        self.assertEqual(
            len({q["idFrom"] for p, q in self.pbx.requests_seen if p.endswith("/cdr")}), 1
        )

    def test_wrong_key_is_reported_and_nothing_imported(self):
        source = self.mikopbx_source(api_key="wrong")
        with self.assertRaisesRegex(UserError, "answered HTTP 401"):
            source.action_test_connection()
        source.action_pull()
        self.assertIn("answered HTTP 401", source.last_result)
        self.assertFalse(source.last_cursor)
        self.assertFalse(self.Activity.search([("source_ref", "like", "mikopbx-")]))

    def test_mikopbx_cdr_db_upload(self):
        source = self.Source.create(
            {"name": "old MikoPBX", "kind": "mikopbx_sqlite", "tz": "Europe/Moscow"}
        )
        with tempfile.TemporaryDirectory() as folder:
            data = fake_capture.mikopbx_cdr_db(f"{folder}/cdr.db")
        result = source.import_file(data)
        self.assertEqual((result["created"], result["unmatched"]), (2, 19))
        self.assertEqual(source.import_file(data)["created"], 0)
        with self.assertRaisesRegex(UserError, "not a SQLite database"):
            source.import_file(b"id,start\n1,2025-12-01")

    def test_asterisk_upload_uses_the_city_code_of_the_source(self):
        self.engineer.miko_pbx_extension = "301"
        self.customer.phone = "+7 3012 21-49-43"  # a Ulan-Ude number, dialled as 214943
        source = self.Source.create(
            {"name": "Ulan-Ude", "kind": "asterisk_csv", "city_code": "3012"}
        )
        result = source.import_file((DATA / "asterisk_master_21col_utc.csv").read_bytes())
        self.assertEqual(result["created"], 1)
        activity = self.Activity.search([("source_ref", "=", "1706412022.63:61")])
        self.assertEqual(activity.contract_id, self.contract)
        self.assertEqual(activity.date_begin, datetime(2024, 1, 28, 3, 20, 27))
        self.assertTrue(source.last_result.startswith("Created 1"))

    def test_upload_wizard_through_a_source_posts_the_summary_on_it(self):
        source = self.Source.create({"name": "old MikoPBX", "kind": "mikopbx_sqlite"})
        with tempfile.TemporaryDirectory() as folder:
            data = fake_capture.mikopbx_cdr_db(f"{folder}/cdr.db")
        wizard = self.env["miko.support.activity.import.wizard"].create(
            {"capture_source_id": source.id, "file": base64.b64encode(data)}
        )
        wizard.action_preview()
        self.assertEqual((wizard.created_count, wizard.unmatched_count), (2, 19))
        self.assertFalse(source.last_result)  # the preview left no trace
        wizard.action_import()
        self.assertEqual(wizard.created_count, 2)
        self.assertTrue(source.last_result.startswith("Created 2"))
        self.assertIn("Created 2", source.message_ids[0].body)

    def test_teamviewer_pull_follows_next_offset_and_is_incremental(self):
        self.env["miko.support.remote.device"].create(
            {"name": "ACC-PC-01", "device_ref": "264488246", "contract_id": self.contract.id}
        )
        self.engineer.miko_teamviewer_ref = "Ivan Petrov"
        records = json.loads((DATA / "teamviewer_connections.json").read_text())["records"]
        teamviewer = fake_capture.FakeTeamViewer(records[:2], page_size=1)
        self.addCleanup(teamviewer.stop)
        source = self.Source.create(
            {
                "name": "TeamViewer",
                "kind": "teamviewer_api",
                "url": teamviewer.url,
                "api_key": fake_capture.TEAMVIEWER_TOKEN,
                "last_cursor": "2026-11-01 00:00:00",
            }
        )
        with freeze_time("2026-11-03 00:00:00"):
            source.action_pull()
            self.assertTrue(
                source.last_result.startswith("Created 1, updated 0, skipped 0, to assign 1")
            )
            self.assertEqual(
                [q.get("offset_id") for _p, q in teamviewer.requests_seen], [None, "1"]
            )
            self.assertEqual(source.last_cursor, "2026-11-03 00:00:00")
            source.action_pull()
            self.assertTrue(source.last_result.startswith("Created 0"))

    def test_secrets_and_access(self):
        source = self.mikopbx_source()
        finance = self.new_user("miko_finance_cap", "miko_support_contract.group_finance")
        self.assertEqual(source.with_user(finance).name, "MikoPBX office")
        with self.assertRaises(AccessError):
            source.with_user(finance).read(["api_key"])
        with self.assertRaises(AccessError):
            source.with_user(finance).write({"url": "http://elsewhere"})
        with self.assertRaises(AccessError):
            source.with_user(self.engineer).read(["name"])
        with self.assertRaisesRegex(UserError, "city code"):
            source.city_code = "12ab"
