import re
from datetime import date, datetime, timedelta

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import MikoSupportCommon


def msk(*args):
    """A Moscow wall-clock time (UTC+3 all year) as the naive UTC datetime Odoo stores."""
    return datetime(*args) - timedelta(hours=3)


@tagged("post_install", "-at_install")
class TestResponseDeadline(MikoSupportCommon):
    def assertDeadline(self, arrival, expected):
        Contract = self.env["miko.support.contract"].with_company(self.company)
        self.assertEqual(Contract.compute_response_deadline(arrival), expected)

    def test_tuesday_morning_next_day_same_time(self):
        # Tuesday 11 March 2025, 10:00 Moscow -> Wednesday 10:00
        self.assertDeadline(msk(2025, 3, 11, 10), msk(2025, 3, 12, 10))

    def test_friday_evening_moves_to_monday_opening(self):
        # Friday 17:00 + 24 h = Saturday 17:00, closed -> Monday 9:00
        self.assertDeadline(msk(2025, 3, 14, 17), msk(2025, 3, 17, 9))

    def test_saturday_counts_from_monday_opening(self):
        # Saturday 12:00 -> counted from Monday 9:00 -> Tuesday 9:00
        self.assertDeadline(msk(2025, 3, 15, 12), msk(2025, 3, 18, 9))

    def test_day_before_public_holiday_skips_it(self):
        # Tuesday 11 June 2024 10:00; 12 June (Russia Day) is closed -> Thursday 9:00
        self.assertDeadline(msk(2024, 6, 11, 10), msk(2024, 6, 13, 9))

    def test_accepts_rpc_strings_and_company_time_zone(self):
        Contract = self.env["miko.support.contract"].with_company(self.company)
        self.assertEqual(
            Contract.compute_response_deadline("2025-03-11 07:00:00"), datetime(2025, 3, 12, 7)
        )
        self.company.miko_support_tz = "Asia/Yekaterinburg"  # UTC+5
        self.assertEqual(
            Contract.compute_response_deadline(datetime(2025, 3, 14, 12)),
            datetime(2025, 3, 17, 4),
            "Friday 17:00 in Yekaterinburg -> Monday 9:00 there",
        )

    def test_request_shows_deadline_time_left_and_breach(self):
        contract = self.create_contract()
        licence = self.env["miko.support.licence"].create(
            {
                "contract_id": contract.id,
                "registration_number": "PT-100234",
                "product_name": "panel_1c",
            }
        )
        Task = self.env["project.task"].with_company(self.company)
        request = Task.create(
            {
                "name": "No incoming calls",
                "miko_registration_number": " pt-100234 ",
                "miko_arrival": msk(2025, 3, 14, 17),
            }
        )
        self.assertTrue(request.miko_is_request)
        self.assertEqual(request.project_id.company_id, self.company)
        self.assertEqual(request.miko_registration_number, licence.registration_number)
        self.assertEqual(request.miko_contract_id, contract)
        self.assertEqual(request.partner_id, self.customer)
        self.assertFalse(request.miko_unknown_registration)
        self.assertEqual(request.miko_deadline, msk(2025, 3, 17, 9))
        # Friday 17:30: half an hour on Friday and none on Monday before 9:00 left
        self.assertAlmostEqual(
            request.with_context(miko_now=msk(2025, 3, 14, 17, 30)).miko_time_left, 0.5
        )
        self.assertAlmostEqual(
            request.with_context(miko_now=msk(2025, 3, 17, 11)).miko_time_left, -2.0
        )

        on_time = Task.create({"name": "On time", "miko_contract_id": contract.id})
        on_time.action_miko_start_work()
        self.assertTrue(on_time.miko_work_start)
        late = Task.search(Task._miko_breach_domain())
        self.assertIn(request, late)
        self.assertNotIn(on_time, late)
        late._miko_escalate_breach()
        self.assertTrue(request.miko_deadline_breached)
        self.assertFalse(on_time.miko_deadline_breached)
        activity = request.activity_ids
        self.assertEqual(activity.user_id, contract.user_id)
        # the note (in the escalation user's language) names the request and its deadline, 9:00
        # Moscow time
        self.assertTrue(
            any(
                request.display_name in str(m.body) and "09:00" in str(m.body)
                for m in request.message_ids
            )
        )
        self.assertNotIn(request, Task.search(Task._miko_breach_domain()), "escalated once")

        report = self.env["miko.support.request.compliance"].search(
            [("contract_id", "=", contract.id), ("month", "=", date(2025, 3, 1))]
        )
        self.assertEqual((report.request_count, report.breached_count), (1, 1))

    def test_engineers_work_requests_portal_does_not_see_them(self):
        contract = self.create_contract()
        request = (
            self.env["project.task"]
            .with_user(self.engineer)
            .with_company(self.company)
            .create({"name": "Engineer's request", "miko_contract_id": contract.id})
        )
        request.action_miko_start_work()
        self.assertTrue(request.miko_work_start)
        self.assertFalse(request.miko_deadline_breached)
        Report = self.env["miko.support.request.compliance"].with_user(self.engineer)
        self.assertEqual(Report.search([("contract_id", "=", contract.id)]).request_count, 1)
        with self.assertRaises(AccessError):
            request.with_user(self.portal_user).read(["name"])

    def test_time_zone_change_keeps_given_deadlines(self):
        contract = self.create_contract()
        request = (
            self.env["project.task"]
            .with_company(self.company)
            .create(
                {
                    "miko_contract_id": contract.id,
                    "name": "Tz",
                    "miko_arrival": msk(2025, 3, 11, 10),
                }
            )
        )
        self.company.miko_support_tz = "Asia/Vladivostok"
        self.assertEqual(request.miko_deadline, msk(2025, 3, 12, 10))

    def test_leaving_first_stage_starts_work(self):
        contract = self.create_contract()
        request = (
            self.env["project.task"]
            .with_company(self.company)
            .create({"name": "Stage", "miko_contract_id": contract.id})
        )
        stages = request.project_id.type_ids.sorted("sequence")
        self.assertEqual(request.stage_id, stages[0])
        self.assertFalse(request.miko_work_start)
        request.stage_id = stages[1]
        self.assertTrue(request.miko_work_start)

    def test_unknown_registration_number_is_flagged_not_lost(self):
        request = (
            self.env["project.task"]
            .with_company(self.company)
            .with_context(miko_support_request=True)
            .create({"name": "Who am I", "miko_registration_number": "ZZ-000000"})
        )
        self.assertTrue(request.miko_is_request)
        self.assertTrue(request.miko_unknown_registration)
        self.assertFalse(request.miko_contract_id)
        self.assertTrue(request.miko_deadline)

    def test_alias_mail_finds_the_registration_number(self):
        contract = self.create_contract()
        self.env["miko.support.licence"].create(
            {
                "contract_id": contract.id,
                "registration_number": "CL-220871",
                "product_name": "call_log_1c",
            }
        )
        project = self.env["project.project"]._miko_support_project(self.company)
        request = self.env["project.task"].message_new(
            {
                "subject": "Журнал звонков CL-220871 не работает",
                "body": "<p>Помогите</p>",
                "email_from": "Мария <m@romashka.example>",
            },
            custom_values={"project_id": project.id},
        )
        self.assertEqual(request.miko_contract_id, contract)
        self.assertEqual(request.miko_contact_name, "Мария")
        self.assertTrue(request.miko_arrival)


@tagged("post_install", "-at_install")
class TestSuspension(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"miko_auto_suspend": True, "miko_suspend_grace_days": 14})

    def make_debtor(self, paid=1000, consumed=1700, consumed_on=date(2018, 4, 20)):
        contract = self.create_contract()
        invoice = contract.create_prepayment_invoice(amount=paid)
        invoice.action_post()
        self.pay(invoice, paid, date(2018, 4, 2))
        self.env["miko.support.wallet.entry"].create(
            {
                "contract_id": contract.id,
                "date": consumed_on,
                "kind": "consumption",
                "amount": -consumed,
                "minutes": 60,
                "name": "minutes",
            }
        )
        return contract

    def due(self, today):
        Contract = self.env["miko.support.contract"]
        return Contract.search(Contract._auto_suspend_domain())._auto_suspend(today)

    def test_negative_balance_past_grace_suspends(self):
        debtor = self.make_debtor()
        solvent = self.make_debtor(paid=5000)
        self.assertFalse(self.due(date(2018, 4, 30)), "inside the 14 grace days")
        self.assertEqual(debtor.state, "active")
        self.assertEqual(self.due(date(2018, 5, 4)), debtor)
        self.assertEqual(debtor.state, "suspended")
        self.assertEqual(solvent.state, "active")
        self.assertTrue(any("suspended automatically" in m.body for m in debtor.message_ids))

    def test_unpaid_additional_invoice_past_grace_suspends(self):
        self.company.miko_suspend_grace_days = 30
        debtor = self.make_debtor(consumed_on=date(2018, 4, 28))
        self.env["miko.support.overrun.consent"].create(
            {"contract_id": debtor.id, "partner_id": self.customer_contact.id, "method": "letter"}
        )
        extra = debtor.action_create_overrun_invoice()
        extra.write({"invoice_date": date(2018, 4, 1), "invoice_date_due": date(2018, 4, 1)})
        extra.action_post()
        self.assertEqual(self.due(date(2018, 5, 5)), debtor, "the invoice is 34 days overdue")

    def test_no_auto_suspension_when_company_setting_is_off(self):
        self.company.miko_auto_suspend = False
        debtor = self.make_debtor()
        self.assertFalse(self.due(date(2019, 1, 1)))
        self.assertEqual(debtor.state, "active")

    def test_payment_resumes_only_when_the_debt_is_paid(self):
        debtor = self.make_debtor()
        self.due(date(2018, 6, 1))
        self.assertEqual(debtor.state, "suspended")
        top_up = debtor.create_prepayment_invoice(amount=1000)
        top_up.action_post()
        self.pay(top_up, 300, date(2018, 6, 2))
        self.assertEqual(debtor.state, "suspended", "still -400")
        self.pay(top_up, 700, date(2018, 6, 3))
        self.assertEqual(debtor.balance, 300)
        self.assertEqual(debtor.state, "active")

    def test_request_of_suspended_customer_is_accepted_and_marked(self):
        debtor = self.make_debtor()
        debtor.action_suspend()
        request = (
            self.env["project.task"]
            .with_user(self.engineer)
            .with_company(self.company)
            .create({"name": "Help", "miko_contract_id": debtor.id})
        )
        self.assertTrue(request.miko_suspended_on_arrival)
        self.assertEqual(request.miko_contract_state, "suspended")
        self.assertTrue(any("is suspended" in m.body for m in request.message_ids))

    def test_contract_rules(self):
        contract = self.make_debtor(paid=30000, consumed=10000, consumed_on=date.today())
        last_year = date.today().year - 1
        self.env["miko.support.wallet.entry"].create(
            {
                "contract_id": contract.id,
                "date": date(last_year, 6, 30),
                "kind": "consumption",
                "amount": -12345.67,
                "minutes": 60,
                "name": "last year",
            }
        )
        self.assertEqual(contract.liability_cap, 2469.13, "20% of last year's totals")
        self.assertTrue(contract.results_transferred)
        self.assertFalse(contract.confidentiality_until)
        contract.action_give_notice(date(2025, 1, 10))
        self.assertEqual(contract.confidentiality_until, date(2030, 2, 10))
        debtor = self.make_debtor()
        self.assertFalse(debtor.results_transferred, "balance not settled")


@tagged("post_install", "-at_install")
class TestRequestForm(MikoSupportCommon, HttpCase):
    FORM = {
        "organisation": "ООО «Тест формы»",
        "contact_name": "Иванова Мария",
        "phone": "+7 985 123-45-67",
        "email": "m@romashka.example",
        "registration_number": "QQ-123456",
        "description": "Панель не показывает звонки",
    }

    def assertMessage(self, english, russian, text):
        """The page speaks the visitor's language: English or Russian (i18n/ru.po)."""
        self.assertTrue(english in text or russian in text, f"{english!r} / {russian!r}")

    def post_form(self, files=None, **values):
        page = self.url_open("/support/request")
        self.assertEqual(page.status_code, 200, page.text[-3000:])
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return self.url_open(
            "/support/request", data={**self.FORM, "csrf_token": token, **values}, files=files
        )

    def requests(self):
        return (
            self.env["project.task"]
            .sudo()
            .search(
                [
                    ("miko_is_request", "=", True),
                    ("miko_organisation", "=", self.FORM["organisation"]),
                ]
            )
        )

    def test_missing_phone_is_refused_and_input_kept(self):
        response = self.post_form(phone="", description="Звонки & <теряются>")
        self.assertEqual(response.status_code, 400)
        self.assertMessage(
            "Contact phone is required.", "Поле «Контактный телефон» обязательно.", response.text
        )
        self.assertIn('value="Иванова Мария"', response.text)
        self.assertIn('value="QQ-123456"', response.text)
        self.assertIn("Звонки &amp; &lt;теряются&gt;", response.text)
        self.assertFalse(self.requests())

    def test_unknown_number_creates_a_flagged_request(self):
        response = self.post_form(files={"attachments": ("log.txt", b"SIP/2.0 403", "text/plain")})
        self.assertEqual(response.status_code, 200)
        request = self.requests()
        self.assertEqual(len(request), 1)
        self.assertTrue(request.miko_unknown_registration)
        self.assertEqual(request.miko_registration_number, "QQ-123456")
        self.assertEqual(request.miko_contact_phone, "+7 985 123-45-67")
        self.assertTrue(request.miko_deadline)
        self.assertIn(str(request.id), response.text)
        self.assertEqual(request.attachment_ids.mapped("name"), ["log.txt"])

    def test_known_number_goes_to_its_company_and_contract(self):
        contract = self.create_contract()
        self.env["miko.support.licence"].create(
            {
                "contract_id": contract.id,
                "registration_number": "PT-555555",
                "product_name": "panel_1c",
            }
        )
        self.post_form(registration_number="pt-555555")
        request = self.requests()
        self.assertEqual(request.miko_contract_id, contract)
        self.assertEqual(request.company_id, self.company)

    def test_spam_protection(self):
        self.post_form(website_url="http://spam.example")
        self.assertFalse(self.requests(), "the honeypot keeps nothing")
        self.env["ir.config_parameter"].set_param("miko_support_contract.request_rate_limit", "1")
        self.assertEqual(self.post_form().status_code, 200)
        refused = self.post_form()
        self.assertEqual(refused.status_code, 400)
        self.assertMessage(
            "Too many requests", "С вашего адреса отправлено слишком много обращений", refused.text
        )
        self.assertEqual(len(self.requests()), 1)
        self.env["ir.config_parameter"].set_param("miko_support_contract.request_rate_limit", "10")
        self.env["ir.config_parameter"].set_param(
            "miko_support_contract.request_max_upload_mb", "1"
        )
        big = self.post_form(files={"attachments": ("big.bin", b"0" * (1024 * 1024 + 1))})
        self.assertEqual(big.status_code, 400)
        self.assertMessage(
            "Attachments may total at most 1 MB.",
            "Общий размер вложений — не более 1 МБ.",
            big.text,
        )
        self.assertEqual(len(self.requests()), 1)

    def test_deadline_over_external_rpc(self):
        """The fixed integration call, as an integrator makes it (``execute_kw``)."""
        response = self.url_open(
            "/jsonrpc",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "service": "object",
                    "method": "execute_kw",
                    "args": [
                        self.env.cr.dbname,
                        self.env.ref("base.user_admin").id,
                        "admin",
                        "miko.support.contract",
                        "compute_response_deadline",
                        ["2025-03-14 14:00:00"],
                    ],
                },
            },
        )
        self.assertEqual(response.json().get("result"), "2025-03-17 06:00:00", response.text)

    def test_post_without_csrf_token_is_refused(self):
        response = self.url_open("/support/request", data=self.FORM)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.requests())
