"""A stateful property test of the wallet: random receipts, consumption, credits, refunds and
reversals, each example inside a savepoint of the test transaction; after every step the stored
balance is the sum of the ledger, the ledger agrees with the general ledger and the hash chain
is intact."""

import logging
from datetime import date, timedelta
from decimal import Decimal

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

from .common import MikoSupportCommon

_logger = logging.getLogger(__name__)

FIRST_DAY = date(2026, 3, 2)
SETTINGS = settings(
    max_examples=25,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@tagged("post_install", "-at_install")
class TestWalletStateful(MikoSupportCommon):
    def test_wallet_state_machine(self):  # pylint: disable=missing-return
        case = self
        steps = {"receipt": 0, "reversal": 0, "consumption": 0, "credit": 0, "refund": 0}

        class WalletMachine(RuleBasedStateMachine):
            def __init__(self):
                super().__init__()
                self.savepoint = case.env.cr.savepoint()
                self.contract = case.create_contract(rate=1700, rate_from=date(2026, 1, 1))
                self.day = FIRST_DAY
                self.serial = 0
                self.payments = []

            def next_day(self):
                self.day += timedelta(days=1)
                self.serial += 1
                return self.day

            def teardown(self):
                self.savepoint.close(rollback=True)
                case.env.invalidate_all(flush=False)

            @rule(amount=st.integers(100, 20000), part=st.sampled_from([1, 2]))
            def receive(self, amount, part):
                invoice = self.contract.create_prepayment_invoice(amount=amount)
                invoice.action_post()
                steps["receipt"] += 1
                self.payments.append(case.pay(invoice, round(amount / part, 2), self.next_day()))

            @precondition(lambda self: self.payments)
            @rule(index=st.integers(0, 20))
            def reverse(self, index):
                case.unreconcile(self.payments.pop(index % len(self.payments)))
                steps["reversal"] += 1

            @rule(minutes=st.integers(1, 300))
            def consume(self, minutes):
                day = self.next_day()
                start = f"{day.isoformat()}T10:00:00+03:00"
                hours, rest = divmod(minutes, 60)
                end = f"{day.isoformat()}T{10 + hours:02d}:{rest:02d}:00+03:00"
                result = case.env["miko.support.contract"].register_activities(
                    [
                        {
                            "contract": self.contract.id,
                            "engineer": case.engineer.login,
                            "kind": "call_out",
                            "start": start,
                            "end": end,
                            "subject": f"Звонок {self.serial}",
                            "source": "stateful",
                            "source_ref": f"{self.contract.id}-{self.serial}",
                        }
                    ]
                )
                case.assertFalse(result["errors"], result)
                case.env["miko.support.contract"]._cron_post_consumption()
                steps["consumption"] += 1

            @rule(amount=st.integers(1, 5000))
            def credit(self, amount):
                self.contract._wallet_post(
                    [
                        {
                            "contract_id": self.contract.id,
                            "date": self.next_day(),
                            "kind": "credit",
                            "amount": amount,
                            "name": "Goodwill credit",
                        }
                    ]
                )
                steps["credit"] += 1

            @precondition(lambda self: self.contract.balance >= 1)
            @rule(share=st.sampled_from([Decimal("0.25"), Decimal("1")]))
            def refund(self, share):
                amount = (Decimal(str(self.contract.balance)) * share).quantize(Decimal("0.01"))
                note = self.contract._create_support_move("out_refund", Decimal(1), amount)
                note.action_post()
                case.pay(note, float(amount), self.next_day())
                steps["refund"] += 1

            @invariant()
            def balance_is_the_ledger(self):
                case.env.flush_all()
                case.env.cr.execute(
                    SQL(
                        """
                        SELECT contract.balance, contract.balance = COALESCE(SUM(entry.amount), 0)
                          FROM miko_support_contract AS contract
                     LEFT JOIN miko_support_wallet_entry AS entry
                            ON entry.contract_id = contract.id
                         WHERE contract.id = %s
                      GROUP BY contract.id
                        """,
                        self.contract.id,
                    )
                )
                balance, exact = case.env.cr.fetchone()
                case.assertTrue(exact, "stored balance = Σ ledger, to the kopeck")
                self.contract.invalidate_recordset(["balance"])
                case.assertEqual(self.contract.balance, balance)

            @invariant()
            def wallet_reconciles_with_accounting(self):
                report = self.contract._wallet_reconciliation()
                case.assertEqual(report["difference"], 0, report)

            @invariant()
            def chain_is_intact(self):
                case.assertFalse(self.contract._wallet_integrity_errors()["entries"])

        run_state_machine_as_test(WalletMachine, settings=SETTINGS)
        self.assertTrue(all(steps.values()), steps)
        _logger.info("wallet state machine: %s", steps)
