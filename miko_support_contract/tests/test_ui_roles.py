"""Each role's day in the browser, from the home screen through the real menus; the tours save
screenshots of the main screens to ``.local/screenshots/`` (see ``common_tour.py``)."""

from odoo.tests import tagged

from .common_tour import MikoTourCase


@tagged("post_install", "-at_install")
class TestRoleTours(MikoTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("miko_support_contract.company_miko_demo")
        cls.env["res.users"].search(
            [("login", "in", ("admin", "orlova", "osipova", "romashka"))]
        ).write({"lang": "ru_RU"})

    def test_admin_saves_the_settings_and_the_company(self):
        admin = self.env.ref("base.user_admin")
        admin.write({"company_ids": [(4, self.company.id)], "company_id": self.company.id})
        self.start_tour("/odoo", "miko_admin_settings", login="admin", timeout=120)
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param("miko_support_contract.email_minutes"), "7")
        self.assertEqual(self.company.miko_postal_address, "101000, Москва, а/я 17")

    def test_sales_creates_a_customer_a_contract_and_its_invoice(self):
        self.start_tour("/odoo", "miko_sales_day", login="orlova", timeout=120)
        contract = self.env["miko.support.contract"].search(
            [("partner_id.name", "=", "ООО «Клиент из тура»")]
        )
        self.assertEqual(len(contract), 1)
        self.assertEqual(contract.company_id, self.company)
        invoice = self.env["account.move"].search(
            [("partner_id", "=", contract.partner_id.id), ("move_type", "=", "out_invoice")]
        )
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_total, 17000)
        self.assertEqual(invoice.journal_id, self.company.miko_prepayment_journal_id)

    def test_customer_uses_the_portal_and_the_request_form(self):
        self.start_tour("/my", "miko_customer_day", login="romashka", timeout=120)
        request = (
            self.env["project.task"].sudo().search([("description", "ilike", "из тура клиента")])
        )
        self.assertEqual(len(request), 1)
        self.assertEqual(request.miko_contract_id.partner_id.name, "ООО «Ромашка»")
        self.assertEqual(request.miko_registration_number, "PT-100234")

    def test_finance_registers_a_payment_closes_the_month_and_records_its_upds(self):
        # the demo sends last month's UPDs itself: the tour records the delivery of the one sent
        contract = self.env["miko.support.contract"].search(
            [("partner_id.name", "=", "ООО «ТехноСтрой»")]
        )
        self.assertEqual(contract.state, "draft")
        Upd = self.env["miko.support.upd"]
        before = Upd.search([("company_id", "=", self.company.id)])
        self.assertTrue(before.filtered(lambda upd: upd.state == "sent"))
        self.start_tour("/odoo", "miko_finance_day", login="osipova", timeout=180)
        self.assertEqual(contract.state, "active")
        self.assertEqual(contract.balance, 13600)
        upds = Upd.search([("company_id", "=", self.company.id)])
        self.assertEqual(upds, before, "closing the month again makes no second UPD")
        delivered = upds.filtered(lambda upd: upd.state == "delivered")
        self.assertEqual(len(delivered), 1)
        self.assertTrue(delivered.delivery_date)
