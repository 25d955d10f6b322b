"""Activities captured from PBX files, TeamViewer reports and e-mails."""

import base64
from datetime import timedelta
from pathlib import Path

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MikoSupportCommon

DATA = Path(__file__).parent / "data"


@tagged("post_install", "-at_install")
class TestActivityCapture(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls.create_contract()
        cls.env["res.users"].search(
            [("miko_pbx_extension", "!=", False)]
        ).miko_pbx_extension = False
        cls.engineer.miko_pbx_extension = "101"
        cls.engineer.miko_teamviewer_ref = "Ivan Petrov"
        cls.customer.phone = "+7 (985) 123-45-67"
        cls.Activity = cls.env["miko.support.activity"]
        cls.Unmatched = cls.env["miko.support.activity.unmatched"]

    def test_pbx_import_is_idempotent_and_queues_the_unknown(self):
        data = (DATA / "asterisk_master.csv").read_bytes()
        first = self.Activity.import_pbx_cdr(data)
        activities = self.Activity.search([("source", "=", "pbx")])
        self.assertEqual(first["created"], len(activities))
        self.assertTrue(activities)
        self.assertEqual(set(activities.mapped("contract_id")), {self.contract})
        self.assertEqual(set(activities.mapped("user_id")), {self.engineer})
        self.assertTrue(all("79851234567" in a.subject for a in activities))
        self.assertEqual(first["unmatched"], self.Unmatched.search_count([]))
        self.assertTrue(first["unmatched"])
        self.assertTrue(any(error["line"] for error in first["errors"]))
        again = self.Activity.import_pbx_cdr(data)
        self.assertEqual((again["created"], again["updated"], again["unmatched"]), (0, 0, 0))
        self.assertEqual(self.Activity.search_count([("source", "=", "pbx")]), len(activities))

    def test_teamviewer_device_mapping_and_assignment(self):
        data = (DATA / "teamviewer_connections.csv").read_bytes()
        result = self.Activity.import_teamviewer_report(data, "csv")
        self.assertEqual(result["created"], 0)
        queued = self.Unmatched.search([("source", "=", "teamviewer")])
        self.assertEqual(result["unmatched"], len(queued))
        acc_pc = queued.filtered(lambda u: u.customer_ref == "264488246")
        self.assertEqual(acc_pc.reason, "customer")
        acc_pc.write({"contract_id": self.contract.id, "user_id": self.engineer.id})
        acc_pc.action_assign()
        self.assertEqual(acc_pc.state, "assigned")
        self.assertEqual(acc_pc.activity_id.subject, "Удалённое подключение [264488246]")
        self.assertEqual(acc_pc.activity_id.raw_seconds, 25 * 60)
        device = self.env["miko.support.remote.device"].search([("device_ref", "=", "264488246")])
        self.assertEqual(device.contract_id, self.contract)
        again = self.Activity.import_teamviewer_report(data, "csv")
        self.assertEqual((again["created"], again["unmatched"]), (0, 0))
        self.assertEqual(self.Activity.search_count([("source", "=", "teamviewer")]), 1)

    def test_import_wizard(self):
        wizard = self.env["miko.support.activity.import.wizard"].create(
            {
                "source": "pbx",
                "file": base64.b64encode((DATA / "asterisk_master.csv").read_bytes()),
            }
        )
        wizard.action_import()
        self.assertEqual(wizard.state, "done")
        self.assertTrue(wizard.created_count)
        self.assertIn("Line", wizard.error_text)

    def test_file_that_is_not_text_is_refused(self):
        with self.assertRaises(UserError):
            self.Activity.import_pbx_cdr(b"\x00\xff\xfe\x00" * 10 + bytes(range(256)))


@tagged("post_install", "-at_install")
class TestEmailCapture(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls.create_contract()
        project = cls.env["project.project"]._miko_support_project(cls.company)
        cls.request = cls.env["project.task"].create(
            {
                "name": "Не работает всплывающая карточка",
                "project_id": project.id,
                "miko_contract_id": cls.contract.id,
                "user_ids": [(6, 0, cls.engineer.ids)],
            }
        )

    def email_activities(self):
        return self.env["miko.support.activity"].search([("source", "=", "email")])

    def test_sent_emails_become_activities_received_ones_do_not(self):
        self.env["ir.config_parameter"].sudo().set_param("miko_support_contract.email_minutes", "7")
        sent = self.request.with_user(self.engineer).message_post(
            body="Проверьте настройки",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.customer_contact.ids,
        )
        received = self.request.message_post(
            body="Спасибо, заработало",
            author_id=self.customer_contact.id,
            email_from="m@romashka.example",
            message_type="email",
            subtype_xmlid="mail.mt_comment",
        )
        self.request.message_post(
            body="internal", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        activities = self.email_activities()
        self.assertEqual(len(activities), 1, "only the outgoing letter is billed")
        out = activities.filtered(lambda a: a.source_ref == str(sent.id))
        self.assertEqual(
            (out.kind, out.user_id, out.request_id), ("email_out", self.engineer, self.request)
        )
        contact = self.customer_contact
        self.assertEqual(
            out.subject, f"Исходящее письмо №{sent.id} для {contact.name} <{contact.email}>"
        )
        self.assertEqual(out.raw_seconds, 7 * 60)
        self.assertFalse(activities.filtered(lambda a: a.source_ref == str(received.id)))
        # the engineer corrects the time spent; posting again changes nothing
        out.with_user(self.engineer).date_end = out.date_begin + timedelta(minutes=20)
        self.assertEqual(out.raw_seconds, 20 * 60)
        self.assertEqual(len(self.email_activities()), 1)

    def test_whole_request_marked_as_vendor_bug(self):
        self.request.with_user(self.engineer).message_post(
            body="Проверьте настройки",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.customer_contact.ids,
        )
        self.env["miko.support.contract"]._cron_post_consumption()
        charged = self.contract.entry_ids.filtered(lambda e: e.kind == "consumption")
        self.assertEqual(charged.minutes, 5)
        wizard = (
            self.env["miko.support.vendor.bug.wizard"]
            .with_user(self.engineer)
            .with_context(active_model="project.task", active_id=self.request.id)
            .create({"bug_reference": "BUG-77", "bug_release": "2026.3"})
        )
        wizard.action_confirm()
        # the engineer proposes, a support manager confirms (clause 7.4)
        activity = self.email_activities()
        self.assertEqual((activity.vendor_bug_proposed, activity.is_vendor_bug), (True, False))
        self.assertIn("BUG-77", self.request.message_ids[0].body)
        self.assertFalse(self.contract.entry_ids.filtered(lambda e: e.kind == "credit"))
        activity.action_confirm_vendor_bug()
        self.assertTrue(activity.is_vendor_bug)
        credit = self.contract.entry_ids.filtered(lambda e: e.kind == "credit")
        self.assertEqual((credit.minutes, credit.amount), (-5, -charged.amount))
