from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..rules import RuleError, phones, requisites


class ResPartner(models.Model):
    _inherit = "res.partner"

    miko_kpp = fields.Char(string="KPP", size=9, help="Tax registration reason code (КПП).")
    miko_ogrn = fields.Char(
        string="OGRN/OGRNIP", size=15, help="Primary state registration number (ОГРН / ОГРНИП)."
    )
    miko_postal_address = fields.Text(
        string="Postal Address",
        help="Address for paper documents, when it differs from the legal one.",
    )
    miko_edo_id = fields.Char(
        string="EDI Participant ID",
        help="Identifier of the participant at the electronic document operator (ИдУчастника ЭДО).",
    )
    miko_phone_key = fields.Char(
        string="Normalised Phone",
        compute="_compute_miko_phone_key",
        store=True,
        index="btree_not_null",
        help="The phone in one comparable form (+7/8, spaces and dashes removed), used to match "
        "PBX calls to customers.",
    )
    miko_support_contract_ids = fields.One2many(
        "miko.support.contract", "partner_id", string="Support Contracts"
    )
    miko_support_contract_count = fields.Integer(
        compute="_compute_miko_support_contract_count", string="Support Contract Count"
    )
    miko_support_balance = fields.Monetary(
        compute="_compute_miko_support_contract_count",
        string="Support Balance",
        currency_field="currency_id",
        groups="miko_support_contract.group_sales",
    )

    @api.depends("phone")
    def _compute_miko_phone_key(self):
        for partner in self:
            partner.miko_phone_key = (
                phones.normalize_phone(partner.phone) if partner.phone else False
            )

    def _compute_miko_support_contract_count(self):
        groups = self.env["miko.support.contract"]._read_group(
            [("partner_id", "child_of", self.commercial_partner_id.ids)],
            ["partner_id"],
            ["__count", "balance:sum"],
        )
        counts = {partner.id: (count, balance) for partner, count, balance in groups}
        for partner in self:
            count, balance = counts.get(partner.commercial_partner_id.id, (0, 0.0))
            partner.miko_support_contract_count = count
            if self.env.user.has_group("miko_support_contract.group_sales"):
                partner.miko_support_balance = balance

    @api.constrains("vat", "miko_kpp", "miko_ogrn", "country_id")
    def _check_miko_requisites(self):
        checks = (
            ("vat", requisites.check_inn),
            ("miko_kpp", requisites.check_kpp),
            ("miko_ogrn", requisites.check_ogrn),
        )
        for partner in self:
            if partner.country_id and partner.country_id.code != "RU":
                continue
            for field_name, check in checks:
                value = partner[field_name]
                if not value:
                    continue
                try:
                    check(value)
                except RuleError as error:
                    raise ValidationError(
                        self.env._(
                            "%(partner)s, field %(field)s: %(reason)s",
                            partner=partner.display_name,
                            field=partner._fields[field_name].get_description(self.env)["string"],
                            reason=self.env._(error.message),
                        )
                    ) from error

    def action_miko_view_support_contracts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "miko_support_contract.miko_support_contract_action"
        )
        action["domain"] = [("partner_id", "child_of", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action
