from odoo import api, fields, models


class PrepaymentInvoiceWizard(models.TransientModel):
    _name = "miko.prepayment.invoice.wizard"
    _description = "Create a Prepayment Invoice"

    contract_id = fields.Many2one("miko.support.contract", required=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    mode = fields.Selection(
        [("hours", "Hours"), ("amount", "Amount")],
        string="Invoice For",
        default="hours",
        required=True,
    )
    hours = fields.Float(default=4.0)
    amount = fields.Monetary(currency_field="currency_id")
    hourly_rate = fields.Monetary(related="contract_id.hourly_rate", string="Hourly Rate")
    total = fields.Monetary(compute="_compute_total", currency_field="currency_id")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "miko.support.contract":
            values.setdefault("contract_id", self.env.context.get("active_id"))
        return values

    @api.depends("mode", "hours", "amount", "hourly_rate")
    def _compute_total(self):
        for wizard in self:
            if wizard.mode == "hours":
                wizard.total = wizard.currency_id.round(wizard.hours * wizard.hourly_rate)
            else:
                wizard.total = wizard.amount

    def action_create_invoice(self):
        self.ensure_one()
        if self.mode == "hours":
            invoice = self.contract_id.create_prepayment_invoice(hours=self.hours)
        else:
            invoice = self.contract_id.create_prepayment_invoice(amount=self.amount)
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": invoice.id,
            "view_mode": "form",
            "target": "current",
        }
