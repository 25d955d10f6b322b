import base64

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..upd import MAX_BUYER_TITLE_BYTES


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
    discrepancy_file = fields.Binary(
        string="Discrepancy Document",
        help="The buyer's document of discrepancies, when its title says «accepted with "
        "discrepancies» (КодИтога 2).",
    )
    discrepancy_file_name = fields.Char()
    reason = fields.Text()

    @api.model_create_multi
    def create(self, vals_list):
        # refuse an oversized upload from its length, before it is stored or decoded
        for vals in vals_list:
            self._check_file_sizes(
                vals.get("title_file"), vals.get("signature_file"), vals.get("discrepancy_file")
            )
        return super().create(vals_list)

    @api.model
    def _check_file_sizes(self, *encoded_files):
        for content in encoded_files:
            size = len(content or b"") * 3 // 4
            if size > MAX_BUYER_TITLE_BYTES:
                raise UserError(
                    self.env._(
                        "The uploaded file is too large (%(size)s KB, at most %(limit)s KB): "
                        "nothing was recorded.",
                        size=size // 1024,
                        limit=MAX_BUYER_TITLE_BYTES // 1024,
                    )
                )

    def action_apply(self):
        self.ensure_one()
        upd = self.upd_id
        exchange = self.env["miko.support.upd.exchange"]
        if self.answer_type == "title":
            if not self.title_file:
                raise UserError(
                    self.env._(
                        "UPD %(upd)s: choose the buyer's title file to upload.",
                        upd=upd.display_name,
                    )
                )
            self._check_file_sizes(self.title_file, self.signature_file, self.discrepancy_file)
            exchange._apply_buyer_title(
                upd,
                base64.b64decode(self.title_file),
                file_name=self.title_file_name,
                signature=base64.b64decode(self.signature_file) if self.signature_file else None,
                discrepancy_file=(
                    base64.b64decode(self.discrepancy_file) if self.discrepancy_file else None
                ),
                discrepancy_file_name=self.discrepancy_file_name,
            )
        else:
            exchange._apply_refusal(upd, self.reason or "", kind=self.answer_type)
        return {"type": "ir.actions.act_window_close"}
