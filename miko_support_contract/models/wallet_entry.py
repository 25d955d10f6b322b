from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

KINDS = [
    ("receipt", "Receipt"),
    ("consumption", "Consumption"),
    ("credit", "Credit"),
    ("refund", "Refund"),
    ("adjustment", "Adjustment"),
]


class WalletEntry(models.Model):
    """Append-only ledger of a contract's prepaid wallet. Positive amounts credit the wallet."""

    _name = "miko.support.wallet.entry"
    _inherit = ["miko.support.hash.chain.mixin"]
    _description = "Support Wallet Entry"
    _order = "date desc, id desc"
    _check_company_auto = True
    _chain_fields = (
        "date",
        "kind",
        "amount",
        "minutes",
        "name",
        "reason",
        "approver_id",
        "payment_move_id",
        "reversed_entry_id",
        "source_key",
    )

    contract_id = fields.Many2one(
        "miko.support.contract", required=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="contract_id.partner_id", store=True, index=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    date = fields.Date(required=True, index=True)
    kind = fields.Selection(KINDS, string="Type", required=True, index=True)
    amount = fields.Monetary(currency_field="currency_id", required=True)
    minutes = fields.Integer(
        help="Billed minutes: positive when charged, negative when a correction or credit gives "
        "them back."
    )
    name = fields.Char(string="Description", required=True)
    reason = fields.Text()
    approver_id = fields.Many2one("res.users", string="Approved By")
    move_id = fields.Many2one("account.move", string="Invoice", index="btree_not_null")
    payment_move_id = fields.Many2one(
        "account.move", string="Payment Entry", index="btree_not_null"
    )
    reversed_entry_id = fields.Many2one(
        "miko.support.wallet.entry", string="Reverses", index="btree_not_null"
    )
    source_key = fields.Char(
        readonly=True,
        help="What produced the entry (a payment reconciliation, a billed day…): unique, so the "
        "same event is never booked twice.",
    )

    _source_key_unique = models.UniqueIndex(
        "(source_key) WHERE source_key IS NOT NULL",
        "This event is already in the wallet ledger.",
    )
    _contract_date_idx = models.Index("(contract_id, date, kind)")

    @api.constrains("kind", "reason", "approver_id")
    def _check_adjustment(self):
        for entry in self.filtered(lambda e: e.kind == "adjustment"):
            if not (entry.reason or "").strip() or not entry.approver_id:
                raise ValidationError(
                    self.env._(
                        "A manual adjustment of contract %(contract)s needs a reason and an "
                        "approver.",
                        contract=entry.contract_id.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        entries = super().create(vals_list)
        entries._apply_to_balance()
        entries.contract_id._check_balance_alerts()
        return entries

    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(
            self.env._(
                "Wallet entries cannot be changed (%(entries)s): book a correcting entry instead.",
                entries=", ".join(self.mapped("display_name")),
            )
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._(
                "Wallet entries cannot be deleted (%(entries)s): book a correcting entry instead.",
                entries=", ".join(self.mapped("display_name")),
            )
        )

    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for entry in self:
            entry.display_name = f"{entry.contract_id.name} {entry.date} {kinds.get(entry.kind)}"

    def _apply_to_balance(self):
        """Move each contract's stored balance and bump its version, in this transaction.

        Summed in SQL (numeric, exact). Writing the contract row makes concurrent writers of the
        same wallet conflict instead of both passing (write skew at REPEATABLE READ).
        """
        self.flush_model(["contract_id", "amount"])
        self.env.cr.execute(
            SQL(
                """
                UPDATE miko_support_contract AS contract
                   SET balance = COALESCE(contract.balance, 0) + moved.total,
                       wallet_version = contract.wallet_version + 1
                  FROM (SELECT contract_id, SUM(amount) AS total
                          FROM miko_support_wallet_entry
                         WHERE id IN %s
                      GROUP BY contract_id) AS moved
                 WHERE contract.id = moved.contract_id
                """,
                tuple(self.ids),
            )
        )
        # balance, minutes, forecast and flags derive from the ledger
        self.contract_id.invalidate_recordset()

    @api.model
    def _post_adjustment(self, contract, amount, reason, approver, on_date=None):
        return contract._wallet_post(
            [
                {
                    "contract_id": contract.id,
                    "date": on_date or fields.Date.context_today(self),
                    "kind": "adjustment",
                    "amount": amount,
                    "name": self.env._("Manual adjustment"),
                    "reason": reason,
                    "approver_id": approver.id,
                }
            ]
        )
