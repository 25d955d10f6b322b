"""The lifecycle property: random orders of payments, activities (in order, late, outside the
period, overlapping), billing runs at random points, month closes and rate changes. After every
step, once the pending work is billed: each billable minute is charged exactly once, the UPDs plus
the consumption of the open months are everything charged, and the stored balance is the ledger
and the general ledger."""

import logging
from datetime import date, timedelta

from freezegun import freeze_time
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from odoo.tests import tagged
from odoo.tools import SQL

from .common_upd import MikoUpdCommon

_logger = logging.getLogger(__name__)

FIRST_DAY = date(2026, 8, 3)
DAYS = 90  # August to October 2026
SETTINGS = settings(
    max_examples=12,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@tagged("post_install", "-at_install")
class TestLifecycleStateful(MikoUpdCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engineer_2 = cls.new_user("miko_engineer_2", "miko_support_contract.group_engineer")

    def test_lifecycle_state_machine(self):  # pylint: disable=missing-return
        case = self
        Contract = self.env["miko.support.contract"]
        steps = dict.fromkeys(("pay", "work", "bill", "close", "rate", "decide"), 0)

        class LifecycleMachine(RuleBasedStateMachine):
            def __init__(self):
                super().__init__()
                self.savepoint = case.env.cr.savepoint()
                self.contract = case.create_contract(rate=1700, rate_from=date(2026, 1, 1))
                self.serial = 0
                self.closed_until = None

            def teardown(self):
                self.savepoint.close(rollback=True)
                case.env.invalidate_all(flush=False)

            @precondition(lambda self: not self.contract.date_start)
            @rule(offset=st.integers(0, DAYS - 1), amount=st.integers(1000, 30000))
            def pay(self, offset, amount):
                invoice = self.contract.create_prepayment_invoice(amount=amount)
                invoice.action_post()
                case.pay(invoice, amount, FIRST_DAY + timedelta(days=offset))
                steps["pay"] += 1

            @rule(
                offset=st.integers(0, DAYS - 1),
                hour=st.integers(9, 17),
                minutes=st.integers(1, 120),
                engineer=st.integers(0, 1),
            )
            def work(self, offset, hour, minutes, engineer):
                """An activity on any day: in order, late (its month closed), before the
                payment, overlapping another one of the same engineer."""
                self.serial += 1
                day = FIRST_DAY + timedelta(days=offset)
                end_minute = hour * 60 + minutes
                user = (case.engineer, case.engineer_2)[engineer]
                result = Contract.register_activities(
                    [
                        {
                            "contract": self.contract.id,
                            "engineer": user.login,
                            "kind": "remote",
                            "start": f"{day.isoformat()}T{hour:02d}:00:00+03:00",
                            "end": f"{day.isoformat()}T{end_minute // 60:02d}:"
                            f"{end_minute % 60:02d}:00+03:00",
                            "subject": f"Сеанс {self.serial}",
                            "source": "lifecycle-property",
                            "source_ref": f"{self.contract.id}-{self.serial}",
                        }
                    ]
                )
                case.assertFalse(result["errors"], result)
                steps["work"] += 1

            @rule()
            def bill(self):
                Contract.post_consumption()
                steps["bill"] += 1

            @rule()
            def close_month(self):
                """Close the earliest month not yet closed (on the 2nd of the next month)."""
                month = (self.closed_until + timedelta(days=1)) if self.closed_until else FIRST_DAY
                month = month.replace(day=1)
                if month >= date(2026, 11, 1):
                    return
                next_month = (month + timedelta(days=32)).replace(day=1)
                with freeze_time(f"{next_month.isoformat()} 09:00:00"):
                    case.env["miko.support.upd"].generate_for_month(
                        month.year, month.month, self.contract.ids
                    )
                self.closed_until = next_month - timedelta(days=1)
                steps["close"] += 1

            @rule(rate=st.integers(1000, 3000))
            def new_rate(self, rate):
                """A new rate starts after the last charged day (never retroactive)."""
                last = self.contract._last_charged_date() or FIRST_DAY
                self.contract.set_hourly_rate(rate, last + timedelta(days=1))
                steps["rate"] += 1

            @rule(charge=st.booleans())
            def decide_outside(self, charge):
                lines = case.env["account.analytic.line"].search(
                    [
                        ("miko_contract_id", "=", self.contract.id),
                        ("miko_outside_period", "=", True),
                        ("miko_period_decision", "=", False),
                    ],
                    limit=1,
                )
                if not lines:
                    return
                if charge:
                    lines.action_miko_charge_outside_period()
                else:
                    lines.action_miko_write_off_outside_period("Пробная работа до оплаты")
                steps["decide"] += 1

            @invariant()
            def every_billable_minute_charged_once(self):
                Contract.post_consumption()
                case.env.flush_all()
                case.env.cr.execute(
                    SQL(
                        """
                        WITH lines AS (
                            SELECT l.date,
                                   SUM(l.miko_billed_minutes) FILTER (
                                       WHERE ((k.date_start IS NULL OR l.date >= k.date_start)
                                              AND (k.date_end IS NULL OR l.date <= k.date_end))
                                          OR l.miko_period_decision = 'charge') AS minutes
                              FROM account_analytic_line l
                              JOIN miko_support_contract k ON k.id = l.miko_contract_id
                             WHERE l.miko_contract_id = %(contract)s
                          GROUP BY l.date
                        ), charged AS (
                            SELECT COALESCE(work_date, date) AS date, SUM(minutes) AS minutes
                              FROM miko_support_wallet_entry
                             WHERE contract_id = %(contract)s AND source_key LIKE 'billing:%%'
                          GROUP BY 1
                        )
                        SELECT COALESCE(lines.date, charged.date),
                               COALESCE(lines.minutes, 0), COALESCE(charged.minutes, 0)
                          FROM lines FULL JOIN charged USING (date)
                         WHERE COALESCE(lines.minutes, 0) <> COALESCE(charged.minutes, 0)
                        """,
                        contract=self.contract.id,
                    )
                )
                case.assertEqual(case.env.cr.fetchall(), [], "billed minutes = charged minutes")

            @invariant()
            def upds_and_open_months_are_everything_charged(self):
                contract = self.contract
                upds = case.env["miko.support.upd"].search([("contract_id", "=", contract.id)])
                entries = contract.entry_ids.filtered(lambda e: e.kind in ("consumption", "credit"))
                charged = -round(sum(entries.mapped("amount")), 2)
                open_months = entries.filtered(
                    lambda e: not contract.locked_until or e.date > contract.locked_until
                )
                in_upds = round(sum(upds.mapped("amount_total")), 2)
                case.assertAlmostEqual(
                    in_upds - round(sum(open_months.mapped("amount")), 2), charged, places=2
                )

            @invariant()
            def balance_is_the_ledger_and_the_general_ledger(self):
                contract = self.contract
                contract.invalidate_recordset()
                case.assertAlmostEqual(
                    contract.balance, round(sum(contract.entry_ids.mapped("amount")), 2), places=2
                )
                report = contract._wallet_reconciliation()
                case.assertEqual(report["difference"], 0, report)

        run_state_machine_as_test(LifecycleMachine, settings=SETTINGS)
        _logger.info("lifecycle state machine: %s", steps)
        self.assertTrue(steps["work"] and steps["bill"] and steps["close"], steps)
