"""Acceptance evidence of the monthly UPD (contract 4.3–4.4): the buyer's title codes, the
delivery date of a paper UPD entered from the post's tracking."""

import base64
from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import format_date

from .common_upd import MikoUpdCommon
from .test_upd import buyer_title

DISCREPANCIES = (
    '<КодСодОпер КодИтога="2">'
    '<РеквДокРасх РеквНаимДок="Акт о расхождениях" РеквНомерДок="Р-12" '
    'РеквДатаДок="03.11.2026"/></КодСодОпер>'
)


def title_with_discrepancies(seller_file_id):
    """The buyer's title 5.02 with ``КодИтога`` 2 naming its discrepancy document."""
    content = buyer_title(seller_file_id, code="2", content="Приняты с расхождениями")
    return content.replace(
        '<КодСодОпер КодИтога="2"/>'.encode("cp1251"), DISCREPANCIES.encode("cp1251")
    )


@tagged("post_install", "-at_install")
class TestUpdAcceptance(MikoUpdCommon):
    def sent_october(self, **contract_vals):
        contract = self.prepaid_contract(**contract_vals)
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        upd = self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        with freeze_time("2026-11-02 09:00:00"):
            if upd.channel == "post":
                upd.tracking_number = "14571285012345"
                upd.action_mark_posted()
            else:
                upd.action_send()
        self.assertEqual(upd.state, "sent")
        return upd

    def upload(self, upd, content, **values):
        return (
            self.env["miko.support.upd.answer.wizard"]
            .with_user(self.finance)
            .create({"upd_id": upd.id, "title_file": base64.b64encode(content), **values})
            .action_apply()
        )

    # ---------------------------------------------------------------- КодИтога 1 / 2 / 3
    def test_code_1_signed(self):
        upd = self.sent_october()
        self.upload(upd, buyer_title(upd.xml_file_name.removesuffix(".xml")))
        self.assertEqual(upd.state, "signed")
        self.assertEqual(upd.signed_date, date(2026, 11, 3))
        self.assertFalse(upd.discrepancy_document)
        self.assertFalse(upd.activity_ids)

    def test_code_2_signed_with_discrepancies(self):
        upd = self.sent_october()
        own_id = upd.xml_file_name.removesuffix(".xml")
        self.upload(
            upd,
            title_with_discrepancies(own_id),
            discrepancy_file=base64.b64encode(b"%PDF-1.4 act of discrepancies"),
            discrepancy_file_name="Акт о расхождениях Р-12.pdf",
        )
        self.assertEqual(upd.state, "signed_discrepancies")
        self.assertEqual(upd.signed_date, date(2026, 11, 3))
        self.assertEqual(upd.discrepancy_document, "Р-12")
        self.assertEqual(upd.discrepancy_attachment_id.raw, b"%PDF-1.4 act of discrepancies")
        self.assertEqual(upd.discrepancy_attachment_id.name, "Акт о расхождениях Р-12.pdf")
        self.assertTrue(upd.buyer_title_attachment_id)
        activity = upd.activity_ids
        self.assertEqual(len(activity), 1, "finance gets an activity")
        self.assertTrue(activity.user_id.has_group("miko_support_contract.group_finance"))
        self.assertIn("Р-12", str(activity.note))
        # a final state: never deemed accepted, no second answer
        with freeze_time("2026-12-01 12:00:00"):
            self.assertFalse(self.env["miko.support.upd"]._cron_deem_accepted())
        with self.assertRaisesRegex(UserError, "already"):
            self.upload(upd, buyer_title(own_id))

    def test_code_3_refused(self):
        upd = self.sent_october()
        own_id = upd.xml_file_name.removesuffix(".xml")
        self.upload(upd, buyer_title(own_id, code="3", content="Услуги не приняты"))
        self.assertEqual(upd.state, "refused")
        self.assertEqual(upd.refusal_reason, "Услуги не приняты")
        self.assertFalse(upd.signed_date)

    # ---------------------------------------------------------------- paper UPD delivery date
    def test_post_delivery_date_entered_from_the_tracking(self):
        upd = self.sent_october(upd_channel="post")
        Wizard = self.env["miko.support.upd.delivery.wizard"].with_user(self.finance)
        with freeze_time("2026-11-12 09:00:00"):
            wizard = Wizard.create({"upd_id": upd.id})
            self.assertEqual(wizard.delivery_date, date(2026, 11, 12), "today by default")
            with self.assertRaises(UserError) as caught:
                Wizard.create({"upd_id": upd.id, "delivery_date": "2026-11-13"}).action_apply()
            self.assertIn("in the future", str(caught.exception))
            self.assertIn("Delivery Date", str(caught.exception))
            self.assertIn(upd.name, str(caught.exception))
            with self.assertRaises(UserError) as caught:
                Wizard.create({"upd_id": upd.id, "delivery_date": "2026-11-01"}).action_apply()
            sent_on = format_date(Wizard.env, date(2026, 11, 2))  # in the user's format
            self.assertIn(f"({sent_on})", str(caught.exception))
            self.assertEqual(upd.state, "sent", "nothing was written")
            # a past day read from the tracking, not today
            Wizard.create({"upd_id": upd.id, "delivery_date": "2026-11-05"}).action_apply()
        self.assertEqual(upd.state, "delivered")
        self.assertEqual(upd.delivery_date, date(2026, 11, 5))
        with freeze_time("2026-11-11 20:59:00"):  # 23:59 Moscow, D+6
            self.assertFalse(self.env["miko.support.upd"]._cron_deem_accepted())
        with freeze_time("2026-11-11 21:30:00"):  # 00:30 Moscow, D+7
            self.env["miko.support.upd"]._cron_deem_accepted()
        self.assertEqual(upd.state, "deemed_accepted")
        self.assertEqual(upd.deemed_accepted_date, date(2026, 11, 12))

    def test_integration_api_refuses_a_future_delivery(self):
        upd = self.sent_october()
        with freeze_time("2026-11-04 09:00:00"), self.assertRaisesRegex(UserError, "future"):
            upd.mark_delivered(date(2026, 11, 5))
        self.assertEqual(upd.state, "sent")

    def test_sending_with_no_edi_operator_is_refused(self):
        contract = self.prepaid_contract()
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        upd = self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        self.company.miko_edi_provider = False
        with self.assertRaises(UserError) as caught:
            upd.action_send()
        self.assertIn("EDI Operator", str(caught.exception))
        self.assertIn("tab Support Contracts", str(caught.exception))
        self.assertEqual(upd.state, "draft")


@tagged("post_install", "-at_install")
class TestUnilateralByPost(MikoUpdCommon):
    def test_unilateral_copy_by_post_with_the_email_copy(self):
        contract = self.prepaid_contract(
            upd_channel="post", registration_email="reg@romashka.example"
        )
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        upd = self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        with freeze_time("2026-11-02 09:00:00"):
            upd.tracking_number = "14571285012345"
            upd.action_mark_posted()
        with freeze_time("2026-11-09 09:00:00"):
            self.env["miko.support.upd.delivery.wizard"].create(
                {"upd_id": upd.id, "delivery_date": "2026-11-06"}
            ).action_apply()
        with freeze_time("2026-11-12 22:00:00"):  # 13 Nov 01:00 Moscow = D+7
            self.env["miko.support.upd"]._cron_deem_accepted()
        self.assertEqual(upd.state, "deemed_accepted")
        self.assertEqual(upd.deemed_accepted_date, date(2026, 11, 13), "D+7 stored")
        self.assertFalse(upd.unilateral_edi_message_id, "a paper UPD's copy goes by post")
        notes = " ".join(str(body) for body in upd.message_ids.mapped("body"))
        staff = upd._staff_env()  # the note is in the company's language
        self.assertIn(
            staff._(
                "UPD %(upd)s is deemed accepted on %(date)s: print the unilaterally signed "
                "copy, send it by registered letter and enter its tracking number.",
                upd=upd.display_name,
                date=format_date(staff, upd.deemed_accepted_date),
            ),
            notes,
        )
        mails = self.env["mail.mail"].search(
            [("model", "=", "miko.support.upd"), ("res_id", "=", upd.id)]
        )
        copy = mails.filtered(lambda mail: upd.deemed_attachment_id in mail.attachment_ids)
        self.assertTrue(copy, "the unilaterally signed copy is e-mailed too")
        recipients = copy.mapped("email_to") + copy.recipient_ids.mapped("email")
        self.assertIn("reg@romashka.example", recipients)
        # the copy for the letter shows D+7 as the acceptance date, not the month's end
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "miko_support_contract.action_report_upd_deemed", upd.ids
        )
        self.assertIn("Дата получения (приемки): <span>13.11.2026</span> [16]", html.decode())
        action = upd.action_print_for_post()
        self.assertIn("miko_support_contract.report_upd_deemed", str(action))
        upd.unilateral_tracking_number = "14571285099999"
        with self.assertRaisesRegex(UserError, "14 digits"):
            upd.unilateral_tracking_number = "123"
