from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_repr

# the fields ``_create_bulk`` inserts; the other chained fields stay empty
BULK_FIELDS = frozenset(
    {"contract_id", "date", "work_date", "kind", "amount", "minutes", "name", "source_key"}
)

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
    work_date = fields.Date(
        readonly=True,
        help="Day of the work a billing entry charges. It differs from the entry's date for late "
        "work (a day of a month already closed, charged in the first open month) and for work "
        "outside the contract period charged on a manager's decision.",
    )
    is_late = fields.Boolean(
        compute="_compute_is_late", string="Late Work", help="Charged after its month was closed."
    )
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

    @api.depends("date", "work_date")
    def _compute_is_late(self):
        for entry in self:
            entry.is_late = bool(
                entry.work_date and entry.work_date.replace(day=1) < entry.date.replace(day=1)
            )

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
        self._check_money_backed(vals_list)
        entries = super().create(vals_list)
        entries._apply_to_balance()
        entries.contract_id._check_balance_alerts()
        return entries

    @api.model
    def _check_money_backed(self, vals_list):
        """A ``receipt`` or ``refund`` entry exists only through a payment reconciliation: its
        source key names a reconciliation of one of the contract's documents (or the reversal of
        such an entry). Manual corrections are adjustments, with a reason and an approver."""
        for vals in vals_list:
            if vals.get("kind") not in ("receipt", "refund"):
                continue
            key = vals.get("source_key") or ""
            if key.endswith(":reversal"):
                original = self.sudo().search([("source_key", "=", key.removesuffix(":reversal"))])
                backed = (
                    original.contract_id.id == vals.get("contract_id")
                    and original.kind == vals["kind"]
                    and float(vals.get("amount") or 0) == -original.amount
                )
            else:
                partial_id = key.removeprefix("partial:")
                partial = self.env["account.partial.reconcile"].sudo()
                if key.startswith("partial:") and partial_id.isdigit():
                    partial = partial.browse(int(partial_id)).exists()
                moves = (partial.debit_move_id | partial.credit_move_id).move_id
                backed = vals.get("contract_id") in moves.miko_contract_id.ids
            if not backed:
                contract = self.env["miko.support.contract"].browse(vals.get("contract_id"))
                raise ValidationError(
                    self.env._(
                        "Contract %(contract)s: a %(kind)s wallet entry is booked only by a "
                        "payment reconciled with one of its documents; use an adjustment with a "
                        "reason and an approver instead.",
                        contract=contract.display_name,
                        kind=dict(KINDS)[vals["kind"]],
                    )
                )

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

    def _apply_to_balance(self, contracts=None):
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
        (contracts if contracts is not None else self.contract_id).invalidate_recordset()

    @api.model
    def _create_bulk(self, vals_list):
        """Insert many billing entries with a few statements; same effects as ``create``.

        For the wallet charges of the billing run (``BULK_FIELDS`` only, never an adjustment):
        ids are drawn from the sequence first, so each contract's chain is hashed in one pass in
        Python (``_chain_digest`` over the values as the database stores them) and the rows are
        inserted sealed; then the balances move (``_apply_to_balance``) and the balance alerts
        are checked, as ``create`` does.
        """
        if not vals_list:
            return self.browse()
        unknown = set().union(*vals_list) - BULK_FIELDS
        if unknown or any(vals.get("kind") == "adjustment" for vals in vals_list):
            raise ValueError(f"_create_bulk cannot insert {sorted(unknown) or 'adjustments'}")
        self.flush_model()
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                self._table,
                len(vals_list),
            )
        )
        ids = sorted(row[0] for row in cr.fetchall())
        contracts = (
            self.env["miko.support.contract"]
            .sudo()
            .browse(sorted({vals["contract_id"] for vals in vals_list}))
        )
        # the wallets are locked before their chains are read: a concurrent run charging the
        # same contract (another month) waits here instead of forking the chain
        cr.execute(
            SQL(
                "SELECT id FROM miko_support_contract WHERE id = ANY(%s) ORDER BY id "
                "FOR NO KEY UPDATE",
                contracts.ids,
            )
        )
        cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (contract_id) contract_id, chain_hash
                  FROM miko_support_wallet_entry
                 WHERE contract_id = ANY(%s)
              ORDER BY contract_id, id DESC
                """,
                contracts.ids,
            )
        )
        last_hash = dict(cr.fetchall())
        currencies = {contract.id: contract.currency_id for contract in contracts}
        rows = []
        for id_, vals in zip(ids, vals_list, strict=True):
            currency = currencies[vals["contract_id"]]
            amount = float(vals.get("amount") or 0.0)
            if currency:
                amount = float_repr(currency.round(amount), currency.decimal_places)
            row = dict.fromkeys(("id", self._chain_group, *self._chain_fields))
            row.update(
                id=id_,
                contract_id=vals["contract_id"],
                date=fields.Date.to_date(vals["date"]),
                work_date=fields.Date.to_date(vals.get("work_date")) or None,
                kind=vals["kind"],
                amount=Decimal(str(amount)),
                minutes=vals.get("minutes"),
                name=vals["name"],
                source_key=vals.get("source_key") or None,
            )
            row["chain_hash"] = last_hash[row["contract_id"]] = self._chain_digest(
                last_hash.get(row["contract_id"]), row
            )
            rows.append(row)
        columns = (
            ("id", "int"),
            ("contract_id", "int"),
            ("date", "date"),
            ("work_date", "date"),
            ("kind", "varchar"),
            ("amount", "numeric"),
            ("minutes", "int"),
            ("name", "varchar"),
            ("source_key", "varchar"),
            ("chain_hash", "varchar"),
        )
        cr.execute(
            SQL(
                """
                INSERT INTO miko_support_wallet_entry (%(columns)s, company_id, partner_id,
                       create_uid, create_date, write_uid, write_date)
                SELECT v.*, c.company_id, c.partner_id, %(uid)s, NOW() AT TIME ZONE 'UTC',
                       %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM unnest(%(arrays)s) AS v(%(columns)s)
                  JOIN miko_support_contract c ON c.id = v.contract_id
              ORDER BY v.id
                """,
                columns=SQL(", ").join(SQL.identifier(name) for name, _type in columns),
                arrays=SQL(", ").join(
                    SQL("%s::%s[]", [row[name] for row in rows], SQL(sql_type))
                    for name, sql_type in columns
                ),
                uid=self.env.uid,
            )
        )
        entries = self.browse(ids)
        entries._apply_to_balance(contracts)
        contracts._check_balance_alerts()
        return entries

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
