import base64
import re
from decimal import Decimal

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date, formatLang

from ..rules import money, payment_qr


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
        """ГОСТ Р 56042-2014 payment string of an issued prepayment invoice (Sum in kopecks)."""
        self.ensure_one()
        self._miko_check_issued()
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
            purpose=self._miko_reader_env()._(
                "Payment of invoice %(invoice)s of %(date)s for technical support, VAT exempt",
                invoice=self.name,
                date=format_date(
                    self._miko_reader_env(), self.invoice_date or fields.Date.context_today(self)
                ),
            ),
        )

    def _miko_check_issued(self):
        """A payment QR code, like the invoice's number and date, exists only once it is issued."""
        for move in self:
            if move.state != "posted" or not move.name or move.name == "/":
                raise UserError(
                    self.env._(
                        "Invoice %(invoice)s of %(partner)s is not issued (state «%(state)s»): "
                        "post it before making its payment QR code.",
                        invoice=move.display_name,
                        partner=move.partner_id.display_name,
                        state=dict(move._fields["state"]._description_selection(self.env))[
                            move.state
                        ],
                    )
                )

    def _miko_reader_env(self):
        """The environment in the language of the document's reader (the customer)."""
        return self.with_context(lang=self.partner_id.lang or self.env.lang).env

    def _miko_format_quantity(self, quantity):
        """A quantity in the reader's number format, without trailing zeros: «10», «1,5»."""
        return formatLang(
            self._miko_reader_env(), quantity, digits=money.significant_places(quantity)
        )

    def _miko_unit_name(self, line):
        """The short unit name printed beside a quantity: «ч» for hours."""
        hour = self.env.ref("uom.product_uom_hour", raise_if_not_found=False)
        if hour and line.product_uom_id == hour:
            return self._miko_reader_env()._("h")
        return line.product_uom_id.with_env(self._miko_reader_env()).name or ""

    def _miko_amount_in_words(self):
        """The total in words: rubles by ``num2words`` in Russian, other currencies by Odoo."""
        self.ensure_one()
        if self.currency_id.name == "RUB":
            return money.amount_in_words_ru(money.to_decimal(self.amount_total))
        return self.currency_id.amount_to_text(self.amount_total)

    def _miko_address(self, partner):
        """``partner``'s address on one line, without the empty parts («, ,») of missing
        fields."""
        text = partner._display_address(without_company=True) or ""
        return ", ".join(part.strip() for part in re.split(r"[\n,]", text) if part.strip())

    def _miko_payment_qr_base64(self):
        self.ensure_one()
        return base64.b64encode(payment_qr.payment_qr_png(self._miko_payment_string())).decode()
