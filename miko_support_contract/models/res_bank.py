from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..rules import RuleError, requisites


class ResBank(models.Model):
    _inherit = "res.bank"

    miko_corr_account = fields.Char(
        string="Correspondent Account",
        size=20,
        help="The bank's correspondent account at the Bank of Russia (20 digits, starts with 301); "
        "for a treasury body, the single treasury account (starts with 40102).",
    )

    @api.constrains("bic", "miko_corr_account", "country")
    def _check_miko_bank_requisites(self):
        for bank in self.filtered(lambda b: b._miko_is_russian()):
            try:
                if bank.bic:
                    requisites.check_bik(bank.bic)
                if bank.miko_corr_account:
                    requisites.check_corr_account(bank.miko_corr_account, bank.bic or "")
            except RuleError as error:
                raise ValidationError(
                    self.env._(
                        "Bank %(bank)s: %(reason)s",
                        bank=bank.display_name,
                        reason=self.env._(error.message),
                    )
                ) from error

    def _miko_is_russian(self):
        self.ensure_one()
        return (self.country.code or "RU") == "RU" and bool(self.bic or self.miko_corr_account)


class ResPartnerBank(models.Model):
    _inherit = "res.partner.bank"

    @api.constrains("acc_number", "bank_id")
    def _check_miko_account_key(self):
        for account in self:
            bank = account.bank_id
            if not bank or not bank.bic or (bank.country.code or "RU") != "RU":
                continue
            try:
                requisites.check_bank_account(account.acc_number or "", bank.bic)
            except RuleError as error:
                raise ValidationError(
                    self.env._(
                        "Bank account of %(partner)s: %(reason)s",
                        partner=account.partner_id.display_name,
                        reason=self.env._(error.message),
                    )
                ) from error
