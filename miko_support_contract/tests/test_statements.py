import io
import re
from datetime import date

import openpyxl
from freezegun import freeze_time

from odoo.tests import HttpCase, tagged
from odoo.tools import format_date

from .common import MikoSupportCommon


class StatementCommon(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls.create_contract(
            contact_ids=[(6, 0, cls.customer_contact.ids)], low_balance_amount=1000
        )
        invoice = cls.contract.create_prepayment_invoice(amount=3400)
        invoice.action_post()
        cls.pay(invoice, 3400, date(2026, 11, 2))

    def work(self, ref, start, end, contract=None):
        result = self.env["miko.support.contract"].register_activities(
            [
                {
                    "contract": (contract or self.contract).id,
                    "engineer": self.engineer.login,
                    "kind": "remote",
                    "start": start,
                    "end": end,
                    "subject": f"Удалённое подключение [{ref}]",
                    "description": "Настройка",
                    "source": "test",
                    "source_ref": ref,
                }
            ]
        )
        self.assertFalse(result["errors"])
        self.env["miko.support.contract"]._cron_post_consumption()

    def run_cron(self, xmlid):
        """Run a scheduled action's code as the scheduler would (its model and code)."""
        cron = self.env.ref(f"miko_support_contract.{xmlid}")
        self.assertEqual(cron.model_id.model, "miko.support.statement")
        cron.ir_actions_server_id.sudo().run()

    def statement_messages(self, contract=None):
        return (contract or self.contract).message_ids.filtered(
            lambda m: m.attachment_ids and "Statement" in (m.attachment_ids[0].name or "")
        )


@tagged("post_install", "-at_install")
class TestStatements(StatementCommon):
    def test_pdf_and_xlsx_show_the_ledger_numbers(self):
        self.work("s1", "2026-11-03T10:00:00+03:00", "2026-11-03T11:00:00+03:00")
        statement = self.contract.get_statement(date(2026, 11, 1), date(2026, 11, 30))
        self.assertAlmostEqual(statement["balance_end"], 1700.0)
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "miko_support_contract.action_report_support_statement",
            self.contract.ids,
            data={"date_from": "2026-11-01", "date_to": "2026-11-30"},
        )
        text = re.sub(r"\s+", " ", html.decode())
        self.assertIn("Удалённое подключение [s1]", text)
        for amount in ("1\u00a0700,00", "3\u00a0400,00"):
            self.assertIn(amount.replace("\u00a0", ""), text.replace("\u00a0", "").replace(" ", ""))
        workbook = openpyxl.load_workbook(
            io.BytesIO(
                self.env["miko.support.statement"]._xlsx(
                    self.contract, date(2026, 11, 1), date(2026, 11, 30)
                )
            )
        )
        values = [cell for row in workbook.active.iter_rows(values_only=True) for cell in row]
        self.assertIn("Удалённое подключение [s1]", values)
        self.assertIn(1700.0, values)
        self.assertIn(3400.0, values)

    def test_statement_renders_as_a_real_pdf(self):
        self.work("pdf", "2026-11-03T10:00:00+03:00", "2026-11-03T11:00:00+03:00")
        pdf, _format = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(
                "miko_support_contract.action_report_support_statement",
                self.contract.ids,
                data={"date_from": "2026-11-01", "date_to": "2026-11-30"},
            )
        )
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_xlsx_cells_cannot_become_formulas(self):
        self.work("=HYPERLINK(1)", "2026-11-03T10:00:00+03:00", "2026-11-03T10:10:00+03:00")
        workbook = openpyxl.load_workbook(
            io.BytesIO(
                self.env["miko.support.statement"]._xlsx(
                    self.contract, date(2026, 11, 1), date(2026, 11, 30)
                )
            )
        )
        texts = [c for r in workbook.active.iter_rows(values_only=True) for c in r if c]
        self.assertIn("Удалённое подключение [=HYPERLINK(1)]", texts)
        self.assertFalse([t for t in texts if isinstance(t, str) and t.startswith("=")])

    def test_weekly_statement_once_per_week(self):
        other = self.create_contract(partner=self.other_customer)
        other.state = "active"  # no activity, zero balance: nothing to send
        self.work("w1", "2026-11-18T10:00:00+03:00", "2026-11-18T10:30:00+03:00")
        with freeze_time("2026-11-23 03:00:00"):
            # the cron record runs the service
            self.run_cron("ir_cron_send_weekly_statements")
            self.assertEqual(len(self.statement_messages()), 1)
            message = self.statement_messages()
            self.assertIn(self.customer_contact, message.partner_ids)
            # the period in the date format of the customer's language
            reader = self.env(context={"lang": self.customer.lang or "en_US"})
            self.assertIn(format_date(reader, date(2026, 11, 16)), message.subject)
            self.assertFalse(self.statement_messages(other))
            self.assertEqual(self.env["miko.support.statement"]._cron_send_weekly_statements(), 0)
            self.assertEqual(len(self.statement_messages()), 1)
        with freeze_time("2026-11-30 03:00:00"):
            # a balance but no activity last week: still sent
            self.env["miko.support.statement"]._cron_send_weekly_statements()
            self.assertEqual(len(self.statement_messages()), 2)
            self.assertFalse(self.statement_messages(other))

    def test_early_statement_once_per_crossing(self):
        Statement = self.env["miko.support.statement"]
        self.run_cron("ir_cron_send_balance_alerts")  # whatever the demo data queued
        self.work("a1", "2026-11-03T10:00:00+03:00", "2026-11-03T10:30:00+03:00")  # 2550 left
        self.assertFalse(self.contract.balance_alert_pending)
        self.work("a2", "2026-11-04T10:00:00+03:00", "2026-11-04T11:00:00+03:00")  # 850: low
        self.assertEqual(self.contract.balance_alert_level, "low")
        self.assertEqual(Statement._cron_send_balance_alerts(), 1)
        self.assertEqual(Statement._cron_send_balance_alerts(), 0)
        self.work("a3", "2026-11-05T10:00:00+03:00", "2026-11-05T10:10:00+03:00")  # still low
        self.assertEqual(Statement._cron_send_balance_alerts(), 0)
        self.work("a4", "2026-11-06T10:00:00+03:00", "2026-11-06T11:00:00+03:00")  # negative
        self.assertEqual(self.contract.balance_alert_level, "negative")
        self.assertEqual(Statement._cron_send_balance_alerts(), 1)
        self.assertEqual(len(self.statement_messages()), 2)
        invoice = self.contract.create_prepayment_invoice(amount=17000)
        invoice.action_post()
        self.pay(invoice, 17000, date(2026, 11, 7))
        self.assertEqual(self.contract.balance_alert_level, "none")
        self.assertEqual(Statement._cron_send_balance_alerts(), 0)

    def test_statement_wizard_preview(self):
        self.work("p1", "2026-11-03T10:00:00+03:00", "2026-11-03T11:00:00+03:00")
        wizard = (
            self.env["miko.support.statement.wizard"]
            .with_user(self.sales)
            .create(
                {
                    "contract_id": self.contract.id,
                    "date_from": date(2026, 11, 1),
                    "date_to": date(2026, 11, 30),
                }
            )
        )
        self.assertEqual(
            (wizard.billed_minutes, wizard.performed_amount, wizard.balance_end), (60, 1700, 1700)
        )
        action = wizard.action_export_xlsx()
        self.assertIn("xlsx_file", action["url"])
        self.assertTrue(wizard.xlsx_file)


@tagged("post_install", "-at_install")
class TestSupportPortal(HttpCase, StatementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_contract = cls.create_contract(partner=cls.other_customer)
        cls.portal_user.password = "miko_portal_pw"

    def setUp(self):
        super().setUp()
        self.work("t1", "2026-11-03T10:00:00+03:00", "2026-11-03T10:30:00+03:00")
        self.authenticate(self.portal_user.login, "miko_portal_pw")

    def test_own_contract_and_statement(self):
        response = self.url_open("/my/support")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.contract.name, response.text)
        self.assertNotIn(self.other_contract.name, response.text)
        page = self.url_open(f"/my/support/{self.contract.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_miko_balance_chart", page.text)
        # the closing block of Appendix 2 for the last 30 days
        self.assertIn("o_miko_closing_performed", page.text)
        self.assertIn("o_miko_closing_closing", page.text)
        statement = self.url_open(
            f"/my/support/{self.contract.id}/statement?date_from=2026-11-01&date_to=2026-11-30"
            "&file_format=xlsx"
        )
        self.assertEqual(statement.status_code, 200)
        sheet = openpyxl.load_workbook(io.BytesIO(statement.content)).active
        self.assertIn(
            "Удалённое подключение [t1]", [c for r in sheet.iter_rows(values_only=True) for c in r]
        )
        bad = self.url_open(
            f"/my/support/{self.contract.id}/statement?date_from=2026-12-01&date_to=2026-11-01"
        )
        self.assertEqual(bad.status_code, 400)

    def test_other_customer_gets_nothing(self):
        for url in (
            f"/my/support/{self.other_contract.id}",
            f"/my/support/{self.other_contract.id}/statement?date_from=2026-11-01"
            "&date_to=2026-11-30&file_format=xlsx",
            f"/my/support/{self.other_contract.id}?access_token={self.contract._portal_ensure_token()}",
        ):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 404, url)
            self.assertNotIn(self.other_contract.name, response.text)
        self.authenticate(None, None)
        response = self.url_open(f"/my/support/{self.contract.id}")
        self.assertNotIn("o_miko_balance_chart", response.text)
        token = self.contract._portal_ensure_token()
        response = self.url_open(f"/my/support/{self.contract.id}?access_token={token}")
        self.assertIn("o_miko_balance_chart", response.text)

    def test_consent_and_statement_request_from_the_portal(self):
        self.work("t2", "2026-11-04T10:00:00+03:00", "2026-11-04T12:00:00+03:00")  # negative
        page = self.url_open(f"/my/support/{self.contract.id}").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = self.url_open(
            f"/my/support/{self.contract.id}/consent", data={"csrf_token": csrf}
        )
        self.assertEqual(response.status_code, 200)
        consent = self.contract.overrun_consent_ids
        self.assertEqual(consent.partner_id, self.customer_contact)
        self.assertEqual(consent.method, "portal")
        self.url_open(
            f"/my/support/{self.contract.id}/request_statement", data={"csrf_token": csrf}
        )
        self.assertEqual(len(self.statement_messages()), 1)

    def test_portal_tour_downloads_a_statement(self):
        self.start_tour("/my", "miko_portal_statement", login=self.portal_user.login)
        today = date.today()
        response = self.url_open(
            f"/my/support/{self.contract.id}/statement?date_from={today.replace(day=1)}"
            f"&date_to={today}&file_format=pdf"
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        # test mode renders the report's HTML instead of calling wkhtmltopdf
        self.assertIn(self.contract.name, response.text)
