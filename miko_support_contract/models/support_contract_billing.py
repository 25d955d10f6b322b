"""Tracked minutes of a contract: activity import, union billing, wallet consumption,
statements (PDF, XLSX, weekly and early e-mails)."""

import io
import json
import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import xlsxwriter
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.orm.identifiers import NewId
from odoo.tools import SQL, format_date

from ..rules import intervals, money, spreadsheet
from ..rules import statement as statement_rules
from ..rules.source_files import csv_safe_cell
from .support_activity import ACTIVITY_KIND_CODES, numbered_blocks_sql

_logger = logging.getLogger(__name__)

BILLING_BATCH = 2000
# stored computed fields of these types of a new day line are computed in memory before insert
PLAIN_COLUMN_TYPES = frozenset(
    {"many2one", "integer", "float", "boolean", "char", "selection", "date", "datetime"}
)
# stored computed fields of a new support day line (no task, no journal item) set in SQL by
# ``_create_support_day_lines``, as analytic and hr_timesheet compute them; the ORM computes the
# others
DAY_LINE_SQL_FIELDS = frozenset(
    {
        "user_id",  # the employee's user
        "currency_id",  # the company's
        "project_id",  # the contract's (no task)
        "partner_id",  # the project's (no task)
        "manager_id",  # the employee's manager
        "task_id",  # none
        "parent_task_id",  # none
        "general_account_id",  # no journal item
        "journal_id",  # no journal item
    }
)
STATEMENT_REPORT = "miko_support_contract.action_report_support_statement"
ALERT_LEVELS = {"none": 0, "low": 1, "negative": 2}
STATEMENT_BATCH = 50


class SupportContract(models.Model):
    _inherit = "miko.support.contract"

    project_id = fields.Many2one(
        "project.project",
        string="Timesheet Project",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Project whose timesheets carry the support day lines of this contract.",
    )
    support_activity_ids = fields.One2many(
        "miko.support.activity", "contract_id", string="Support Activities"
    )
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
    # Integration API: activities
    # ------------------------------------------------------------------------------------------
    @api.model
    def register_activities(self, records):
        """Create or update activities in bulk, idempotently by (``source``, ``source_ref``).

        Each record: ``contract`` (number or id), ``engineer`` (user login), ``kind``, ``start``
        and ``end`` (ISO 8601 with offset), ``subject``, ``description``, ``source``,
        ``source_ref``, and optionally ``request`` (the id of the support request). Returns
        ``{"created", "updated", "skipped", "errors": [{"index", "message"}]}``; invalid records
        are reported and the valid ones still saved. The work is done in set-based SQL
        (``miko.support.activity._import_api_records``); a record stored exactly as sent is
        skipped by its fingerprint.
        """
        Activity = self.env["miko.support.activity"]
        Activity.check_access("create")
        if not isinstance(records, (list, tuple)):
            raise UserError(self.env._("register_activities expects a list of activity records."))
        return Activity._import_api_records(list(records))

    def _activity_contract_settings(self, contract, contracts_by_key):
        """The support time zone, the locked month and the stored ids (contract, company,
        customer) of ``contract``, once per call."""
        settings = contracts_by_key.get(("settings", contract.id))
        if settings is None:
            settings = (
                contract.company_id.miko_support_tz or intervals.MOSCOW,
                contract.sudo().locked_until,
                (contract.id, contract.company_id.id, contract.partner_id.id),
            )
            contracts_by_key["settings", contract.id] = settings
        return settings

    def _prepare_activity_row(self, record, contracts_by_key, users_by_login):
        if not isinstance(record, dict):
            raise UserError(self.env._("The record is not an object with activity fields."))
        contract_key = record.get("contract")
        if isinstance(contract_key, str):
            contract_key = contract_key.strip()
        contract = contracts_by_key.get(contract_key)
        if not contract:
            raise UserError(
                self.env._(
                    'Unknown support contract "%(contract)s" (field "contract").',
                    contract=contract_key,
                )
            )
        user = users_by_login.get(record.get("engineer"))
        if not user:
            raise UserError(
                self.env._(
                    'Unknown engineer "%(engineer)s" (field "engineer": an internal user\'s '
                    "login).",
                    engineer=record.get("engineer"),
                )
            )
        kind = record.get("kind")
        if kind not in ACTIVITY_KIND_CODES:
            raise UserError(
                self.env._(
                    'Unknown activity kind "%(kind)s" (field "kind"): use one of %(kinds)s.',
                    kind=kind,
                    kinds=", ".join(sorted(ACTIVITY_KIND_CODES)),
                )
            )
        begin = self._parse_activity_moment(record.get("start"), "start")
        end = self._parse_activity_moment(record.get("end"), "end")
        tz_name, _locked_until, contract_ids = self._activity_contract_settings(
            contract, contracts_by_key
        )
        intervals.validate_interval(begin, end, tz_name)
        values = {}
        for name, limit in (("subject", 512), ("source", 64), ("source_ref", 256)):
            value = record.get(name)
            if not isinstance(value, str) or not value.strip():
                raise UserError(
                    self.env._('Field "%(field)s" is required.', field=name),
                )
            if len(value) > limit:
                raise UserError(
                    self.env._(
                        'Field "%(field)s" is longer than %(limit)s characters.',
                        field=name,
                        limit=limit,
                    )
                )
            values[name] = value.strip()
        description = record.get("description") or ""
        if not isinstance(description, str):
            raise UserError(self.env._('Field "description" must be text.'))
        request_id = record.get("request") or None
        if request_id is not None:
            task = self.env["project.task"].sudo().browse(request_id).exists()
            if (
                isinstance(request_id, bool)
                or not isinstance(request_id, int)
                or not task
                or task.miko_contract_id != contract
            ):
                raise UserError(
                    self.env._(
                        "Unknown support request %(request)s for contract %(contract)s (field "
                        '"request").',
                        request=request_id,
                        contract=contract.display_name,
                    )
                )
        pieces = intervals.split_by_local_day(begin, end, tz_name)
        return {
            "contract": contract,
            "contract_ids": contract_ids,
            "user_id": user.id,
            "kind": kind,
            "subject": values["subject"],
            "description": description,
            "source": values["source"],
            "source_ref": values["source_ref"],
            "request_id": request_id,
            "pieces": pieces,
            "compare": (
                contract.id,
                user.id,
                kind,
                begin,
                end,
                values["subject"],
                description,
                request_id,
            ),
        }

    def _parse_activity_moment(self, value, field_name):
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is not None:
                return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)
        raise UserError(
            self.env._(
                'Field "%(field)s" must be an ISO 8601 date and time with its UTC offset, e.g. '
                "2026-11-24T10:42:00+03:00 (got %(value)s).",
                field=field_name,
                value=value,
            )
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
                self._miko_commit_progress(len(batch), 0)
            if len(batch) < batch_size:
                break
        return billed

    @api.model
    def _bill_groups(self, groups):
        """Recompute the union and the day lines of ``(contract, user, day)`` groups and take
        them off the billing queue.

        Set-based: the blocks come from window functions (running maximum of the ends per group,
        ordered by begin, end, id, as ``rules.intervals.merge_blocks``), each block rounded
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
                    SELECT contract_id, user_id, day,
                           (EXTRACT(EPOCH FROM MAX(date_end) - MIN(date_begin))::bigint + 30)
                               / 60 AS minutes
                      FROM marked
                  GROUP BY contract_id, user_id, day, block_index
                ), billed AS (
                    SELECT contract_id, user_id, day, SUM(minutes)::int AS minutes
                      FROM blocks GROUP BY contract_id, user_id, day
                ), raw AS (
                    SELECT contract_id, user_id, day,
                           (SUM(raw_seconds) + 30) / 60 AS raw_minutes,
                           (COALESCE(SUM(raw_seconds) FILTER (WHERE NOT billable), 0) + 30) / 60
                               AS nonbillable_minutes
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
            )
        )
        self._create_support_day_lines()
        cr.execute(
            SQL(
                """
                UPDATE account_analytic_line l
                   SET miko_billed_minutes = d.billed_minutes,
                       miko_raw_minutes = d.raw_minutes,
                       miko_nonbillable_minutes = d.nonbillable_minutes,
                       unit_amount = d.billed_minutes::float8 / 60,
                       amount = ROUND((-(d.billed_minutes::float8 / 60) * COALESCE(
                           (SELECT e.hourly_cost FROM hr_employee e WHERE e.id = l.employee_id),
                           0))::numeric, 2),
                       write_uid = %s,
                       write_date = NOW() AT TIME ZONE 'UTC'
                  FROM miko_bill_day d
                 WHERE l.id = d.line_id
                   AND (l.miko_billed_minutes IS DISTINCT FROM d.billed_minutes
                        OR l.miko_raw_minutes IS DISTINCT FROM d.raw_minutes
                        OR l.miko_nonbillable_minutes IS DISTINCT FROM d.nonbillable_minutes)
             RETURNING l.id
                """,
                self.env.uid,
            )
        )
        updated_ids = [row[0] for row in cr.fetchall()]
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
        self._support_day_lines_recompute_amounts(updated_ids)
        cr.execute(SQL("DROP TABLE IF EXISTS miko_bill_day"))
        self.env["miko.support.billing.queue"].invalidate_model()
        self.env["miko.support.activity"]._invalidate_billing_trails()
        AnalyticLine.invalidate_model(
            [
                "miko_billed_minutes",
                "miko_raw_minutes",
                "miko_nonbillable_minutes",
                "unit_amount",
                "amount",
                "write_uid",
                "write_date",
            ]
        )

    @api.model
    def _support_day_lines_recompute_amounts(self, line_ids):
        """The SQL amount is −hours × the employee's hourly cost in the line's currency; a line
        whose employee is paid in another currency gets it from hr_timesheet (ORM)."""
        if not line_ids:
            return
        self.env.cr.execute(
            SQL(
                """
                SELECT l.id FROM account_analytic_line l
                  JOIN hr_employee e ON e.id = l.employee_id
                  JOIN res_company c ON c.id = e.company_id
                 WHERE l.id = ANY(%s) AND COALESCE(e.hourly_cost, 0) != 0
                   AND c.currency_id != l.currency_id
                """,
                line_ids,
            )
        )
        foreign = [row[0] for row in self.env.cr.fetchall()]
        if foreign:
            lines = self.env["account.analytic.line"].sudo().browse(foreign)
            lines.invalidate_recordset()
            for line in lines:
                line._timesheet_postprocess({"unit_amount": line.unit_amount})

    @api.model
    def _create_support_day_lines(self):
        """Insert the day lines missing from ``miko_bill_day`` (groups with activities).

        The columns hr_timesheet's ``create`` fills are set in SQL (project, its analytic
        account and partner, employee, company, currency, unit of time), and so are the stored
        computed fields of ``DAY_LINE_SQL_FIELDS``, whose value is known for a line without task
        or journal item; every other stored computed field of ``account.analytic.line`` (of any
        installed module, e.g. sale_timesheet's sale order line) is then computed by the ORM on
        the new lines, so they are what ``create`` would have made.
        """
        cr = self.env.cr
        cr.execute(
            SQL("SELECT DISTINCT contract_id FROM miko_bill_day WHERE line_id IS NULL AND has_rows")
        )
        contract_ids = [row[0] for row in cr.fetchall()]
        if not contract_ids:
            return
        contracts = self.browse(contract_ids).sudo()
        contracts.filtered(lambda c: not c.project_id)._ensure_timesheet_projects()
        self.env.flush_all()
        cr.execute(
            SQL(
                """
                SELECT DISTINCT d.user_id, c.company_id
                  FROM miko_bill_day d
                  JOIN miko_support_contract c ON c.id = d.contract_id
                 WHERE d.line_id IS NULL AND d.has_rows
                   AND NOT EXISTS (SELECT 1 FROM hr_employee e
                                    WHERE e.user_id = d.user_id AND e.company_id = c.company_id)
                """
            )
        )
        for user_id, company_id in cr.fetchall():
            self._support_employee(
                self.env["res.users"].sudo().browse(user_id),
                self.env["res.company"].browse(company_id),
            )
        self.env.flush_all()
        Line = self.env["account.analytic.line"].sudo()
        plan_columns = Line._get_plan_fnames()
        cr.execute(
            SQL(
                """
                WITH employee AS (
                    SELECT DISTINCT ON (user_id, company_id) id, user_id, company_id,
                           parent_id, hourly_cost
                      FROM hr_employee
                     WHERE user_id IS NOT NULL
                  ORDER BY user_id, company_id, active DESC, id
                )
                SELECT COALESCE(%s::jsonb ->> rp.lang, %s) AS name, d.day AS date,
                       d.user_id, e.id AS employee_id, e.parent_id AS manager_id,
                       p.id AS project_id, %s, p.partner_id,
                       k.company_id, co.currency_id, co.project_time_mode_id AS product_uom_id,
                       'other' AS category,
                       d.billed_minutes::float8 / 60 AS unit_amount,
                       ROUND((-(d.billed_minutes::float8 / 60)
                              * COALESCE(e.hourly_cost, 0))::numeric, 2)::float8 AS amount,
                       d.contract_id AS miko_contract_id,
                       d.billed_minutes AS miko_billed_minutes,
                       d.raw_minutes AS miko_raw_minutes,
                       d.nonbillable_minutes AS miko_nonbillable_minutes
                  FROM miko_bill_day d
                  JOIN miko_support_contract k ON k.id = d.contract_id
                  JOIN project_project p ON p.id = k.project_id
                  JOIN res_company co ON co.id = k.company_id
                  JOIN res_partner rp ON rp.id = k.partner_id
                  JOIN employee e ON e.user_id = d.user_id AND e.company_id = k.company_id
                 WHERE d.line_id IS NULL AND d.has_rows
                """,
                json.dumps(self._default_work_descriptions()),
                self.env._("Technical support"),
                SQL(", ").join(
                    SQL("%s AS %s", SQL.identifier("p", name), SQL.identifier(name))
                    for name in plan_columns
                ),
            )
        )
        names = [column.name for column in cr.description]
        rows = cr.fetchall()
        if not rows:
            return
        columns = dict(zip(names, zip(*rows, strict=True), strict=True))
        types = {name: Line._fields[name].column_type[1] for name in names}
        for name in DAY_LINE_SQL_FIELDS - set(columns):  # empty: no task, no journal item
            columns[name] = (None,) * len(rows)
            types[name] = Line._fields[name].column_type[1]
        # the other stored computed fields: those of a plain column are computed on the lines
        # in memory, before the insert (no second write of every new row), the others by the
        # ORM on the inserted lines
        computed = [
            field
            for name, field in Line._fields.items()
            if field.store and field.compute and name not in DAY_LINE_SQL_FIELDS
        ]
        in_memory = [
            field
            for field in computed
            if field.type in PLAIN_COLUMN_TYPES and not getattr(field, "translate", False)
        ]
        if in_memory:
            drafts = Line.browse([NewId() for _row in rows])
            for name, values in columns.items():
                Line._fields[name]._insert_cache(drafts, values)
            for field in in_memory:
                columns[field.name] = [
                    field.convert_to_column(field.convert_to_write(draft[field.name], draft), draft)
                    for draft in drafts
                ]
                types[field.name] = field.column_type[1]
            drafts.invalidate_recordset()
        cr.execute(
            SQL(
                """
                WITH new AS (
                    INSERT INTO account_analytic_line (%(columns)s,
                           create_uid, create_date, write_uid, write_date)
                    SELECT v.*, %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s,
                           NOW() AT TIME ZONE 'UTC'
                      FROM unnest(%(arrays)s) AS v(%(columns)s)
                    RETURNING id, miko_contract_id, user_id, date
                )
                UPDATE miko_bill_day d SET line_id = new.id
                  FROM new
                 WHERE new.miko_contract_id = d.contract_id AND new.user_id = d.user_id
                   AND new.date = d.day
             RETURNING d.line_id
                """,
                columns=SQL(", ").join(SQL.identifier(name) for name in columns),
                arrays=SQL(", ").join(
                    SQL("%s::%s[]", list(values), SQL(types[name]))
                    for name, values in columns.items()
                ),
                uid=self.env.uid,
            )
        )
        new_ids = [row[0] for row in cr.fetchall()]
        lines = Line.browse(new_ids)
        self._support_day_lines_recompute_amounts(new_ids)
        for field in computed:
            if field not in in_memory:
                self.env.add_to_compute(field, lines)
        self.env.flush_all()

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

    # ------------------------------------------------------------------------------------------
    # Wallet consumption
    # ------------------------------------------------------------------------------------------
    def _post_consumption(self, credit_kind="consumption"):
        """Charge the wallets for billed minutes not yet in them; ``self`` may limit contracts.

        Per contract and month, the day amounts are allocated cumulatively (the month's total is
        the exact minutes × rate ÷ 60 rounded once); each day's difference between that target
        and what its ledger entries already hold is booked, so a second run books nothing and an
        edit books only the correction. Entries are dated the day of the work.
        """
        AnalyticLine = self.env["account.analytic.line"]
        AnalyticLine.flush_model()
        self.env["miko.support.wallet.entry"].flush_model()
        cr = self.env.cr
        contract_filter = SQL("WHERE contract_id = ANY(%s)", self.ids) if self else SQL()
        cr.execute(
            SQL(
                "SELECT contract_id, month, version FROM miko_support_charge_queue %s "
                "ORDER BY 1, 2 FOR UPDATE SKIP LOCKED",
                contract_filter,
            )
        )
        claimed = cr.fetchall()
        months = [row[:2] for row in claimed]
        if not months:
            return self.env["miko.support.wallet.entry"]
        month_contracts = [row[0] for row in months]
        month_starts = [row[1] for row in months]
        cr.execute(
            SQL(
                """
                SELECT l.miko_contract_id, l.date,
                       COALESCE(SUM(l.miko_billed_minutes) FILTER (
                           WHERE NOT %s OR l.miko_period_decision = 'charge'), 0)
                  FROM account_analytic_line l
                  JOIN miko_support_contract k ON k.id = l.miko_contract_id
                  JOIN unnest(%s::int[], %s::date[]) AS m(contract_id, month_start)
                    ON l.miko_contract_id = m.contract_id
                   AND l.date >= m.month_start
                   AND l.date < m.month_start + interval '1 month'
              GROUP BY l.miko_contract_id, l.date
                """,
                AnalyticLine._miko_outside_period_sql(),
                month_contracts,
                month_starts,
            )
        )
        day_minutes = defaultdict(dict)
        for contract_id, day, minutes in cr.fetchall():
            day_minutes[contract_id, day.replace(day=1)][day] = minutes
        # what each work day already holds, wherever it was booked (late work is booked in a
        # later month): keyed by the work date
        cr.execute(
            SQL(
                """
                SELECT e.contract_id, COALESCE(e.work_date, e.date), COUNT(*),
                       COALESCE(-SUM(e.amount), 0), COALESCE(SUM(e.minutes), 0)
                  FROM miko_support_wallet_entry e
                  JOIN unnest(%s::int[], %s::date[]) AS m(contract_id, month_start)
                    ON e.contract_id = m.contract_id
                   AND COALESCE(e.work_date, e.date) >= m.month_start
                   AND COALESCE(e.work_date, e.date) < m.month_start + interval '1 month'
                 WHERE e.source_key LIKE 'billing:' || e.contract_id || ':%%'
              GROUP BY e.contract_id, COALESCE(e.work_date, e.date)
                """,
                month_contracts,
                month_starts,
            )
        )
        charged = defaultdict(dict)
        for contract_id, day, *values in cr.fetchall():
            charged[contract_id, day.replace(day=1)][day] = values
        contracts = self.browse(month_contracts).sudo()
        contracts.rate_ids.mapped("hourly_rate")  # prefetch
        by_id = {contract.id: contract for contract in contracts}  # sharing their prefetch
        vals_list = []
        for contract_id, month_start in months:
            contract = by_id[contract_id]
            vals_list += contract._prepare_month_charges(
                month_start,
                day_minutes.get((contract_id, month_start), {}),
                charged.get((contract_id, month_start), {}),
                credit_kind,
            )
        # set-based: the same entries as ``_wallet_post`` would create, a few statements in all
        posted = self.env["miko.support.wallet.entry"].sudo()._create_bulk(vals_list)
        cr.execute(
            SQL(
                """
                DELETE FROM miko_support_charge_queue q
                 USING unnest(%s::int[], %s::date[], %s::int[]) AS m(contract_id, month, version)
                 WHERE q.contract_id = m.contract_id AND q.month = m.month
                   AND q.version IS NOT DISTINCT FROM m.version
                """,
                month_contracts,
                month_starts,
                [row[2] for row in claimed],
            )
        )
        self.env["miko.support.charge.queue"].invalidate_model()
        return posted

    @api.model
    def _queue_charges(self, query):
        """Queue for the wallet the months of the ``(contract_id, day)`` rows of ``query`` (an
        ``SQL`` SELECT): their billed minutes changed."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO miko_support_charge_queue (contract_id, month, version)
                SELECT DISTINCT q.contract_id, date_trunc('month', q.day)::date, 0
                  FROM (%s) AS q(contract_id, day)
              ORDER BY 1, 2
                    ON CONFLICT (contract_id, month)
                    DO UPDATE SET version = COALESCE(miko_support_charge_queue.version, 0) + 1
                """,
                query,
            )
        )
        self.env["miko.support.charge.queue"].invalidate_model()

    def _prepare_month_charges(self, month_start, day_minutes, charged, credit_kind):
        """Wallet entries (vals) bringing a month's work days to their billed minutes.

        ``day_minutes``: ``{day: chargeable minutes}`` (inside the contract's effective period,
        or outside it on a manager's decision to charge); ``charged``: ``{day: (count, amount,
        minutes)}`` of the billing entries already booked for each work day. One entry per day,
        and a correction only when that day's minutes change: each day's amount is its minutes
        at the day's rate rounded half-up; the month's rounding difference is settled once, by
        the UPD (:meth:`_settle_month_rounding`). A day of a month already closed is charged as
        late work in the first open month, with its real date as work date.
        """
        self.ensure_one()
        vals_list = []
        for day in sorted(set(day_minutes) | set(charged)):
            target_minutes = int(day_minutes.get(day, 0))
            count, charged_amount, charged_minutes = charged.get(day, (0, Decimal(0), 0))
            delta_minutes = target_minutes - int(charged_minutes)
            if not delta_minutes:
                continue
            target_amount = money.minutes_amount(target_minutes, self._rate_at(day))
            delta = target_amount - money.to_decimal(charged_amount)
            booked_on = self._charge_booking_date(day)
            kind = credit_kind if delta_minutes < 0 else "consumption"
            vals_list.append(
                {
                    "contract_id": self.id,
                    "date": booked_on,
                    "work_date": day,
                    "kind": kind,
                    "amount": float(-delta),
                    "minutes": delta_minutes,
                    "name": self._consumption_label(
                        day, delta_minutes, count > 0, kind, late=booked_on.month != day.month
                    ),
                    "source_key": f"billing:{self.id}:{day.isoformat()}:{count + 1}",
                }
            )
        return vals_list

    def _charge_booking_date(self, day):
        """The ledger date of a charge for the work of ``day``: the day itself, moved into the
        contract's period (work outside it charged on a decision) and after the closed months
        (late work goes into the first open month)."""
        self.ensure_one()
        booked_on = day
        if self.date_start and booked_on < self.date_start:
            booked_on = self.date_start
        if self.date_end and booked_on > self.date_end:
            booked_on = self.date_end
        if self.locked_until and booked_on <= self.locked_until:
            booked_on = self.locked_until + timedelta(days=1)
        return booked_on

    def _settle_month_rounding(self, first, last):
        """Settle the rounding of each contract's month once, before its UPD: the month's
        charges become Σ minutes × rate ÷ 60 of its work, rounded once (not the sum of the
        rounded days). Idempotent; nothing for a month already closed. One query for all the
        contracts (the month close counts its queries per UPD)."""
        Entry = self.env["miko.support.wallet.entry"].sudo()
        contracts = self.sudo().filtered(lambda c: not c.locked_until or c.locked_until < last)
        if not contracts:
            return Entry
        Entry.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT contract_id, COALESCE(work_date, date), minutes, amount, source_key
                  FROM miko_support_wallet_entry
                 WHERE contract_id = ANY(%s) AND date BETWEEN %s AND %s
                   AND (source_key LIKE 'billing:%%' OR source_key LIKE 'rounding:%%')
                """,
                contracts.ids,
                first,
                last,
            )
        )
        rows = defaultdict(list)
        for contract_id, work_date, minutes, amount, source_key in self.env.cr.fetchall():
            rows[contract_id].append((work_date, minutes or 0, amount, source_key))
        contracts.rate_ids.mapped("hourly_rate")  # prefetch
        vals_list = []
        for contract in contracts:
            entries = rows.get(contract.id, [])
            exact = money.exact_total(
                (minutes, contract._rate_at(work_date))
                for work_date, minutes, _amount, key in entries
                if key.startswith("billing:")
            )
            booked = -sum((money.to_decimal(row[2]) for row in entries), Decimal(0))
            settlement = exact - booked
            if not settlement:
                continue
            key = f"rounding:{contract.id}:{first.isoformat()}"
            settled = sum(1 for row in entries if row[3].startswith(key))
            vals_list.append(
                {
                    "contract_id": contract.id,
                    "date": last,
                    "kind": "consumption",
                    "amount": float(-settlement),
                    "minutes": 0,
                    "name": contract._consumption_label(last, 0, False, "rounding"),
                    "source_key": f"{key}:{settled + 1}" if settled else key,
                }
            )
        return Entry._create_bulk(vals_list)

    def _consumption_label(self, day, minutes, is_correction, kind, late=False):
        """The ledger line of a charge, in the customer's language."""
        self = self.with_context(lang=self.partner_id.lang or self.env.lang)  # noqa: PLW0642
        day_text = format_date(self.env, day)
        if kind == "rounding":
            return self.env._(
                "Rounding of the month's support to whole kopecks (month ending %(day)s)",
                day=day_text,
            )
        if kind == "credit":
            return self.env._(
                "Credit for work not billed (vendor bug) on %(day)s: %(minutes)s min",
                day=day_text,
                minutes=-minutes,
            )
        if late:
            return self.env._(
                "Late work of %(day)s (its month was already closed): %(minutes)s min",
                day=day_text,
                minutes=minutes,
            )
        if is_correction:
            return self.env._(
                "Correction of the support on %(day)s: %(minutes)s min",
                day=day_text,
                minutes=minutes,
            )
        return self.env._(
            "Technical support on %(day)s: %(minutes)s min", day=day_text, minutes=minutes
        )

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

    # ------------------------------------------------------------------------------------------
    # Statement
    # ------------------------------------------------------------------------------------------
    def get_statement(self, date_from, date_to):
        """The statement of account for a period, as a JSON-serialisable dict.

        ``days`` (each with ``date``, ``billed_minutes``, ``amount``, ``lines`` and the engineers'
        ``work_descriptions``), ``billed_minutes``, ``performed_amount`` (consumption and credits
        booked in the period), ``receipts_amount``, ``balance_start`` and ``balance_end``. Amounts
        are those of the wallet ledger, so the statement always agrees with it.
        """
        self.ensure_one()
        self.check_access("read")
        user = self.env.user
        if not self.env.su and not (
            user._is_portal() or user.has_group("miko_support_contract.group_sales")
        ):
            raise AccessError(
                self.env._(
                    "Only sales, finance and the customer may see the statement of %(contract)s.",
                    contract=self.display_name,
                )
            )
        date_from = fields.Date.to_date(date_from)
        date_to = fields.Date.to_date(date_to)
        if not date_from or not date_to or date_from > date_to:
            raise UserError(
                self.env._(
                    "Statement of %(contract)s: the period start must not be after its end.",
                    contract=self.display_name,
                )
            )
        contract = self.sudo()
        tz_name = contract.company_id.miko_support_tz or intervals.MOSCOW

        def in_period(model, contract_field, date_field, order=None):
            domain = [
                (contract_field, "=", contract.id),
                (date_field, ">=", date_from),
                (date_field, "<=", date_to),
            ]
            return self.env[model].sudo().search(domain, order=order)

        activities = in_period("miko.support.activity", "contract_id", "day", "day, date_begin, id")
        day_lines = in_period("account.analytic.line", "miko_contract_id", "date", "date, id")
        entries = in_period("miko.support.wallet.entry", "contract_id", "date")
        service = defaultdict(Decimal)
        performed = receipts = Decimal(0)
        for entry in entries:
            amount = money.to_decimal(entry.amount)
            if entry.kind in ("consumption", "credit"):
                service[entry.date] -= amount
                performed -= amount
            elif entry.kind in ("receipt", "refund"):
                receipts += amount
        balance_start = money.to_decimal(
            contract.wallet_balance_at(date_from - relativedelta(days=1))
        )
        balance_end = money.to_decimal(contract.wallet_balance_at(date_to))
        block = statement_rules.closing_block(
            balance_start,
            (
                statement_rules.Entry(
                    kind=entry.kind,
                    amount=money.to_decimal(entry.amount),
                    minutes=entry.minutes or 0,
                    is_late=entry.is_late,
                    is_rounding=(entry.source_key or "").startswith("rounding:"),
                )
                for entry in entries
            ),
        )
        kinds = dict(
            self.env["miko.support.activity"]._fields["kind"]._description_selection(self.env)
        )
        days = {}
        default_description = contract._default_work_description()
        for line in day_lines:
            day = days.setdefault(line.date, _statement_day(line.date))
            day["billed_minutes"] += line.miko_billed_minutes
            day["nonbillable_minutes"] += line.miko_nonbillable_minutes
            if line.name and line.name != default_description:
                day["work_descriptions"].append(
                    {"engineer": line.user_id.name, "description": line.name}
                )
        for activity in activities:
            day = days.setdefault(activity.day, _statement_day(activity.day))
            day["lines"].append(
                {
                    "id": activity.id,
                    "subject": activity.subject,
                    "kind": activity.kind,
                    "kind_label": kinds.get(activity.kind),
                    "start": self.env["miko.support.activity"]._local_datetime_text(
                        activity.date_begin, tz_name
                    ),
                    "end": self.env["miko.support.activity"]._local_datetime_text(
                        activity.date_end, tz_name
                    ),
                    "raw_seconds": activity.raw_seconds,
                    "raw_minutes": round(activity.raw_seconds / 60.0, 2),
                    "minutes": intervals.round_half_up_minutes(activity.raw_seconds),
                    "engineer": activity.user_id.name,
                    "engineer_organisation": _engineer_organisation(activity.user_id, contract),
                    "description": activity.description or "",
                    "block": activity.block_index or None,
                    "block_billed_minutes": activity.block_billed_minutes,
                    "charged": not activity.is_vendor_bug,
                    "bug_reference": activity.bug_reference or None,
                    "request": activity.request_id.display_name or None,
                }
            )
        for day_date, amount in service.items():
            days.setdefault(day_date, _statement_day(day_date))["amount"] = float(amount)
        ordered = [days[key] for key in sorted(days)]
        for day in ordered:
            day["date"] = day["date"].isoformat()
        return {
            "contract": contract.name,
            "contract_date": contract.date_start and contract.date_start.isoformat(),
            "vendor": contract.company_id.partner_id.display_name,
            "customer": contract.partner_id.display_name,
            "currency": contract.currency_id.name,
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "days": ordered,
            "billed_minutes": sum(day["billed_minutes"] for day in ordered),
            "performed_amount": float(performed),
            "receipts_amount": float(receipts),
            "balance_start": float(balance_start),
            "balance_end": float(balance_end),
            "closing": contract._statement_closing_lines(block, date_from, date_to, balance_end),
            "labels": contract._statement_labels(date_from, date_to),
        }

    def _statement_closing_lines(self, block, date_from, date_to, balance_end):
        """The closing block of Appendix 2 as printed: ``key``, ``label`` (in the customer's
        language), ``amount`` as printed and its signed ``effect`` on the balance. Opening
        balance, late work, credits, rounding, adjustments and refunds appear when not zero;
        «Total» is the opening balance plus every effect, and equals the ledger's closing
        balance."""
        self.ensure_one()
        env = self.with_context(lang=self.partner_id.lang or self.env.lang).env
        period = {"date_from": format_date(env, date_from), "date_to": format_date(env, date_to)}
        labels = {
            "performed": env._(
                "Performed in the period from %(date_from)s to %(date_to)s", **period
            ),
            "late": env._("Late work of closed months, charged in the period"),
            "credits": env._("Credits for work not billed (vendor bugs)"),
            "rounding": env._("Rounding of the months to whole kopecks"),
            "adjustments": env._("Adjustments of the balance"),
            "refunds": env._("Refunds paid to the customer"),
            "receipts": env._("Received in the period from %(date_from)s to %(date_to)s", **period),
        }
        lines = []
        if block.opening:
            lines.append(
                {
                    "key": "opening",
                    "label": env._(
                        "Balance at the start of %(date)s", date=format_date(env, date_from)
                    ),
                    "amount": float(block.opening),
                    "effect": float(block.opening),
                    "minutes": 0,
                }
            )
        for key in statement_rules.LINES:
            if key not in ("performed", "receipts") and not block.effects[key]:
                continue
            lines.append(
                {
                    "key": key,
                    "label": labels[key],
                    "amount": float(block.printed_amount(key)),
                    "effect": float(block.effects[key]),
                    "minutes": block.minutes[key],
                }
            )
        for key, label, amount in (
            ("total", env._("Total for the period"), block.total),
            (
                "closing",
                env._(
                    "%(vendor)s balance on %(date)s",
                    vendor=self.company_id.partner_id.display_name,
                    date=format_date(env, date_to),
                ),
                balance_end,
            ),
        ):
            lines.append(
                {
                    "key": key,
                    "label": label,
                    "amount": float(amount),
                    "effect": None,
                    "minutes": 0,
                }
            )
        return lines

    def _statement_labels(self, date_from, date_to):
        """Titles and column headers of the statement, in the customer's language."""
        self.ensure_one()
        env = self.with_context(lang=self.partner_id.lang or self.env.lang).env
        return {
            "appendix": env._("Appendix No. 2 to contract %(contract)s", contract=self.name),
            "period": env._(
                "Period from %(date_from)s to %(date_to)s",
                date_from=format_date(env, date_from),
                date_to=format_date(env, date_to),
            ),
            "title": env._("Statement of technical support services"),
            "vendor": env._("Contractor"),
            "customer": env._("Customer of the services"),
            "date": env._("Date"),
            "subject": env._("Subject"),
            "start": env._("Start time"),
            "end": env._("End time"),
            "minutes": env._("Duration, min"),
            "engineer": env._("Support partner"),
            "description": env._("Description"),
            "day_total": env._("Total for the day (union of intervals), min"),
            "work": env._("Work performed"),
        }

    statement_week = fields.Date(
        string="Last Weekly Statement",
        readonly=True,
        copy=False,
        help="Monday of the last week whose statement was sent.",
    )
    balance_alert_level = fields.Selection(
        [("none", "None"), ("low", "Low balance"), ("negative", "Negative balance")],
        default="none",
        readonly=True,
        copy=False,
        help="The lowest balance level the customer was already warned about; an early statement "
        "goes out once per crossing, never daily.",
    )
    balance_alert_pending = fields.Boolean(readonly=True, copy=False)

    # ------------------------------------------------------------------------------------------
    # Statement files
    # ------------------------------------------------------------------------------------------
    def _statement_pdf(self, date_from, date_to):
        self.ensure_one()
        report = self.env["ir.actions.report"].with_context(lang=self.partner_id.lang)
        pdf, _format = report._render_qweb_pdf(
            STATEMENT_REPORT,
            self.ids,
            data={"date_from": str(date_from), "date_to": str(date_to)},
        )
        return pdf

    def _statement_file_name(self, date_from, date_to, extension):
        return f"Statement_{self.name}_{date_from}_{date_to}.{extension}"

    def _statement_xlsx(self, date_from, date_to):
        """The statement as an XLSX workbook (bytes): same numbers as ``get_statement``."""
        self.ensure_one()
        statement = self.get_statement(date_from, date_to)
        env = self.with_context(lang=self.partner_id.lang or self.env.lang).env
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
        sheet = workbook.add_worksheet(env._("Statement"))
        bold = workbook.add_format({"bold": True})
        money_format = workbook.add_format({"num_format": "#,##0.00"})
        day_format = workbook.add_format({"bold": True, "bg_color": "#EEEEEE"})
        lang = env["res.lang"]._get_data(code=env.lang or "en_US")
        date_pattern = spreadsheet.excel_date_format(lang.date_format or "%Y-%m-%d")
        time_pattern = spreadsheet.excel_date_format(lang.time_format or "%H:%M:%S")
        date_cell = workbook.add_format({"num_format": date_pattern})
        day_date_cell = workbook.add_format(
            {"num_format": date_pattern, "bold": True, "bg_color": "#EEEEEE"}
        )
        day_money_format = workbook.add_format(
            {"num_format": "#,##0.00", "bold": True, "bg_color": "#EEEEEE"}
        )
        moment_cell = workbook.add_format({"num_format": f"{date_pattern} {time_pattern}"})
        labels = statement["labels"]
        row = 0
        sheet.write_string(row, 0, labels["appendix"])
        row += 1
        sheet.write_string(row, 0, labels["title"], bold)
        row += 1
        for label, party in ((labels["vendor"], "vendor"), (labels["customer"], "customer")):
            sheet.write_string(row, 0, label, bold)
            sheet.write_string(row, 1, csv_safe_cell(statement[party]))
            row += 1
        sheet.write_string(row, 0, labels["period"])
        row += 2
        headers = [
            labels["date"],
            labels["subject"],
            labels["start"],
            labels["end"],
            labels["minutes"],
            labels["engineer"],
            env._("Organisation"),
            labels["description"],
            env._("Block"),
            env._("Block billed minutes"),
            env._("Charged"),
            env._("Amount, %(currency)s", currency=self.currency_id.symbol),
        ]
        for column, header in enumerate(headers):
            sheet.write_string(row, column, header, bold)
        row += 1
        for day in statement["days"]:
            day_date = fields.Date.to_date(day["date"])
            for line in day["lines"]:
                sheet.write_datetime(row, 0, day_date, date_cell)
                sheet.write_string(row, 1, csv_safe_cell(line["subject"]))
                for column, key in ((2, "start"), (3, "end")):
                    if line[key]:
                        sheet.write_datetime(
                            row, column, datetime.fromisoformat(line[key]), moment_cell
                        )
                sheet.write_number(row, 4, line["minutes"])
                sheet.write_string(row, 5, csv_safe_cell(line["engineer"]))
                sheet.write_string(row, 6, csv_safe_cell(line["engineer_organisation"]))
                sheet.write_string(row, 7, csv_safe_cell(line["description"]))
                if line["block"]:
                    sheet.write_number(row, 8, line["block"])
                sheet.write_number(row, 9, line["block_billed_minutes"])
                sheet.write_string(
                    row, 10, env._("yes") if line["charged"] else env._("no (vendor bug)")
                )
                row += 1
            sheet.write_datetime(row, 0, day_date, day_date_cell)
            sheet.write_string(row, 1, labels["day_total"], day_format)
            sheet.write_number(row, 4, day["billed_minutes"], day_format)
            sheet.write_number(row, 11, day["amount"], day_money_format)
            row += 1
            for work in day["work_descriptions"]:
                sheet.write_string(row, 1, labels["work"])
                sheet.write_string(row, 5, csv_safe_cell(work["engineer"]))
                sheet.write_string(row, 7, csv_safe_cell(work["description"]))
                row += 1
        row += 1
        for closing in statement["closing"]:
            sheet.write_string(row, 1, csv_safe_cell(closing["label"]), bold)
            sheet.write_number(row, 11, closing["amount"], money_format)
            row += 1
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 1, 45)
        sheet.set_column(2, 3, 20)
        sheet.set_column(7, 7, 60)
        sheet.set_column(11, 11, 14)
        workbook.close()
        return buffer.getvalue()

    # ------------------------------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------------------------------
    def _send_statement(self, date_from, date_to, reason="weekly"):
        """E-mail the PDF statement to the contract's contacts and log it in the chatter."""
        template = self.env.ref("miko_support_contract.mail_template_support_statement")
        for contract in self:
            partners = contract.contact_ids.filtered("email") or contract.partner_id
            pdf = contract._statement_pdf(date_from, date_to)
            reader_env = contract.with_context(lang=contract.partner_id.lang or self.env.lang).env
            context = {  # dates in the format of the customer's language, like the template
                "miko_statement_from": format_date(reader_env, date_from),
                "miko_statement_to": format_date(reader_env, date_to),
                "miko_statement_reason": reason,
            }
            rendered = {
                name: template.with_context(**context)._render_field(
                    name, contract.ids, compute_lang=True
                )[contract.id]
                for name in ("subject", "body_html")
            }
            contract.message_post(
                subject=rendered["subject"],
                body=Markup(rendered["body_html"]),
                partner_ids=partners.ids,
                attachments=[(contract._statement_file_name(date_from, date_to, "pdf"), pdf)],
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        return True

    def action_send_statement_now(self):
        """Send the statement of the last 30 days now (backend button, portal request)."""
        today = fields.Date.context_today(self)
        self.sudo()._send_statement(today - timedelta(days=30), today, reason="request")
        return True

    def _daily_balances(self, date_from, date_to):
        """The wallet balance at the end of each day from ``date_from`` to ``date_to``."""
        self.ensure_one()
        self.env["miko.support.wallet.entry"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT d::date,
                       (SELECT COALESCE(SUM(amount), 0) FROM miko_support_wallet_entry e
                         WHERE e.contract_id = %s AND e.date <= d::date)
                  FROM generate_series(%s::date, %s::date, interval '1 day') AS d
                 ORDER BY 1
                """,
                self.id,
                date_from,
                date_to,
            )
        )
        return [float(balance) for _day, balance in self.env.cr.fetchall()]

    def _record_portal_consent(self, user):
        """The customer agrees in the portal to an additional invoice for the overrun."""
        self.ensure_one()
        contract = self.sudo()
        if contract.balance >= 0:
            raise UserError(
                self.env._(
                    "Contract %(contract)s has no overrun to agree to.", contract=contract.name
                )
            )
        consent = (
            self.env["miko.support.overrun.consent"]
            .sudo()
            .create(
                {
                    "contract_id": contract.id,
                    "partner_id": user.partner_id.id,
                    "user_id": user.id,
                    "method": "portal",
                    "note": self.env._(
                        "Agreed in the customer portal by %(user)s.", user=user.partner_id.name
                    ),
                }
            )
        )
        contract.message_post(
            body=self.env._(
                "%(customer)s agreed in the portal to an additional invoice for the overrun.",
                customer=user.partner_id.name,
            )
        )
        return consent

    # ------------------------------------------------------------------------------------------
    # Balance alerts
    # ------------------------------------------------------------------------------------------
    def _balance_level(self):
        self.ensure_one()
        if self.balance < 0:
            return "negative"
        if self._is_below_threshold():
            return "low"
        return "none"

    def _check_balance_alerts(self):
        """After the wallet moved: queue an early statement when a level is newly crossed."""
        for contract in self.sudo():
            if contract.state not in ("active", "suspended", "terminating"):
                continue
            level = contract._balance_level()
            alerted = contract.balance_alert_level or "none"
            if ALERT_LEVELS[level] > ALERT_LEVELS[alerted]:
                contract.write({"balance_alert_level": level, "balance_alert_pending": True})
            elif ALERT_LEVELS[level] < ALERT_LEVELS[alerted]:
                contract.write({"balance_alert_level": level, "balance_alert_pending": False})

    @api.model
    def _cron_send_balance_alerts(self):
        """Send the early statements queued by balance crossings (once per crossing)."""
        contracts = self.sudo().search([("balance_alert_pending", "=", True)])
        today = fields.Date.context_today(self)
        for index, contract in enumerate(contracts, start=1):
            week_start = today - timedelta(days=today.weekday())
            contract._send_statement(week_start, today, reason=contract.balance_alert_level)
            contract.balance_alert_pending = False
            if index % STATEMENT_BATCH == 0:
                self._miko_commit_progress(STATEMENT_BATCH, len(contracts) - index)
        return len(contracts)

    # ------------------------------------------------------------------------------------------
    # Weekly statement
    # ------------------------------------------------------------------------------------------
    @api.model
    def _cron_send_weekly_statements(self):
        """Monday 06:00 Moscow: last week's statement to every active contract that had
        activity in the week or holds a balance. The week sent is remembered per contract, so a
        second run in the same week sends nothing."""
        today = fields.Date.context_today(self)
        week_start = today - timedelta(days=today.weekday() + 7)
        week_end = week_start + timedelta(days=6)
        contracts = self.sudo().search(
            [
                ("state", "in", ("active", "suspended", "terminating")),
                "|",
                ("statement_week", "=", False),
                ("statement_week", "<", week_start),
            ]
        )
        active_ids = {
            contract.id
            for [contract] in self.env["miko.support.activity"]
            .sudo()
            ._read_group(
                [
                    ("contract_id", "in", contracts.ids),
                    ("day", ">=", week_start),
                    ("day", "<=", week_end),
                ],
                ["contract_id"],
            )
        }
        sent = 0
        for index, contract in enumerate(contracts, start=1):
            if contract.id in active_ids or contract.wallet_balance_at(week_end):
                contract._send_statement(week_start, week_end)
                sent += 1
            contract.statement_week = week_start
            if index % STATEMENT_BATCH == 0:
                self._miko_commit_progress(STATEMENT_BATCH, len(contracts) - index)
        _logger.info("weekly statements: %s sent for the week of %s", sent, week_start)
        return sent

    @api.model
    def _miko_commit_progress(self, processed, remaining):
        """Commit a batch when running as a cron job (never inside a caller's transaction)."""
        if self.env.context.get("ir_cron_progress_id"):
            self.env["ir.cron"]._commit_progress(processed, remaining=remaining)


class ReportSupportStatement(models.AbstractModel):
    _name = "report.miko_support_contract.report_support_statement"
    _description = "Statement of Account Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        today = fields.Date.context_today(self)
        date_to = fields.Date.to_date(data.get("date_to")) or today
        date_from = fields.Date.to_date(data.get("date_from")) or date_to - timedelta(days=30)
        # a report action with data (the statement wizard) reaches /report/pdf without ids in its
        # path: they travel in its context
        docids = docids or (data.get("context") or {}).get("active_ids") or []
        docs = self.env["miko.support.contract"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "miko.support.contract",
            "docs": docs,
            "statements": {
                contract.id: contract.get_statement(date_from, date_to) for contract in docs
            },
        }


def _statement_day(day):
    return {
        "date": day,
        "billed_minutes": 0,
        "nonbillable_minutes": 0,
        "amount": 0.0,
        "lines": [],
        "work_descriptions": [],
    }


def _engineer_organisation(user, contract):
    """The engineer's organisation: a subcontracting partner company, or the vendor itself."""
    parent = user.partner_id.parent_id
    if parent and parent.is_company and parent != contract.company_id.partner_id:
        return parent.display_name
    return contract.company_id.partner_id.display_name


def _advisory_key():
    """A stable 63-bit key for the consumption-posting advisory lock."""
    return int.from_bytes(b"mikobill", "big") & 0x7FFFFFFFFFFFFFFF
