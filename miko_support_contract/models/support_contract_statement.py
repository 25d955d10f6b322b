"""The contract's side of statements: the week last sent and the balance alert level; the fixed
``get_statement`` and «Send Statement Now» delegate to ``miko.support.statement``; the
customer's consent to an overrun given in the portal."""

from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import UserError


class SupportContractStatement(models.AbstractModel):
    _name = "miko.support.contract.statement"
    _description = "Support Contract: Statements"

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

    def get_statement(self, date_from, date_to):
        """The statement of account for a period, as a JSON-serialisable dict.

        ``days`` (each with ``date``, ``billed_minutes``, ``amount``, ``lines`` and the engineers'
        ``work_descriptions``), ``billed_minutes``, ``performed_amount`` (consumption and credits
        booked in the period), ``receipts_amount``, ``balance_start`` and ``balance_end``. Amounts
        are those of the wallet ledger, so the statement always agrees with it (built by
        ``miko.support.statement._build_statement``).
        """
        self.ensure_one()
        return self.env["miko.support.statement"]._build_statement(self, date_from, date_to)

    def action_send_statement_now(self):
        """Send the statement of the last 30 days now (backend button, portal request)."""
        today = fields.Date.context_today(self)
        self.env["miko.support.statement"].sudo()._send(
            self.sudo(), today - timedelta(days=30), today, reason="request"
        )
        return True

    def _check_balance_alerts(self):
        """After the wallet moved: queue an early statement when a level is newly crossed."""
        self.env["miko.support.statement"]._check_balance_alerts(self)

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
