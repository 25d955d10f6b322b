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
    }
)


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
    _miko_day_unique = models.UniqueIndex(
        "(miko_contract_id, user_id, date) WHERE miko_contract_id IS NOT NULL",
        "There is already a support day line for this engineer, contract and day.",
    )

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

    def write(self, vals):
        if not self.env.context.get("miko_billing"):
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
            support_lines._miko_check_not_locked()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_support_day(self):
        if self.env.context.get("miko_billing"):
            return
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
            locked_until = line.miko_contract_id.locked_until
            if locked_until and line.date <= locked_until:
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
