from odoo import fields, models


class SupportRemoteDevice(models.Model):
    """A customer's computer reached by remote desktop: maps TeamViewer IDs to a contract."""

    _name = "miko.support.remote.device"
    _description = "Customer Remote Device"
    _order = "name"
    _check_company_auto = True

    name = fields.Char(required=True, help="Device name as shown in the remote-desktop tool.")
    device_ref = fields.Char(
        string="Device ID",
        required=True,
        index=True,
        help="TeamViewer ID (digits, spaces ignored) or device name found in connection reports.",
    )
    contract_id = fields.Many2one(
        "miko.support.contract", required=True, ondelete="cascade", check_company=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="contract_id.partner_id", store=True)
    active = fields.Boolean(default=True)

    _device_unique = models.UniqueIndex(
        "(company_id, device_ref) WHERE active",
        "This device ID is already mapped to a contract.",
    )
