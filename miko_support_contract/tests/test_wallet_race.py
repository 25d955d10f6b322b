"""Two real transactions debit the same wallet at the same moment, many times.

The commits below are on separate real cursors, never on the test's own transaction: a race needs
committed data and committing racers.

A TransactionCase never commits, so the contract is created and committed through separate real
cursors (``sql_db.db_connect(...).cursor()``, not the registry's test cursor) and removed in SQL at
the end. The test case's own cursor writes nothing, so it holds no lock the racers could wait on
(hence a plain ``TransactionCase`` rather than ``MikoSupportCommon``, whose set-up writes rows).
"""

import logging
import random
import threading
import time

import psycopg2.errors

from odoo import SUPERUSER_ID, api, sql_db
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

RACE_PAIRS = 200
START_BALANCE = 100.0
DEBIT = 60.0
MAX_TRIES = 20
CONTEXT = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}


@tagged("post_install", "-at_install")
class TestWalletRace(TransactionCase):
    def real_cursor(self):
        cr = sql_db.db_connect(self.env.cr.dbname).cursor()
        cr.execute("SET lock_timeout = '20s'")
        return cr

    def setUp(self):
        super().setUp()
        self.stats = {"debited": 0, "refused": 0, "serialization_failures": 0}
        with self.real_cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            company = env.ref("base.main_company")
            partner = env["res.partner"].create({"name": "Race Test LLC", "is_company": True})
            contract = env["miko.support.contract"].create(
                {"name": "RACE-TEST", "partner_id": partner.id, "company_id": company.id}
            )
            env.flush_all()
            cr.commit()  # pylint: disable=invalid-commit
            self.partner_id, self.contract_id = partner.id, contract.id
        self.addCleanup(self.remove_committed_data)

    def remove_committed_data(self):
        with self.real_cursor() as cr:
            cr.execute(
                SQL(
                    "DELETE FROM miko_support_wallet_entry WHERE contract_id = %s", self.contract_id
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
            cr.execute(SQL("DELETE FROM res_partner WHERE id = %s", self.partner_id))
            cr.commit()  # pylint: disable=invalid-commit

    def top_up(self, cr):
        """Bring the wallet back to START_BALANCE with a credit entry, committed."""
        env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
        contract = env["miko.support.contract"].browse(self.contract_id)
        missing = START_BALANCE - contract.balance
        if missing:
            contract._wallet_post(
                [
                    {
                        "contract_id": contract.id,
                        "date": "2026-11-01",
                        "kind": "credit",
                        "amount": missing,
                        "name": "race top-up",
                    }
                ]
            )
        cr.commit()  # pylint: disable=invalid-commit

    def debit(self, cr, barrier, outcomes, lock):
        """One racer: wait for the other, then debit with the «never below zero» policy."""
        barrier.wait()
        for _attempt in range(MAX_TRIES):
            env = api.Environment(cr, SUPERUSER_ID, CONTEXT)
            try:
                env["miko.support.contract"].browse(self.contract_id)._wallet_debit_checked(
                    DEBIT, "race debit", on_date="2026-11-02"
                )
                env.flush_all()
                cr.commit()  # pylint: disable=invalid-commit
                outcome = "debited"
            except UserError:
                cr.rollback()
                outcome = "refused"
            except (
                psycopg2.errors.SerializationFailure,
                psycopg2.errors.DeadlockDetected,
            ):
                cr.rollback()
                env.transaction.reset()
                with lock:
                    self.stats["serialization_failures"] += 1
                time.sleep(random.uniform(0, 0.002))
                continue
            with lock:
                outcomes.append(outcome)
            return
        with lock:
            outcomes.append("gave up")

    def check_invariants(self, cr, round_no):
        cr.execute(
            SQL(
                """
                SELECT contract.balance, COALESCE(SUM(entry.amount), 0), COUNT(entry.id)
                  FROM miko_support_contract AS contract
             LEFT JOIN miko_support_wallet_entry AS entry ON entry.contract_id = contract.id
                 WHERE contract.id = %s
              GROUP BY contract.id, contract.balance
                """,
                self.contract_id,
            )
        )
        balance, ledger, _count = cr.fetchone()
        self.assertEqual(balance, ledger, f"round {round_no}: stored balance = Σ ledger")
        self.assertGreaterEqual(balance, 0, f"round {round_no}: the policy floor holds")
        self.assertEqual(float(balance), START_BALANCE - DEBIT, f"round {round_no}: one debit")
        cr.rollback()

    def test_concurrent_debits_never_overdraw(self):
        """≥ 200 pairs of concurrent 60 RUB debits on 100 RUB: each time exactly one passes,
        stored balance = Σ ledger, never below zero, and the hash chain stays intact."""
        lock = threading.Lock()
        cursors = [self.real_cursor() for _ in range(3)]
        try:
            setup_cr, *racer_crs = cursors
            started = time.monotonic()
            for round_no in range(RACE_PAIRS):
                self.top_up(setup_cr)
                barrier = threading.Barrier(2)
                outcomes = []
                threads = [
                    threading.Thread(target=self.debit, args=(cr, barrier, outcomes, lock))
                    for cr in racer_crs
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(60)
                self.assertEqual(sorted(outcomes), ["debited", "refused"], f"round {round_no}")
                self.stats["debited"] += 1
                self.stats["refused"] += 1
                self.check_invariants(setup_cr, round_no)
            env = api.Environment(setup_cr, SUPERUSER_ID, CONTEXT)
            entries = env["miko.support.wallet.entry"]
            self.assertFalse(entries._chain_altered([self.contract_id]), "chain intact")
            contract = env["miko.support.contract"].browse(self.contract_id)
            self.assertFalse(contract._wallet_integrity_errors()["balances"])
            setup_cr.rollback()
            _logger.info(
                "wallet race: %s pairs in %.1f s, %s debits passed, %s refused by the policy, "
                "%s serialization failures retried, 0 invariant violations",
                RACE_PAIRS,
                time.monotonic() - started,
                self.stats["debited"],
                self.stats["refused"],
                self.stats["serialization_failures"],
            )
        finally:
            for cr in cursors:
                cr.close()
