"""What each role meets in the real screens: defects found by going through the UI."""

import base64
from pathlib import Path

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import MikoSupportCommon

DATA = Path(__file__).parent / "data"


@tagged("post_install", "-at_install")
class TestEngineerDay(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls.create_contract()

    def test_new_activity_form_offers_the_contracts(self):
        # the form of a new activity has no company yet: the contract drop-down must still list
        # the contracts the engineer may work on
        Activity = self.env["miko.support.activity"].with_user(self.engineer)
        domain = Activity.fields_get(["contract_id"], ["domain"])["contract_id"].get("domain")
        if isinstance(domain, str):
            domain = safe_eval(
                domain,
                {"company_id": False, "allowed_company_ids": self.company.ids, "context": {}},
            )
        offered = self.env["miko.support.contract"].with_user(self.engineer).search(domain or [])
        self.assertIn(self.contract, offered)

    def test_import_wizard_saves_its_import(self):
        self.env["res.users"].search(
            [("miko_pbx_extension", "!=", False)]
        ).miko_pbx_extension = False
        self.env.flush_all()
        self.engineer.miko_pbx_extension = "101"
        self.customer.phone = "+7 (985) 123-45-67"
        wizard = self.env["miko.support.activity.import.wizard"].create(
            {
                "source": "pbx",
                "file": base64.b64encode((DATA / "asterisk_master.csv").read_bytes()),
                "filename": "Master.csv",
            }
        )
        wizard.action_import()
        # the web client's transaction commits here: a refused write would roll it all back
        self.env.flush_all()
        self.assertEqual(wizard.state, "done")
        self.assertFalse(wizard.file)
        imported = self.env["miko.support.activity"].search([("source", "=", "pbx")])
        self.assertEqual(len(imported), wizard.created_count)
        self.assertTrue(imported)

    def test_import_wizard_without_file_names_the_field(self):
        wizard = self.env["miko.support.activity.import.wizard"].create({"source": "pbx"})
        with self.assertRaisesRegex(UserError, "File"):
            wizard.action_import()

    def test_start_work_moves_the_stage_and_assigns_the_engineer(self):
        request = (
            self.env["project.task"]
            .with_company(self.company)
            .create(
                {
                    "name": "Не печатается УПД",
                    "miko_contract_id": self.contract.id,
                    "user_ids": [Command.clear()],
                }
            )
        )
        stages = request.project_id.type_ids.sorted("sequence")
        self.assertEqual(request.stage_id, stages[0])
        self.assertFalse(request.user_ids)
        request.with_user(self.engineer).action_miko_start_work()
        self.assertEqual(request.stage_id, stages[1])
        self.assertEqual(request.user_ids, self.engineer)
        self.assertTrue(request.miko_work_start)
