from datetime import date

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
        cls.engineer = cls.new_user("miko_engineer", "miko_support_contract.group_engineer")
        cls.sales = cls.new_user("miko_sales", "miko_support_contract.group_sales")
        cls.finance = cls.new_user("miko_finance", "miko_support_contract.group_finance")
        cls.portal_user = cls.new_user(
            "miko_portal", "base.group_portal", partner_id=cls.customer_contact.id
        )
        cls.other_portal_user = cls.new_user(
            "miko_portal_other", "base.group_portal", partner_id=cls.other_contact.id
        )

    @classmethod
    def new_user(cls, login, groups, **values):
        """A user of the vendor company with the least privilege a scenario needs."""
        return new_test_user(
            cls.env,
            login,
            groups=groups,
            company_id=cls.company.id,
            company_ids=cls.company.ids,
            **values,
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
