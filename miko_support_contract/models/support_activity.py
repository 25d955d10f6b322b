from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_date

from ..rules import RuleError, intervals
from .billing_sql import day_pieces_sql
from .selections import ACTIVITY_KINDS, source_label

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
    _inherit = ["miko.support.activity.capture", "miko.support.activity.trail"]
    _order = "date_begin desc, id desc"
    _check_company_auto = True
    _rec_name = "subject"

    # no single-column indexes on contract and company: ``_billing_group_idx`` leads with the
    # contract, a company matches most rows; every index costs each of the million inserts
    # no ``check_company``: ``company_id`` is the contract's, so the company domain it would add
    # reads an empty company on a new activity and offers no contract at all; record rules keep
    # the choice to the user's companies
    contract_id = fields.Many2one(
        "miko.support.contract",
        required=True,
        ondelete="restrict",
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    hold_message = fields.Char(
        compute="_compute_hold_message",
        string="Not Charged Because",
        help="Why this work is held instead of charged: the contract is suspended, not yet in "
        "effect, or ended on that day.",
    )
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
    source_label = fields.Char(string="Origin", compute="_compute_source_label")
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
    vendor_bug_proposed = fields.Boolean(
        copy=False,
        help="An engineer proposes the work as a vendor bug; a support manager confirms it "
        "(the vendor recognises its bug) before it stops being billed.",
    )
    bug_reference = fields.Char()
    bug_release = fields.Char(string="Release")
    raw_seconds = fields.Integer(readonly=True, aggregator=None)
    raw_minutes = fields.Float(
        compute="_compute_raw_minutes",
        digits=(16, 2),
        help="Duration as recorded, in minutes; summed in reports (pivot, graph) from the "
        "stored seconds.",
    )
    block_index = fields.Integer(
        string="Block",
        compute="_compute_billing_trail",
        help="Number of the merged block within the day (from 1).",
    )
    block_begin = fields.Datetime(compute="_compute_billing_trail")
    block_end = fields.Datetime(compute="_compute_billing_trail")
    block_billed_minutes = fields.Integer(compute="_compute_billing_trail")
    timesheet_id = fields.Many2one(
        "account.analytic.line",
        string="Day Timesheet",
        compute="_compute_billing_trail",
        search="_search_timesheet_id",
    )
    needs_billing = fields.Boolean(
        compute="_compute_needs_billing",
        search="_search_needs_billing",
        help="The day of this activity changed since it was last billed.",
    )
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
    _billing_group_idx = models.Index("(contract_id, user_id, day, date_begin)")

    # ------------------------------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------------------------------
    @api.depends("source")
    @api.depends_context("lang")
    def _compute_source_label(self):
        for activity in self:
            activity.source_label = source_label(self.env, activity.source)

    @api.depends("raw_seconds")
    def _compute_raw_minutes(self):
        for activity in self:
            activity.raw_minutes = activity.raw_seconds / 60.0

    def _read_group_select(self, aggregate_spec, query):
        # the pivot and graph measure minutes: the sum of the stored seconds, divided once
        if aggregate_spec == "raw_minutes:sum":
            return SQL("(%s) / 60.0", super()._read_group_select("raw_seconds:sum", query))
        return super()._read_group_select(aggregate_spec, query)

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
                    activity.date_begin, activity.date_end, activity._support_zone()
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
        if any(vals.get("is_vendor_bug") for vals in vals_list):
            self._check_vendor_bug_confirmer()
        for vals in vals_list:
            for name in ("date_begin", "date_end"):
                if vals.get(name):
                    vals[name] = fields.Datetime.to_datetime(vals[name]).replace(microsecond=0)
        # no lock check: a record of a closed month that arrives late is accepted and charged
        # as late work in the first open month
        activities = super().create(vals_list)
        activities._split_at_midnight()
        activities._update_day_and_seconds()
        activities._queue_own_billing_groups()
        activities.contract_id._bill_days_now()
        return activities

    def write(self, vals):
        if "is_vendor_bug" in vals:
            self._check_vendor_bug_confirmer()
        for name in ("date_begin", "date_end"):
            if vals.get(name):
                vals[name] = fields.Datetime.to_datetime(vals[name]).replace(microsecond=0)
        rebill = bool(BILLING_FIELDS & set(vals))
        if HASHED_FIELDS & set(vals) and "source_hash" not in vals:
            self._clear_source_hashes()
            vals = dict(vals, source_hash=False)
        if rebill or {"subject", "description", "kind", "request_id"} & set(vals):
            self._check_not_locked()
        old_contracts = self.contract_id
        if rebill:
            self._queue_own_billing_groups()
        result = super().write(vals)
        if rebill:
            self._check_not_locked()
            self._split_at_midnight()
            self._update_day_and_seconds()
            self._queue_own_billing_groups()
            (old_contracts | self.contract_id)._bill_days_now()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked(self):
        self._check_not_locked()

    def unlink(self):
        self._queue_own_billing_groups()
        self._clear_source_hashes()
        contracts = self.contract_id
        result = super().unlink()
        self._invalidate_billing_trails()
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
            {
                "is_vendor_bug": True,
                "vendor_bug_proposed": False,
                "bug_reference": bug_reference,
                "bug_release": bug_release,
            }
        )
        contracts = self.contract_id.sudo()
        contracts._bill_pending_days()
        contracts._post_consumption(credit_kind="credit")
        return True

    def action_propose_vendor_bug(self, bug_reference, bug_release=False):
        """An engineer proposes the activities as work on a vendor bug, for a manager to
        confirm."""
        if not (bug_reference or "").strip():
            raise UserError(self.env._('Fill in "Bug Reference" to mark work as a vendor bug.'))
        self.write(
            {
                "vendor_bug_proposed": True,
                "bug_reference": bug_reference,
                "bug_release": bug_release,
            }
        )
        return True

    def action_confirm_vendor_bug(self):
        """A support manager confirms the proposed vendor bug of the activities."""
        for activity in self.filtered(lambda a: not a.is_vendor_bug):
            activity.action_mark_vendor_bug(activity.bug_reference, activity.bug_release)
        return True

    # ------------------------------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------------------------------
    def _check_vendor_bug_confirmer(self):
        """Clause 7.4: the vendor recognises its bug, so only a support manager marks (or
        unmarks) work as a vendor bug; an engineer proposes it."""
        if self.env.su or self.env.user.has_group("miko_support_contract.group_manager"):
            return
        raise UserError(
            self.env._(
                "%(activities)s: only a support manager may set «%(field)s»; propose the vendor "
                "bug for a manager to confirm.",
                activities=", ".join(self.mapped("display_name")) or self._description,
                field=self._fields["is_vendor_bug"].get_description(self.env)["string"],
            )
        )

    @api.depends("contract_id", "day", "date_begin")
    def _compute_hold_message(self):
        for activity in self:
            contract = activity.contract_id.sudo()
            day = activity.day or (
                activity.date_begin and fields.Date.context_today(activity, activity.date_begin)
            )
            reason = contract._miko_hold_reason(day) if contract else False
            message = False
            if reason == "suspended":
                message = self.env._(
                    "Contract %(contract)s is suspended: this work is kept but not charged "
                    "until a manager decides.",
                    contract=contract.display_name,
                )
            elif reason == "before_start":
                message = self.env._(
                    "Contract %(contract)s takes effect on %(date)s (first payment): this "
                    "work is kept but not charged until a manager decides.",
                    contract=contract.display_name,
                    date=format_date(self.env, contract.date_start),
                )
            elif reason == "after_end":
                message = self.env._(
                    "Contract %(contract)s ended on %(date)s: this work is kept but not "
                    "charged until a manager decides.",
                    contract=contract.display_name,
                    date=format_date(self.env, contract.date_end),
                )
            activity.hold_message = message

    def _support_zone(self):
        """The support time zone (``ZoneInfo``) of the activity's company."""
        company = self.company_id or self.contract_id.company_id or self.env.company
        return company._miko_support_zone()

    def _check_not_locked(self):
        for activity in self.sudo():
            if activity.contract_id and activity.contract_id._month_locked(activity.day):
                locked_until = activity.contract_id.locked_until
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

    def _day_pieces(self):
        """``{id: [(part, day, begin, end)]}``: each activity cut at the local midnights of its
        support time zone, by the one midnight split (``billing_sql.day_pieces_sql``)."""
        activities = self.filtered(lambda a: a.id and a.date_begin and a.date_end)
        if not activities:
            return {}
        rows = SQL(
            "SELECT * FROM unnest(%s::int[], %s::timestamp[], %s::timestamp[], %s::text[])",
            activities.ids,
            activities.mapped("date_begin"),
            activities.mapped("date_end"),
            [activity._support_zone().key for activity in activities],
        )
        self.env.cr.execute(
            SQL("SELECT * FROM (%s) p ORDER BY p.ref, p.part", day_pieces_sql(rows))
        )
        pieces = {}
        for ref, part, day, begin, end in self.env.cr.fetchall():
            pieces.setdefault(ref, []).append((part, day, begin, end))
        return pieces

    def _split_at_midnight(self):
        """Cut every activity crossing local midnight into one piece per day."""
        all_pieces = self._day_pieces()
        for activity in self:
            pieces = all_pieces.get(activity.id, [])
            if len(pieces) < 2:
                continue
            (_part, _day, _first_begin, first_end), *rest = pieces
            super(SupportActivity, activity).write({"date_end": first_end})
            for offset, (_part, _day, begin, end) in enumerate(rest, start=1):
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
        pieces = self._day_pieces()
        for activity in self:
            day = pieces[activity.id][0][1]
            seconds = int((activity.date_end - activity.date_begin).total_seconds())
            values = {}
            if activity.day != day:
                values["day"] = day
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

    @api.model
    def _local_datetime_text(self, moment, zone):
        """``moment`` (naive UTC) as local text of ``zone`` (a ``ZoneInfo`` or a zone name)."""
        if not moment:
            return ""
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        if isinstance(zone, str):
            zone = ZoneInfo(zone)
        return moment.replace(tzinfo=UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _groups_query(groups):
    """SQL SELECT of the ``(contract_id, user_id, day)`` tuples ``groups``."""
    contract_ids, user_ids, days = (list(column) for column in zip(*groups, strict=True))
    return SQL(
        "SELECT * FROM unnest(%s::int[], %s::int[], %s::date[])", contract_ids, user_ids, days
    )
