"""What each role meets in the real screens: defects found by going through the UI."""

import base64
from pathlib import Path
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import config
from odoo.tools.safe_eval import safe_eval

from .common import VALID_ACCOUNT, VALID_BIK, VALID_CORR, MikoSupportCommon

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


@tagged("post_install", "-at_install")
class TestSalesDay(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"vat": "7701150631", "miko_kpp": "770101001"})
        cls.company.partner_id.write({"street": "ул. Тверская, д. 1", "city": "Москва"})
        cls.customer.write({"city": "Казань", "zip": "420000", "lang": "ru_RU"})
        cls.bank = cls.env["res.bank"].create(
            {"name": "АО «Банк Пример»", "bic": VALID_BIK, "miko_corr_account": VALID_CORR}
        )
        cls.company.partner_id.bank_ids = [
            Command.create(
                {"acc_number": VALID_ACCOUNT, "bank_id": cls.bank.id, "allow_out_payment": True}
            )
        ]
        cls.contract = cls.create_contract()

    def render(self, invoice):
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "miko_support_contract.action_report_prepayment_invoice", invoice.ids
        )
        return html.decode()

    def test_ten_hours_print_as_ten_hours_and_the_amount_in_words(self):
        invoice = self.contract.create_prepayment_invoice(hours=10)
        rub = self.env.ref("base.RUB")
        rub.active = True
        invoice.currency_id = rub  # the test company keeps its dollars
        line = invoice.invoice_line_ids
        self.assertNotIn("1E+1", line.name)
        self.assertIn(" 10 ", line.name)
        invoice.action_post()
        html = self.render(invoice)
        self.assertNotIn("1E+1", html)
        self.assertRegex(html, r'<td class="text-end">10</td>\s*<td>ч</td>')
        self.assertIn("Семнадцать тысяч рублей 00 копеек", html)
        self.assertNotIn("Тысяч", html)
        self.assertNotRegex(html, r",\s*,")

    def test_prepayment_invoice_is_numbered_as_an_invoice_for_payment(self):
        sales_journal = self.env["account.journal"].search(
            [("company_id", "=", self.company.id), ("type", "=", "sale")], order="sequence", limit=1
        )
        invoice = self.contract.create_prepayment_invoice(amount=1700)
        invoice.action_post()
        self.assertEqual(invoice.journal_id, self.company.miko_prepayment_journal_id)
        self.assertNotEqual(invoice.journal_id, sales_journal)
        self.assertTrue(invoice.name.startswith(invoice.journal_id.code + "/"), invoice.name)
        self.assertFalse(invoice.name.startswith(sales_journal.code + "/"), invoice.name)
        ru_journal = self.env["res.company"].create({"name": "ООО «Второй»"})
        ru_journal.partner_id.lang = "ru_RU"
        self.env["account.journal"].create(
            {"name": "Продажи", "code": "СЧФ", "type": "sale", "company_id": ru_journal.id}
        )
        self.assertEqual(ru_journal._miko_prepayment_journal().code, "Счёт")
        # a second call finds the same journal
        self.assertEqual(
            ru_journal._miko_prepayment_journal(), ru_journal.miko_prepayment_journal_id
        )

    def test_draft_prints_as_a_draft_without_number_or_qr(self):
        invoice = self.contract.create_prepayment_invoice(amount=1700)
        html = self.render(invoice)  # in the customer's Russian
        self.assertIn("ПРОЕКТ счёта на оплату", html)
        self.assertNotIn("Счёт на оплату №", html)
        self.assertNotIn("data:image/png;base64,", html)
        with self.assertRaisesRegex(UserError, "not issued"):
            invoice._miko_payment_string()
        invoice.action_post()
        self.assertNotIn("False", invoice._miko_payment_string())
        self.assertIn(invoice.name, self.render(invoice))

    def test_sales_creates_a_customer_for_a_contract(self):
        partner = (
            self.env["res.partner"]
            .with_user(self.sales)
            .create({"name": "ООО «Новый клиент»", "is_company": True})
        )
        contract = (
            self.env["miko.support.contract"]
            .with_user(self.sales)
            .create({"partner_id": partner.id, "company_id": self.company.id})
        )
        self.assertEqual(contract.partner_id, partner)

    def test_demo_bank_account_is_trusted_so_sales_and_finance_post(self):
        account = self.env["res.partner.bank"].create(
            {"acc_number": "40702810900000000001", "partner_id": self.company.partner_id.id}
        )
        self.assertFalse(account.allow_out_payment)
        # outside the test mode, as when the demo is loaded by ``./miko run``
        with patch.dict(config.options, {"test_enable": False}):
            self.company._miko_demo_trust_bank_accounts()
        self.assertTrue(account.allow_out_payment)
        for user in (self.sales, self.finance):
            invoice = self.contract.create_prepayment_invoice(amount=1700)
            invoice.partner_bank_id = account
            invoice.with_user(user).action_post()
            self.assertEqual(invoice.state, "posted")
