"""The month close: one service makes the month's UPDs and posts their revenue.

``miko.support.upd.closing`` (no table) has one entry point, :meth:`close_month`, used by the
Integration API ``miko.support.upd.generate_for_month``, the *Close a Month* wizard and (batch
by batch, committed per batch) the cron of the 1st (:meth:`_cron_close_previous_month`). A UPD's
correction (:meth:`_generate_one` with ``corrects``) posts only the difference of revenue.

Row locks: the cron's workers claim their batch with ``try_lock_for_update`` (``FOR UPDATE SKIP
LOCKED``: a worker skips the contracts another one is closing). Generating a contract's month
takes a *waiting* ``SELECT … FOR UPDATE`` instead, kept in SQL: a second generator of the same
contract and month must wait for the first and then find its UPD, while Odoo's
``lock_for_update``/``try_lock_for_update`` skip locked rows and would fail or skip it.
"""

import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .. import upd as upd_xml
from ..rules import money
from .cron_progress import commit_cron_progress
from .support_upd import UPD_BATCH_SIZE

MONTHS_RU = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)
SERVICE_NAME = "Техническая поддержка программ по договору {contract} за {month} {year} г."
OKEI_SERVICE_UNIT = "876"
UNIT_SERVICE = "усл. ед"


class SupportUpdClosing(models.AbstractModel):
    """Month close of the UPDs (service): generation, revenue posting, billing locks."""

    _name = "miko.support.upd.closing"
    _description = "UPD Month Close"

    # ------------------------------------------------------------------------------------------
    # Entry point
    # ------------------------------------------------------------------------------------------
    @api.model
    @api.private
    def close_month(self, year, month, contract_ids=None):
        """The UPDs of a month, one per contract with consumption; idempotent. Not callable over
        RPC: integrators call ``miko.support.upd.generate_for_month``.

        A contract whose month already has a UPD keeps it (its latest revision is returned);
        the others get a new UPD with its journal entry, XML and billing lock.

        :returns: ``miko.support.upd`` recordset of the month's UPDs of those contracts.
        """
        Contract = self.env["miko.support.contract"]
        first, last = Contract._month_bounds(int(year), int(month))
        self._check_month_ended(last)
        # what is pending is billed and charged first: a month closed before the billing cron
        # ran still carries all its work
        pending = Contract.browse(list(contract_ids)) if contract_ids is not None else Contract
        pending.sudo()._bill_pending_days()
        pending.sudo()._post_consumption()
        # an earlier month that was closed with nothing to charge, and got work later, is
        # closed first: no charge is left behind the lock without a UPD
        for earlier_first in self._unclosed_months_before(first, contract_ids):
            earlier_last = Contract._month_bounds(earlier_first.year, earlier_first.month)[1]
            earlier = self._candidate_contracts(earlier_first, earlier_last, contract_ids)
            earlier._settle_month_rounding(earlier_first, earlier_last)
            self._generate_batch(earlier, earlier_first, earlier_last)
        contracts = self._candidate_contracts(first, last, contract_ids)
        contracts._settle_month_rounding(first, last)
        return self._generate_batch(contracts, first, last)

    @api.model
    def _unclosed_months_before(self, first, contract_ids=None):
        """First days of the months before ``first`` that hold charges of a contract not yet
        in any UPD (after its lock), in order."""
        contract_filter = (
            SQL("AND e.contract_id = ANY(%s)", list(contract_ids))
            if contract_ids is not None
            else SQL()
        )
        self.env["miko.support.wallet.entry"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT date_trunc('month', e.date)::date
                  FROM miko_support_wallet_entry e
                  JOIN miko_support_contract k ON k.id = e.contract_id
                 WHERE e.kind IN ('consumption', 'credit') AND e.date < %s
                   AND (k.locked_until IS NULL OR e.date > k.locked_until)
                   AND k.company_id = ANY(%s) %s
              ORDER BY 1
                """,
                first,
                self.env.companies.ids,
                contract_filter,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _check_month_ended(self, last):
        """A month is closed only once it has ended in each company's support time zone."""
        for company in self.env.companies:
            tz = company._miko_support_zone().key
            today = company._miko_support_today()
            if last >= today:
                raise UserError(
                    self.env._(
                        "The month ending %(last)s has not ended yet in %(tz)s (today is "
                        "%(today)s): work of its last days may still be logged. Close it from "
                        "the first day of the next month on.",
                        last=last,
                        tz=tz,
                        today=today,
                    )
                )

    @api.model
    def _candidate_contracts(self, first, last, contract_ids=None):
        """Contracts of the current companies with service entries dated in the month."""
        Entry = self.env["miko.support.wallet.entry"].sudo()
        domain = [
            ("company_id", "in", self.env.companies.ids),
            ("kind", "in", ("consumption", "credit")),
            ("date", ">=", first),
            ("date", "<=", last),
        ]
        if contract_ids is not None:
            domain.append(("contract_id", "in", list(contract_ids)))
        groups = Entry._read_group(domain, ["contract_id"], ["amount:sum"])
        return (
            self.env["miko.support.contract"]
            .browse([contract.id for contract, _amount in groups])
            .sorted("id")
        )

    @api.model
    def _latest_for(self, contract, first):
        """The latest revision of the contract's UPD of the month (empty when none)."""
        return self.env["miko.support.upd"].search(
            [("contract_id", "=", contract.id), ("period_start", "=", first)],
            order="revision desc",
            limit=1,
        )

    @api.model
    def _generate_one(self, contract, first, last, corrects=None):
        existing = self._latest_for(contract, first)
        if existing and not corrects:
            return existing
        totals = contract._service_totals(first, last)
        if totals["amount"] <= 0:
            return self.env["miko.support.upd"]
        self._lock_contract_month(contract, first)
        existing = self._latest_for(contract, first)
        if existing and not corrects:
            return existing
        vals = self._prepare_upd_vals(contract, first, last, totals)
        if corrects:
            vals.update(
                revision=corrects.revision + 1,
                corrected_upd_id=corrects.id,
            )
        with self.env.cr.savepoint():  # a refused document leaves nothing behind
            # the «UPD generated» note below says more than the creation message would
            Upd = self.env["miko.support.upd"].with_context(mail_create_nolog=True)
            upd = Upd.create(vals).with_env(self.env)
            self.env["miko.support.upd.document"]._attach_xml(upd)
            self._post_revenue(upd, totals["amount"])
            contract.sudo().locked_until = max(contract.sudo().locked_until or last, last)
        upd.message_post(body=upd._generated_notes()[upd.id])
        return upd

    @api.model
    def _generate_batch(self, contracts, first, last):
        """First UPDs of the month for ``contracts``, a constant number of queries per UPD.

        Same result as :meth:`_generate_one` for each contract, but the reads, the journal
        entries (created and posted together), the wallet links, the billing locks and the
        chatter notes are done once per batch. A contract whose UPD already exists keeps it; a
        refused document raises (the caller's transaction leaves nothing behind).
        """
        if not contracts:
            return self.env["miko.support.upd"]
        contracts = contracts.sorted("id")
        self.env.cr.execute(
            SQL(
                "SELECT id FROM miko_support_contract WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                contracts.ids,
            )
        )
        existing = {
            upd.contract_id.id: upd
            for upd in self.env["miko.support.upd"].search(
                [("contract_id", "in", contracts.ids), ("period_start", "=", first)],
                order="revision",
            )
        }
        todo = contracts.filtered(lambda c: c.id not in existing)
        totals = todo._service_totals_by_contract(first, last)
        todo = todo.filtered(lambda c: totals[c.id]["amount"] > 0)
        with self.env.cr.savepoint():  # a refused document leaves nothing behind
            upds = (
                self.env["miko.support.upd"]
                .with_context(mail_create_nolog=True)
                .create(
                    [
                        self._prepare_upd_vals(contract, first, last, totals[contract.id])
                        for contract in todo
                    ]
                )
                .with_env(self.env)
            )
            self.env["miko.support.upd.document"]._attach_xml_batch(upds)
            self._post_revenue_batch(upds)
            for contract in todo.sudo():
                if not contract._month_locked(last):
                    contract.locked_until = last
        upds._message_log_batch(bodies=upds._generated_notes())
        result = (
            self.env["miko.support.upd"].browse(
                [existing[c.id].id for c in contracts if c.id in existing]
            )
            | upds
        )
        return result.sorted(lambda upd: upd.contract_id.id)

    @api.model
    def _lock_contract_month(self, contract, first):
        """Serialise two generators of the same contract and month (row lock on the contract)."""
        self.env.cr.execute(
            SQL("SELECT id FROM miko_support_contract WHERE id = %s FOR UPDATE", contract.id)
        )

    @api.model
    def _prepare_upd_vals(self, contract, first, last, totals):
        company = contract.company_id
        amount = totals["amount"]
        minutes = totals["minutes"]
        measure = self._service_measure(contract, last, minutes, amount)
        name = self.env["ir.sequence"].with_company(company).next_by_code("miko.support.upd") or "/"
        return {
            "name": name,
            "contract_id": contract.id,
            "period_start": first,
            "period_end": last,
            "date": last,
            "channel": contract.upd_channel,
            "minutes": minutes,
            "amount_total": float(amount),
            "line_name": SERVICE_NAME.format(
                contract=contract.name, month=MONTHS_RU[first.month - 1], year=first.year
            ),
            "line_okei": measure.okei_code,
            "line_unit": measure.unit_name,
            "line_quantity": format(measure.quantity.normalize(), "f"),
            "line_price": format(measure.price.normalize(), "f"),
            "guid": str(uuid.uuid4()),
        }

    @api.model
    def _service_measure(self, contract, last, minutes, amount):
        """Unit, quantity and price stating ``amount`` exactly.

        When the month was billed at one rate, the rules' :func:`~upd_xml.service_measure`
        (3.3 h × 1700 = 5610.00); otherwise (a rate change within the month, corrections) the
        minutes at the average price per minute with 11 decimals, which still rounds to the
        amount; without minutes one service unit.
        """
        rate = money.to_decimal(contract.sudo()._rate_at(last))
        if minutes > 0 and rate > 0:
            measure = upd_xml.service_measure(minutes, rate)
            if measure.amount == amount:
                return measure
        if minutes > 0:
            price = (amount / Decimal(minutes)).quantize(
                Decimal(1).scaleb(-upd_xml.MAX_FRACTION_DIGITS), rounding=ROUND_HALF_UP
            )
            return upd_xml.UpdLineMeasure(
                okei_code=upd_xml.OKEI_MINUTE,
                unit_name=upd_xml.UNIT_MINUTE,
                quantity=Decimal(minutes),
                price=price,
                amount=amount,
            )
        return upd_xml.UpdLineMeasure(
            okei_code=OKEI_SERVICE_UNIT,
            unit_name=UNIT_SERVICE,
            quantity=Decimal(1),
            price=amount,
            amount=amount,
        )

    # ------------------------------------------------------------------------------------------
    # Revenue of the month
    # ------------------------------------------------------------------------------------------
    @api.model
    def _post_revenue_batch(self, upds):
        """:meth:`_post_revenue` of first UPDs (nothing posted yet for their months)."""
        moves_by_upd = {}
        for company_upds in upds.grouped("company_id").values():
            company = company_upds.company_id.sudo()
            if not company.miko_advance_account_id or not company.miko_revenue_account_id:
                company._miko_setup_support_accounting()
            if not company.miko_advance_account_id or not company.miko_revenue_account_id:
                raise UserError(
                    self.env._(
                        "Company %(company)s has no advances received or support revenue "
                        "account: configure them in Settings / Support Contracts.",
                        company=company.display_name,
                    )
                )
            journal = self._revenue_journal(company)
            posting = company_upds.filtered(lambda upd: money.to_decimal(upd.amount_total))
            moves = (
                self.env["account.move"]
                .sudo()
                .with_company(company)
                .create(
                    [
                        self._prepare_revenue_move_vals(
                            upd, money.to_decimal(upd.amount_total), journal
                        )
                        for upd in posting
                    ]
                )
            )
            moves.action_post()
            moves_by_upd.update(zip(posting, moves, strict=True))
        for upd, move in moves_by_upd.items():
            upd.sudo().move_id = move
        if not moves_by_upd:
            return
        Entry = self.env["miko.support.wallet.entry"]
        Entry.flush_model(["move_id", "contract_id", "date", "kind"])
        upds = list(moves_by_upd)
        self.env.cr.execute(
            SQL(
                """
                UPDATE miko_support_wallet_entry e SET move_id = v.move_id
                  FROM unnest(%s::int[], %s::int[], %s::date[], %s::date[])
                       AS v(move_id, contract_id, date_from, date_to)
                 WHERE e.contract_id = v.contract_id AND e.date BETWEEN v.date_from AND v.date_to
                   AND e.kind IN ('consumption', 'credit') AND e.move_id IS NULL
                """,
                [moves_by_upd[upd].id for upd in upds],
                [upd.contract_id.id for upd in upds],
                [upd.period_start for upd in upds],
                [upd.period_end for upd in upds],
            )
        )
        Entry.invalidate_model(["move_id"])

    @api.model
    def _post_revenue(self, upd, amount):
        """Post Dr advances received / Cr revenue for what the month's UPDs did not post yet.

        ``amount`` is the month's consumption; for a correction only the difference from the
        revenue already posted for the month is posted. The month's service wallet entries that
        have no journal entry yet are linked to the new one (``move_id``), so they leave the
        off-ledger part of the wallet reconciliation.
        """
        upd.ensure_one()
        contract = upd.contract_id.sudo()
        company = contract.company_id
        if not company.miko_advance_account_id or not company.miko_revenue_account_id:
            company.sudo()._miko_setup_support_accounting()
        if not company.miko_advance_account_id or not company.miko_revenue_account_id:
            raise UserError(
                self.env._(
                    "Company %(company)s has no advances received or support revenue account: "
                    "configure them in Settings / Support Contracts.",
                    company=company.display_name,
                )
            )
        posted = self._month_posted_revenue(upd)
        delta = money.to_decimal(amount) - posted
        if not delta:
            return self.env["account.move"]
        move = (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .create(self._prepare_revenue_move_vals(upd, delta, self._revenue_journal(company)))
        )
        move.action_post()
        upd.sudo().move_id = move
        self._link_wallet_entries(upd, move)
        return move

    @api.model
    def _revenue_journal(self, company):
        journal = (
            self.env["account.journal"]
            .sudo()
            .search(
                [("company_id", "=", company.id), ("type", "=", "general")],
                order="sequence, id",
                limit=1,
            )
        )
        if not journal:
            raise UserError(
                self.env._(
                    "Company %(company)s has no miscellaneous journal for the UPD entries.",
                    company=company.display_name,
                )
            )
        return journal

    @api.model
    def _prepare_revenue_move_vals(self, upd, delta, journal):
        """Dr advances received / Cr support revenue of ``delta`` (reversed when negative)."""
        upd.ensure_one()
        contract = upd.contract_id.sudo()
        company = contract.company_id
        value = float(abs(delta))
        debit_account, credit_account = (
            company.miko_advance_account_id,
            company.miko_revenue_account_id,
        )
        if delta < 0:
            debit_account, credit_account = credit_account, debit_account
        label = self.env._(
            "UPD %(upd)s: technical support under contract %(contract)s, %(start)s – %(end)s",
            upd=upd.name,
            contract=contract.name,
            start=upd.period_start,
            end=upd.period_end,
        )
        partner = contract.partner_id.commercial_partner_id
        return {
            "move_type": "entry",
            "journal_id": journal.id,
            "date": upd.period_end,
            "ref": upd.name,
            "miko_contract_id": contract.id,
            "line_ids": [
                fields.Command.create(
                    {
                        "name": label,
                        "account_id": debit_account.id,
                        "partner_id": partner.id,
                        "debit": value,
                        "credit": 0.0,
                    }
                ),
                fields.Command.create(
                    {
                        "name": label,
                        "account_id": credit_account.id,
                        "partner_id": partner.id,
                        "debit": 0.0,
                        "credit": value,
                    }
                ),
            ],
        }

    @api.model
    def _month_posted_revenue(self, upd):
        """Revenue already posted for this UPD's contract and month (by earlier revisions)."""
        upd.ensure_one()
        company = upd.company_id
        moves = (
            self.env["miko.support.upd"]
            .search(
                [
                    ("contract_id", "=", upd.contract_id.id),
                    ("period_start", "=", upd.period_start),
                    ("id", "!=", upd.id),
                ]
            )
            .sudo()
            .move_id
        )
        lines = moves.line_ids.filtered(
            lambda line: line.account_id == company.miko_revenue_account_id
        )
        return -money.to_decimal(sum(lines.mapped("balance")))

    @api.model
    def _link_wallet_entries(self, upd, move):
        """Link the month's unlinked service entries to ``move`` (ledger rows are append-only:
        only this one column is set, once, in SQL)."""
        upd.ensure_one()
        Entry = self.env["miko.support.wallet.entry"]
        Entry.flush_model(["move_id", "contract_id", "date", "kind"])
        self.env.cr.execute(
            SQL(
                "UPDATE miko_support_wallet_entry SET move_id = %s "
                "WHERE contract_id = %s AND date BETWEEN %s AND %s "
                "AND kind IN ('consumption', 'credit') AND move_id IS NULL",
                move.id,
                upd.contract_id.id,
                upd.period_start,
                upd.period_end,
            )
        )
        Entry.invalidate_model(["move_id"])

    # ------------------------------------------------------------------------------------------
    # Cron
    # ------------------------------------------------------------------------------------------
    @api.model
    def _cron_close_previous_month(self, batch_size=UPD_BATCH_SIZE):
        """1st of the month: UPDs of the previous month, committed per batch (restartable).

        The cron closes the month of every company (not only its user's current ones).
        """
        self = self.sudo().with_context(  # noqa: PLW0642 - all companies for the cron
            allowed_company_ids=self.env["res.company"].sudo().search([]).ids
        )
        today = self.env.company._miko_support_today()
        previous = today.replace(day=1) - timedelta(days=1)
        first, last = self.env["miko.support.contract"]._month_bounds(previous.year, previous.month)
        contracts = self._candidate_contracts(first, last)
        done_ids = set(
            self.env["miko.support.upd"].search([("period_start", "=", first)]).contract_id.ids
        )
        todo = contracts.filtered(lambda c: c.id not in done_ids)
        commit_cron_progress(self.env, remaining=len(todo))
        for start in range(0, len(todo), batch_size):
            # the contracts no other worker is closing now (row locks held until the commit):
            # several cron workers share the month close, each skipping the others' batches
            batch = todo[start : start + batch_size].try_lock_for_update()
            try:
                with self.env.cr.savepoint():
                    self._generate_batch(batch, first, last)
            except UserError:
                self._generate_each(batch, first, last)
            if commit_cron_progress(self.env, len(batch)) <= 0:
                break

    @api.model
    def _generate_each(self, contracts, first, last):
        """One UPD at a time (a batch had a refused document): the refusal is noted on its
        contract, the others are generated."""
        for contract in contracts:
            try:
                with self.env.cr.savepoint():
                    self._generate_one(contract, first, last)
            except UserError as error:
                contract.message_post(
                    body=self.env._(
                        "The UPD of %(month)s could not be generated: %(reason)s",
                        month=f"{first:%m.%Y}",
                        reason=str(error),
                    )
                )
