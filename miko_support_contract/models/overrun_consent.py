from odoo import fields, models


class OverrunConsent(models.Model):
    _name = "miko.support.overrun.consent"
    _description = "Customer Consent to an Additional Invoice"
    _order = "consent_datetime desc"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "miko.support.contract", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    partner_id = fields.Many2one(
        "res.partner", string="Given By", required=True, help="The customer's contact who agreed."
    )
    user_id = fields.Many2one(
        "res.users", string="Recorded By", default=lambda self: self.env.user, readonly=True
    )
    consent_datetime = fields.Datetime(
        string="Given On", required=True, default=fields.Datetime.now
    )
    method = fields.Selection(
        [("portal", "Portal click"), ("letter", "Letter")],
        string="How",
        required=True,
        default="letter",
    )
    attachment_id = fields.Many2one("ir.attachment", string="Letter")
    amount = fields.Monetary(
        string="Agreed Amount",
        currency_field="currency_id",
        help="The additional invoice this consent allows may not exceed it; empty: the debt at "
        "the time of the invoice.",
    )
    currency_id = fields.Many2one(related="contract_id.currency_id")
    invoice_id = fields.Many2one(
        "account.move",
        string="Additional Invoice",
        readonly=True,
        copy=False,
        help="The one additional invoice this consent covered: the next one needs a new consent.",
    )
    note = fields.Text()
