"""Wallet consumption of a contract: the billed minutes of its days charged to its prepaid
wallet (cumulative allocation per month, corrections, late work), each day line linked to the
ledger entry that charged its day, and the month's rounding settled before its UPD."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from odoo import api, models
from odoo.tools import SQL, format_date

from ..rules import money


class SupportContractCharge(models.AbstractModel):
    _name = "miko.support.contract.charge"
    _description = "Support Contract: Wallet Charges"

    # ------------------------------------------------------------------------------------------
    # Wallet consumption
    # ------------------------------------------------------------------------------------------
    def _post_consumption(self, credit_kind="consumption"):
        """Charge the wallets for billed minutes not yet in them; ``self`` may limit contracts.

        Per contract and month, the day amounts are allocated cumulatively (the month's total is
        the exact minutes × rate ÷ 60 rounded once); each day's difference between that target
        and what its ledger entries already hold is booked, so a second run books nothing and an
        edit books only the correction. Entries are dated the day of the work.
        """
        AnalyticLine = self.env["account.analytic.line"]
        AnalyticLine.flush_model()
        self.env["miko.support.wallet.entry"].flush_model()
        # the effective period is read in SQL: a notice or a suspension just written counts
        self.env["miko.support.contract"].flush_model()
        self.env["miko.support.suspension"].flush_model()
        cr = self.env.cr
        contract_filter = SQL("WHERE contract_id = ANY(%s)", self.ids) if self else SQL()
        cr.execute(
            SQL(
                "SELECT contract_id, month, version FROM miko_support_charge_queue %s "
                "ORDER BY 1, 2 FOR UPDATE SKIP LOCKED",
                contract_filter,
            )
        )
        claimed = cr.fetchall()
        months = [row[:2] for row in claimed]
        if not months:
            return self.env["miko.support.wallet.entry"]
        month_contracts = [row[0] for row in months]
        month_starts = [row[1] for row in months]
        cr.execute(
            SQL(
                """
                SELECT l.miko_contract_id, l.date,
                       COALESCE(SUM(l.miko_billed_minutes) FILTER (
                           WHERE NOT %s OR l.miko_period_decision = 'charge'), 0)
                  FROM account_analytic_line l
                  JOIN miko_support_contract k ON k.id = l.miko_contract_id
                  JOIN unnest(%s::int[], %s::date[]) AS m(contract_id, month_start)
                    ON l.miko_contract_id = m.contract_id
                   AND l.date >= m.month_start
                   AND l.date < m.month_start + interval '1 month'
              GROUP BY l.miko_contract_id, l.date
                """,
                AnalyticLine._miko_outside_period_sql(),
                month_contracts,
                month_starts,
            )
        )
        day_minutes = defaultdict(dict)
        for contract_id, day, minutes in cr.fetchall():
            day_minutes[contract_id, day.replace(day=1)][day] = minutes
        # what each work day already holds, wherever it was booked (late work is booked in a
        # later month): keyed by the work date
        cr.execute(
            SQL(
                """
                SELECT e.contract_id, COALESCE(e.work_date, e.date), COUNT(*),
                       COALESCE(-SUM(e.amount), 0), COALESCE(SUM(e.minutes), 0)
                  FROM miko_support_wallet_entry e
                  JOIN unnest(%s::int[], %s::date[]) AS m(contract_id, month_start)
                    ON e.contract_id = m.contract_id
                   AND COALESCE(e.work_date, e.date) >= m.month_start
                   AND COALESCE(e.work_date, e.date) < m.month_start + interval '1 month'
                 WHERE e.source_key LIKE 'billing:' || e.contract_id || ':%%'
              GROUP BY e.contract_id, COALESCE(e.work_date, e.date)
                """,
                month_contracts,
                month_starts,
            )
        )
        charged = defaultdict(dict)
        for contract_id, day, *values in cr.fetchall():
            charged[contract_id, day.replace(day=1)][day] = values
        contracts = self.browse(month_contracts).sudo()
        contracts.rate_ids.mapped("hourly_rate")  # prefetch
        by_id = {contract.id: contract for contract in contracts}  # sharing their prefetch
        vals_list = []
        for contract_id, month_start in months:
            contract = by_id[contract_id]
            vals_list += contract._prepare_month_charges(
                month_start,
                day_minutes.get((contract_id, month_start), {}),
                charged.get((contract_id, month_start), {}),
                credit_kind,
            )
        # set-based: the same entries as ``_wallet_post`` would create, a few statements in all
        posted = self.env["miko.support.wallet.entry"].sudo()._create_bulk(vals_list)
        self._link_charged_day_lines(month_contracts, month_starts)
        cr.execute(
            SQL(
                """
                DELETE FROM miko_support_charge_queue q
                 USING unnest(%s::int[], %s::date[], %s::int[]) AS m(contract_id, month, version)
                 WHERE q.contract_id = m.contract_id AND q.month = m.month
                   AND q.version IS NOT DISTINCT FROM m.version
                """,
                month_contracts,
                month_starts,
                [row[2] for row in claimed],
            )
        )
        self.env["miko.support.charge.queue"].invalidate_model()
        return posted

    @api.model
    def _link_charged_day_lines(self, month_contracts, month_starts):
        """Point each day line of the charged months to the ledger entry that last charged its
        day (``miko_wallet_entry_id``), for the lines not on it yet.

        One statement: a ``write`` per charged day (each to its own entry) costs ≈ 2 ms a day in
        hr_timesheet's and sale_timesheet's write checks (bench at 1/20 size: 12 s instead of
        1.3 s for the wallet), and no hook of theirs depends on this field.
        """
        self.env["account.analytic.line"].flush_model(["miko_contract_id", "date"])
        self.env.cr.execute(
            SQL(
                """
                WITH latest AS (
                    SELECT DISTINCT ON (e.contract_id, COALESCE(e.work_date, e.date))
                           e.contract_id, COALESCE(e.work_date, e.date) AS work_date, e.id
                      FROM miko_support_wallet_entry e
                      JOIN unnest(%s::int[], %s::date[]) AS m(contract_id, month_start)
                        ON e.contract_id = m.contract_id
                       AND COALESCE(e.work_date, e.date) >= m.month_start
                       AND COALESCE(e.work_date, e.date) < m.month_start + interval '1 month'
                     WHERE e.source_key LIKE 'billing:' || e.contract_id || ':%%'
                  ORDER BY e.contract_id, COALESCE(e.work_date, e.date), e.id DESC
                )
                UPDATE account_analytic_line l
                   SET miko_wallet_entry_id = latest.id, write_uid = %s,
                       write_date = NOW() AT TIME ZONE 'UTC'
                  FROM latest
                 WHERE l.miko_contract_id = latest.contract_id AND l.date = latest.work_date
                   AND l.miko_wallet_entry_id IS DISTINCT FROM latest.id
                """,
                month_contracts,
                month_starts,
                self.env.uid,
            )
        )
        self.env["account.analytic.line"].invalidate_model(
            ["miko_wallet_entry_id", "write_uid", "write_date"]
        )

    @api.model
    def _queue_charges(self, query):
        """Queue for the wallet the months of the ``(contract_id, day)`` rows of ``query`` (an
        ``SQL`` SELECT): their billed minutes changed."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO miko_support_charge_queue (contract_id, month, version)
                SELECT DISTINCT q.contract_id, date_trunc('month', q.day)::date, 0
                  FROM (%s) AS q(contract_id, day)
              ORDER BY 1, 2
                    ON CONFLICT (contract_id, month)
                    DO UPDATE SET version = COALESCE(miko_support_charge_queue.version, 0) + 1
                """,
                query,
            )
        )
        self.env["miko.support.charge.queue"].invalidate_model()

    def _prepare_month_charges(self, month_start, day_minutes, charged, credit_kind):
        """Wallet entries (vals) bringing a month's work days to their billed minutes.

        ``day_minutes``: ``{day: chargeable minutes}`` (inside the contract's effective period,
        or outside it on a manager's decision to charge); ``charged``: ``{day: (count, amount,
        minutes)}`` of the billing entries already booked for each work day. One entry per day,
        and a correction only when that day's minutes change: each day's amount is its minutes
        at the day's rate rounded half-up; the month's rounding difference is settled once, by
        the UPD (:meth:`_settle_month_rounding`). A day of a month already closed is charged as
        late work in the first open month, with its real date as work date.
        """
        self.ensure_one()
        vals_list = []
        for day in sorted(set(day_minutes) | set(charged)):
            target_minutes = int(day_minutes.get(day, 0))
            count, charged_amount, charged_minutes = charged.get(day, (0, Decimal(0), 0))
            delta_minutes = target_minutes - int(charged_minutes)
            if not delta_minutes:
                continue
            target_amount = money.minutes_amount(target_minutes, self._rate_at(day))
            delta = target_amount - money.to_decimal(charged_amount)
            booked_on = self._charge_booking_date(day)
            kind = credit_kind if delta_minutes < 0 else "consumption"
            vals_list.append(
                {
                    "contract_id": self.id,
                    "date": booked_on,
                    "work_date": day,
                    "kind": kind,
                    "amount": float(-delta),
                    "minutes": delta_minutes,
                    "name": self._consumption_label(
                        day, delta_minutes, count > 0, kind, late=booked_on.month != day.month
                    ),
                    "source_key": f"billing:{self.id}:{day.isoformat()}:{count + 1}",
                }
            )
        return vals_list

    def _charge_booking_date(self, day):
        """The ledger date of a charge for the work of ``day``: the day itself, moved into the
        contract's period (work outside it charged on a decision) and after the closed months
        (late work goes into the first open month)."""
        self.ensure_one()
        booked_on = day
        if self.date_start and booked_on < self.date_start:
            booked_on = self.date_start
        if self.date_end and booked_on > self.date_end:
            booked_on = self.date_end
        if self._month_locked(booked_on):
            booked_on = self.locked_until + timedelta(days=1)
        return booked_on

    def _settle_month_rounding(self, first, last):
        """Settle the rounding of each contract's month once, before its UPD: the month's
        charges become Σ minutes × rate ÷ 60 of its work, rounded once (not the sum of the
        rounded days). Idempotent; nothing for a month already closed. One query for all the
        contracts (the month close counts its queries per UPD)."""
        Entry = self.env["miko.support.wallet.entry"].sudo()
        contracts = self.sudo().filtered(lambda c: not c._month_locked(last))
        if not contracts:
            return Entry
        Entry.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT contract_id, COALESCE(work_date, date), minutes, amount, source_key
                  FROM miko_support_wallet_entry
                 WHERE contract_id = ANY(%s) AND date BETWEEN %s AND %s
                   AND (source_key LIKE 'billing:%%' OR source_key LIKE 'rounding:%%')
                """,
                contracts.ids,
                first,
                last,
            )
        )
        rows = defaultdict(list)
        for contract_id, work_date, minutes, amount, source_key in self.env.cr.fetchall():
            rows[contract_id].append((work_date, minutes or 0, amount, source_key))
        contracts.rate_ids.mapped("hourly_rate")  # prefetch
        vals_list = []
        for contract in contracts:
            entries = rows.get(contract.id, [])
            exact = money.exact_total(
                (minutes, contract._rate_at(work_date))
                for work_date, minutes, _amount, key in entries
                if key.startswith("billing:")
            )
            booked = -sum((money.to_decimal(row[2]) for row in entries), Decimal(0))
            settlement = exact - booked
            if not settlement:
                continue
            key = f"rounding:{contract.id}:{first.isoformat()}"
            settled = sum(1 for row in entries if row[3].startswith(key))
            vals_list.append(
                {
                    "contract_id": contract.id,
                    "date": last,
                    "kind": "consumption",
                    "amount": float(-settlement),
                    "minutes": 0,
                    "name": contract._consumption_label(last, 0, False, "rounding"),
                    "source_key": f"{key}:{settled + 1}" if settled else key,
                }
            )
        return Entry._create_bulk(vals_list)

    def _consumption_label(self, day, minutes, is_correction, kind, late=False):
        """The ledger line of a charge, in the customer's language."""
        self = self.with_context(lang=self.partner_id.lang or self.env.lang)  # noqa: PLW0642
        day_text = format_date(self.env, day)
        if kind == "rounding":
            return self.env._(
                "Rounding of the month's support to whole kopecks (month ending %(day)s)",
                day=day_text,
            )
        if kind == "credit":
            return self.env._(
                "Credit for work not billed (vendor bug) on %(day)s: %(minutes)s min",
                day=day_text,
                minutes=-minutes,
            )
        if late:
            return self.env._(
                "Late work of %(day)s (its month was already closed): %(minutes)s min",
                day=day_text,
                minutes=minutes,
            )
        if is_correction:
            return self.env._(
                "Correction of the support on %(day)s: %(minutes)s min",
                day=day_text,
                minutes=minutes,
            )
        return self.env._(
            "Technical support on %(day)s: %(minutes)s min", day=day_text, minutes=minutes
        )
