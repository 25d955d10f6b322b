from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    miko_pbx_extension = fields.Char(
        string="PBX Extension",
        index="btree_not_null",
        help="The engineer's extension on the office PBX: calls in its call records are theirs.",
    )
    miko_teamviewer_ref = fields.Char(
        string="TeamViewer Account",
        index="btree_not_null",
        help="The engineer's name or e-mail in TeamViewer connection reports.",
    )

    _miko_pbx_extension_unique = models.UniqueIndex(
        "(miko_pbx_extension) WHERE miko_pbx_extension IS NOT NULL",
        "This PBX extension already belongs to another engineer.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return [*super().SELF_READABLE_FIELDS, "miko_pbx_extension", "miko_teamviewer_ref"]
