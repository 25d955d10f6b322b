"""The dirty flags became queues: what was flagged before the update is queued, not lost."""

from odoo.tools import SQL


def _has_column(cr, table, column):
    cr.execute(
        SQL(
            "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
            table,
            column,
        )
    )
    return bool(cr.fetchone())


def migrate(cr, version):
    if not version:
        return
    if _has_column(cr, "miko_support_activity", "needs_billing"):
        cr.execute(
            SQL(
                """
                INSERT INTO miko_support_billing_queue (contract_id, user_id, day)
                SELECT DISTINCT contract_id, user_id, day FROM miko_support_activity
                 WHERE needs_billing AND day IS NOT NULL
                    ON CONFLICT DO NOTHING
                """
            )
        )
    if _has_column(cr, "account_analytic_line", "miko_needs_billing"):
        cr.execute(
            SQL(
                """
                INSERT INTO miko_support_billing_queue (contract_id, user_id, day)
                SELECT DISTINCT miko_contract_id, user_id, date FROM account_analytic_line
                 WHERE miko_needs_billing AND miko_contract_id IS NOT NULL
                    ON CONFLICT DO NOTHING
                """
            )
        )
    if _has_column(cr, "account_analytic_line", "miko_to_charge"):
        cr.execute(
            SQL(
                """
                INSERT INTO miko_support_charge_queue (contract_id, month)
                SELECT DISTINCT miko_contract_id, date_trunc('month', date)::date
                  FROM account_analytic_line
                 WHERE miko_to_charge AND miko_contract_id IS NOT NULL
                    ON CONFLICT DO NOTHING
                """
            )
        )
