import base64
from decimal import Decimal

from odoo import fields, models

from ..rules import payment_qr


class AccountMove(models.Model):
    _inherit = "account.move"

    miko_contract_id = fields.Many2one(
        "miko.support.contract",
        string="Support Contract",
        index="btree_not_null",
        copy=False,
        readonly=True,
        check_company=True,
    )

    def _miko_payment_string(self):
        """ГОСТ Р 56042-2014 payment string of a prepayment invoice (Sum in kopecks)."""
        self.ensure_one()
        company = self.company_id
        bank_account = self.partner_bank_id or company.partner_id.bank_ids[:1]
        bank = bank_account.bank_id
        return payment_qr.build_payment_string(
            name=company.name,
            personal_acc=bank_account.acc_number or "",
            bank_name=bank.name or "",
            bic=bank.bic or "",
            corresp_acc=bank.miko_corr_account or "",
            payee_inn=company.vat or "",
            kpp=company.miko_kpp or None,
            sum_kopecks=payment_qr.rubles_to_kopecks(Decimal(str(self.amount_total))),
            purpose=self.env._(
                "Payment of invoice %(invoice)s of %(date)s for technical support, VAT exempt",
                invoice=self.name,
                date=self.invoice_date or fields.Date.context_today(self),
            ),
        )

    def _miko_payment_qr_base64(self):
        self.ensure_one()
        return base64.b64encode(payment_qr.payment_qr_png(self._miko_payment_string())).decode()
