from odoo import api, fields, models
from odoo.tools import SQL


class SupportSuspension(models.Model):
    """A period in which a contract was suspended (clause 3.2.4).

    Opened when the contract is suspended and closed (the day before) when it is resumed. Work
    dated inside a suspension is held like work outside the contract period: kept on its day
    line, not charged until a manager decides (``account.analytic.line.miko_outside_period``).
    """

    _name = "miko.support.suspension"
    _description = "Support Contract Suspension"
    _order = "contract_id, date_from desc"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "miko.support.contract", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    date_from = fields.Date(string="Suspended From", required=True, readonly=True)
    date_to = fields.Date(
        string="Suspended Until",
        readonly=True,
        help="Last day of the suspension; empty while the contract is still suspended.",
    )

    @api.model
    def _sql_holds(self, contract_alias, date_expression):
        """SQL: whether ``date_expression`` lies in a suspension of contract ``contract_alias``
        (the one place the rule is written for the billing and the search)."""
        return SQL(
            "EXISTS (SELECT 1 FROM miko_support_suspension s WHERE s.contract_id = %s.id "
            "AND %s >= s.date_from AND (s.date_to IS NULL OR %s <= s.date_to))",
            SQL.identifier(contract_alias),
            date_expression,
            date_expression,
        )
