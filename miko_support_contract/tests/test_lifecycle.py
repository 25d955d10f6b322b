"""Money lifecycle in the orders of events a support business meets: late records, a month
closed before the cron, work outside the contract period, rates, consents, termination, and a
change queued while a billing run works."""

from datetime import date
from decimal import Decimal

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL

from .common_upd import MikoUpdCommon


def _record(contract, engineer, record):
    day, begin, end, ref = record
    return {
        "contract": contract.name,
        "engineer": engineer.login,
        "kind": "remote",
        "start": f"{day}T{begin}+03:00",
        "end": f"{day}T{end}+03:00",
        "subject": f"Удалённое подключение [{ref}]",
        "description": "",
        "source": "lifecycle",
        "source_ref": ref,
    }


@tagged("post_install", "-at_install")
class TestLifecycle(MikoUpdCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Contract = cls.env["miko.support.contract"]
        cls.Upd = cls.env["miko.support.upd"]

    def register(self, contract, *records):
        result = self.Contract.register_activities(
            [_record(contract, self.engineer, record) for record in records]
        )
        self.assertFalse(result["errors"], result)
        return result

    def charged(self, contract, first, last):
        return contract._service_totals(first, last)

    def test_month_closed_before_the_cron_carries_its_work(self):
        contract = self.prepaid_contract(amount=10000.0)
        self.register(contract, ("2026-10-06", "10:00:00", "11:00:00", "lc-1"))
        # no billing run yet: closing the month bills and charges what is pending first
        upd = self.Upd.generate_for_month(2026, 10, contract.ids)
        self.assertEqual(upd.amount_total, 1700.0)
        self.assertEqual(contract.locked_until, date(2026, 10, 31))

    def test_month_not_ended_cannot_be_closed(self):
        with freeze_time("2026-10-31 12:00:00"), self.assertRaises(UserError):
            self.Upd.generate_for_month(2026, 10)
        # 31 October 21:30 UTC is already 1 November in Moscow: October has ended there
        with freeze_time("2026-10-31 21:30:00"):
            self.Upd.generate_for_month(2026, 10)

    def test_late_record_is_charged_in_the_first_open_month_and_its_upd(self):
        contract = self.prepaid_contract(amount=10000.0)
        self.register(contract, ("2026-10-06", "10:00:00", "11:00:00", "lc-on-time"))
        october = self.Upd.generate_for_month(2026, 10, contract.ids)
        self.assertEqual(october.amount_total, 1700.0)
        # the PBX export of 31 October arrives on 2 November
        self.register(contract, ("2026-10-31", "10:00:00", "10:30:00", "lc-late"))
        self.Contract.post_consumption()
        late = contract.entry_ids.filtered(lambda e: e.work_date == date(2026, 10, 31))
        self.assertEqual(late.date, date(2026, 11, 1), "booked in the first open month")
        self.assertEqual((late.minutes, late.amount), (30, -850.0))
        self.assertTrue(late.is_late)
        self.assertEqual(october.amount_total, 1700.0, "the closed month is not changed")
        with freeze_time("2026-12-02"):
            november = self.Upd.generate_for_month(2026, 11, contract.ids)
        self.assertEqual(november.amount_total, 850.0, "November's UPD carries the late work")
        # nothing charged twice: a second run books nothing
        self.assertEqual(self.Contract.post_consumption()["ledger_entries"], 0)
        self.assertEqual(contract.balance, 10000.0 - 1700.0 - 850.0)

    def test_work_outside_the_period_waits_for_a_decision(self):
        contract = self.prepaid_contract(amount=10000.0, paid_on=date(2026, 10, 10))
        self.assertEqual(contract.date_start, date(2026, 10, 10))
        self.register(
            contract,
            ("2026-10-06", "10:00:00", "11:00:00", "lc-before"),
            ("2026-10-12", "10:00:00", "10:30:00", "lc-inside"),
        )
        self.Contract.post_consumption()
        self.assertEqual(contract.balance, 10000.0 - 850.0, "only the work inside is charged")
        Line = self.env["account.analytic.line"]
        outside = Line.search(
            [("miko_contract_id", "=", contract.id), ("miko_outside_period", "=", True)]
        )
        self.assertEqual(outside.mapped("date"), [date(2026, 10, 6)])
        self.assertEqual(outside.miko_billed_minutes, 60, "kept, never lost")
        with self.assertRaises(UserError):  # an engineer does not decide
            outside.with_user(self.engineer).action_miko_charge_outside_period()
        outside.action_miko_charge_outside_period()
        self.Contract.post_consumption()
        entry = contract.entry_ids.filtered(lambda e: e.work_date == date(2026, 10, 6))
        self.assertEqual(entry.date, date(2026, 10, 10), "charged on the first day of the period")
        self.assertEqual(contract.balance, 10000.0 - 850.0 - 1700.0)

    def test_written_off_work_is_never_charged(self):
        contract = self.prepaid_contract(amount=10000.0, paid_on=date(2026, 10, 10))
        self.register(contract, ("2026-10-06", "10:00:00", "11:00:00", "lc-wo"))
        self.Contract.post_consumption()
        line = self.env["account.analytic.line"].search([("miko_contract_id", "=", contract.id)])
        with self.assertRaises(UserError):
            line.action_miko_write_off_outside_period("")
        line.action_miko_write_off_outside_period("Пробный звонок до оплаты")
        self.Contract.post_consumption()
        self.assertEqual(contract.balance, 10000.0)
        self.assertEqual(line.miko_period_decision, "write_off")

    def test_one_entry_per_day_and_the_rounding_settled_once(self):
        """198 minutes at 1,700 ₽ (the seed's Appendix-2 case: 59 + 139) are 5,610.00 exactly;
        each day is rounded on its own, and the UPD settles the month once."""
        contract = self.prepaid_contract(amount=10000.0)
        self.register(
            contract,
            ("2026-10-06", "10:00:00", "10:59:00", "lc-59"),
            ("2026-10-07", "10:00:00", "12:19:00", "lc-139"),
        )
        self.Contract.post_consumption()
        # re-billing an earlier day changes only that day
        self.register(contract, ("2026-10-06", "11:30:00", "11:31:00", "lc-extra"))
        self.Contract.post_consumption()
        entries = contract.entry_ids.filtered(lambda e: e.kind == "consumption")
        self.assertEqual(len(entries), 3, "day 6, day 7, and day 6's one-minute correction")
        self.assertFalse(entries.filtered(lambda e: not e.minutes), "no zero-minute entries")
        upd = self.Upd.generate_for_month(2026, 10, contract.ids)
        self.assertEqual(Decimal(str(upd.amount_total)), Decimal("5638.33"))  # 199 min exactly

    def test_a_rate_that_priced_charged_days_is_locked(self):
        contract = self.prepaid_contract(amount=10000.0)
        self.register(contract, ("2026-10-06", "10:00:00", "11:00:00", "lc-rate"))
        self.Contract.post_consumption()
        rate = contract.rate_ids
        for attempt in (
            lambda: rate.write({"date_from": date(2026, 10, 7)}),
            lambda: rate.write({"hourly_rate": 1}),
            rate.unlink,
        ):
            with self.assertRaises(UserError), self.cr.savepoint():
                attempt()
        contract.set_hourly_rate(2000, date(2026, 10, 7))
        later = contract.rate_ids.filtered(lambda r: r.date_from == date(2026, 10, 7))
        later.write({"date_from": date(2026, 10, 8)})  # nothing charged under it yet
        self.assertEqual(contract.balance, 10000.0 - 1700.0)

    def test_a_day_queued_again_while_billed_is_billed_again(self):
        """The billing run deletes a queue row only at the version it billed: a change
        committed while it ran (which bumps the version) stays queued."""
        contract = self.prepaid_contract(amount=10000.0)
        self.register(contract, ("2026-10-06", "10:00:00", "11:00:00", "lc-q1"))
        claimed = self.Contract._pending_billing_groups([contract.id])
        self.assertEqual(len(claimed), 1)
        # a concurrent import of the same day, committed before the run deletes its row
        self.register(contract, ("2026-10-06", "12:00:00", "12:30:00", "lc-q2"))
        self.Contract._bill_groups(claimed)
        self.assertEqual(
            self.Contract._pending_billing_groups([contract.id])[0][:3],
            claimed[0][:3],
            "the day is still queued",
        )
        self.Contract.post_consumption()
        line = self.env["account.analytic.line"].search([("miko_contract_id", "=", contract.id)])
        self.assertEqual(line.miko_billed_minutes, 90)
        self.assertEqual(contract.balance, 10000.0 - 2550.0)

    def test_notice_mutual_consent_and_the_final_refund(self):
        contract = self.prepaid_contract(amount=10000.0)
        with self.assertRaises(UserError):
            contract.action_give_notice(date(2026, 10, 15), given_by="nobody")
        with self.assertRaises(UserError):  # one calendar month at least, unless mutual
            contract.action_give_notice(date(2026, 10, 15), date_end=date(2026, 10, 20))
        self.register(contract, ("2026-10-16", "10:00:00", "11:00:00", "lc-end"))
        contract.action_give_notice(date(2026, 10, 15), given_by="mutual")
        self.assertEqual(
            (contract.state, contract.notice_given_by, contract.date_end),
            ("terminating", "mutual", date(2026, 10, 15)),
        )
        self.Contract.post_consumption()
        self.assertEqual(contract.balance, 10000.0, "work after the end date is not charged")
        self.register(contract, ("2026-10-14", "10:00:00", "11:00:00", "lc-last"))
        with self.assertRaises(UserError):  # the last month's UPD first
            contract.action_create_refund()
        self.Upd.generate_for_month(2026, 10, contract.ids)
        refund = contract.action_create_refund()
        refund = (
            self.env["account.move"].browse(refund["res_id"])
            if isinstance(refund, dict)
            else refund
        )
        self.assertEqual(refund.amount_total, 10000.0 - 1700.0)
        self.Contract._cron_close_ended(date(2026, 10, 16))
        self.assertEqual(contract.state, "terminating", "money still held: not closed")
        self.assertTrue(contract.activity_ids)

    def test_wallet_balance_at_with_a_cold_cache(self):
        contract = self.prepaid_contract(amount=10000.0)
        contract.invalidate_model()
        self.assertEqual(contract.wallet_balance_at(date(2026, 12, 31)), 10000.0)

    def test_work_while_suspended_is_held_until_resumed(self):
        contract = self.prepaid_contract(amount=10000.0)
        with freeze_time("2026-10-10 09:00:00"):
            contract.action_suspend()
        with freeze_time("2026-10-15 09:00:00"):
            contract.action_resume()
        self.assertEqual(
            [(p.date_from, p.date_to) for p in contract.suspension_ids],
            [(date(2026, 10, 10), date(2026, 10, 14))],
        )
        self.register(
            contract,
            ("2026-10-12", "10:00:00", "11:00:00", "lc-suspended"),
            ("2026-10-16", "10:00:00", "10:30:00", "lc-resumed"),
        )
        held = self.env["miko.support.activity"].search([("source_ref", "=", "lc-suspended")])
        self.assertIn("suspended", held.hold_message)
        self.assertFalse(
            self.env["miko.support.activity"]
            .search([("source_ref", "=", "lc-resumed")])
            .hold_message
        )
        self.Contract.post_consumption()
        self.assertEqual(contract.balance, 10000.0 - 850.0, "the suspended day is held")
        line = self.env["account.analytic.line"].search(
            [("miko_contract_id", "=", contract.id), ("miko_outside_period", "=", True)]
        )
        self.assertEqual(line.date, date(2026, 10, 12))
        line.action_miko_charge_outside_period()
        self.Contract.post_consumption()
        self.assertEqual(contract.balance, 10000.0 - 850.0 - 1700.0)

    def test_hold_reason_agrees_with_the_sql_form_of_the_rule(self):
        """The effective-period rule has a Python form for records in memory
        (``_miko_hold_reason``: the day line's flag, the activity's message) and a SQL form for
        sets (``_miko_outside_period_sql``: the search, the wallet charging): day by day, around
        the start, two suspensions (closed and open) and the end, they agree."""
        contract = self.prepaid_contract(amount=10000.0, paid_on=date(2026, 10, 10))
        Suspension = self.env["miko.support.suspension"].sudo()
        Suspension.create(
            [
                {
                    "contract_id": contract.id,
                    "date_from": date(2026, 10, 15),
                    "date_to": date(2026, 10, 17),
                },
                {"contract_id": contract.id, "date_from": date(2026, 11, 2)},
            ]
        )
        contract.sudo().date_end = date(2026, 11, 20)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT l.date, %s
                  FROM (SELECT d::date AS date
                          FROM generate_series(%s::date, %s::date, '1 day') AS d) l,
                       miko_support_contract k
                 WHERE k.id = %s
              ORDER BY l.date
                """,
                self.env["account.analytic.line"]._miko_outside_period_sql(),
                date(2026, 10, 5),
                date(2026, 11, 25),
                contract.id,
            )
        )
        rows = self.env.cr.fetchall()
        self.assertEqual(len(rows), 52)
        reasons = {day: contract._miko_hold_reason(day) for day, _held in rows}
        self.assertEqual(
            [(day, bool(reasons[day])) for day, _held in rows],
            [(day, held) for day, held in rows],
        )
        self.assertEqual(reasons[date(2026, 10, 9)], "before_start")
        self.assertFalse(reasons[date(2026, 10, 10)])
        self.assertEqual(reasons[date(2026, 10, 16)], "suspended")
        self.assertFalse(reasons[date(2026, 10, 18)])
        self.assertEqual(reasons[date(2026, 11, 2)], "suspended")
        self.assertEqual(reasons[date(2026, 11, 21)], "suspended", "the open suspension first")
