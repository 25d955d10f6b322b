"""The dirty flags became queues: what was flagged before the update is queued, not lost. The
indexes of the flags, and the single-column indexes the composite ones cover, are dropped (Odoo
keeps an index it no longer declares)."""

from odoo.tools import SQL
from odoo.tools.sql import column_exists, drop_index

OBSOLETE_INDEXES = (  # (table, index)
    ("miko_support_activity", "miko_support_activity_needs_billing_idx"),
    ("miko_support_activity", "miko_support_activity__timesheet_id_index"),
    ("miko_support_activity", "miko_support_activity__contract_id_index"),
    ("miko_support_activity", "miko_support_activity__company_id_index"),
    ("account_analytic_line", "account_analytic_line_miko_needs_billing_idx"),
    ("account_analytic_line", "account_analytic_line_miko_to_charge_idx"),
    ("account_analytic_line", "account_analytic_line__miko_contract_id_index"),
)


def migrate(cr, version):
    if not version:
        return
    if column_exists(cr, "miko_support_activity", "needs_billing"):
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
    if column_exists(cr, "account_analytic_line", "miko_needs_billing"):
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
    if column_exists(cr, "account_analytic_line", "miko_to_charge"):
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
    for table, index in OBSOLETE_INDEXES:
        drop_index(cr, index, table)
