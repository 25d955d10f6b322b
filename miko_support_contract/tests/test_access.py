from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import MikoSupportCommon


@tagged("post_install", "-at_install")
class TestAccess(MikoSupportCommon):
    def test_sales_create_contracts_and_invoices(self):
        contract = (
            self.env["miko.support.contract"]
            .with_user(self.sales)
            .create({"partner_id": self.customer.id, "company_id": self.company.id})
        )
        contract.set_hourly_rate(1700, "2018-01-01")
        invoice = contract.create_prepayment_invoice(hours=2)
        self.assertEqual(invoice.amount_total, 3400)
        self.assertTrue(contract.name.startswith("ТП-"))
        with self.assertRaises(AccessError):
            contract.unlink()

    def test_engineer_reads_basics_only(self):
        contract = self.create_contract()
        Contract = self.env["miko.support.contract"].with_user(self.engineer)
        self.assertEqual(Contract.search([("id", "=", contract.id)]), contract)
        with self.assertRaises(AccessError):
            Contract.create({"partner_id": self.customer.id})
        with self.assertRaises(AccessError):
            contract.with_user(self.engineer).write({"upd_channel": "post"})
        with self.assertRaises(AccessError):
            self.env["miko.support.rate"].with_user(self.engineer).search([])

    def test_finance_does_money(self):
        contract = self.create_contract()
        Entry = self.env["miko.support.wallet.entry"].with_user(self.finance)
        Entry._post_adjustment(contract, 500, "correction", self.finance)
        self.assertEqual(contract.balance, 500)
        self.assertEqual(Entry.search_count([("contract_id", "=", contract.id)]), 1)

    def test_portal_reads_only_own_company(self):
        mine = self.create_contract()
        theirs = self.create_contract(partner=self.other_customer)
        Contract = self.env["miko.support.contract"].with_user(self.portal_user)
        self.assertEqual(Contract.search([]), mine)
        self.assertEqual(mine.with_user(self.portal_user).name, mine.name)
        with self.assertRaises(AccessError):
            theirs.with_user(self.portal_user).read(["name"])
        with self.assertRaises(AccessError):
            mine.with_user(self.portal_user).write({"upd_channel": "post"})
        other = self.env["miko.support.contract"].with_user(self.other_portal_user)
        self.assertEqual(other.search([]), theirs)

    def test_multi_company_isolation(self):
        contract = self.create_contract()
        other_company = self.setup_other_company()["company"]
        stranger = self.env["res.users"].create(
            {
                "name": "Stranger",
                "login": "stranger_sales",
                "company_id": other_company.id,
                "company_ids": [Command.set(other_company.ids)],
                "group_ids": [Command.set([self.env.ref("miko_support_contract.group_sales").id])],
            }
        )
        self.assertFalse(
            self.env["miko.support.contract"].with_user(stranger).search([("id", "=", contract.id)])
        )
