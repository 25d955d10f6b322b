import base64
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError


class StatementWizard(models.TransientModel):
    """Statement of account for any contract and period: preview, print, XLSX, send now."""

    _name = "miko.support.statement.wizard"
    _description = "Statement of Account"

    contract_id = fields.Many2one("miko.support.contract", required=True)
    date_from = fields.Date(
        required=True,
        default=lambda self: fields.Date.context_today(self) - timedelta(days=30),
    )
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    billed_minutes = fields.Integer(compute="_compute_preview")
    performed_amount = fields.Monetary(compute="_compute_preview")
    receipts_amount = fields.Monetary(compute="_compute_preview")
    balance_end = fields.Monetary(string="Balance at End Date", compute="_compute_preview")
    currency_id = fields.Many2one(related="contract_id.currency_id")
    xlsx_file = fields.Binary(readonly=True, attachment=False)
    xlsx_name = fields.Char()

    @api.depends("contract_id", "date_from", "date_to")
    def _compute_preview(self):
        for wizard in self:
            statement = {}
            if (
                wizard.contract_id
                and wizard.date_from
                and wizard.date_to
                and wizard.date_from <= wizard.date_to
            ):
                statement = wizard.contract_id.get_statement(wizard.date_from, wizard.date_to)
            wizard.billed_minutes = statement.get("billed_minutes", 0)
            wizard.performed_amount = statement.get("performed_amount", 0.0)
            wizard.receipts_amount = statement.get("receipts_amount", 0.0)
            wizard.balance_end = statement.get("balance_end", 0.0)

    def _check_period(self):
        self.ensure_one()
        if self.date_from > self.date_to:
            raise UserError(
                self.env._(
                    "Statement of %(contract)s: the start date must not be after the end date.",
                    contract=self.contract_id.display_name,
                )
            )

    def action_print(self):
        self._check_period()
        return self.env.ref("miko_support_contract.action_report_support_statement").report_action(
            self.contract_id,
            data={"date_from": str(self.date_from), "date_to": str(self.date_to)},
        )

    def action_export_xlsx(self):
        self._check_period()
        contract = self.contract_id
        Statement = self.env["miko.support.statement"]
        self.write(
            {
                "xlsx_file": base64.b64encode(
                    Statement._xlsx(contract, self.date_from, self.date_to)
                ),
                "xlsx_name": Statement._file_name(contract, self.date_from, self.date_to, "xlsx"),
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/xlsx_file/{self.xlsx_name}?download=true",
            "target": "self",
        }

    def action_send(self):
        self._check_period()
        self.env["miko.support.statement"]._send(
            self.contract_id, self.date_from, self.date_to, reason="request"
        )
        return {"type": "ir.actions.act_window_close"}
