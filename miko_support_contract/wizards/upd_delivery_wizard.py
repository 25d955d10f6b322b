from odoo import fields, models


class UpdDeliveryWizard(models.TransientModel):
    """Paper UPD: the day the customer received the registered letter, from the tracking."""

    _name = "miko.support.upd.delivery.wizard"
    _description = "Enter the Delivery Date of a UPD"

    upd_id = fields.Many2one("miko.support.upd", string="UPD", required=True)
    tracking_number = fields.Char(related="upd_id.tracking_number")
    delivery_date = fields.Date(
        required=True,
        default=lambda self: self.env["miko.support.upd"]._today(),
        help="Day the customer received the letter, as shown by the Russian Post tracking: the "
        "7-day acceptance period starts on the next day.",
    )

    def action_apply(self):
        self.ensure_one()
        self.upd_id._check_delivery_date(self.delivery_date)
        self.upd_id.mark_delivered(self.delivery_date)
        return {"type": "ir.actions.act_window_close"}
