"""End to end: activities → billing → wallet → UPD of the month → portal."""

from datetime import date
from decimal import Decimal

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common_upd import MikoUpdCommon


@tagged("post_install", "-at_install")
class TestMonthFlow(HttpCase, MikoUpdCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls.prepaid_contract(amount=10000.0)
        cls.portal_user.password = "miko_portal_pw"
        records = []
        for day, (begin, end) in {
            6: ("10:00:00", "11:00:00"),  # 60
            7: ("10:00:00", "10:40:00"),  # 40 + an overlapping call billed once
            20: ("09:00:00", "10:38:00"),  # 98
        }.items():
            records.append(
                {
                    "contract": cls.contract.name,
                    "engineer": cls.engineer.login,
                    "kind": "remote",
                    "start": f"2026-10-{day:02d}T{begin}+03:00",
                    "end": f"2026-10-{day:02d}T{end}+03:00",
                    "subject": f"Удалённое подключение [{day}]",
                    "description": "",
                    "source": "flow",
                    "source_ref": f"flow-{day}",
                }
            )
        records.append(
            {
                **records[1],
                "kind": "call_out",
                "start": "2026-10-07T10:10:00+03:00",
                "end": "2026-10-07T10:20:00+03:00",
                "subject": "Исходящий звонок на 79851234567",
                "source_ref": "flow-call",
            }
        )
        Contract = cls.env["miko.support.contract"]
        assert not Contract.register_activities(records)["errors"]
        Contract._cron_post_consumption()

    def test_first_payment_prepares_the_timesheet_project(self):
        contract = self.prepaid_contract(amount=1000.0)
        self.assertEqual(contract.state, "active")
        project = contract.project_id
        self.assertTrue(project.allow_timesheets)
        self.assertEqual(project.partner_id, contract.partner_id)
        self.assertEqual(project.company_id, contract.company_id)
        lines = self.env["account.analytic.line"].search([("project_id", "=", project.id)])
        self.assertFalse(lines, "no timesheet before any work")

    def test_month_of_activities_closes_into_one_upd(self):
        totals = self.contract._service_totals(date(2026, 10, 1), date(2026, 10, 31))
        self.assertEqual(totals, {"amount": Decimal("5610.00"), "minutes": 198})
        upds = self.env["miko.support.upd"].generate_for_month(2026, 10)
        upd = upds.filtered(lambda u: u.contract_id == self.contract)
        self.assertEqual(len(upd), 1)
        self.assertAlmostEqual(upd.amount_total, 5610.0)
        xml = upd._xml_content()
        self.assertIn('Функция="ДОП"'.encode("cp1251"), xml)
        self.assertIn("без НДС".encode("cp1251"), xml)
        self.assertEqual(self.contract.locked_until, date(2026, 10, 31))
        activity = self.env["miko.support.activity"].search([("source_ref", "=", "flow-6")])
        with self.assertRaises(UserError):
            activity.date_end = activity.date_begin
        result = self.env["miko.support.contract"].register_activities(
            [
                {
                    "contract": self.contract.name,
                    "engineer": self.engineer.login,
                    "kind": "other",
                    "start": "2026-10-30T10:00:00+03:00",
                    "end": "2026-10-30T11:00:00+03:00",
                    "subject": "late entry",
                    "description": "",
                    "source": "flow",
                    "source_ref": "late",
                }
            ]
        )
        # late work of the closed month is accepted and charged in the first open month
        self.assertEqual((result["created"], result["errors"]), (1, []))
        self.env["miko.support.contract"].post_consumption()
        late = self.contract.entry_ids.filtered(lambda e: e.work_date == date(2026, 10, 30))
        self.assertEqual((late.date, late.minutes), (date(2026, 11, 1), 60))
        self.assertAlmostEqual(upd.amount_total, 5610.0, msg="the closed UPD does not change")
        self.assertEqual(self.contract._wallet_reconciliation()["difference"], 0)

    def test_portal_shows_own_upd_files_only(self):
        upd = self.env["miko.support.upd"].generate_for_month(2026, 10, self.contract.ids)
        other = self.prepaid_contract(partner=self.other_customer, amount=1000.0)
        self.authenticate(self.portal_user.login, "miko_portal_pw")
        page = self.url_open(f"/my/support/{self.contract.id}")
        self.assertIn(upd.name, page.text)
        xml = self.url_open(f"/my/support/{self.contract.id}/upd/{upd.id}/xml")
        self.assertEqual(xml.status_code, 200)
        self.assertEqual(xml.content, upd._xml_content())
        for url in (
            f"/my/support/{other.id}/upd/{upd.id}/xml",
            f"/my/support/{self.contract.id}/upd/{upd.id + 100000}/xml",
            f"/my/support/{self.contract.id}/upd/{upd.id}/signed",
        ):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 404, url)
            self.assertNotIn(b"<?xml", response.content[:10])

    def test_printable_upd_is_a_real_pdf_in_two_copies(self):
        upd = self.env["miko.support.upd"].generate_for_month(2026, 10, self.contract.ids)
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        pdf, _format = Report._render_qweb_pdf("miko_support_contract.action_report_upd", upd.ids)
        self.assertTrue(pdf.startswith(b"%PDF"))
        html, _format = Report._render_qweb_html(
            "miko_support_contract.action_report_upd_post", upd.ids
        )
        self.assertGreaterEqual(html.decode().count("Универсальный передаточный"), 2)
