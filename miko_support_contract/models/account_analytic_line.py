from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# what the billing run maintains on a support day line; engineers write only the description
BILLING_MANAGED_FIELDS = frozenset(
    {
        "unit_amount",
        "date",
        "user_id",
        "employee_id",
        "project_id",
        "task_id",
        "miko_contract_id",
        "miko_billed_minutes",
        "miko_raw_minutes",
        "miko_nonbillable_minutes",
        "miko_wallet_entry_id",
    }
)
# the billing run's own writes carry this object in their context: an RPC caller's context is
# JSON, so nothing it can pass unlocks the minutes that feed the wallet
_BILLING_WRITE = object()


def billing_write_context():
    """The context under which the billing run creates and writes support day lines."""
    return {"miko_billing_write": _BILLING_WRITE}


class AccountAnalyticLine(models.Model):
    """A support day line: one timesheet per engineer, contract and local day.

    Its ``unit_amount`` (hours) is always the day's billed minutes ÷ 60, the union of the engineer's
    activity intervals; its ``name`` is the engineer's work description for that customer and day,
    printed under the day on the statement.
    """

    _inherit = "account.analytic.line"

    # no index of its own: the unique (contract, engineer, date) index leads with it, and a
    # second one misleads the planner into scanning a large customer's lines for one day
    miko_contract_id = fields.Many2one(
        "miko.support.contract",
        string="Support Contract",
        readonly=True,
        ondelete="restrict",
    )
    miko_activity_ids = fields.Many2many(
        "miko.support.activity",
        string="Support Activities",
        compute="_compute_miko_activity_ids",
        help="The active activities of the engineer for the contract on the day of the line.",
    )
    miko_billed_minutes = fields.Integer(
        string="Billed Minutes",
        readonly=True,
        help="Union of the engineer's billable intervals of the day, each block rounded half-up.",
    )
    miko_raw_minutes = fields.Integer(
        string="Raw Minutes", readonly=True, help="Sum of the activities' own durations, rounded."
    )
    miko_nonbillable_minutes = fields.Integer(
        string="Not Charged Minutes",
        readonly=True,
        help="Raw minutes of work on vendor bugs, shown on the statement and not charged.",
    )
    miko_outside_period = fields.Boolean(
        string="Outside the Contract Period",
        compute="_compute_miko_outside_period",
        search="_search_miko_outside_period",
        help="Work before the contract took effect (first payment) or after its end date: kept, "
        "not charged until a manager decides.",
    )
    miko_period_decision = fields.Selection(
        [("charge", "Charge on the first day of the period"), ("write_off", "Written off")],
        string="Decision",
        readonly=True,
        copy=False,
    )
    miko_period_note = fields.Char(string="Decision Note", readonly=True, copy=False)
    miko_wallet_entry_id = fields.Many2one(
        "miko.support.wallet.entry",
        string="Wallet Entry",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
        help="The wallet ledger entry that last charged the day of this line (its first charge or "
        "the latest correction).",
    )
    _miko_day_unique = models.UniqueIndex(
        "(miko_contract_id, user_id, date) WHERE miko_contract_id IS NOT NULL",
        "There is already a support day line for this engineer, contract and day.",
    )

    @api.depends(
        "date",
        "miko_contract_id.date_start",
        "miko_contract_id.date_end",
        "miko_contract_id.suspension_ids.date_from",
        "miko_contract_id.suspension_ids.date_to",
    )
    def _compute_miko_outside_period(self):
        for line in self:
            line.miko_outside_period = bool(
                line.miko_contract_id and line.miko_contract_id._miko_hold_reason(line.date)
            )

    def _search_miko_outside_period(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        query = SQL(
            """
            SELECT l.id FROM account_analytic_line l
              JOIN miko_support_contract k ON k.id = l.miko_contract_id
             WHERE %s
            """,
            self._miko_outside_period_sql(),
        )
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", query)]

    @api.model
    def _miko_outside_period_sql(self):
        """SQL: whether day line ``l`` lies outside the effective period of its contract ``k``
        (before the first payment, after the end date, or in a suspension). The one SQL form of
        the rule, for the search above and the wallet charging (``_post_consumption``); its
        Python form, for records in memory, is ``miko.support.contract._miko_hold_reason``."""
        return SQL(
            "(COALESCE(l.date < k.date_start, FALSE)"
            " OR (k.date_end IS NOT NULL AND l.date > k.date_end) OR %s)",
            self.env["miko.support.suspension"]._sql_holds("k", SQL("l.date")),
        )

    def action_miko_charge_outside_period(self):
        """Manager's decision: charge the work outside the contract period, on the first day of
        the period (or the last, for work after the end date), with a note on the ledger."""
        self._miko_decide_outside_period("charge", self.env._("Charged on a manager's decision"))

    def action_miko_write_off_outside_period(self, reason):
        """Manager's decision: never charge the work outside the contract period."""
        if not (reason or "").strip():
            raise UserError(
                self.env._("Give the reason for writing off the work outside the period.")
            )
        self._miko_decide_outside_period("write_off", reason)

    def _miko_decide_outside_period(self, decision, note):
        if not self.env.user.has_group("miko_support_contract.group_manager"):
            raise UserError(
                self.env._("Only a support manager decides on work outside the contract period.")
            )
        for line in self:
            if not line.miko_outside_period:
                raise UserError(
                    self.env._(
                        "Support day line %(line)s of %(day)s lies inside the period of contract "
                        "%(contract)s: there is nothing to decide.",
                        line=line.display_name,
                        day=line.date,
                        contract=line.miko_contract_id.display_name,
                    )
                )
        self.sudo().write({"miko_period_decision": decision, "miko_period_note": note})
        self.env["miko.support.contract"].sudo()._queue_charges(
            SQL(
                "SELECT miko_contract_id, date FROM account_analytic_line WHERE id = ANY(%s)",
                self.ids,
            )
        )
        return True

    def _compute_miko_activity_ids(self):
        activity_ids = {}
        Activity = self.env["miko.support.activity"]
        line_ids = [id_ for id_ in self._origin.ids if id_]
        if line_ids:
            Activity.flush_model(["contract_id", "user_id", "day", "active"])
            self.flush_model(["miko_contract_id", "user_id", "date"])
            self.env.cr.execute(
                SQL(
                    """
                    SELECT l.id, ARRAY_AGG(a.id ORDER BY a.date_begin DESC, a.id DESC)
                      FROM account_analytic_line l
                      JOIN miko_support_activity a
                        ON a.contract_id = l.miko_contract_id AND a.user_id = l.user_id
                       AND a.day = l.date
                     WHERE l.id = ANY(%s) AND a.active
                  GROUP BY l.id
                    """,
                    line_ids,
                )
            )
            activity_ids = dict(self.env.cr.fetchall())
        for line in self:
            line.miko_activity_ids = Activity.browse(activity_ids.get(line._origin.id, []))

    def _timesheet_postprocess_values(self, values):
        """hr_timesheet's cost of each line, less what is already stored: the billing run creates
        a day line with its expected cost (hours × the employee's hourly cost), so the hook's
        second write of each new line (≈ 0.4 ms a line) is left out when it would not change
        it; any other cost (a conversion, sale_timesheet's rate) is written as always."""
        result = super()._timesheet_postprocess_values(values)
        for line in self.filtered("miko_contract_id"):
            todo = result.get(line.id)
            if (
                todo
                and set(todo) == {"amount"}
                and not line.currency_id.compare_amounts(todo["amount"], line.amount)
            ):
                todo.clear()
        return result

    def write(self, vals):
        if self.env.context.get("miko_billing_write") is _BILLING_WRITE:
            return super().write(vals)  # the billing run (late work of a closed month too)
        support_lines = self.filtered("miko_contract_id")
        if support_lines and BILLING_MANAGED_FIELDS & set(vals):
            raise UserError(
                self.env._(
                    "Support day line %(line)s: its time comes from the activities of the day "
                    "(%(minutes)s billed minutes); change the activities instead.",
                    line=support_lines[0].display_name,
                    minutes=support_lines[0].miko_billed_minutes,
                )
            )
        if support_lines and set(vals) - {"miko_period_decision", "miko_period_note"}:
            support_lines._miko_check_not_locked()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_support_day(self):
        support_lines = self.filtered("miko_contract_id")
        support_lines._miko_check_not_locked()
        if support_lines.miko_activity_ids:
            raise UserError(
                self.env._(
                    "Support day line %(line)s still has activities: delete or move them first.",
                    line=support_lines[0].display_name,
                )
            )

    def _miko_check_not_locked(self):
        for line in self.sudo():
            if line.miko_contract_id and line.miko_contract_id._month_locked(line.date):
                raise UserError(
                    self.env._(
                        "Support day line %(line)s of %(day)s belongs to a month closed by its "
                        "UPD (contract %(contract)s): it cannot change.",
                        line=line.name or line.miko_contract_id.display_name,
                        day=line.date,
                        contract=line.miko_contract_id.display_name,
                    )
                )

    def action_miko_view_activities(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "miko_support_contract.miko_support_activity_action"
        )
        action["domain"] = [("timesheet_id", "=", self.id)]
        action["context"] = {}
        return action
