from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date


class SupportOfferEdition(models.Model):
    """An edition of the public offer (the contract's text): a customer accepts the edition in
    force on the day of a payment and keeps it until its next payment."""

    _name = "miko.support.offer.edition"
    _description = "Offer Edition"
    _order = "in_force_from desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Title", required=True)
    edition_date = fields.Date(required=True, help="«Редакция от …» printed on the offer.")
    in_force_from = fields.Date(
        required=True, help="Payments from this day on accept this edition."
    )
    text_pdf = fields.Binary(string="Text (PDF)", attachment=True)
    text_pdf_name = fields.Char(string="Text File Name")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    state = fields.Selection(
        [("draft", "Draft"), ("published", "Published")],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
    )
    published_on = fields.Datetime(readonly=True, copy=False)
    contract_ids = fields.One2many(
        "miko.support.contract", "offer_edition_id", string="Contracts", readonly=True
    )

    _company_date_unique = models.Constraint(
        "UNIQUE(company_id, edition_date)", "A company has one offer edition per edition date."
    )

    @api.constrains("edition_date", "in_force_from")
    def _check_in_force_from(self):
        for edition in self:
            if edition.in_force_from < edition.edition_date:
                raise UserError(
                    self.env._(
                        "Offer edition %(edition)s, field In Force From: %(date)s is before "
                        "the edition date %(edition_date)s.",
                        edition=edition.display_name,
                        date=format_date(self.env, edition.in_force_from),
                        edition_date=format_date(self.env, edition.edition_date),
                    )
                )

    @api.depends("name", "edition_date")
    def _compute_display_name(self):
        for edition in self:
            edition.display_name = edition.basis_label()

    def action_publish(self):
        """Publish the edition and tell the customers of active contracts: they keep their
        edition until their next payment, which accepts this one."""
        for edition in self:
            if edition.state == "published":
                continue
            edition.write({"state": "published", "published_on": fields.Datetime.now()})
            contracts = self.env["miko.support.contract"].search(
                [
                    ("company_id", "=", edition.company_id.id),
                    ("state", "in", ("active", "suspended")),
                ]
            )
            template = self.env.ref("miko_support_contract.mail_template_offer_edition")
            template = template.with_context(edition_label=edition.basis_label())
            for contract in contracts:
                template.sudo().send_mail(
                    contract.id,
                    email_values={"attachment_ids": edition._text_attachment_commands()},
                )
        return True

    def basis_label(self):
        """«<title> в редакции от DD.MM.YYYY», the basis printed on invoices and UPDs."""
        self.ensure_one()
        if not self.edition_date:
            return self.name or ""
        return f"{self.name} в редакции от {self.edition_date.strftime('%d.%m.%Y')}"

    @api.model
    def _in_force(self, company, on_date):
        """The published edition of ``company`` in force on ``on_date`` (empty when none)."""
        return self.search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "published"),
                ("in_force_from", "<=", on_date),
            ],
            limit=1,
        )

    def _text_attachment_commands(self):
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "=", self.id),
                    ("res_field", "=", "text_pdf"),
                ],
                limit=1,
            )
        )
        if not attachment:
            return []
        copy = attachment.copy(
            {"res_field": False, "name": self.text_pdf_name or f"{self.basis_label()}.pdf"}
        )
        return [fields.Command.link(copy.id)]
