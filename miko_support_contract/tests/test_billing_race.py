"""The billing and charge queues under real concurrent transactions.

As in ``test_wallet_race``, every transaction here is a separate real cursor that commits (a race
needs committed data); the committed rows are removed in SQL at the end. The orderings are forced
(a run holds its claim while the other transaction is started and seen waiting on the lock), not
left to chance. A serialization failure is retried as Odoo's RPC layer and cron runner do; any
other error fails the test.
"""

import threading
import time
from datetime import date

import psycopg2.errors

from odoo import SUPERUSER_ID, api, sql_db
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

CONTEXT = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
RATE = 1800
ROUNDS = 12
MAX_TRIES = 10


@tagged("post_install", "-at_install")
class TestBillingRace(TransactionCase):
    def real_cursor(self):
        cr = sql_db.db_connect(self.env.cr.dbname).cursor()
        cr.execute("SET lock_timeout = '30s'")
        return cr

    def setUp(self):
        super().setUp()
        with self.real_cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            engineer = env["res.users"].search([("login", "=", "volkov")], limit=1)
            self.assertTrue(engineer, "the demo engineer")
            partner = env["res.partner"].create({"name": "Billing Race LLC", "is_company": True})
            contract = env["miko.support.contract"].create(
                {
                    "name": "BILLING-RACE",
                    "partner_id": partner.id,
                    "company_id": engineer.company_id.id,
                }
            )
            contract.set_hourly_rate(RATE, "2026-01-01")
            contract.write({"state": "active", "date_start": "2026-09-01"})
            env.flush_all()
            cr.commit()  # pylint: disable=invalid-commit
            self.engineer_id, self.engineer_login = engineer.id, engineer.login
            self.partner_id, self.contract_id = partner.id, contract.id
        self.addCleanup(self.remove_committed_data)

    def remove_committed_data(self):
        with self.real_cursor() as cr:
            cr.execute(
                SQL("SELECT project_id FROM miko_support_contract WHERE id = %s", self.contract_id)
            )
            project_id = cr.fetchone()[0]
            for table, column in (  # the day lines first: they reference the ledger entries
                ("account_analytic_line", "miko_contract_id"),
                ("miko_support_wallet_entry", "contract_id"),
                ("miko_support_charge_queue", "contract_id"),
                ("miko_support_billing_queue", "contract_id"),
                ("miko_support_activity", "contract_id"),
                ("miko_support_rate", "contract_id"),
            ):
                cr.execute(
                    SQL(
                        "DELETE FROM %s WHERE %s = %s",
                        SQL.identifier(table),
                        SQL.identifier(column),
                        self.contract_id,
                    )
                )
            cr.execute(
                SQL(
                    "DELETE FROM mail_message "
                    "WHERE model = 'miko.support.contract' AND res_id = %s",
                    self.contract_id,
                )
            )
            cr.execute(
                SQL(
                    "DELETE FROM mail_followers WHERE res_model = 'miko.support.contract' "
                    "AND res_id = %s",
                    self.contract_id,
                )
            )
            cr.execute(SQL("DELETE FROM miko_support_contract WHERE id = %s", self.contract_id))
            cr.commit()  # pylint: disable=invalid-commit
            if project_id:
                env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
                project = env["project.project"].browse(project_id)
                account = project.account_id
                project.unlink()
                account.unlink()
            cr.execute(SQL("DELETE FROM res_partner WHERE id = %s", self.partner_id))
            cr.commit()  # pylint: disable=invalid-commit

    # -------------------------------------------------------------------------------- helpers
    def env_of(self, cr, uid=SUPERUSER_ID):
        return api.Environment(cr, uid, CONTEXT)

    def register(self, cr, day, span, ref):
        """An activity of the demo engineer on 2026-10-``day`` (Moscow times)."""
        result = self.env_of(cr)["miko.support.contract"].register_activities(
            [
                {
                    "contract": "BILLING-RACE",
                    "engineer": self.engineer_login,
                    "kind": "remote",
                    "start": f"2026-10-{day:02d}T{span[0]}:00+03:00",
                    "end": f"2026-10-{day:02d}T{span[1]}:00+03:00",
                    "subject": f"race {ref}",
                    "description": "",
                    "source": "race",
                    "source_ref": ref,
                }
            ]
        )
        self.assertFalse(result["errors"], result)
        cr.commit()  # pylint: disable=invalid-commit

    def run_committed(self, cr, work, outcomes, lock, barrier=None):
        """``work(env)`` then commit, retried on serialization failures like Odoo's RPC layer."""
        if barrier:
            barrier.wait()
        for _attempt in range(MAX_TRIES):
            env = self.env_of(cr)
            try:
                work(env)
                env.flush_all()
                cr.commit()  # pylint: disable=invalid-commit
            except (psycopg2.errors.SerializationFailure, psycopg2.errors.DeadlockDetected):
                cr.rollback()
                env.transaction.reset()
                with lock:
                    outcomes.append("retried")
                continue
            except Exception as exc:  # any other error is the failure looked for
                cr.rollback()
                env.transaction.reset()
                with lock:
                    outcomes.append(f"error: {exc}")
                return
            with lock:
                outcomes.append("done")
            return
        with lock:
            outcomes.append("gave up")

    def wait_until_blocked(self, cr, backend_pid):
        """Poll until the backend ``backend_pid`` waits on a lock (≤ 30 s)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            cr.execute(
                SQL("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", backend_pid)
            )
            row = cr.fetchone()
            cr.rollback()
            if row and row[0] == "Lock":
                return
            time.sleep(0.01)
        self.fail("the second transaction never waited on the claimed queue row")

    def day_state(self, cr):
        """{day: (billed minutes on the day line, lines)} and {work day: (entries, minutes,
        amount)} of the contract, committed state."""
        cr.execute(
            SQL(
                "SELECT date, SUM(miko_billed_minutes), COUNT(*) FROM account_analytic_line "
                "WHERE miko_contract_id = %s GROUP BY date",
                self.contract_id,
            )
        )
        lines = {day: (minutes, count) for day, minutes, count in cr.fetchall()}
        cr.execute(
            SQL(
                """
                SELECT COALESCE(work_date, date), COUNT(*), SUM(minutes), -SUM(amount)
                  FROM miko_support_wallet_entry
                 WHERE contract_id = %s AND source_key LIKE 'billing:%%'
              GROUP BY 1
                """,
                self.contract_id,
            )
        )
        entries = {row[0]: tuple(row[1:]) for row in cr.fetchall()}
        cr.rollback()
        return lines, entries

    def assert_charged_once(self, cr, expected_minutes):
        lines, entries = self.day_state(cr)
        self.assertEqual(
            {day: minutes for day, (minutes, _count) in lines.items()}, expected_minutes
        )
        self.assertTrue(all(count == 1 for _minutes, count in lines.values()), lines)
        for day, minutes in expected_minutes.items():
            count, charged_minutes, amount = entries[day]
            self.assertEqual((count, charged_minutes), (1, minutes), f"{day}: one entry")
            self.assertEqual(float(amount), round(minutes * RATE / 60, 2), day)
        env = self.env_of(cr)
        self.assertFalse(env["miko.support.wallet.entry"]._chain_altered([self.contract_id]))
        cr.rollback()

    # ---------------------------------------------------------------------------------- tests
    def test_day_queued_while_claimed_is_not_lost(self):
        """A run claims a day; another transaction adds an activity to that day: it waits on the
        claim, fails once with a serialization error when the run deletes the queue row, and
        retried, queues the day again and commits. The next run bills it: no minute is lost."""
        run_cr, writer_cr, watch_cr = (self.real_cursor() for _ in range(3))
        try:
            self.register(run_cr, 6, ("10:00", "11:00"), "a-1")
            run_env = self.env_of(run_cr)
            Contract = run_env["miko.support.contract"]
            claimed = Contract._pending_billing_groups([self.contract_id])
            self.assertEqual(len(claimed), 1, "the run claimed the day")
            writer_cr.execute("SELECT pg_backend_pid()")
            writer_pid = writer_cr.fetchone()[0]
            outcomes, lock = [], threading.Lock()

            def add_activity(env):
                self.register(env.cr, 6, ("11:30", "12:00"), "a-2")

            thread = threading.Thread(
                target=self.run_committed, args=(writer_cr, add_activity, outcomes, lock)
            )
            thread.start()
            self.wait_until_blocked(watch_cr, writer_pid)
            Contract._bill_groups(claimed)  # the run finishes: 60 minutes, what it saw
            run_env.flush_all()
            run_cr.commit()  # pylint: disable=invalid-commit
            thread.join(60)
            # under REPEATABLE READ the waiting upsert finds the row deleted by the run and fails
            # with a serialization error; retried (as RPC calls and crons are), it queues the day
            self.assertEqual(outcomes[-1], "done", outcomes)
            self.assertFalse([o for o in outcomes if o not in ("done", "retried")], outcomes)
            lines, _entries = self.day_state(watch_cr)
            self.assertEqual(lines[date(2026, 10, 6)], (60, 1))
            watch_cr.execute(
                SQL(
                    "SELECT COUNT(*) FROM miko_support_billing_queue WHERE contract_id = %s",
                    self.contract_id,
                )
            )
            self.assertEqual(watch_cr.fetchone()[0], 1, "the day is queued again")
            watch_cr.rollback()
            self.env_of(run_cr)["miko.support.contract"].post_consumption()
            run_cr.commit()  # pylint: disable=invalid-commit
            self.assert_charged_once(watch_cr, {date(2026, 10, 6): 90})
        finally:
            for cr in (run_cr, writer_cr, watch_cr):
                cr.close()

    def race(self, first, second, days, expected):
        """For each of ``days``: a day of work committed, then ``first`` and ``second`` run at the
        same moment on two cursors; then a last full run. Adds to ``expected`` {day: minutes}."""
        lock = threading.Lock()
        cursors = [self.real_cursor() for _ in range(3)]
        outcomes = []
        try:
            setup_cr, *racer_crs = cursors
            for day in days:
                round_no = day
                self.register(setup_cr, day, ("09:00", "10:00"), f"r{round_no}-1")
                self.register(setup_cr, day, ("09:30", "10:20"), f"r{round_no}-2")
                expected[date(2026, 10, day)] = 80
                barrier = threading.Barrier(2)
                threads = [
                    threading.Thread(
                        target=self.run_committed, args=(cr, work, outcomes, lock, barrier)
                    )
                    for cr, work in zip(racer_crs, (first, second), strict=True)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(120)
            # whatever a run left to the other (or to the cron) is done by a last run
            self.run_committed(
                setup_cr,
                lambda env: env["miko.support.contract"].post_consumption(),
                outcomes,
                lock,
            )
            self.assertFalse([o for o in outcomes if o not in ("done", "retried")], outcomes)
            self.assert_charged_once(setup_cr, expected)
        finally:
            for cr in cursors:
                cr.close()
        return outcomes

    def test_button_and_cron_post_consumption_at_once(self):
        """«Charge Minutes Now» beside the cron: neither fails (no «already in the wallet
        ledger»), each day is charged once."""

        def button(env):
            env["miko.support.contract"].browse(self.contract_id).action_post_consumption()

        def cron(env):
            env["miko.support.contract"]._cron_post_consumption()

        def rpc(env):
            env["miko.support.contract"].post_consumption()

        expected = {}
        self.race(button, cron, range(1, 1 + ROUNDS), expected)
        self.race(rpc, rpc, range(1 + ROUNDS, 1 + 2 * ROUNDS), expected)

    def test_immediate_billing_beside_the_cron(self):
        """An engineer's immediate billing (``_bill_days_now``) beside a cron run never inserts
        the same day line twice."""

        def immediate(env):
            env["miko.support.contract"].browse(self.contract_id)._bill_days_now()

        def cron(env):
            env["miko.support.contract"]._cron_post_consumption()

        self.race(immediate, cron, range(1, 1 + ROUNDS), {})
