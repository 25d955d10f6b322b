"""What each role meets in the real screens: defects found by going through the UI."""

import base64
import io
import re
from datetime import date, datetime
from pathlib import Path
from unittest.mock import patch

import openpyxl
from lxml import etree

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import config
from odoo.tools.safe_eval import safe_eval

from .common import VALID_ACCOUNT, VALID_BIK, VALID_CORR, MikoSupportCommon
from .common_tour import MikoTourCase
from .common_upd import MikoUpdCommon
from .test_statements import StatementCommon

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


@tagged("post_install", "-at_install")
class TestFinanceStatement(StatementCommon):
    def test_print_pdf_of_the_wizard_renders_the_contract(self):
        self.work("p1", "2026-11-03T10:00:00+03:00", "2026-11-03T11:00:00+03:00")
        wizard = self.env["miko.support.statement.wizard"].create(
            {
                "contract_id": self.contract.id,
                "date_from": date(2026, 11, 1),
                "date_to": date(2026, 11, 30),
            }
        )
        action = wizard.with_user(self.finance).action_print()
        # what /report/pdf receives from the web client for a report action with data: the data
        # and the action's context, no ids in the path
        data = {**action["data"], "context": action["context"]}
        html, _format = (
            self.env["ir.actions.report"]
            .with_context(**action["context"])
            ._render_qweb_html(action["report_name"], None, data=data)
        )
        self.assertIn("Удалённое подключение [p1]", html.decode())
        self.assertIn(self.contract.name, html.decode())

    def test_xlsx_dates_are_dates_and_rubles_have_their_column(self):
        self.customer.lang = "ru_RU"
        self.work("x1", "2026-11-03T10:00:00+03:00", "2026-11-03T11:00:00+03:00")
        sheet = openpyxl.load_workbook(
            io.BytesIO(
                self.env["miko.support.statement"]._xlsx(
                    self.contract, date(2026, 11, 1), date(2026, 11, 30)
                )
            )
        ).active
        rows = list(sheet.iter_rows())
        header = next(row for row in rows if row[1].value and row[4].value == "Длительность, мин")
        titles = [cell.value for cell in header]
        amount_column = next(i for i, t in enumerate(titles) if (t or "").startswith("Сумма, "))
        block_column = titles.index("Оплачиваемые минуты блока")
        line_row = next(row for row in rows if isinstance(row[0].value, datetime))
        self.assertEqual(line_row[0].value, datetime(2026, 11, 3))
        self.assertEqual(line_row[0].number_format, "dd.mm.yyyy")
        self.assertEqual(line_row[2].value, datetime(2026, 11, 3, 10, 0))
        self.assertEqual(line_row[4].value, 60)
        self.assertEqual(line_row[block_column].value, 60)
        day_row = rows[line_row[0].row]  # the day's total under its activities
        self.assertTrue(day_row[1].value.startswith("Итого за день"), day_row[1].value)
        self.assertEqual(day_row[amount_column].value, 1700.0)
        self.assertIsNone(day_row[block_column].value, "no rubles among minutes")
        balance_end = next(
            row for row in rows if (row[1].value or "").endswith("остаток на дату 30.11.2026")
        )
        self.assertEqual(balance_end[amount_column].value, 1700.0)
        self.assertIsNone(balance_end[block_column].value)


@tagged("post_install", "-at_install")
class TestFinanceUpd(MikoUpdCommon):
    def upd_cells(self, minutes, amount):
        contract = self.prepaid_contract()
        self.consume(contract, date(2026, 10, 14), minutes, amount)
        upd = self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "miko_support_contract.action_report_upd", upd.ids
        )
        return re.findall(r"<td>([^<]*)</td>", html.decode().replace("\u00a0", " "))

    def test_upd_print_formats_numbers_for_its_reader(self):
        self.customer.lang = "ru_RU"
        cells = self.upd_cells(198, 5610.0)  # 3.3 hours at 1700 ₽
        self.assertIn("3,3", cells)
        self.assertIn("1 700,00", cells)
        self.assertIn("5 610,00", cells)
        self.assertFalse([cell for cell in cells if re.fullmatch(r"\d+\.\d+", cell)], cells)

    def test_upd_print_of_minutes_rounds_the_price_to_kopecks(self):
        self.customer.lang = "ru_RU"
        cells = self.upd_cells(7, 198.33)  # 7 minutes: the price of a minute
        self.assertIn("7", cells)
        self.assertIn("28,33", cells)
        self.assertIn("198,33", cells)
        self.assertFalse([cell for cell in cells if "33333" in cell], cells)

    def test_month_close_wizard_reads_as_a_month(self):
        Wizard = self.env["miko.support.upd.month.close"].with_user(self.finance)
        months = dict(
            Wizard.with_context(lang="ru_RU")
            ._fields["month"]
            ._description_selection(Wizard.with_context(lang="ru_RU").env)
        )
        self.assertEqual(months["11"], "Ноябрь")
        arch = etree.fromstring(Wizard.get_views([(False, "form")])["views"]["form"]["arch"])
        year = arch.xpath("//field[@name='year']")[0]
        self.assertIn("'enable_formatting': False", year.get("options").replace("false", "False"))
        contract = self.prepaid_contract()
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        wizard = Wizard.create({"year": 2026, "month": "10"})
        for action in (wizard.action_preview(), wizard.action_generate()):
            self.assertEqual(action["name"], "Close a Month")

    def test_contracts_list_shows_draft_and_suspended_by_default(self):
        draft = self.create_contract()
        suspended = self.create_contract(partner=self.other_customer)
        suspended.state = "suspended"
        closed = self.create_contract()
        closed.state = "closed"
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "miko_support_contract.miko_support_contract_action"
        )
        context = safe_eval(action["context"], {"uid": self.env.uid})
        Contract = self.env["miko.support.contract"]
        search = etree.fromstring(
            Contract.get_views([(False, "search")])["views"]["search"]["arch"]
        )
        domain = []
        for key in context:
            if key.startswith("search_default_"):
                node = search.xpath(f"//filter[@name='{key[len('search_default_') :]}']")[0]
                domain += safe_eval(node.get("domain"), {"uid": self.env.uid})
        shown = Contract.search(domain)
        self.assertIn(draft, shown)
        self.assertIn(suspended, shown)
        self.assertNotIn(closed, shown)


@tagged("post_install", "-at_install")
class TestCustomerForm(MikoSupportCommon, HttpCase):
    FORM = {
        "organisation": "ООО «Форма клиента»",
        "contact_name": "Иванова Мария",
        "phone": "+7 985 123-45-67",
        "email": "m@romashka.example",
        "registration_number": "QQ-654321",
        "description": "Не приходят звонки",
    }

    def post_form(self, **values):
        page = self.url_open("/support/request")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return self.url_open("/support/request", data={**self.FORM, "csrf_token": token, **values})

    def requests(self):
        return (
            self.env["project.task"]
            .sudo()
            .search([("miko_organisation", "=", self.FORM["organisation"])])
        )

    def test_contact_email_reads_as_typed_on_the_request(self):
        response = self.post_form()
        self.assertEqual(response.status_code, 200, response.text[-2000:])
        request = self.requests()
        self.assertEqual(len(request), 1)
        self.assertNotIn("=?utf-8?", request.email_from)
        self.assertIn("Иванова Мария", request.email_from)
        self.assertIn("m@romashka.example", request.email_from)

    def test_an_extension_is_no_contact_phone(self):
        response = self.post_form(phone="123")
        self.assertEqual(response.status_code, 400)
        self.assertIn("123", response.text)
        self.assertFalse(self.requests())


@tagged("post_install", "-at_install")
class TestCustomerPortalChart(StatementCommon, HttpCase):
    def test_balance_chart_has_axes_dates_and_amounts(self):
        self.authenticate(self.portal_user.login, "miko_portal_pw")
        page = self.url_open(f"/my/support/{self.contract.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_miko_chart_axis_x", page.text)
        self.assertIn("o_miko_chart_axis_y", page.text)
        dates = re.findall(r'class="o_miko_chart_date"[^>]*>([^<]+)<', page.text)
        amounts = re.findall(r'class="o_miko_chart_amount"[^>]*>([^<]+)<', page.text)
        self.assertEqual(len(dates), 5, dates)
        self.assertTrue(all(re.search(r"\d", label) for label in dates), dates)
        self.assertTrue(amounts, "the balances of the vertical axis are labelled")


@tagged("post_install", "-at_install")
class TestProbingFindings(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls.create_contract()
        cls.request = (
            cls.env["project.task"]
            .with_company(cls.company)
            .create(
                {
                    "name": "Карточка звонка не всплывает",
                    "miko_contract_id": cls.contract.id,
                    "user_ids": [Command.set(cls.engineer.ids)],
                }
            )
        )

    def email_activities(self):
        return self.env["miko.support.activity"].search([("request_id", "=", self.request.id)])

    def test_remember_mapping_adds_the_callers_phone(self):
        self.customer.phone = "+7 (985) 123-45-67"
        Capture = self.env["miko.support.capture"]
        # a call from a number no customer has, as the PBX import queues it
        item = self.env["miko.support.activity.unmatched"].create(
            {
                "company_id": self.company.id,
                "reason": "customer",
                "source": "pbx",
                "source_ref": "1793620000.40",
                "engineer_ref": "101",
                "customer_ref": "74953334455",
                "kind": "call_in",
                "date_begin": datetime(2026, 11, 2, 9, 0),
                "date_end": datetime(2026, 11, 2, 9, 3),
                "subject": "Входящий звонок от 74953334455",
            }
        )
        item.write({"contract_id": self.contract.id, "user_id": self.engineer.id, "remember": True})
        item.action_assign()
        self.assertEqual(self.customer.phone, "+7 (985) 123-45-67", "the main phone stays")
        _reason, contract = Capture._contract_by_phone(item.customer_ref, self.company)
        self.assertEqual(contract, self.contract, "the caller's number now finds the customer")
        self.assertIn(item.customer_ref, self.customer.child_ids.mapped("phone"))

    def test_internal_user_outside_support_comments_on_a_request(self):
        employee = self.new_user("miko_employee", "base.group_user")
        self.request.with_user(employee).message_post(
            body="Клиент звонил мне напрямую",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.assertIn("Клиент звонил мне напрямую", self.request.message_ids[0].body)
        self.assertFalse(self.email_activities(), "nobody is billed for a colleague's comment")

    def test_incoming_customer_email_is_not_billed(self):
        self.request.message_post(
            body="Спасибо, заработало",
            author_id=self.customer_contact.id,
            email_from="m@romashka.example",
            message_type="email",
            subtype_xmlid="mail.mt_comment",
        )
        self.assertFalse(self.email_activities())
        self.request.with_user(self.engineer).message_post(
            body="Проверьте настройки",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.customer_contact.ids,
        )
        self.assertEqual(self.email_activities().kind, "email_out")

    def test_engineer_proposes_a_vendor_bug_a_manager_confirms(self):
        self.request.with_user(self.engineer).message_post(
            body="Исправлено в релизе", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        activity = self.email_activities().with_user(self.engineer)
        with self.assertRaisesRegex(UserError, "only a support manager"):
            activity.is_vendor_bug = True
        with self.assertRaisesRegex(UserError, "only a support manager"):
            activity.action_mark_vendor_bug("BUG-9")
        activity.action_propose_vendor_bug("BUG-9", "2026.4")
        self.assertEqual((activity.vendor_bug_proposed, activity.is_vendor_bug), (True, False))
        manager = self.new_user("miko_manager", "miko_support_contract.group_manager")
        activity.with_user(manager).action_confirm_vendor_bug()
        self.assertEqual((activity.vendor_bug_proposed, activity.is_vendor_bug), (False, True))
        self.assertEqual(activity.bug_reference, "BUG-9")

    def test_low_balance_threshold_defaults_to_two_hours_of_work(self):
        # 120 minutes at 1700 ₽ an hour: the early statement goes out before the wallet is empty
        self.assertEqual(self.contract.low_balance_type, "amount")
        self.assertEqual(self.contract.low_balance_amount, 3400.0)
        chosen = self.create_contract(low_balance_amount=1000)
        self.assertEqual(chosen.low_balance_amount, 1000.0)
        self.contract.set_hourly_rate(2000, date(2027, 1, 1))
        self.assertEqual(self.contract.low_balance_amount, 3400.0, "a new rate keeps it")


@tagged("post_install", "-at_install")
class TestUpdEmailCopy(MikoUpdCommon):
    def test_upd_email_copy_goes_to_the_licence_registration_email(self):
        contract = self.prepaid_contract(upd_channel="post")
        self.env["miko.support.licence"].create(
            {
                "contract_id": contract.id,
                "registration_number": "PT-777777",
                "product_name": "panel_1c",
                "registration_email": "licence@romashka.example",
            }
        )
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        upd = self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        upd.tracking_number = "12345678901234"
        upd.action_mark_posted()
        mails = self.env["mail.mail"].search(
            [("model", "=", "miko.support.upd"), ("res_id", "=", upd.id)]
        )
        recipients = mails.mapped("email_to") + mails.recipient_ids.mapped("email")
        self.assertIn("licence@romashka.example", ",".join(filter(None, recipients)))


@tagged("post_install", "-at_install")
class TestEngineerTour(MikoSupportCommon, MikoTourCase):
    def test_engineer_logs_an_activity_from_the_work_menu(self):
        contract = self.create_contract()
        self.engineer.write({"tz": "UTC", "lang": "ru_RU"})
        self.start_tour("/odoo", "miko_engineer_day", login=self.engineer.login)
        activity = self.env["miko.support.activity"].search(
            [("subject", "=", "Звонок из тура инженера")]
        )
        self.assertEqual(activity.contract_id, contract)
        self.assertEqual(activity.user_id, self.engineer)
        self.assertEqual(activity.raw_seconds, 20 * 60)
