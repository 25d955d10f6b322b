"""Money never wrong, nothing lost: database-enforced uniqueness and tamper evidence."""

from datetime import date

import psycopg2
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from .common_upd import MikoUpdCommon


@tagged("post_install", "-at_install")
class TestExactlyOnceInDatabase(MikoUpdCommon):
    """Each «exactly once» holds in the database itself: a raw INSERT of a duplicate, which
    bypasses every ORM check, is refused by PostgreSQL."""

    def assert_refused_insert(self, query):
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.UniqueViolation),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(query)

    def test_one_upd_per_contract_and_month_in_sql(self):
        contract = self.prepaid_contract()
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        upd = self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        self.assert_refused_insert(
            SQL(
                """
                INSERT INTO miko_support_upd
                       (name, contract_id, period_start, period_end, date, revision, state,
                        channel)
                SELECT name || '-dup', contract_id, period_start, period_end, date, revision,
                       'draft', channel
                  FROM miko_support_upd WHERE id = %s
                """,
                upd.id,
            )
        )
        self.assertEqual(
            self.env["miko.support.upd"].search_count([("contract_id", "=", contract.id)]), 1
        )

    def test_one_receipt_per_reconciliation_in_sql(self):
        contract = self.prepaid_contract(amount=3000.0)
        receipt = contract.entry_ids.filtered(lambda e: e.kind == "receipt")
        self.assertTrue(receipt.source_key)
        self.assert_refused_insert(
            SQL(
                """
                INSERT INTO miko_support_wallet_entry
                       (contract_id, company_id, date, kind, amount, name, source_key)
                SELECT contract_id, company_id, date, kind, amount, name, source_key
                  FROM miko_support_wallet_entry WHERE id = %s
                """,
                receipt.id,
            )
        )
        self.assertEqual(contract.balance, 3000.0)
        self.assertEqual(len(contract.entry_ids), 1)

    def test_one_activity_per_source_ref_in_sql(self):
        contract = self.create_contract()
        result = self.env["miko.support.contract"].register_activities(
            [
                {
                    "contract": contract.name,
                    "engineer": self.engineer.login,
                    "kind": "call_out",
                    "start": "2026-11-24T10:00:00+03:00",
                    "end": "2026-11-24T10:10:00+03:00",
                    "subject": "Звонок",
                    "source": "pbx",
                    "source_ref": "once-1",
                }
            ]
        )
        self.assertEqual(result["created"], 1, result)
        activity = self.env["miko.support.activity"].search([("source_ref", "=", "once-1")])
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'miko_support_activity' AND is_nullable = 'NO' "
                "AND column_default IS NULL AND column_name <> 'id'"
            )
        )
        columns = {row[0] for row in self.env.cr.fetchall()} | {"source", "source_ref", "part"}
        copied = SQL(", ").join(SQL.identifier(name) for name in sorted(columns))
        self.assert_refused_insert(
            SQL(
                "INSERT INTO miko_support_activity (%s) SELECT %s FROM miko_support_activity "
                "WHERE id = %s",
                copied,
                copied,
                activity.id,
            )
        )
        self.assertEqual(
            self.env["miko.support.activity"].search_count([("source_ref", "=", "once-1")]), 1
        )


@tagged("post_install", "-at_install")
class TestTamperEvidence(MikoUpdCommon):
    def test_ledger_chain_names_the_altered_entry(self):
        contract = self.prepaid_contract(amount=5000.0)
        other = self.prepaid_contract(amount=1000.0)
        for day in (10, 11, 12):
            self.consume(contract, date(2026, 10, day), 30, 850.0)
        entries = contract.entry_ids.sorted("id")
        self.assertEqual(len(entries), 4)
        self.assertTrue(all(entries.mapped("chain_hash")))
        self.assertEqual(len(set(entries.mapped("chain_hash"))), 4)
        Entry = self.env["miko.support.wallet.entry"]
        self.assertFalse(Entry._chain_altered((contract | other).ids))
        contract.with_user(self.finance).action_check_integrity()

        victim = entries[2]
        self.env.flush_all()
        self.env.cr.execute(
            SQL("UPDATE miko_support_wallet_entry SET amount = -1 WHERE id = %s", victim.id)
        )
        self.assertEqual(Entry._chain_altered((contract | other).ids), victim)
        self.assertEqual(contract._wallet_integrity_errors()["entries"], victim)
        with self.assertRaisesRegex(UserError, f"id {victim.id}"):
            contract.with_user(self.finance).action_check_integrity()
        self.assertFalse(Entry._chain_altered(other.ids), "other chains are untouched")

    def test_recomputed_hash_still_breaks_the_successor(self):
        contract = self.prepaid_contract(amount=5000.0)
        for day in (10, 11):
            self.consume(contract, date(2026, 10, day), 30, 850.0)
        first, second, third = self.env["miko.support.wallet.entry"].search(
            [("contract_id", "=", contract.id)], order="id"
        )
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE miko_support_wallet_entry SET chain_hash = 'forged' WHERE id = %s",
                second.id,
            )
        )
        altered = self.env["miko.support.wallet.entry"]._chain_altered(contract.ids)
        self.assertEqual(altered, second | third)
        # a deleted row shows through its successor
        self.env.cr.execute(
            SQL(
                "UPDATE miko_support_wallet_entry SET chain_hash = %s WHERE id = %s",
                self.env["miko.support.wallet.entry"]._chain_digest(
                    first.chain_hash, self._row(second)
                ),
                second.id,
            )
        )
        self.assertFalse(self.env["miko.support.wallet.entry"]._chain_altered(contract.ids))

    def _row(self, record):
        return record._chain_rows(SQL("id = %s", record.id))[0]

    def test_balance_altered_behind_the_orm_is_reported(self):
        contract = self.prepaid_contract(amount=2000.0)
        self.env.flush_all()
        self.env.cr.execute(
            SQL("UPDATE miko_support_contract SET balance = 999999 WHERE id = %s", contract.id)
        )
        self.assertEqual(contract._wallet_integrity_errors()["balances"], contract)

    def test_upd_chain_names_the_altered_upd(self):
        contract = self.prepaid_contract()
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        self.consume(contract, date(2026, 11, 3), 60, 1700.0)
        Upd = self.env["miko.support.upd"]
        october = Upd.generate_for_month(2026, 10, contract.ids)
        with freeze_time("2026-12-01 09:00:00"):
            november = Upd.generate_for_month(2026, 11, contract.ids)
        self.assertTrue(october.chain_hash and november.chain_hash)
        self.assertFalse(Upd._chain_altered(contract.ids))
        self.env.flush_all()
        self.env.cr.execute(
            SQL("UPDATE miko_support_upd SET amount_total = 1.0 WHERE id = %s", october.id)
        )
        self.assertEqual(Upd._chain_altered(contract.ids), october)
        # state changes along the EDI workflow are not part of the seal
        november.write({"state": "sent", "edi_attempts": 1})
        self.assertEqual(Upd._chain_altered(contract.ids), october)

    def test_integrity_check_is_for_finance(self):
        contract = self.prepaid_contract(amount=100.0)
        with self.assertRaises(AccessError):
            contract.with_user(self.sales).action_check_integrity()
        action = contract.with_user(self.finance).action_check_integrity()
        self.assertEqual(action["params"]["type"], "success")

    def test_locked_period_refuses_ledger_and_activity_writes(self):
        contract = self.prepaid_contract(amount=1000.0)
        self.consume(contract, date(2026, 10, 14), 30, 850.0)
        self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        self.assertEqual(contract.locked_until, date(2026, 10, 31))
        entry = contract.entry_ids[:1]
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            entry.write({"amount": 1})
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            entry.sudo().unlink()
        result = self.env["miko.support.contract"].register_activities(
            [
                {
                    "contract": contract.name,
                    "engineer": self.engineer.login,
                    "kind": "call_out",
                    "start": "2026-10-30T10:00:00+03:00",
                    "end": "2026-10-30T10:30:00+03:00",
                    "subject": "late",
                    "source": "pbx",
                    "source_ref": "locked-1",
                }
            ]
        )
        # new work of a closed month is late work, not refused; the closed work cannot change
        self.assertEqual((result["created"], result["errors"]), (1, []))
        late = self.env["miko.support.activity"].search([("source_ref", "=", "locked-1")])
        with self.assertRaises(UserError):
            late.date_end = late.date_begin
        with self.assertRaises(UserError):
            late.unlink()
