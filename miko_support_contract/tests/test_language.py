"""Every text stored for a person is written in that person's language and formats."""

from datetime import date, datetime

import polib
from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged
from odoo.tools import file_path
from odoo.tools.translate import PoFileReader

from .common import VALID_ACCOUNT, VALID_BIK, VALID_CORR
from .common_upd import MikoUpdCommon


@tagged("post_install", "-at_install")
class TestLanguage(MikoUpdCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ru_RU")
        cls.russian_sales = cls.new_user(
            "miko_sales_ru", "miko_support_contract.group_sales", lang="ru_RU"
        )

    def test_escalation_note_in_recipients_language_and_support_time(self):
        contract = self.create_contract(user_id=self.russian_sales.id)
        request = (
            self.env["project.task"]
            .with_company(self.company)
            .create(
                {
                    "name": "No incoming calls",
                    "miko_contract_id": contract.id,
                    # Friday 14 March 2025 17:00 Moscow → deadline Monday 9:00 Moscow (6:00 UTC)
                    "miko_arrival": datetime(2025, 3, 14, 14),
                }
            )
        )
        self.assertEqual(request.miko_deadline, datetime(2025, 3, 17, 6))
        request._miko_escalate_breach()
        note = request.message_ids.filtered(lambda m: "17.03.2025" in str(m.body))
        self.assertEqual(len(note), 1, "the deadline in the Russian date format")
        self.assertIn("Срок реакции", str(note.body))
        self.assertIn("09:00", str(note.body), "Moscow time, not UTC")
        self.assertNotIn("06:00", str(note.body))
        self.assertEqual(request.activity_ids.user_id, self.russian_sales)
        self.assertEqual(request.activity_ids.summary, "Нарушен срок реакции")

    def test_support_project_and_stages_in_every_language(self):
        project = self.env["project.project"]._miko_support_project(self.company)
        self.assertEqual(project.with_context(lang="en_US").name, "Support")
        self.assertEqual(project.with_context(lang="ru_RU").name, "Поддержка")
        stages = project.type_ids.sorted("sequence")
        self.assertEqual(
            stages.with_context(lang="en_US").mapped("name"),
            ["New", "In Progress", "Waiting for Customer", "Done"],
        )
        self.assertEqual(
            stages.with_context(lang="ru_RU").mapped("name"),
            ["Новое", "В работе", "Ожидает клиента", "Готово"],
        )

    @freeze_time("2026-11-05 09:00:00")
    def test_upd_note_in_staff_language_with_formatted_amount(self):
        self.company.partner_id.lang = "ru_RU"
        contract = self.prepaid_contract()
        self.consume(contract, date(2026, 10, 14), 62, 1756.67)
        upd = self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        bodies = [str(body) for body in upd.message_ids.mapped("body")]
        note = [body for body in bodies if "УПД сформирован" in body]
        self.assertEqual(len(note), 1, bodies)
        self.assertIn("62 мин", note[0])
        self.assertIn("1&nbsp;756,67", note[0], "Russian number format")
        self.assertFalse(
            [body for body in bodies if "o_mail_notification" in body],
            "no second, untranslated creation message («Создано: Monthly UPD»)",
        )

    def test_activity_source_shown_by_its_label(self):
        Activity = self.env["miko.support.activity"].with_context(lang="ru_RU")
        self.assertEqual(Activity.new({"source": "pbx"}).source_label, "Записи звонков АТС")
        self.assertEqual(Activity.new({"source": "manual"}).source_label, "Введено вручную")
        self.assertEqual(
            Activity.with_context(lang="en_US").new({"source": "pbx"}).source_label,
            "PBX call records",
        )
        self.assertEqual(Activity.new({"source": "crm-42"}).source_label, "crm-42")
        unmatched = self.env["miko.support.activity.unmatched"].with_context(lang="ru_RU")
        self.assertEqual(unmatched.new({"source": "teamviewer"}).source_label[:5], "Отчёт")

    def test_payment_qr_purpose_date_in_customer_format(self):
        self.customer.lang = "ru_RU"
        bank = self.env["res.bank"].create(
            {"name": "АО «Банк Пример»", "bic": VALID_BIK, "miko_corr_account": VALID_CORR}
        )
        self.company.partner_id.bank_ids = [
            Command.create(
                {"acc_number": VALID_ACCOUNT, "bank_id": bank.id, "allow_out_payment": True}
            )
        ]
        contract = self.create_contract()
        invoice = contract.create_prepayment_invoice(hours=1)
        invoice.invoice_date = date(2026, 10, 5)
        invoice.action_post()
        payload = invoice._miko_payment_string()
        purpose = dict(part.split("=", 1) for part in payload.split("|")[1:])["Purpose"]
        self.assertIn("от 05.10.2026", purpose)
        self.assertTrue(purpose.startswith("Оплата по счёту"), purpose)

    def test_forecast_without_consumption_is_a_dash(self):
        with freeze_time("2026-10-20"):
            contract = self.prepaid_contract()
            self.assertEqual(contract.days_until_zero, -1)
            self.assertEqual(contract.days_until_zero_text, "—", "not «-1»")
            self.consume(contract, date(2026, 10, 14), 14, 280.0)
            contract.invalidate_recordset(["days_until_zero", "days_until_zero_text"])
            # 280 burned in 28 days = 10/day; 9720 left → 972 days
            self.assertEqual(contract.days_until_zero_text, "972")

    def test_statement_email_dates_in_customer_format(self):
        self.customer.lang = "ru_RU"
        contract = self.create_contract()
        self.env["miko.support.statement"]._send(contract, date(2026, 10, 1), date(2026, 10, 31))
        message = contract.message_ids.filtered(lambda m: m.message_type == "comment")[:1]
        self.assertIn("01.10.2026", message.subject)
        self.assertIn("31.10.2026", message.subject)
        self.assertNotIn("2026-10-01", str(message.body))

    def test_deemed_acceptance_mail_and_note_in_the_readers_language(self):
        self.customer.lang = "ru_RU"
        self.company.partner_id.lang = "ru_RU"
        contract = self.prepaid_contract(upd_channel="post")
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        with freeze_time("2026-11-02 09:00:00"):
            upd = self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
            upd.tracking_number = "14571285012345"
            upd.action_mark_posted()
        with freeze_time("2026-11-09 09:00:00"):
            self.env["miko.support.upd.delivery.wizard"].create(
                {"upd_id": upd.id, "delivery_date": "2026-11-06"}
            ).action_apply()
        with freeze_time("2026-11-12 22:00:00"):  # 13 Nov 01:00 Moscow = D+7
            self.env["miko.support.upd"]._cron_deem_accepted()
        self.assertEqual(upd.state, "deemed_accepted")
        notes = " ".join(str(body) for body in upd.message_ids.mapped("body"))
        self.assertIn("13.11.2026", notes, "the staff's note in Russian format")
        mail = (
            self.env["mail.mail"]
            .search([("model", "=", "miko.support.upd"), ("res_id", "=", upd.id)])
            .filtered(lambda m: upd.deemed_attachment_id in m.attachment_ids)
        )
        self.assertTrue(mail)
        body = str(mail.body_html)
        self.assertIn("Здравствуйте", body, "in the customer's language")
        self.assertIn("06.11.2026", body)
        self.assertIn("13.11.2026", body)
        self.assertNotIn("2026-11-13", body)

    def test_every_russian_entry_is_loaded(self):
        """Odoo merges ru.po with the .pot: an entry missing from the .pot is dropped."""
        path = file_path("miko_support_contract/i18n/ru.po")
        loaded = {row["src"] for row in PoFileReader(path) if row.get("value")}
        msgids = {entry.msgid for entry in polib.pofile(path) if entry.msgstr}
        self.assertFalse(msgids - loaded, "entries of ru.po that Odoo drops")
        ru_env = self.env(context={"lang": "ru_RU"})
        self.assertEqual(
            ru_env["miko.support.activity"].new({"source": "teamviewer"}).source_label,
            "Отчёт о подключениях TeamViewer",
        )
