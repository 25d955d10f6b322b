"""Invoices of a support contract: the prepayment invoice («счёт на оплату»), the support moves
(invoices and refunds on the prepaid-support product) and the additional invoice of an overrun,
which needs the customer's consent (clause 5.3).
"""

from decimal import Decimal

from odoo import fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import formatLang

from ..rules import money


class SupportContractInvoicing(models.AbstractModel):
    _name = "miko.support.contract.invoicing"
    _description = "Support Contract: Invoicing"

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("miko_contract_id", "=", self.id)]
        action["context"] = {"default_move_type": "out_invoice", "create": False}
        return action

    def create_prepayment_invoice(self, amount=None, hours=None):
        """Draft prepayment invoice («счёт на оплату») for an amount or a number of hours.

        :returns: the draft ``account.move``.
        """
        self.ensure_one()
        if (amount is None) == (hours is None):
            raise UserError(
                self.env._(
                    "Contract %(contract)s: give either an amount or a number of hours for the "
                    "prepayment invoice.",
                    contract=self.display_name,
                )
            )
        if self.state == "closed":
            raise UserError(
                self.env._(
                    "Contract %(contract)s is closed: no new prepayment invoice.",
                    contract=self.display_name,
                )
            )
        if hours is not None:
            quantity = money.to_decimal(hours)
            price = money.to_decimal(self.sudo()._rate_at(fields.Date.context_today(self)))
            if not price:
                raise UserError(
                    self.env._(
                        "Contract %(contract)s has no hourly rate: set one before invoicing hours.",
                        contract=self.display_name,
                    )
                )
        else:
            quantity, price = Decimal(1), money.to_decimal(amount)
        if quantity <= 0 or price <= 0:
            raise UserError(
                self.env._(
                    "Contract %(contract)s: the prepayment amount must be positive.",
                    contract=self.display_name,
                )
            )
        return self._create_support_move("out_invoice", quantity, price, hours=hours is not None)

    def _create_support_move(self, move_type, quantity, price, hours=False):
        self.ensure_one()
        company = self.company_id
        if not company.miko_prepayment_product_id or not company.miko_advance_account_id:
            company.sudo()._miko_setup_support_accounting()
        product = company.miko_prepayment_product_id
        account = company.miko_advance_account_id
        if not product or not account:
            raise UserError(
                self.env._(
                    "Company %(company)s has no advances received account or prepaid support "
                    "product: configure them in Settings / Support Contracts.",
                    company=company.display_name,
                )
            )
        label = (
            self.env._(
                "Prepayment for technical support under contract %(contract)s, %(hours)s h",
                contract=self.name,
                hours=formatLang(
                    self.env, float(quantity), digits=money.significant_places(quantity)
                ),
            )
            if hours
            else self.env._(
                "Prepayment for technical support under contract %(contract)s",
                contract=self.name,
            )
        )
        if move_type == "out_refund":
            label = self.env._(
                "Refund of the unused balance under contract %(contract)s", contract=self.name
            )
        uom = self.env.ref("uom.product_uom_hour", raise_if_not_found=False) if hours else None
        line_vals = {
            "product_id": product.id,
            "name": label,
            "quantity": float(quantity),
            "price_unit": float(price),
            "account_id": account.id,
            "tax_ids": [fields.Command.clear()],
        }
        if uom:
            line_vals["product_uom_id"] = uom.id
        return (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": self.partner_id.id,
                    "company_id": company.id,
                    "miko_contract_id": self.id,
                    "invoice_origin": self.name,
                    **(
                        {"journal_id": company._miko_prepayment_journal().id}
                        if move_type == "out_invoice"
                        else {}
                    ),
                    "invoice_line_ids": [fields.Command.create(line_vals)],
                }
            )
        )

    def _unused_overrun_consent(self):
        """The oldest recorded consent not yet used by an additional invoice (clause 5.3: one
        consent covers one additional invoice)."""
        self.ensure_one()
        consents = self.sudo().overrun_consent_ids.filtered(lambda c: not c.invoice_id)
        if not consents:
            raise ValidationError(
                self.env._(
                    "Contract %(contract)s: an additional invoice for the overrun needs the "
                    "customer's recorded consent first (each consent covers one invoice).",
                    contract=self.display_name,
                )
            )
        return consents.sorted(lambda c: (c.consent_datetime, c.id))[0]

    def action_create_overrun_invoice(self):
        """Additional invoice for the debt, allowed once per recorded consent, up to the agreed
        amount."""
        self.ensure_one()
        consent = self._unused_overrun_consent()
        debt = -money.to_decimal(self.sudo().balance)
        if debt <= 0:
            raise UserError(
                self.env._(
                    "Contract %(contract)s has no overrun to invoice.", contract=self.display_name
                )
            )
        if consent.amount:
            debt = min(debt, money.to_decimal(consent.amount))
        invoice = self._create_support_move("out_invoice", Decimal(1), debt)
        consent.invoice_id = invoice
        return invoice
