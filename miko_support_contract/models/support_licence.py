from odoo import fields, models


class SupportLicence(models.Model):
    _name = "miko.support.licence"
    _description = "Registered Product Licence"
    _order = "registration_number"
    _rec_name = "registration_number"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "miko.support.contract", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="contract_id.partner_id", store=True, index=True)
    registration_number = fields.Char(required=True, index=True)
    product_name = fields.Selection(
        [
            ("panel_1c", "Telephony panel for 1C"),
            ("call_log_1c", "Call log for 1C"),
            ("smart_routing_1c", "Smart routing for 1C"),
            ("askozia_1c", "Askozia PBX for 1C"),
        ],
        string="Product",
        required=True,
    )
    registration_email = fields.Char(
        string="Registration E-mail", help="The e-mail given when the product was registered."
    )
    registration_date = fields.Date(string="Registered On")

    _registration_number_unique = models.Constraint(
        "UNIQUE(company_id, registration_number)",
        "A registration number is registered only once per company.",
    )
