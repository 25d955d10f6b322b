"""The finance dashboard: balances by customer, minutes and revenue by month, UPDs by state and
days to zero, on the demo data, for a finance user."""

from ast import literal_eval

from odoo.tests import TransactionCase, tagged

ACTIONS = (
    "miko_support_finance_balance_action",
    "miko_support_finance_revenue_action",
    "miko_support_finance_upd_state_action",
    "miko_support_finance_forecast_action",
)


@tagged("post_install", "-at_install")
class TestFinanceDashboard(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("miko_support_contract.company_miko_demo")
        cls.finance = cls.env.ref("miko_support_contract.user_finance_demo")
        cls.engineer = cls.env.ref("miko_support_contract.user_engineer_volkov_demo")

    def action(self, xmlid):
        return self.env.ref(f"miko_support_contract.{xmlid}")

    def test_menu_for_finance_not_for_engineers(self):
        menu = self.env.ref("miko_support_contract.miko_support_finance_dashboard_menu")
        Menu = self.env["ir.ui.menu"]
        self.assertIn(menu.id, Menu.with_user(self.finance)._visible_menu_ids())
        self.assertNotIn(menu.id, Menu.with_user(self.engineer)._visible_menu_ids())
        for xmlid in ACTIONS:
            action = self.action(xmlid)
            Model = self.env[action.res_model].with_user(self.finance)
            views = Model.get_views([(view.view_id.id, view.view_mode) for view in action.view_ids])
            self.assertTrue(views["views"], xmlid)

    def test_balances_by_customer_are_the_wallet_balances(self):
        Entry = self.env["miko.support.wallet.entry"].with_user(self.finance)
        by_customer = dict(Entry._read_group([], ["partner_id"], ["amount:sum"]))
        contracts = self.env["miko.support.contract"].search([("company_id", "=", self.company.id)])
        self.assertTrue(contracts)
        for partner in contracts.partner_id:
            expected = sum(
                contracts.filtered(lambda c, p=partner: c.partner_id == p).mapped("balance")
            )
            self.assertAlmostEqual(by_customer.get(partner, 0.0), expected, places=2)

    def test_revenue_by_month_and_upds_by_state(self):
        action = self.action("miko_support_finance_revenue_action")
        Upd = self.env["miko.support.upd"].with_user(self.finance)
        domain = [("company_id", "=", self.company.id), *literal_eval(action.domain)]
        upds = Upd.search(domain)
        self.assertTrue(upds, "the demo closed last month")
        [(minutes, amount)] = Upd._read_group(domain, [], ["minutes:sum", "amount_total:sum"])
        self.assertEqual(minutes, sum(upds.mapped("minutes")))
        self.assertAlmostEqual(amount, sum(upds.mapped("amount_total")), places=2)
        by_state = dict(Upd._read_group([("id", "in", upds.ids)], ["state"], ["__count"]))
        self.assertEqual(sum(by_state.values()), len(upds))
        self.assertGreater(len(by_state), 1, "the demo has UPDs in several states")

    def test_days_to_zero_of_running_contracts(self):
        action = self.action("miko_support_finance_forecast_action")
        Contract = self.env["miko.support.contract"].with_user(self.finance)
        contracts = Contract.search(literal_eval(action.domain))
        self.assertTrue(contracts)
        for contract in contracts:
            self.assertNotEqual(contract.days_until_zero_text, "-1")
            self.assertTrue(contract.days_until_zero_text)
