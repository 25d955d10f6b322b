"""The wallet of a support contract: its balance and forecast, the balance at a date, the service
totals of a period, checked debits, the integrity check and the reconciliation with the general
ledger.
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ..rules import money

BURN_RATE_DAYS = 28


class SupportContractWallet(models.AbstractModel):
    _name = "miko.support.contract.wallet"
    _description = "Support Contract: Wallet"

    @api.depends("balance", "rate_ids.hourly_rate")
    def _compute_balance_minutes(self):
        for contract in self:
            rate = contract.sudo()._rate_at(fields.Date.context_today(contract))
            balance = money.to_decimal(contract.sudo().balance)
            contract.balance_minutes = int(balance * 60 / money.to_decimal(rate)) if rate else 0

    def _compute_days_until_zero(self):
        today = fields.Date.context_today(self)
        since = today - timedelta(days=BURN_RATE_DAYS)
        burned = dict(
            self.env["miko.support.wallet.entry"]
            .sudo()
            ._read_group(
                [
                    ("contract_id", "in", self.ids),
                    ("kind", "in", ("consumption", "credit")),
                    ("date", ">", since),
                    ("date", "<=", today),
                ],
                ["contract_id"],
                ["amount:sum"],
            )
        )
        for contract in self:
            spent = -burned.get(contract, 0.0)
            balance = contract.sudo().balance
            if spent <= 0:
                contract.days_until_zero = -1
            elif balance <= 0:
                contract.days_until_zero = 0
            else:
                contract.days_until_zero = int(balance / (spent / BURN_RATE_DAYS))
            contract.days_until_zero_text = (
                "—"
                if contract.days_until_zero < 0
                else formatLang(self.env, contract.days_until_zero, digits=0)
            )

    @api.depends("balance", "low_balance_type", "low_balance_amount", "low_balance_minutes")
    def _compute_balance_flags(self):
        for contract in self:
            contract.is_negative_balance = contract.sudo().balance < 0
            contract.is_low_balance = contract._is_below_threshold()

    def _search_is_low_balance(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        ids = (
            self.sudo()
            .search([("state", "in", ("active", "suspended"))])
            .filtered(lambda c: c._is_below_threshold())
            .ids
        )
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", ids)]

    def _search_is_negative_balance(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        positive = (operator == "=") == value
        return [("balance", "<" if positive else ">=", 0.0)]

    def wallet_balance_at(self, at_date):
        """Wallet balance at the end of ``at_date``: the sum of the ledger entries up to it."""
        self.ensure_one()
        at_date = fields.Date.to_date(at_date)
        self.env["miko.support.wallet.entry"].flush_model(["contract_id", "date", "amount"])
        self.env.cr.execute(
            SQL(
                "SELECT COALESCE(SUM(amount), 0) FROM miko_support_wallet_entry "
                "WHERE contract_id = %s AND date <= %s",
                self.id,
                at_date,
            )
        )
        total = self.env.cr.fetchone()[0]  # fetched before any lazy field read reuses the cursor
        return self.currency_id.round(total)

    def _service_totals(self, date_from, date_to):
        """Billed minutes and amount consumed by services dated in [date_from, date_to].

        Consumption and its corrections (kind ``consumption``) plus credits for work found not
        billable (kind ``credit``), summed exactly in SQL. The amount is positive when the customer
        consumed; this is what the month's UPD carries.
        """
        self.ensure_one()
        return self._service_totals_by_contract(date_from, date_to)[self.id]

    def _service_totals_by_contract(self, date_from, date_to):
        """:meth:`_service_totals` of every contract of ``self`` in one query:
        ``{contract id: {"amount", "minutes"}}``."""
        totals = {
            contract_id: {"amount": money.to_decimal(0), "minutes": 0} for contract_id in self.ids
        }
        if not self:
            return totals
        self.env["miko.support.wallet.entry"].flush_model(
            ["contract_id", "date", "amount", "minutes", "kind"]
        )
        self.env.cr.execute(
            SQL(
                "SELECT contract_id, -SUM(amount), SUM(minutes) FROM miko_support_wallet_entry "
                "WHERE contract_id = ANY(%s) AND date BETWEEN %s AND %s "
                "AND kind IN ('consumption', 'credit') GROUP BY contract_id",
                self.ids,
                fields.Date.to_date(date_from),
                fields.Date.to_date(date_to),
            )
        )
        for contract_id, amount, minutes in self.env.cr.fetchall():
            totals[contract_id] = {"amount": money.to_decimal(amount), "minutes": int(minutes)}
        return totals

    def _last_charged_date(self):
        self.ensure_one()
        if not self.id:
            return None
        entries = (
            self.env["miko.support.wallet.entry"]
            .sudo()
            .search(
                [("contract_id", "=", self.id), ("kind", "in", ("consumption", "credit"))],
                order="date desc",
                limit=1,
            )
        )
        return entries.date or None

    def _is_below_threshold(self):
        self.ensure_one()
        contract = self.sudo()
        if contract.state not in ("active", "suspended"):
            return False
        if contract.low_balance_type == "minutes":
            return contract.balance_minutes <= contract.low_balance_minutes
        return contract.balance <= contract.low_balance_amount

    def _wallet_post(self, vals_list):
        """Append ledger entries and move the stored balance in the same transaction.

        The UPDATE of the contract row makes two concurrent writers of the same wallet conflict
        (serialization failure at REPEATABLE READ, retried by Odoo) instead of both passing.
        """
        Entry = self.env["miko.support.wallet.entry"].sudo()
        entries = Entry.create(vals_list)
        return entries

    def _wallet_debit_checked(self, amount, name, on_date=None, kind="consumption", minimum=0.0):
        """Debit ``amount`` unless the balance would fall below ``minimum``, atomically.

        The balance is read with a row lock in this transaction and the debit moves the stored
        balance and version of the same row, so of two concurrent debits the second one either
        waits and sees the first, or fails to serialise and is retried: both can never pass on
        the same balance (no write skew at REPEATABLE READ).
        """
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                "SELECT balance FROM miko_support_contract WHERE id = %s FOR NO KEY UPDATE",
                self.id,
            )
        )
        balance = self.env.cr.fetchone()[0] or 0
        if self.currency_id.compare_amounts(float(balance) - amount, minimum) < 0:
            raise UserError(
                self.env._(
                    "Contract %(contract)s: a debit of %(amount)s would take the wallet balance "
                    "%(balance)s below %(minimum)s.",
                    contract=self.display_name,
                    amount=amount,
                    balance=balance,
                    minimum=minimum,
                )
            )
        return self._wallet_post(
            [
                {
                    "contract_id": self.id,
                    "date": on_date or fields.Date.context_today(self),
                    "kind": kind,
                    "amount": -amount,
                    "name": name,
                }
            ]
        )

    def _wallet_integrity_errors(self):
        """Ledger entries and UPDs of these contracts altered outside Odoo (hash chain broken),
        and contracts whose stored balance is not the sum of their ledger."""
        entries = self.env["miko.support.wallet.entry"].sudo()._chain_altered(self.ids)
        upds = self.env["miko.support.upd"].sudo()._chain_altered(self.ids)
        self.env["miko.support.wallet.entry"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT contract.id
                  FROM miko_support_contract AS contract
             LEFT JOIN miko_support_wallet_entry AS entry ON entry.contract_id = contract.id
                 WHERE contract.id IN %s
              GROUP BY contract.id
                HAVING COALESCE(contract.balance, 0) <> COALESCE(SUM(entry.amount), 0)
                """,
                tuple(self.ids) or (0,),
            )
        )
        balances = self.browse([row[0] for row in self.env.cr.fetchall()])
        return {"entries": entries, "upds": upds, "balances": balances}

    def action_check_integrity(self):
        """Finance: verify the hash chains and balances of the selected contracts."""
        if not self.env.user.has_group("miko_support_contract.group_finance"):
            raise AccessError(self.env._("Only support finance users can run the integrity check."))
        errors = self.sudo()._wallet_integrity_errors()
        problems = [
            self.env._("Altered ledger entry: %(entry)s (id %(id)s)", entry=e.display_name, id=e.id)
            for e in errors["entries"]
        ]
        problems += [
            self.env._("Altered UPD: %(upd)s (id %(id)s)", upd=u.display_name, id=u.id)
            for u in errors["upds"]
        ]
        problems += [
            self.env._(
                "Contract %(contract)s: stored balance differs from the ledger",
                contract=c.display_name,
            )
            for c in errors["balances"]
        ]
        if problems:
            raise UserError(
                self.env._("Integrity check failed:\n%(problems)s", problems="\n".join(problems))
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Integrity check passed: %(count)s contract(s), ledger and UPD chains intact.",
                    count=len(self),
                ),
            },
        }

    def _on_receipt(self, receipt_date):
        """First money received activates the contract; money resumes a suspended one."""
        self.ensure_one()
        contract = self.sudo()
        # paying accepts the offer edition in force that day (the customer keeps it until then)
        edition = contract.offer_edition_id._in_force(contract.company_id, receipt_date)
        if edition and edition != contract.offer_edition_id:
            contract.offer_edition_id = edition
        if contract.state == "draft":
            contract.write({"state": "active", "date_start": receipt_date})
            # the engineers' timesheets of the contract live in its project: ready from the start
            # (the month's first billing would otherwise create it)
            contract._ensure_timesheet_projects()
        elif contract.state == "suspended" and contract.balance >= 0:
            contract.write({"state": "active"})
            contract.message_post(body=self.env._("Payment received: the contract is resumed."))

    def _wallet_reconciliation(self):
        """Tie the wallet to the general ledger (see readme/DESCRIPTION.md, «Accounting»).

        wallet balance = advances received on the contract's documents (credit balance of the
        advance account: prepayment invoices minus refunds minus revenue posted by UPDs)
        − what customers still owe on those documents (receivable residuals)
        + wallet entries that have no journal entry yet (consumption not yet closed by a UPD,
        manual adjustments).
        """
        self.ensure_one()
        contract = self.sudo()
        company = contract.company_id
        Line = self.env["account.move.line"].sudo()
        advance = -sum(
            Line.search(
                [
                    ("move_id.miko_contract_id", "=", contract.id),
                    ("account_id", "=", company.miko_advance_account_id.id),
                    ("parent_state", "=", "posted"),
                ]
            ).mapped("balance")
        )
        open_receivable = sum(
            Line.search(
                [
                    ("move_id.miko_contract_id", "=", contract.id),
                    ("move_id.move_type", "in", ("out_invoice", "out_refund")),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                ]
            ).mapped("amount_residual")
        )
        off_ledger = sum(
            contract.entry_ids.filtered(
                lambda e: e.kind in ("consumption", "credit", "adjustment") and not e.move_id
            ).mapped("amount")
        )
        round_ = contract.currency_id.round
        gl_balance = round_(advance - open_receivable + off_ledger)
        return {
            "advance": round_(advance),
            "open_receivable": round_(open_receivable),
            "off_ledger": round_(off_ledger),
            "gl_balance": gl_balance,
            "wallet_balance": contract.balance,
            "difference": round_(contract.balance - gl_balance),
        }
