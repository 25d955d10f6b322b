from datetime import date

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

# checksum-valid, invented requisites
VALID_INN = "7702190122"
VALID_KPP = "770201001"
VALID_OGRN = "1027766131865"
VALID_BIK = "044525987"
VALID_CORR = "30101810900000000987"
VALID_ACCOUNT = "40702810500000012345"


class MikoSupportCommon(AccountTestInvoicingCommon):
    """A vendor company with its advance account, a customer and one user per role."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.env.user.group_ids += cls.env.ref("miko_support_contract.group_manager")
        cls.company._miko_setup_support_accounting()
        cls.customer = cls.env["res.partner"].create(
            {"name": "ООО «Ромашка»", "is_company": True, "vat": VALID_INN, "miko_kpp": VALID_KPP}
        )
        cls.customer_contact = cls.env["res.partner"].create(
            {"name": "Иванова Мария", "parent_id": cls.customer.id, "email": "m@romashka.example"}
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "АО «Вектор»", "is_company": True}
        )
        cls.other_contact = cls.env["res.partner"].create(
            {"name": "Петров Алексей", "parent_id": cls.other_customer.id, "email": "p@v.example"}
        )
        company_ids = cls.company.ids
        cls.engineer = new_test_user(
            cls.env,
            "miko_engineer",
            groups="miko_support_contract.group_engineer",
            company_id=cls.company.id,
            company_ids=company_ids,
        )
        cls.sales = new_test_user(
            cls.env,
            "miko_sales",
            groups="miko_support_contract.group_sales",
            company_id=cls.company.id,
            company_ids=company_ids,
        )
        cls.finance = new_test_user(
            cls.env,
            "miko_finance",
            groups="miko_support_contract.group_finance",
            company_id=cls.company.id,
            company_ids=company_ids,
        )
        cls.portal_user = new_test_user(
            cls.env,
            "miko_portal",
            groups="base.group_portal",
            partner_id=cls.customer_contact.id,
            company_id=cls.company.id,
            company_ids=company_ids,
        )
        cls.other_portal_user = new_test_user(
            cls.env,
            "miko_portal_other",
            groups="base.group_portal",
            partner_id=cls.other_contact.id,
            company_id=cls.company.id,
            company_ids=company_ids,
        )

    @classmethod
    def create_contract(cls, partner=None, rate=1700, rate_from=date(2018, 1, 1), **vals):
        contract = cls.env["miko.support.contract"].create(
            {"partner_id": (partner or cls.customer).id, "company_id": cls.company.id, **vals}
        )
        if rate:
            contract.set_hourly_rate(rate, rate_from)
        return contract

    @classmethod
    def pay(cls, invoice, amount, payment_date):
        return (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"payment_date": payment_date, "amount": amount})
            ._create_payments()
        )

    @staticmethod
    def unreconcile(payment):
        payment.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).remove_move_reconcile()

    @staticmethod
    def contract_lines(n):
        return [
            Command.create({"registration_number": f"PT-{i:06d}", "product_name": "panel_1c"})
            for i in range(n)
        ]
