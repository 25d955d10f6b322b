from datetime import date

import psycopg2

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import MikoSupportCommon


@tagged("post_install", "-at_install")
class TestWallet(MikoSupportCommon):
    def test_acceptance_prepayment_flow(self):
        """1700 RUB/h; 4 h = 6800; posting changes nothing; payments credit at their date."""
        contract = self.create_contract()
        self.assertEqual(contract.state, "draft")
        invoice = contract.create_prepayment_invoice(hours=4)
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.amount_total, 6800.00)
        self.assertEqual(invoice.miko_contract_id, contract)
        self.assertFalse(invoice.invoice_line_ids.tax_ids, "simplified tax system: no VAT")
        self.assertEqual(invoice.invoice_line_ids.account_id, self.company.miko_advance_account_id)
        invoice.action_post()
        self.assertEqual(contract.balance, 0.0)
        self.assertFalse(contract.entry_ids)

        self.pay(invoice, 5000.00, date(2018, 4, 2))
        self.assertEqual(contract.balance, 5000.00)
        receipt = contract.entry_ids
        self.assertEqual(len(receipt), 1)
        self.assertEqual(
            (receipt.kind, receipt.date, receipt.amount), ("receipt", date(2018, 4, 2), 5000.00)
        )
        self.assertEqual(contract.state, "active")
        self.assertEqual(contract.date_start, date(2018, 4, 2))

        second = self.pay(invoice, 1800.00, date(2018, 4, 9))
        self.assertEqual(contract.balance, 6800.00)
        self.assertEqual(contract.wallet_balance_at(date(2018, 4, 5)), 5000.00)
        self.assertEqual(contract.wallet_balance_at(date(2018, 4, 9)), 6800.00)

        self.unreconcile(second)
        self.assertEqual(contract.balance, 5000.00)
        self.assertEqual(len(contract.entry_ids), 3, "the reversal is a new entry")
        self.assertEqual(sum(contract.entry_ids.mapped("amount")), contract.balance)
        self.assertEqual(
            contract.date_start, date(2018, 4, 2), "start date stays the first payment"
        )

    def test_amount_invoice_and_errors(self):
        contract = self.create_contract()
        self.assertEqual(contract.create_prepayment_invoice(amount=12345.67).amount_total, 12345.67)
        with self.assertRaises(UserError):
            contract.create_prepayment_invoice()
        with self.assertRaises(UserError):
            contract.create_prepayment_invoice(amount=100, hours=1)
        with self.assertRaises(UserError):
            contract.create_prepayment_invoice(amount=-5)
        no_rate = self.create_contract(rate=0)
        with self.assertRaises(UserError):
            no_rate.create_prepayment_invoice(hours=2)

    def test_ledger_entries_are_immutable_for_everyone(self):
        contract = self.create_contract()
        invoice = contract.create_prepayment_invoice(amount=1000)
        invoice.action_post()
        self.pay(invoice, 1000, date(2018, 5, 1))
        entry = contract.entry_ids
        for env in (self.env, self.env(user=self.finance), self.env(su=True)):
            with self.assertRaises(UserError):
                entry.with_env(env).write({"amount": 1})
            with self.assertRaises(UserError):
                entry.with_env(env).unlink()
        self.assertEqual(entry.amount, 1000)
        self.assertEqual(contract.balance, 1000)

    def test_adjustment_needs_reason_and_approver(self):
        contract = self.create_contract()
        Entry = self.env["miko.support.wallet.entry"]
        with self.assertRaises(ValidationError):
            Entry.create(
                {
                    "contract_id": contract.id,
                    "date": date(2018, 1, 5),
                    "kind": "adjustment",
                    "amount": 100,
                    "name": "x",
                }
            )
        Entry._post_adjustment(contract, 100, "goodwill", self.finance, on_date=date(2018, 1, 5))
        self.assertEqual(contract.balance, 100)

    def test_source_key_is_unique_in_database(self):
        contract = self.create_contract()
        vals = {
            "contract_id": contract.id,
            "date": date(2018, 1, 5),
            "kind": "consumption",
            "amount": -10,
            "minutes": 1,
            "name": "x",
            "source_key": "billing:test:1",
        }
        self.env["miko.support.wallet.entry"].create(vals)
        with self.assertRaises(psycopg2.errors.UniqueViolation), self.cr.savepoint():
            self.env["miko.support.wallet.entry"].create(vals)
        self.assertEqual(contract.balance, -10)

    def test_rate_history_is_never_retroactive(self):
        contract = self.create_contract(rate=1700, rate_from=date(2018, 1, 1))
        contract.set_hourly_rate(2000, date(2018, 6, 1))
        self.assertEqual(contract._rate_at(date(2018, 5, 31)), 1700)
        self.assertEqual(contract._rate_at(date(2018, 6, 1)), 2000)
        self.env["miko.support.wallet.entry"].create(
            {
                "contract_id": contract.id,
                "date": date(2018, 7, 10),
                "kind": "consumption",
                "amount": -85,
                "minutes": 3,
                "name": "minutes",
            }
        )
        with self.assertRaises(ValidationError):
            contract.set_hourly_rate(2500, date(2018, 7, 1))
        contract.set_hourly_rate(2500, date(2018, 7, 11))
        self.assertEqual(contract._rate_at(date(2018, 7, 11)), 2500)

    def test_general_ledger_reconciles_with_wallet(self):
        """Partial payments, a reversal and a final refund: wallet == GL at every step."""
        contract = self.create_contract()

        def assert_reconciled():
            report = contract._wallet_reconciliation()
            self.assertEqual(report["difference"], 0.0, report)

        first = contract.create_prepayment_invoice(hours=4)
        first.action_post()
        assert_reconciled()  # an unpaid «счёт» creates no advance
        self.assertEqual(contract._wallet_reconciliation()["gl_balance"], 0.0)
        self.pay(first, 2000, date(2018, 4, 2))
        assert_reconciled()
        partial = self.pay(first, 3000, date(2018, 4, 3))
        assert_reconciled()
        self.unreconcile(partial)
        assert_reconciled()
        self.assertEqual(contract.balance, 2000)
        self.pay(first, 4800, date(2018, 4, 10))
        self.assertEqual(contract.balance, 6800)
        assert_reconciled()

        contract.action_give_notice(date(2018, 5, 1))
        self.assertEqual(contract.date_end, date(2018, 6, 1))
        refund = contract.action_create_refund()
        refund = (
            self.env["account.move"].browse(refund["res_id"])
            if isinstance(refund, dict)
            else refund
        )
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.amount_total, 6800)
        refund.action_post()
        self.assertEqual(contract.balance, 6800, "a refund note alone moves no money")
        assert_reconciled()
        self.pay(refund, 6800, date(2018, 6, 1))
        self.assertEqual(contract.balance, 0)
        self.assertIn("refund", contract.entry_ids.mapped("kind"))
        assert_reconciled()
        contract.action_close()
        self.assertEqual(contract.state, "closed")

    def test_invoice_against_its_credit_note_moves_no_money(self):
        contract = self.create_contract()
        invoice = contract.create_prepayment_invoice(amount=1000)
        invoice.action_post()
        invoice._reverse_moves(cancel=True)
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertEqual(contract.balance, 0)
        self.assertFalse(contract.entry_ids)

    def test_suspension_resumes_on_payment(self):
        contract = self.create_contract()
        invoice = contract.create_prepayment_invoice(amount=1000)
        invoice.action_post()
        self.pay(invoice, 1000, date(2018, 4, 2))
        self.env["miko.support.wallet.entry"].create(
            {
                "contract_id": contract.id,
                "date": date(2018, 4, 20),
                "kind": "consumption",
                "amount": -1700,
                "minutes": 60,
                "name": "minutes",
            }
        )
        self.assertTrue(contract.is_negative_balance)
        contract.action_suspend()
        self.assertEqual(contract.state, "suspended")
        with self.assertRaises(ValidationError):
            contract.action_create_overrun_invoice()
        self.env["miko.support.overrun.consent"].create(
            {"contract_id": contract.id, "partner_id": self.customer_contact.id, "method": "letter"}
        )
        extra = contract.action_create_overrun_invoice()
        self.assertEqual(extra.amount_total, 700)
        with self.assertRaises(ValidationError):  # one consent, one additional invoice
            contract.action_create_overrun_invoice()
        self.env["miko.support.overrun.consent"].create(
            {
                "contract_id": contract.id,
                "partner_id": self.customer_contact.id,
                "method": "letter",
                "amount": 500,
            }
        )
        self.assertEqual(contract.action_create_overrun_invoice().amount_total, 500)
        extra.action_post()
        self.pay(extra, 700, date(2018, 4, 25))
        self.assertEqual(contract.balance, 0)
        self.assertEqual(contract.state, "active")

    def test_balance_in_minutes_and_forecast(self):
        contract = self.create_contract(rate=1200)
        Entry = self.env["miko.support.wallet.entry"]
        today = date.today()
        Entry.create(
            {
                "contract_id": contract.id,
                "date": today,
                "kind": "adjustment",
                "amount": 2400,
                "name": "r",
                "reason": "opening balance",
                "approver_id": self.env.uid,
            }
        )
        self.assertEqual(contract.balance_minutes, 120)
        self.assertEqual(contract.days_until_zero, -1)
        Entry.create(
            {
                "contract_id": contract.id,
                "date": today,
                "kind": "consumption",
                "amount": -280,
                "minutes": 14,
                "name": "c",
            }
        )
        # 280 burned in 28 days = 10/day; 2120 left → 212 days
        self.assertEqual(contract.days_until_zero, 212)

    def test_engineer_cannot_read_money(self):
        contract = self.create_contract()
        as_engineer = contract.with_user(self.engineer)
        self.assertEqual(as_engineer.name, contract.name)
        with self.assertRaises(AccessError):
            _ = as_engineer.balance
        with self.assertRaises(AccessError):
            self.env["miko.support.wallet.entry"].with_user(self.engineer).search([])


class TestReceiptsOnlyFromMoney(MikoSupportCommon):
    def test_receipt_without_payment_is_refused(self):
        """Finance cannot create a receipt over RPC with no payment behind it (nor forge the
        source key of a reconciliation of another customer's document, nor a reversal)."""
        contract = self.create_contract()
        Entry = self.env["miko.support.wallet.entry"].with_user(self.finance)
        for source_key in (None, "partial:999999", "partial:abc", "partial:1:reversal"):
            with self.subTest(source_key=source_key), self.assertRaises(ValidationError):
                Entry.create(
                    {
                        "contract_id": contract.id,
                        "date": date(2018, 1, 5),
                        "kind": "receipt",
                        "amount": 1000,
                        "name": "money from nowhere",
                        "source_key": source_key,
                    }
                )
        self.assertEqual(contract.balance, 0)
