"""Lifecycle of a support contract: suspension and resumption (by hand and automatic for debtors),
the notice of termination, the close at the end date and the final refund.
"""

from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, split_every

from ..rules import force_majeure, money
from .selections import NOTICE_GIVERS

AUTO_SUSPEND_BATCH = 100


class SupportContractLifecycle(models.AbstractModel):
    _name = "miko.support.contract.lifecycle"
    _description = "Support Contract: Lifecycle"

    def action_suspend(self):
        for contract in self:
            if contract.state != "active":
                raise UserError(
                    self.env._(
                        "Contract %(contract)s is not active and cannot be suspended.",
                        contract=contract.display_name,
                    )
                )
        self.write({"state": "suspended"})

    def action_resume(self):
        for contract in self:
            if contract.state != "suspended":
                raise UserError(
                    self.env._(
                        "Contract %(contract)s is not suspended.", contract=contract.display_name
                    )
                )
        self.write({"state": "active"})

    def action_give_notice(self, notice_date=None, given_by="customer", date_end=None):
        """Integration API (fixed): record the notice of termination (clause 6.2).

        ``given_by``: ``customer``, ``vendor`` or ``mutual``. The contract ends at least one
        calendar month after the notice (``date_end`` may be later); by mutual consent it may
        end sooner (``date_end`` defaults to the notice date then). A daily cron closes the
        contracts at their end date. When force majeure has lasted three consecutive months
        (section IX), either party may terminate with an immediate end: ``date_end`` may then be
        the notice date (its default).
        """
        notice_date = fields.Date.to_date(notice_date) or fields.Date.context_today(self)
        date_end = fields.Date.to_date(date_end)
        if given_by not in dict(NOTICE_GIVERS):
            raise UserError(
                self.env._(
                    "Notice of termination: %(value)s is not who can give it (field "
                    '"given_by": customer, vendor or mutual).',
                    value=given_by,
                )
            )
        for contract in self:
            earliest = contract._notice_earliest_end(notice_date, given_by)
            if contract.state not in ("draft", "active", "suspended"):
                raise UserError(
                    self.env._(
                        "Contract %(contract)s is already terminating or closed.",
                        contract=contract.display_name,
                    )
                )
            if date_end and date_end < earliest:
                raise UserError(
                    self.env._(
                        "Contract %(contract)s: a notice given on %(notice)s ends the contract "
                        "on %(earliest)s at the earliest (one calendar month), unless both "
                        'parties agree (field "date_end").',
                        contract=contract.display_name,
                        notice=notice_date,
                        earliest=earliest,
                    )
                )
        for contract in self:
            contract.write(
                {
                    "state": "terminating",
                    "notice_date": notice_date,
                    "notice_given_by": given_by,
                    "date_end": date_end or contract._notice_earliest_end(notice_date, given_by),
                }
            )
        return True

    def _notice_earliest_end(self, notice_date, given_by):
        """The earliest end of a notice given on ``notice_date``: one calendar month later,
        or the notice date itself by mutual consent or after three consecutive months of force
        majeure (section IX)."""
        self.ensure_one()
        if given_by == "mutual" or force_majeure.allows_termination(
            self.sudo().force_majeure_ids._local_periods(), notice_date
        ):
            return notice_date
        return notice_date + relativedelta(months=1)

    @api.model
    def _cron_close_ended(self, today=None):
        """Daily: a terminating contract past its end date with a settled balance is closed;
        one that still holds money (or a debt) gets an activity for its salesperson to refund
        (once the last month's UPD is issued) or invoice it."""
        today = fields.Date.to_date(today) or fields.Date.context_today(self)
        ended = self.sudo().search([("state", "=", "terminating"), ("date_end", "<", today)])
        for contract in ended:
            if not contract.balance:
                contract.action_close()
            elif not contract.activity_ids:
                contract.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=(contract.user_id or self.env.ref("base.user_admin")).id,
                    summary=self.env._("Settle the balance of the ended contract"),
                )
        return True

    def action_close(self):
        for contract in self:
            if contract.state not in ("terminating", "draft"):
                raise UserError(
                    self.env._(
                        "Contract %(contract)s must be terminated (notice given) before closing.",
                        contract=contract.display_name,
                    )
                )
            if contract.sudo().balance:
                raise UserError(
                    self.env._(
                        "Contract %(contract)s still holds a balance of %(balance)s: refund or "
                        "invoice it before closing.",
                        contract=contract.display_name,
                        balance=contract.sudo().balance,
                    )
                )
        self.write({"state": "closed"})

    def action_create_refund(self):
        """Final refund of an unused balance: a credit note that debits the wallet once paid."""
        self.ensure_one()
        self._check_final_month_closed()
        balance = money.to_decimal(self.sudo().balance)
        if balance <= 0:
            raise UserError(
                self.env._(
                    "Contract %(contract)s has no unused balance to refund.",
                    contract=self.display_name,
                )
            )
        refund = self._create_support_move("out_refund", Decimal(1), balance)
        return refund._get_records_action() if hasattr(refund, "_get_records_action") else refund

    def _check_final_month_closed(self):
        """The final refund is offered only once the contract is terminating and every charge
        is in an issued UPD: nothing queued for billing or charging, no consumption after the
        last closed month."""
        self.ensure_one()
        contract = self.sudo()
        if contract.state not in ("terminating", "closed"):
            raise UserError(
                self.env._(
                    "Contract %(contract)s: the final refund comes with the termination; give "
                    "notice first.",
                    contract=self.display_name,
                )
            )
        pending = self.env["miko.support.billing.queue"].sudo().search_count(
            [("contract_id", "=", contract.id)]
        ) + self.env["miko.support.charge.queue"].sudo().search_count(
            [("contract_id", "=", contract.id)]
        )
        unclosed = (
            self.env["miko.support.wallet.entry"]
            .sudo()
            .search(
                [
                    ("contract_id", "=", contract.id),
                    ("kind", "in", ("consumption", "credit")),
                    ("date", ">", contract.locked_until or date.min),
                ],
                order="date",
                limit=1,
            )
        )
        if pending or unclosed:
            raise UserError(
                self.env._(
                    "Contract %(contract)s: the last month's work is not yet in an issued UPD "
                    "(%(what)s); close the month first, then refund exactly the balance left.",
                    contract=self.display_name,
                    what=(unclosed.date and format_date(self.env, unclosed.date))
                    or self.env._("work waiting for billing"),
                )
            )

    def _negative_since(self):
        """Date since which the balance has been negative without interruption, or None."""
        self.ensure_one()
        running, since = Decimal(0), None
        for entry in self.sudo().entry_ids.sorted(lambda e: (e.date, e.id)):
            running += money.to_decimal(entry.amount)
            if running < 0 and since is None:
                since = entry.date
            elif running >= 0:
                since = None
        return since

    def _is_due_for_suspension(self, today):
        """Negative balance for longer than the company's grace days, or an invoice of the
        contract still unpaid that many days after its due date."""
        self.ensure_one()
        contract = self.sudo()
        if contract.state != "active" or contract.balance >= 0:
            return False
        limit = today - timedelta(days=contract.company_id.miko_suspend_grace_days)
        since = contract._negative_since()
        if since and since <= limit:
            return True
        return bool(
            self.env["account.move"]
            .sudo()
            .search_count(
                [
                    ("miko_contract_id", "=", contract.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("invoice_date_due", "<=", limit),
                ],
                limit=1,
            )
        )

    def _auto_suspend(self, today=None):
        """Suspend the contracts due for it; return them."""
        today = today or fields.Date.context_today(self)
        due = self.filtered(lambda c: c._is_due_for_suspension(today))
        for contract in due:
            contract.action_suspend()
            contract.message_post(
                body=self.env._(
                    "Contract %(contract)s is suspended automatically: the balance of "
                    "%(balance)s is negative beyond the grace period of %(days)s days.",
                    contract=contract.display_name,
                    balance=contract.sudo().balance,
                    days=contract.company_id.miko_suspend_grace_days,
                )
            )
        return due

    @api.model
    def _auto_suspend_domain(self):
        return [
            ("state", "=", "active"),
            ("balance", "<", 0),
            ("company_id.miko_auto_suspend", "=", True),
        ]

    @api.model
    def _cron_auto_suspend(self):
        contracts = self.sudo().search(self._auto_suspend_domain())
        self.env["ir.cron"]._commit_progress(remaining=len(contracts))
        for batch in split_every(AUTO_SUSPEND_BATCH, contracts.ids, contracts.browse):
            batch._auto_suspend()
            if not self.env["ir.cron"]._commit_progress(len(batch)):
                break
