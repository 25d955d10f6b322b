from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

MONTHS = [
    ("1", "January"),
    ("2", "February"),
    ("3", "March"),
    ("4", "April"),
    ("5", "May"),
    ("6", "June"),
    ("7", "July"),
    ("8", "August"),
    ("9", "September"),
    ("10", "October"),
    ("11", "November"),
    ("12", "December"),
]


class UpdMonthClose(models.TransientModel):
    """Finance closes a month: preview per customer, then generate the UPDs (restartable)."""

    _name = "miko.support.upd.month.close"
    _description = "Close a Month with UPDs"

    @api.model
    def _default_previous_month(self):
        return fields.Date.context_today(self).replace(day=1) - relativedelta(months=1)

    year = fields.Integer(required=True, default=lambda self: self._default_previous_month().year)
    month = fields.Selection(
        MONTHS,
        required=True,
        default=lambda self: str(self._default_previous_month().month),
    )
    line_ids = fields.One2many("miko.support.upd.month.close.line", "wizard_id", string="Preview")
    total_amount = fields.Float(compute="_compute_progress", string="Total")
    done_count = fields.Integer(compute="_compute_progress", string="Generated")
    todo_count = fields.Integer(compute="_compute_progress", string="To Generate")

    @api.depends("line_ids.amount", "line_ids.upd_id")
    def _compute_progress(self):
        for wizard in self:
            wizard.total_amount = sum(wizard.line_ids.mapped("amount"))
            wizard.done_count = len(wizard.line_ids.filtered("upd_id"))
            wizard.todo_count = len(wizard.line_ids) - wizard.done_count

    def _bounds(self):
        self.ensure_one()
        return self.env["miko.support.contract"]._month_bounds(self.year, int(self.month))

    def _reopen(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "miko_support_contract.miko_support_upd_month_close_action"
        )
        return {
            # the dialog keeps its title once regenerated, not the web client's «Odoo»
            "name": action["name"],
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_preview(self):
        """One line per contract with consumption in the month and its UPD if it exists."""
        self.ensure_one()
        first, last = self._bounds()
        closing = self.env["miko.support.upd.closing"]
        lines = [fields.Command.clear()]
        for contract in closing._candidate_contracts(first, last):
            totals = contract._service_totals(first, last)
            if totals["amount"] <= 0:
                continue
            lines.append(
                fields.Command.create(
                    {
                        "contract_id": contract.id,
                        "minutes": totals["minutes"],
                        "amount": float(totals["amount"]),
                        "upd_id": closing._latest_for(contract, first).id,
                    }
                )
            )
        self.line_ids = lines
        return self._reopen()

    def action_generate(self):
        """Generate the missing UPDs; a failing contract is reported and the rest go on."""
        self.ensure_one()
        if not self.line_ids:
            self.action_preview()
        closing = self.env["miko.support.upd.closing"]
        for line in self.line_ids.filtered(lambda line: not line.upd_id):
            try:
                with self.env.cr.savepoint():
                    upd = closing.close_month(
                        self.year, int(self.month), contract_ids=line.contract_id.ids
                    )
                line.write({"upd_id": upd[:1].id, "error": False})
            except Exception as error:
                line.error = str(error)
        return self._reopen()

    def action_view_upds(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "miko_support_contract.miko_support_upd_action"
        )
        action["domain"] = [("id", "in", self.line_ids.upd_id.ids)]
        return action


class UpdMonthCloseLine(models.TransientModel):
    _name = "miko.support.upd.month.close.line"
    _description = "Month Close Preview Line"

    wizard_id = fields.Many2one("miko.support.upd.month.close", required=True, ondelete="cascade")
    contract_id = fields.Many2one("miko.support.contract", required=True)
    partner_id = fields.Many2one(related="contract_id.partner_id")
    minutes = fields.Integer()
    amount = fields.Float()
    upd_id = fields.Many2one("miko.support.upd", string="UPD")
    error = fields.Text()
