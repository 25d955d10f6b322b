import base64

from odoo import fields, models
from odoo.exceptions import UserError


class UpdAnswerWizard(models.TransientModel):
    """Manual EDI: upload the buyer's title, or record a refusal / clarification request."""

    _name = "miko.support.upd.answer.wizard"
    _description = "Upload the Buyer's Answer to a UPD"

    upd_id = fields.Many2one("miko.support.upd", string="UPD", required=True)
    answer_type = fields.Selection(
        [
            ("title", "Buyer's title (ON_NSCHFDOPPOK)"),
            ("refusal", "Refusal to sign"),
            ("clarification", "Clarification request"),
        ],
        required=True,
        default="title",
    )
    title_file = fields.Binary(string="Buyer's Title File")
    title_file_name = fields.Char()
    signature_file = fields.Binary(string="Buyer's Signature File")
    signature_file_name = fields.Char()
    reason = fields.Text()

    def action_apply(self):
        self.ensure_one()
        upd = self.upd_id
        if self.answer_type == "title":
            if not self.title_file:
                raise UserError(
                    self.env._(
                        "UPD %(upd)s: choose the buyer's title file to upload.",
                        upd=upd.display_name,
                    )
                )
            upd._apply_buyer_title(
                base64.b64decode(self.title_file),
                file_name=self.title_file_name,
                signature=base64.b64decode(self.signature_file) if self.signature_file else None,
            )
        else:
            upd._apply_refusal(self.reason or "", kind=self.answer_type)
        return {"type": "ir.actions.act_window_close"}
