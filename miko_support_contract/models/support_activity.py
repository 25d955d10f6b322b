from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..rules import RuleError, intervals

ACTIVITY_KINDS = [
    ("call_in", "Incoming call"),
    ("call_out", "Outgoing call"),
    ("email_in", "Incoming e-mail"),
    ("email_out", "Outgoing e-mail"),
    ("remote", "Remote session"),
    ("analysis", "Analysis of specifications"),
    ("instructions", "Writing instructions"),
    ("db_analysis", "Analysis of the customer's database"),
    ("other", "Other justified work"),
]
ACTIVITY_KIND_CODES = frozenset(code for code, _label in ACTIVITY_KINDS)
# fields whose change re-bills the activity's day
BILLING_FIELDS = frozenset(
    {"date_begin", "date_end", "contract_id", "user_id", "is_vendor_bug", "active"}
)

# fields whose change makes the stored fingerprint of the API record stale
HASHED_FIELDS = frozenset(
    {
        "contract_id",
        "user_id",
        "kind",
        "date_begin",
        "date_end",
        "subject",
        "description",
        "request_id",
        "source",
        "source_ref",
        "part",
    }
)


class SupportActivity(models.Model):
    """One piece of support work with a begin and an end: a call, an e-mail, a remote session…

    Activities are lean (a million a month) and roll up into one timesheet line
    (``account.analytic.line``) per engineer, contract and local day, which carries the day's
    billed minutes (the union of the intervals) and the engineer's work description. An activity
    crossing local midnight is stored as two pieces (``part`` 0 and 1) sharing source and
    reference, one per day. Every piece keeps its billing trail: raw seconds, the block it merged
    into and that block's billed minutes.
    """

    _name = "miko.support.activity"
    _description = "Support Activity"
    _order = "date_begin desc, id desc"
    _check_company_auto = True
    _rec_name = "subject"

    # no single-column indexes on contract and company: ``_billing_group_idx`` leads with the
    # contract, a company matches most rows; every index costs each of the million inserts
    contract_id = fields.Many2one(
        "miko.support.contract",
        required=True,
        ondelete="restrict",
        check_company=True,
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    partner_id = fields.Many2one(
        related="contract_id.partner_id", string="Customer", store=True, index=True
    )
    user_id = fields.Many2one(
        "res.users",
        string="Engineer",
        required=True,
        index=True,
        default=lambda self: self.env.user,
        ondelete="restrict",
    )
    kind = fields.Selection(ACTIVITY_KINDS, required=True, default="other")
    date_begin = fields.Datetime(string="Begin", required=True)
    date_end = fields.Datetime(string="End", required=True)
    day = fields.Date(
        readonly=True,
        index=True,
        help="Calendar day of the activity in the support time zone (Moscow by default).",
    )
    subject = fields.Char(required=True, help="What the customer reads on the statement.")
    description = fields.Text()
    source = fields.Char(required=True, default="manual", readonly=True)
    source_ref = fields.Char(string="Source Reference", readonly=True)
    part = fields.Integer(
        readonly=True,
        default=0,
        help="0 for an activity within one day; 1 for the piece after local midnight.",
    )
    request_id = fields.Many2one("project.task", string="Support Request", index="btree_not_null")
    active = fields.Boolean(default=True)
    is_vendor_bug = fields.Boolean(
        string="Vendor Bug",
        help="Work on a confirmed bug of the vendor's own release: shown, never billed.",
    )
    bug_reference = fields.Char()
    bug_release = fields.Char(string="Release")
    raw_seconds = fields.Integer(readonly=True)
    raw_minutes = fields.Float(compute="_compute_raw_minutes", digits=(16, 2))
    block_index = fields.Integer(
        string="Block", readonly=True, help="Number of the merged block within the day (from 1)."
    )
    block_begin = fields.Datetime(readonly=True)
    block_end = fields.Datetime(readonly=True)
    block_billed_minutes = fields.Integer(readonly=True)
    timesheet_id = fields.Many2one(
        "account.analytic.line",
        string="Day Timesheet",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    needs_billing = fields.Boolean(readonly=True, default=True, copy=False)
    source_hash = fields.Char(
        readonly=True,
        copy=False,
        help="Fingerprint of the API record last imported as this activity: a re-import of the "
        "same record is skipped without being parsed again. Cleared when the activity changes.",
    )

    _source_ref_unique = models.UniqueIndex(
        "(source, source_ref, part) WHERE source_ref IS NOT NULL",
        "This activity was already imported from this source.",
    )
    _needs_billing_idx = models.Index("(id) WHERE needs_billing")
    _billing_group_idx = models.Index("(contract_id, user_id, day, date_begin)")

    # ------------------------------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------------------------------
    @api.depends("raw_seconds")
    def _compute_raw_minutes(self):
        for activity in self:
            activity.raw_minutes = activity.raw_seconds / 60.0

    @api.depends("subject", "date_begin")
    def _compute_display_name(self):
        for activity in self:
            activity.display_name = activity.subject or ""

    # ------------------------------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------------------------------
    @api.constrains("date_begin", "date_end")
    def _check_interval(self):
        for activity in self:
            try:
                intervals.validate_interval(
                    activity.date_begin, activity.date_end, activity._support_tz_name()
                )
            except RuleError as error:
                raise ValidationError(
                    self.env._(
                        "Activity %(activity)s: %(error)s",
                        activity=activity.subject,
                        error=self.env._(error.message),
                    )
                ) from error

    @api.constrains("is_vendor_bug", "bug_reference")
    def _check_bug_reference(self):
        for activity in self:
            if activity.is_vendor_bug and not (activity.bug_reference or "").strip():
                raise ValidationError(
                    self.env._(
                        'Activity %(activity)s is marked as a vendor bug: fill in "Bug Reference".',
                        activity=activity.subject,
                    )
                )

    # ------------------------------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            for name in ("date_begin", "date_end"):
                if vals.get(name):
                    vals[name] = fields.Datetime.to_datetime(vals[name]).replace(microsecond=0)
        activities = super().create(vals_list)
        activities._check_not_locked()
        activities._split_at_midnight()
        activities._update_day_and_seconds()
        activities.contract_id._bill_days_now()
        return activities

    def write(self, vals):
        for name in ("date_begin", "date_end"):
            if vals.get(name):
                vals[name] = fields.Datetime.to_datetime(vals[name]).replace(microsecond=0)
        rebill = bool(BILLING_FIELDS & set(vals))
        if HASHED_FIELDS & set(vals) and "source_hash" not in vals:
            self._clear_source_hashes()
            vals = dict(vals, source_hash=False)
        if rebill or {"subject", "description", "kind", "request_id"} & set(vals):
            self._check_not_locked()
        if rebill:
            self._mark_days_for_billing()
            vals = dict(vals, needs_billing=True)
        result = super().write(vals)
        if rebill:
            self._check_not_locked()
            self._split_at_midnight()
            self._update_day_and_seconds()
            self.contract_id._bill_days_now()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked(self):
        self._check_not_locked()

    def unlink(self):
        self._mark_days_for_billing()
        self._clear_source_hashes()
        contracts = self.contract_id
        result = super().unlink()
        contracts._bill_days_now()
        return result

    # ------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------
    def action_mark_vendor_bug(self, bug_reference, bug_release=False):
        """Mark the activities as work on a vendor bug: not billed, charged minutes credited."""
        if not (bug_reference or "").strip():
            raise UserError(self.env._('Fill in "Bug Reference" to mark work as a vendor bug.'))
        self.write(
            {"is_vendor_bug": True, "bug_reference": bug_reference, "bug_release": bug_release}
        )
        contracts = self.contract_id.sudo()
        contracts._bill_pending_days()
        contracts._post_consumption(credit_kind="credit")
        return True

    # ------------------------------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------------------------------
    def _support_tz_name(self):
        company = self.company_id or self.contract_id.company_id or self.env.company
        return company.miko_support_tz or intervals.MOSCOW

    def _check_not_locked(self):
        for activity in self.sudo():
            locked_until = activity.contract_id.locked_until
            if locked_until and activity.day and activity.day <= locked_until:
                raise UserError(
                    self.env._(
                        "Activity %(activity)s of %(day)s belongs to a month closed by its UPD "
                        "(contract %(contract)s is locked until %(locked)s): it cannot change.",
                        activity=activity.subject,
                        day=activity.day,
                        contract=activity.contract_id.display_name,
                        locked=locked_until,
                    )
                )

    def _split_at_midnight(self):
        """Cut every activity crossing local midnight into one piece per day."""
        for activity in self:
            pieces = intervals.split_by_local_day(
                activity.date_begin, activity.date_end, activity._support_tz_name()
            )
            if len(pieces) < 2:
                continue
            (_day, _first_begin, first_end), *rest = pieces
            super(SupportActivity, activity).write({"date_end": first_end})
            for offset, (_day, begin, end) in enumerate(rest, start=1):
                activity.copy(
                    {
                        "date_begin": begin,
                        "date_end": end,
                        "part": activity.part + offset,
                        "source_ref": activity.source_ref,
                    }
                )
        return True

    def _update_day_and_seconds(self):
        for activity in self:
            zone = ZoneInfo(activity._support_tz_name())
            local = activity.date_begin.replace(tzinfo=UTC).astimezone(zone)
            seconds = int((activity.date_end - activity.date_begin).total_seconds())
            values = {}
            if activity.day != local.date():
                values["day"] = local.date()
            if activity.raw_seconds != seconds:
                values["raw_seconds"] = seconds
            if values:
                super(SupportActivity, activity).write(values)
        self._check_not_locked()
        return True

    def _clear_source_hashes(self):
        """The other day pieces of these activities no longer match their imported record."""
        keys = {(activity.source, activity.source_ref) for activity in self if activity.source_ref}
        if not keys:
            return
        self.flush_model(["source", "source_ref", "source_hash"])
        self.env.cr.execute(
            SQL(
                """
                UPDATE miko_support_activity a SET source_hash = NULL
                  FROM unnest(%s::varchar[], %s::varchar[]) AS k(source, source_ref)
                 WHERE a.source = k.source AND a.source_ref = k.source_ref
                   AND a.source_hash IS NOT NULL
                """,
                [key[0] for key in keys],
                [key[1] for key in keys],
            )
        )
        self.invalidate_model(["source_hash"])

    def _mark_days_for_billing(self):
        """The day lines of these activities must be billed again (they lose or change one)."""
        lines = self.sudo().timesheet_id
        if lines:
            lines.sudo().with_context(miko_billing=True).write({"miko_needs_billing": True})

    @api.model
    def _local_datetime_text(self, moment, tz_name):
        if not moment:
            return ""
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return (
            moment.replace(tzinfo=UTC).astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%d %H:%M:%S")
        )
