"""Tracked minutes of a contract: the union billing of its changed days into day lines
(timesheets written through the ORM), the posting entry points; the wallet charging is in
``support_contract_charge.py``."""

import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from .account_analytic_line import billing_write_context
from .billing_sql import half_up_minutes_sql, numbered_blocks_sql, seconds_between_sql
from .cron_progress import commit_cron_progress

_logger = logging.getLogger(__name__)

BILLING_BATCH = 2000


class SupportContractBilling(models.AbstractModel):
    _name = "miko.support.contract.billing"
    _description = "Support Contract: Billing"

    support_activity_count = fields.Integer(compute="_compute_support_activity_count")

    def _compute_support_activity_count(self):
        counts = dict(
            self.env["miko.support.activity"]._read_group(
                [("contract_id", "in", self.ids)], ["contract_id"], ["__count"]
            )
        )
        for contract in self:
            contract.support_activity_count = counts.get(contract, 0)

    def action_view_support_activities(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "miko_support_contract.miko_support_activity_action"
        )
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {"default_contract_id": self.id}
        return action

    def action_post_consumption(self):
        """«Charge Minutes Now» on a contract: what :meth:`post_consumption` does, for it."""
        self._check_billing_access()
        self.sudo()._bill_pending_days()
        self.sudo()._post_consumption()
        return True

    @api.model
    def post_consumption(self):
        """Integration API (fixed): bill the changed days and charge the wallets now.

        What the daily cron does, callable over RPC by finance and managers. Safe beside the cron,
        the button and an engineer's immediate billing: each run claims the queued days and
        months it works on (row locks, ``SKIP LOCKED``), so two runs never charge the same day
        and never fail on each other; what a concurrent run claimed is left to it.

        :returns: ``{"billed_groups": n, "ledger_entries": n}``
        """
        self._check_billing_access()
        contracts = self.sudo().browse()
        billed = contracts._bill_pending_days()
        entries = contracts._post_consumption()
        return {"billed_groups": billed, "ledger_entries": len(entries)}

    @api.model
    def _check_billing_access(self):
        if not (
            self.env.su
            or self.env.user.has_group("miko_support_contract.group_finance")
            or self.env.user.has_group("miko_support_contract.group_manager")
        ):
            raise AccessError(
                self.env._("Only finance and support managers can charge the wallets.")
            )

    # ------------------------------------------------------------------------------------------
    # Billing: union of intervals per engineer, contract and day
    # ------------------------------------------------------------------------------------------
    @api.model
    def _pending_billing_groups(self, contract_ids=None, limit=None):
        """Claim queued ``(contract_id, user_id, day, version)`` groups, in order.

        The rows are locked (``FOR UPDATE SKIP LOCKED``) until the transaction ends: two billing
        runs (the cron, the button, an engineer's immediate billing) never bill the same group at
        once, and a change queued meanwhile waits for the claiming run to commit, fails once to
        serialize and, retried, queues the group again (see ``_queue_billing_groups``).
        """
        self.env["miko.support.activity"].flush_model()
        contract_filter = (
            SQL("WHERE contract_id = ANY(%s)", list(contract_ids)) if contract_ids else SQL()
        )
        self.env.cr.execute(
            SQL(
                "SELECT contract_id, user_id, day, version FROM miko_support_billing_queue %s "
                "ORDER BY 1, 2, 3 %s FOR UPDATE SKIP LOCKED",
                contract_filter,
                SQL("LIMIT %s", limit) if limit else SQL(),
            )
        )
        return self.env.cr.fetchall()

    def _bill_days_now(self):
        """An engineer's change in the form shows in the timesheets at once: bill the changed days
        of these contracts now (the wallet is still charged by the daily cron). Bulk imports go
        through ``register_activities`` and are billed by the cron."""
        if self and not self.env.context.get("miko_defer_billing"):
            self.sudo()._bill_pending_days()

    def _bill_pending_days(self, batch_size=BILLING_BATCH):
        """Bill every (contract, engineer, day) whose activities changed; ``self`` may limit it.

        Works in batches of claimed groups; a cron run commits each batch, so a crash resumes
        from the queue left. Groups claimed by a concurrent run are left to it.
        """
        billed = 0
        while True:
            batch = self._pending_billing_groups(self.ids or None, limit=batch_size)
            if not batch:
                break
            self._bill_groups(batch)
            billed += len(batch)
            if self.env.context.get("ir_cron_progress_id"):
                commit_cron_progress(self.env, len(batch), remaining=0)
            if len(batch) < batch_size:
                break
        return billed

    @api.model
    def _bill_groups(self, groups):
        """Recompute the union and the day lines of ``(contract, user, day)`` groups and take
        them off the billing queue.

        Set-based: the blocks come from window functions (running maximum of the ends per group,
        ordered by begin, end, id: ``billing_sql.numbered_blocks_sql``), each block rounded
        half-up to whole minutes; the day lines are written with a few statements whatever the
        number of groups. The activities are not written: their trail is computed when read.
        """
        if not groups:
            return
        cr = self.env.cr
        AnalyticLine = self.env["account.analytic.line"]
        # a group given without its claimed version (-1) is deleted whatever its version
        groups = [(*group[:3], group[3] if len(group) > 3 else -1) for group in groups]
        contract_ids, user_ids, days, versions = (
            list(column) for column in zip(*groups, strict=True)
        )
        AnalyticLine.flush_model(["miko_contract_id", "user_id", "date", "miko_billed_minutes"])
        cr.execute(SQL("DROP TABLE IF EXISTS miko_bill_day"))
        cr.execute(
            SQL(
                """
                CREATE TEMP TABLE miko_bill_day ON COMMIT DROP AS
                WITH g AS (
                    SELECT DISTINCT * FROM unnest(%s::int[], %s::int[], %s::date[])
                        AS g(contract_id, user_id, day)
                ), acts AS (
                    SELECT a.id, a.contract_id, a.user_id, a.day, a.date_begin, a.date_end,
                           a.raw_seconds, NOT COALESCE(a.is_vendor_bug, FALSE) AS billable
                      FROM miko_support_activity a
                      JOIN g ON a.contract_id = g.contract_id AND a.user_id = g.user_id
                            AND a.day = g.day
                     WHERE a.active
                ), marked AS (%s
                ), blocks AS (
                    SELECT contract_id, user_id, day, %s AS minutes
                      FROM marked
                  GROUP BY contract_id, user_id, day, block_index
                ), billed AS (
                    SELECT contract_id, user_id, day, SUM(minutes)::int AS minutes
                      FROM blocks GROUP BY contract_id, user_id, day
                ), raw AS (
                    SELECT contract_id, user_id, day,
                           %s AS raw_minutes,
                           %s AS nonbillable_minutes
                      FROM acts
                  GROUP BY contract_id, user_id, day
                )
                SELECT g.contract_id, g.user_id, g.day,
                       raw.contract_id IS NOT NULL AS has_rows,
                       l.id IS NULL
                           OR l.miko_billed_minutes IS DISTINCT FROM COALESCE(billed.minutes, 0)
                           AS to_charge,
                       COALESCE(billed.minutes, 0) AS billed_minutes,
                       COALESCE(raw.raw_minutes, 0)::int AS raw_minutes,
                       COALESCE(raw.nonbillable_minutes, 0)::int AS nonbillable_minutes,
                       l.id AS line_id
                  FROM g
             LEFT JOIN billed USING (contract_id, user_id, day)
             LEFT JOIN raw USING (contract_id, user_id, day)
             LEFT JOIN account_analytic_line l
                    ON l.miko_contract_id = g.contract_id AND l.user_id = g.user_id
                   AND l.date = g.day
                """,
                contract_ids,
                user_ids,
                days,
                numbered_blocks_sql(
                    SQL(
                        "SELECT id, contract_id, user_id, day, date_begin, date_end FROM acts "
                        "WHERE billable"
                    )
                ),
                half_up_minutes_sql(
                    seconds_between_sql(SQL("MIN(date_begin)"), SQL("MAX(date_end)"))
                ),
                half_up_minutes_sql(SQL("SUM(raw_seconds)")),
                half_up_minutes_sql(
                    SQL("COALESCE(SUM(raw_seconds) FILTER (WHERE NOT billable), 0)")
                ),
            )
        )
        self._create_support_day_lines()
        self._update_support_day_lines()
        self._queue_charges(
            SQL(
                "SELECT contract_id, day FROM miko_bill_day WHERE to_charge AND line_id IS NOT NULL"
            )
        )
        cr.execute(
            SQL(
                """
                DELETE FROM miko_support_billing_queue q
                 USING unnest(%s::int[], %s::int[], %s::date[], %s::int[])
                       AS g(contract_id, user_id, day, version)
                 WHERE q.contract_id = g.contract_id AND q.user_id = g.user_id AND q.day = g.day
                   AND (g.version = -1 OR q.version IS NOT DISTINCT FROM g.version)
                """,
                contract_ids,
                user_ids,
                days,
                versions,
            )
        )
        cr.execute(SQL("DROP TABLE IF EXISTS miko_bill_day"))
        self.env["miko.support.billing.queue"].invalidate_model()
        self.env["miko.support.activity"]._invalidate_billing_trails()
        AnalyticLine.flush_model()  # the wallet and the queue are read in SQL

    @api.model
    def _create_support_day_lines(self):
        """Create the day lines missing from ``miko_bill_day`` (groups with activities).

        One ``create`` of many timesheets, as any timesheet is made: hr_timesheet fills the
        analytic accounts, the company and the unit, and computes the cost (``amount``, from the
        employee's hourly cost, ``_timesheet_postprocess``); every installed module computes its
        own fields (e.g. sale_timesheet's sale order line). The new ids go back into
        ``miko_bill_day`` so that their days are queued for the wallet.
        """
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT contract_id, user_id, day, billed_minutes, raw_minutes,
                       nonbillable_minutes
                  FROM miko_bill_day
                 WHERE line_id IS NULL AND has_rows
              ORDER BY contract_id, user_id, day
                """
            )
        )
        rows = cr.fetchall()
        if not rows:
            return
        contracts = self.browse(sorted({row[0] for row in rows})).sudo()
        contracts.filtered(lambda c: not c.project_id)._ensure_timesheet_projects()
        contracts.partner_id.mapped("lang")  # prefetch
        employees = self._support_employees(
            {(row[1], contracts.browse(row[0]).company_id.id) for row in rows}
        )
        descriptions = self._default_work_descriptions()
        default_description = self.env._("Technical support")
        vals_list = []
        for contract_id, user_id, day, billed, raw, nonbillable in rows:
            contract = contracts.browse(contract_id)
            employee = employees[user_id, contract.company_id.id]
            vals_list.append(
                {
                    "name": descriptions.get(contract.partner_id.lang) or default_description,
                    "date": day,
                    "employee_id": employee.id,
                    "project_id": contract.project_id.id,
                    "company_id": contract.company_id.id,
                    "unit_amount": billed / 60,
                    # what hr_timesheet computes (and checks) in ``_timesheet_postprocess``
                    "amount": -(billed / 60) * employee.hourly_cost,
                    "miko_contract_id": contract_id,
                    "miko_billed_minutes": billed,
                    "miko_raw_minutes": raw,
                    "miko_nonbillable_minutes": nonbillable,
                }
            )
        Line = (
            self.env["account.analytic.line"]
            .sudo()
            .with_context(**billing_write_context(), allowed_company_ids=contracts.company_id.ids)
        )
        if any(not employee.active for employee in employees.values()):
            Line = Line.with_context(active_test=False)  # an archived engineer's own employee
        lines = Line.create(vals_list)
        cr.execute(
            SQL(
                """
                UPDATE miko_bill_day d SET line_id = v.id
                  FROM unnest(%s::int[], %s::int[], %s::int[], %s::date[])
                       AS v(id, contract_id, user_id, day)
                 WHERE d.contract_id = v.contract_id AND d.user_id = v.user_id AND d.day = v.day
                """,
                lines.ids,
                [row[0] for row in rows],
                [row[1] for row in rows],
                [row[2] for row in rows],
            )
        )

    @api.model
    def _update_support_day_lines(self):
        """Write the changed minutes of the existing day lines of ``miko_bill_day`` (a line whose
        day has no activity left keeps 0 minutes).

        Grouped by value: one ``write`` per distinct billed (raw, not charged) minutes, not one
        per line; hr_timesheet recomputes the cost of the lines whose hours changed.
        """
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT d.line_id,
                       d.billed_minutes IS DISTINCT FROM l.miko_billed_minutes,
                       d.billed_minutes,
                       d.raw_minutes IS DISTINCT FROM l.miko_raw_minutes, d.raw_minutes,
                       d.nonbillable_minutes IS DISTINCT FROM l.miko_nonbillable_minutes,
                       d.nonbillable_minutes
                  FROM miko_bill_day d
                  JOIN account_analytic_line l ON l.id = d.line_id
                 WHERE l.miko_billed_minutes IS DISTINCT FROM d.billed_minutes
                    OR l.miko_raw_minutes IS DISTINCT FROM d.raw_minutes
                    OR l.miko_nonbillable_minutes IS DISTINCT FROM d.nonbillable_minutes
              ORDER BY d.line_id
                """
            )
        )
        writes = defaultdict(list)
        for (
            line_id,
            billed_changed,
            billed,
            raw_changed,
            raw,
            other_changed,
            other,
        ) in cr.fetchall():
            if billed_changed:
                writes["miko_billed_minutes", billed].append(line_id)
            if raw_changed:
                writes["miko_raw_minutes", raw].append(line_id)
            if other_changed:
                writes["miko_nonbillable_minutes", other].append(line_id)
        Line = self.env["account.analytic.line"].sudo().with_context(**billing_write_context())
        for (fname, value), line_ids in writes.items():
            vals = {fname: value}
            if fname == "miko_billed_minutes":
                vals["unit_amount"] = value / 60
            Line.browse(line_ids).write(vals)

    @api.model
    def _support_employees(self, pairs):
        """``{(user_id, company_id): hr.employee}`` for the engineers of new day lines: the
        user's employee in the company (an active one first), created when missing."""
        self.env["hr.employee"].flush_model(["user_id", "company_id", "active"])
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (e.user_id, e.company_id) e.user_id, e.company_id, e.id
                  FROM hr_employee e
                  JOIN unnest(%s::int[], %s::int[]) AS p(user_id, company_id)
                    ON e.user_id = p.user_id AND e.company_id = p.company_id
              ORDER BY e.user_id, e.company_id, e.active DESC, e.id
                """,
                [pair[0] for pair in pairs],
                [pair[1] for pair in pairs],
            )
        )
        Employee = self.env["hr.employee"].sudo().with_context(active_test=False)
        found = {(user_id, company_id): id_ for user_id, company_id, id_ in self.env.cr.fetchall()}
        employees = {}
        for user_id, company_id in pairs:
            if (user_id, company_id) in found:
                employees[user_id, company_id] = Employee.browse(found[user_id, company_id])
            else:
                employees[user_id, company_id] = self._support_employee(
                    self.env["res.users"].sudo().browse(user_id),
                    self.env["res.company"].browse(company_id),
                )
        return employees

    @api.model
    def _default_work_descriptions(self):
        """``{lang: "Technical support" in that language}`` for the installed languages."""
        return {
            code: self.with_context(lang=code).env._("Technical support")
            for code, _name in self.env["res.lang"].get_installed()
        }

    def _default_work_description(self):
        """The day line's description until the engineer writes one, in the customer's language."""
        self.ensure_one()
        lang = self.partner_id.lang or self.env.lang
        return self.with_context(lang=lang).env._("Technical support")

    @api.model
    def _support_employee(self, user, company):
        Employee = self.env["hr.employee"].sudo().with_context(active_test=False)
        employee = Employee.search(
            [("user_id", "=", user.id), ("company_id", "=", company.id)], limit=1
        )
        if not employee:
            employee = Employee.create(
                {"name": user.name, "user_id": user.id, "company_id": company.id}
            )
            _logger.info("created employee %s for engineer %s", employee.id, user.login)
        return employee

    def _ensure_timesheet_projects(self):
        """The timesheet project of each contract, the missing ones created together.

        Their analytic accounts are created first, in the contract's company, so the projects
        take their company from them (instead of writing it back on each account); no creation
        message on these technical projects.
        """
        todo = self.sudo().filtered(lambda contract: not contract.project_id)
        for company_contracts in todo.grouped("company_id").values():
            company = company_contracts.company_id
            Project = (
                self.env["project.project"]
                .sudo()
                .with_company(company)
                .with_context(mail_create_nolog=True)
            )
            vals_list = [
                {
                    "name": self.env._(
                        "Support %(contract)s — %(customer)s",
                        contract=contract.name,
                        customer=contract.partner_id.display_name,
                    ),
                    "partner_id": contract.partner_id.id,
                    "company_id": company.id,
                    "allow_timesheets": True,
                    "privacy_visibility": "employees",
                }
                for contract in company_contracts
            ]
            accounts = (
                self.env["account.analytic.account"]
                .sudo()
                .with_company(company)
                .with_context(mail_create_nolog=True)
                .create(Project._get_values_analytic_account_batch(vals_list))
            )
            for vals, account in zip(vals_list, accounts, strict=True):
                vals["account_id"] = account.id
                del vals["company_id"]  # the account's
            projects = Project.create(vals_list)
            # one statement, not one tracked write per contract (the field is not tracked)
            company_contracts.flush_recordset(["project_id"])
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE miko_support_contract c SET project_id = v.project_id
                      FROM unnest(%s::int[], %s::int[]) AS v(id, project_id)
                     WHERE c.id = v.id
                    """,
                    company_contracts.ids,
                    projects.ids,
                )
            )
            company_contracts.invalidate_recordset(["project_id"])
            company_contracts.modified(["project_id"])
        return self.project_id

    @api.model
    def _cron_post_consumption(self):
        """Bill changed days and charge the wallets (daily cron; safe twice or concurrently).

        A transaction-level advisory lock lets one run work at a time: a concurrent run finds the
        lock taken and returns, leaving the work to the run that holds it. Re-running books
        nothing new: the ledger is compared to the billed minutes, day by day.
        """
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s)", _advisory_key()))
        if not self.env.cr.fetchone()[0]:
            _logger.info("consumption posting already running: skipped")
            return False
        result = self.post_consumption()
        _logger.info("consumption posting: %s wallet entries", result["ledger_entries"])
        return True


def _advisory_key():
    """A stable 63-bit key for the consumption-posting advisory lock."""
    return int.from_bytes(b"mikobill", "big") & 0x7FFFFFFFFFFFFFFF
