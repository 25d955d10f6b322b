from odoo import api, fields, models


class AccountPartialReconcile(models.Model):
    """Money received or paid out against a support document moves the customer's wallet.

    * a payment (or bank statement line) reconciled with a prepayment invoice credits the
      wallet at the payment's date, partially for a partial payment;
    * a payment reconciled with a support credit note (refund of an unused balance) debits it;
    * removing such a reconciliation (unreconcile, payment cancelled) books the reverse entry.

    Posting an invoice alone changes nothing: an unpaid «счёт на оплату» creates no advance.
    """

    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._miko_book_wallet_money()
        return partials

    def unlink(self):
        self._miko_reverse_wallet_money()
        return super().unlink()

    def _miko_money_pair(self):
        """(support document line, money line, kind) or None for this partial."""
        self.ensure_one()
        for doc_line, money_line in (
            (self.debit_move_id, self.credit_move_id),
            (self.credit_move_id, self.debit_move_id),
        ):
            doc = doc_line.move_id
            if not doc.miko_contract_id or doc.move_type not in ("out_invoice", "out_refund"):
                continue
            money_move = money_line.move_id
            if money_move.is_invoice(include_receipts=True) or money_move.miko_contract_id:
                continue  # invoice against its own credit note: no money moved
            kind = "receipt" if doc.move_type == "out_invoice" else "refund"
            return doc_line, money_line, kind
        return None

    def _miko_book_wallet_money(self):
        vals_list = []
        contracts = self.env["miko.support.contract"]
        for partial in self:
            pair = partial._miko_money_pair()
            if not pair:
                continue
            doc_line, money_line, kind = pair
            contract = doc_line.move_id.miko_contract_id
            amount = partial.amount if kind == "receipt" else -partial.amount
            label = (
                self.env._("Payment received: %(ref)s", ref=money_line.move_id.display_name)
                if kind == "receipt"
                else self.env._("Refund paid: %(ref)s", ref=money_line.move_id.display_name)
            )
            vals_list.append(
                {
                    "contract_id": contract.id,
                    "date": money_line.date,
                    "kind": kind,
                    "amount": amount,
                    "name": label,
                    "move_id": doc_line.move_id.id,
                    "payment_move_id": money_line.move_id.id,
                    "source_key": f"partial:{partial.id}",
                }
            )
            if kind == "receipt":
                contracts |= contract
        if vals_list:
            self.env["miko.support.contract"]._wallet_post(vals_list)
            for contract in contracts:
                receipts = [v for v in vals_list if v["contract_id"] == contract.id]
                contract._on_receipt(min(v["date"] for v in receipts))

    def _miko_reverse_wallet_money(self):
        Entry = self.env["miko.support.wallet.entry"].sudo()
        originals = Entry.search([("source_key", "in", [f"partial:{p.id}" for p in self])])
        if not originals:
            return
        today = fields.Date.context_today(self)
        self.env["miko.support.contract"]._wallet_post(
            [
                {
                    "contract_id": entry.contract_id.id,
                    "date": max(today, entry.date),
                    "kind": entry.kind,
                    "amount": -entry.amount,
                    "name": self.env._("Reversal: %(entry)s", entry=entry.name),
                    "move_id": entry.move_id.id,
                    "payment_move_id": entry.payment_move_id.id,
                    "reversed_entry_id": entry.id,
                    "source_key": f"{entry.source_key}:reversal",
                }
                for entry in originals
            ]
        )
