"""The demo installs on any day of the year: the generator runs for every day of a 31-day
month, 1 January, 29 February 2028 and 31 December, and its own invariants hold each time."""

from datetime import date, timedelta

from freezegun import freeze_time

from odoo.tests import TransactionCase, tagged

from ..demo import generator

SWEEP = [date(2026, 12, 1) + timedelta(days=offset) for offset in range(31)] + [
    date(2027, 1, 1),
    date(2028, 2, 29),
    date(2027, 12, 31),
]


@tagged("post_install", "-at_install")
class TestDemoDates(TransactionCase):
    def test_demo_generator_on_every_day(self):
        company = self.env.ref("miko_support_contract.company_miko_demo")
        Contract = self.env["miko.support.contract"].sudo()
        for today in SWEEP:
            with self.subTest(today=today), self.env.cr.savepoint() as savepoint:
                before = set(Contract.search([]).ids)
                with freeze_time(today.isoformat() + " 09:00:00"):
                    generator.populate(self.env, company, today, licence_prefix="S")
                contracts = Contract.search([("id", "not in", list(before))])
                self.assertEqual(len(contracts), 5)
                first = today.replace(day=1)
                previous_first = (first - timedelta(days=1)).replace(day=1)
                for contract in contracts:
                    # balances = ledger
                    self.assertAlmostEqual(
                        contract.balance, sum(contract.entry_ids.mapped("amount"))
                    )
                    # every activity charged lies inside the contract's period
                    consumed = contract.entry_ids.filtered(lambda e: e.kind == "consumption")
                    for entry in consumed:
                        work = entry.work_date or entry.date
                        self.assertGreaterEqual(work, contract.date_start)
                    # last month's consumption is in its UPD
                    last_month = contract._service_totals(previous_first, first - timedelta(days=1))
                    upd = self.env["miko.support.upd"].search(
                        [("contract_id", "=", contract.id), ("period_start", "=", previous_first)]
                    )
                    if last_month["amount"] > 0:
                        self.assertEqual(len(upd), 1, f"{contract.display_name} on {today}")
                        self.assertEqual(upd.amount_total, float(last_month["amount"]))
                    else:
                        self.assertFalse(upd)
                savepoint.rollback()
