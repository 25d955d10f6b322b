"""Statements of account as a service: one entry point, ``_build_statement(contract, date_from,
date_to)``, gives the statement of a period (what ``miko.support.contract.get_statement`` returns);
the PDF (Appendix 2), the XLSX, the e-mails (weekly, on request, early on a low or negative
balance) and the portal's balance chart are built on it."""

import logging
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date

from ..rules import money
from ..rules import statement as statement_rules
from .cron_progress import commit_cron_progress
from .support_statement_xlsx import statement_workbook

_logger = logging.getLogger(__name__)

STATEMENT_REPORT = "miko_support_contract.action_report_support_statement"
ALERT_LEVELS = {"none": 0, "low": 1, "negative": 2}
STATEMENT_BATCH = 50


class SupportStatement(models.AbstractModel):
    """The statement of account of a contract for a period, and what is made of it. Each method
    takes the contract(s) and reads and renders in their environment: a sudo contract (the crons,
    the portal after its access check) is rendered as superuser, a user's contract as that user."""

    _name = "miko.support.statement"
    _description = "Statement of Account"

    # ------------------------------------------------------------------------------------------
    # The statement
    # ------------------------------------------------------------------------------------------
    @api.model
    def _build_statement(self, contract, date_from, date_to):
        """The statement of account of ``contract`` for a period, as a JSON-serialisable dict:
        the one entry point behind ``get_statement``, the PDF, the XLSX, the e-mails and the portal.

        ``days`` (each with ``date``, ``billed_minutes``, ``amount``, ``lines`` and the engineers'
        ``work_descriptions``), ``billed_minutes``, ``performed_amount`` (consumption and credits
        booked in the period), ``receipts_amount``, ``balance_start`` and ``balance_end``. Amounts
        are those of the wallet ledger, so the statement always agrees with it.
        """
        contract.ensure_one()
        contract.check_access("read")
        user = contract.env.user
        if not contract.env.su and not (
            user._is_portal() or user.has_group("miko_support_contract.group_sales")
        ):
            raise AccessError(
                self.env._(
                    "Only sales, finance and the customer may see the statement of %(contract)s.",
                    contract=contract.display_name,
                )
            )
        date_from = fields.Date.to_date(date_from)
        date_to = fields.Date.to_date(date_to)
        if not date_from or not date_to or date_from > date_to:
            raise UserError(
                self.env._(
                    "Statement of %(contract)s: the period start must not be after its end.",
                    contract=contract.display_name,
                )
            )
        contract = contract.sudo()
        tz_name = contract.company_id._miko_support_zone()

        def in_period(model, contract_field, date_field, order=None):
            domain = [
                (contract_field, "=", contract.id),
                (date_field, ">=", date_from),
                (date_field, "<=", date_to),
            ]
            return self.env[model].sudo().search(domain, order=order)

        activities = in_period("miko.support.activity", "contract_id", "day", "day, date_begin, id")
        day_lines = in_period("account.analytic.line", "miko_contract_id", "date", "date, id")
        entries = in_period("miko.support.wallet.entry", "contract_id", "date")
        service = defaultdict(Decimal)
        performed = receipts = Decimal(0)
        for entry in entries:
            amount = money.to_decimal(entry.amount)
            if entry.kind in ("consumption", "credit"):
                service[entry.date] -= amount
                performed -= amount
            elif entry.kind in ("receipt", "refund"):
                receipts += amount
        balance_start = money.to_decimal(
            contract.wallet_balance_at(date_from - relativedelta(days=1))
        )
        balance_end = money.to_decimal(contract.wallet_balance_at(date_to))
        block = statement_rules.closing_block(
            balance_start,
            (
                statement_rules.Entry(
                    kind=entry.kind,
                    amount=money.to_decimal(entry.amount),
                    minutes=entry.minutes or 0,
                    is_late=entry.is_late,
                    is_rounding=(entry.source_key or "").startswith("rounding:"),
                )
                for entry in entries
            ),
        )
        kinds = dict(
            self.env["miko.support.activity"]._fields["kind"]._description_selection(self.env)
        )
        days = {}
        default_description = contract._default_work_description()
        for line in day_lines:
            day = days.setdefault(line.date, _statement_day(line.date))
            day["billed_minutes"] += line.miko_billed_minutes
            day["nonbillable_minutes"] += line.miko_nonbillable_minutes
            if line.name and line.name != default_description:
                day["work_descriptions"].append(
                    {"engineer": line.user_id.name, "description": line.name}
                )
        rounded_minutes = activities._rounded_minutes()
        for activity in activities:
            day = days.setdefault(activity.day, _statement_day(activity.day))
            day["lines"].append(
                {
                    "id": activity.id,
                    "subject": activity.subject,
                    "kind": activity.kind,
                    "kind_label": kinds.get(activity.kind),
                    "start": self.env["miko.support.activity"]._local_datetime_text(
                        activity.date_begin, tz_name
                    ),
                    "end": self.env["miko.support.activity"]._local_datetime_text(
                        activity.date_end, tz_name
                    ),
                    "raw_seconds": activity.raw_seconds,
                    "raw_minutes": round(activity.raw_seconds / 60.0, 2),
                    "minutes": rounded_minutes.get(activity.id, 0),
                    "engineer": activity.user_id.name,
                    "engineer_organisation": _engineer_organisation(activity.user_id, contract),
                    "description": activity.description or "",
                    "block": activity.block_index or None,
                    "block_billed_minutes": activity.block_billed_minutes,
                    "charged": not activity.is_vendor_bug,
                    "bug_reference": activity.bug_reference or None,
                    "request": activity.request_id.display_name or None,
                }
            )
        for day_date, amount in service.items():
            days.setdefault(day_date, _statement_day(day_date))["amount"] = float(amount)
        ordered = [days[key] for key in sorted(days)]
        for day in ordered:
            day["date"] = day["date"].isoformat()
        return {
            "contract": contract.name,
            "contract_date": contract.date_start and contract.date_start.isoformat(),
            "vendor": contract.company_id.partner_id.display_name,
            "customer": contract.partner_id.display_name,
            "currency": contract.currency_id.name,
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "days": ordered,
            "billed_minutes": sum(day["billed_minutes"] for day in ordered),
            "performed_amount": float(performed),
            "receipts_amount": float(receipts),
            "balance_start": float(balance_start),
            "balance_end": float(balance_end),
            "closing": self._closing_lines(contract, block, date_from, date_to, balance_end),
            "labels": self._labels(contract, date_from, date_to),
        }

    @api.model
    def _closing_lines(self, contract, block, date_from, date_to, balance_end):
        """The closing block of Appendix 2 as printed: ``key``, ``label`` (in the customer's
        language), ``amount`` as printed and its signed ``effect`` on the balance. Opening
        balance, late work, credits, rounding, adjustments and refunds appear when not zero;
        «Total» is the opening balance plus every effect, and equals the ledger's closing
        balance."""
        env = contract.with_context(lang=contract.partner_id.lang or self.env.lang).env
        period = {"date_from": format_date(env, date_from), "date_to": format_date(env, date_to)}
        labels = {
            "performed": env._(
                "Performed in the period from %(date_from)s to %(date_to)s", **period
            ),
            "late": env._("Late work of closed months, charged in the period"),
            "credits": env._("Credits for work not billed (vendor bugs)"),
            "rounding": env._("Rounding of the months to whole kopecks"),
            "adjustments": env._("Adjustments of the balance"),
            "refunds": env._("Refunds paid to the customer"),
            "receipts": env._("Received in the period from %(date_from)s to %(date_to)s", **period),
        }
        lines = []
        if block.opening:
            lines.append(
                {
                    "key": "opening",
                    "label": env._(
                        "Balance at the start of %(date)s", date=format_date(env, date_from)
                    ),
                    "amount": float(block.opening),
                    "effect": float(block.opening),
                    "minutes": 0,
                }
            )
        for key in statement_rules.LINES:
            if key not in ("performed", "receipts") and not block.effects[key]:
                continue
            lines.append(
                {
                    "key": key,
                    "label": labels[key],
                    "amount": float(block.printed_amount(key)),
                    "effect": float(block.effects[key]),
                    "minutes": block.minutes[key],
                }
            )
        for key, label, amount in (
            ("total", env._("Total for the period"), block.total),
            (
                "closing",
                env._(
                    "%(vendor)s balance on %(date)s",
                    vendor=contract.company_id.partner_id.display_name,
                    date=format_date(env, date_to),
                ),
                balance_end,
            ),
        ):
            lines.append(
                {
                    "key": key,
                    "label": label,
                    "amount": float(amount),
                    "effect": None,
                    "minutes": 0,
                }
            )
        return lines

    @api.model
    def _labels(self, contract, date_from, date_to):
        """Titles and column headers of the statement, in the customer's language."""
        env = contract.with_context(lang=contract.partner_id.lang or self.env.lang).env
        return {
            "appendix": env._("Appendix No. 2 to contract %(contract)s", contract=contract.name),
            "period": env._(
                "Period from %(date_from)s to %(date_to)s",
                date_from=format_date(env, date_from),
                date_to=format_date(env, date_to),
            ),
            "title": env._("Statement of technical support services"),
            "vendor": env._("Contractor"),
            "customer": env._("Customer of the services"),
            "date": env._("Date"),
            "subject": env._("Subject"),
            "start": env._("Start time"),
            "end": env._("End time"),
            "minutes": env._("Duration, min"),
            "engineer": env._("Support partner"),
            "description": env._("Description"),
            "day_total": env._("Total for the day (union of intervals), min"),
            "work": env._("Work performed"),
        }

    # ------------------------------------------------------------------------------------------
    # Statement files
    # ------------------------------------------------------------------------------------------
    @api.model
    def _pdf(self, contract, date_from, date_to):
        """The statement as the printed Appendix 2 (PDF bytes), in the customer's language."""
        contract.ensure_one()
        report = contract.env["ir.actions.report"].with_context(lang=contract.partner_id.lang)
        pdf, _format = report._render_qweb_pdf(
            STATEMENT_REPORT,
            contract.ids,
            data={"date_from": str(date_from), "date_to": str(date_to)},
        )
        return pdf

    @api.model
    def _xlsx(self, contract, date_from, date_to):
        """The statement as an XLSX workbook (bytes): same numbers as ``get_statement``."""
        contract.ensure_one()
        statement = self._build_statement(contract, date_from, date_to)
        env = contract.with_context(lang=contract.partner_id.lang or self.env.lang).env
        return statement_workbook(env, statement, contract.currency_id.symbol)

    @api.model
    def _file_name(self, contract, date_from, date_to, extension):
        return f"Statement_{contract.name}_{date_from}_{date_to}.{extension}"

    # ------------------------------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------------------------------
    @api.model
    def _send(self, contracts, date_from, date_to, reason="weekly"):
        """E-mail the PDF statement to each contract's contacts and log it in the chatter;
        ``reason`` (``weekly``, ``request``, ``low``, ``negative``) picks the e-mail's opening."""
        template = contracts.env.ref("miko_support_contract.mail_template_support_statement")
        for contract in contracts:
            partners = contract.contact_ids.filtered("email") or contract.partner_id
            pdf = self._pdf(contract, date_from, date_to)
            reader_env = contract.with_context(lang=contract.partner_id.lang or self.env.lang).env
            context = {  # dates in the format of the customer's language, like the template
                "miko_statement_from": format_date(reader_env, date_from),
                "miko_statement_to": format_date(reader_env, date_to),
                "miko_statement_reason": reason,
            }
            rendered = {
                name: template.with_context(**context)._render_field(
                    name, contract.ids, compute_lang=True
                )[contract.id]
                for name in ("subject", "body_html")
            }
            contract.message_post(
                subject=rendered["subject"],
                body=Markup(rendered["body_html"]),
                partner_ids=partners.ids,
                attachments=[(self._file_name(contract, date_from, date_to, "pdf"), pdf)],
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        return True

    @api.model
    def _daily_balances(self, contract, date_from, date_to):
        """The wallet balance of ``contract`` at the end of each day from ``date_from`` to
        ``date_to`` (the portal's balance chart)."""
        contract.ensure_one()
        self.env["miko.support.wallet.entry"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT d::date,
                       (SELECT COALESCE(SUM(amount), 0) FROM miko_support_wallet_entry e
                         WHERE e.contract_id = %s AND e.date <= d::date)
                  FROM generate_series(%s::date, %s::date, interval '1 day') AS d
                 ORDER BY 1
                """,
                contract.id,
                date_from,
                date_to,
            )
        )
        return [float(balance) for _day, balance in self.env.cr.fetchall()]

    # ------------------------------------------------------------------------------------------
    # Balance alerts
    # ------------------------------------------------------------------------------------------
    @api.model
    def _balance_level(self, contract):
        contract.ensure_one()
        if contract.balance < 0:
            return "negative"
        if contract._is_below_threshold():
            return "low"
        return "none"

    @api.model
    def _check_balance_alerts(self, contracts):
        """After the wallet moved: queue an early statement when a level is newly crossed."""
        for contract in contracts.sudo():
            if contract.state not in ("active", "suspended", "terminating"):
                continue
            level = self._balance_level(contract)
            alerted = contract.balance_alert_level or "none"
            if ALERT_LEVELS[level] > ALERT_LEVELS[alerted]:
                contract.write({"balance_alert_level": level, "balance_alert_pending": True})
            elif ALERT_LEVELS[level] < ALERT_LEVELS[alerted]:
                contract.write({"balance_alert_level": level, "balance_alert_pending": False})

    @api.model
    def _cron_send_balance_alerts(self):
        """Send the early statements queued by balance crossings (once per crossing)."""
        contracts = (
            self.env["miko.support.contract"].sudo().search([("balance_alert_pending", "=", True)])
        )
        today = fields.Date.context_today(self)
        for index, contract in enumerate(contracts, start=1):
            week_start = today - timedelta(days=today.weekday())
            self._send(contract, week_start, today, reason=contract.balance_alert_level)
            contract.balance_alert_pending = False
            if index % STATEMENT_BATCH == 0:
                commit_cron_progress(self.env, STATEMENT_BATCH, remaining=len(contracts) - index)
        return len(contracts)

    # ------------------------------------------------------------------------------------------
    # Weekly statement
    # ------------------------------------------------------------------------------------------
    @api.model
    def _cron_send_weekly_statements(self):
        """Monday 06:00 Moscow: last week's statement to every active contract that had
        activity in the week or holds a balance. The week sent is remembered per contract, so a
        second run in the same week sends nothing."""
        today = fields.Date.context_today(self)
        week_start = today - timedelta(days=today.weekday() + 7)
        week_end = week_start + timedelta(days=6)
        contracts = (
            self.env["miko.support.contract"]
            .sudo()
            .search(
                [
                    ("state", "in", ("active", "suspended", "terminating")),
                    "|",
                    ("statement_week", "=", False),
                    ("statement_week", "<", week_start),
                ]
            )
        )
        active_ids = {
            contract.id
            for [contract] in self.env["miko.support.activity"]
            .sudo()
            ._read_group(
                [
                    ("contract_id", "in", contracts.ids),
                    ("day", ">=", week_start),
                    ("day", "<=", week_end),
                ],
                ["contract_id"],
            )
        }
        sent = 0
        for index, contract in enumerate(contracts, start=1):
            if contract.id in active_ids or contract.wallet_balance_at(week_end):
                self._send(contract, week_start, week_end)
                sent += 1
            contract.statement_week = week_start
            if index % STATEMENT_BATCH == 0:
                commit_cron_progress(self.env, STATEMENT_BATCH, remaining=len(contracts) - index)
        _logger.info("weekly statements: %s sent for the week of %s", sent, week_start)
        return sent


def _statement_day(day):
    return {
        "date": day,
        "billed_minutes": 0,
        "nonbillable_minutes": 0,
        "amount": 0.0,
        "lines": [],
        "work_descriptions": [],
    }


def _engineer_organisation(user, contract):
    """The engineer's organisation: a subcontracting partner company, or the vendor itself."""
    parent = user.partner_id.parent_id
    if parent and parent.is_company and parent != contract.company_id.partner_id:
        return parent.display_name
    return contract.company_id.partner_id.display_name
