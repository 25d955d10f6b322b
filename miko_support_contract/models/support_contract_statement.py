"""Statements of account: PDF and XLSX, weekly e-mail, early statement on low balance."""

import io
import logging
from datetime import timedelta

import xlsxwriter
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..rules.source_files import csv_safe_cell

_logger = logging.getLogger(__name__)

STATEMENT_REPORT = "miko_support_contract.action_report_support_statement"
ALERT_LEVELS = {"none": 0, "low": 1, "negative": 2}
STATEMENT_BATCH = 50


class SupportContract(models.Model):
    _inherit = "miko.support.contract"

    statement_week = fields.Date(
        string="Last Weekly Statement",
        readonly=True,
        copy=False,
        help="Monday of the last week whose statement was sent.",
    )
    balance_alert_level = fields.Selection(
        [("none", "None"), ("low", "Low balance"), ("negative", "Negative balance")],
        default="none",
        readonly=True,
        copy=False,
        help="The lowest balance level the customer was already warned about; an early statement "
        "goes out once per crossing, never daily.",
    )
    balance_alert_pending = fields.Boolean(readonly=True, copy=False)

    # ------------------------------------------------------------------------------------------
    # Statement files
    # ------------------------------------------------------------------------------------------
    def _statement_pdf(self, date_from, date_to):
        self.ensure_one()
        report = self.env["ir.actions.report"].with_context(lang=self.partner_id.lang)
        pdf, _format = report._render_qweb_pdf(
            STATEMENT_REPORT,
            self.ids,
            data={"date_from": str(date_from), "date_to": str(date_to)},
        )
        return pdf

    def _statement_file_name(self, date_from, date_to, extension):
        return f"Statement_{self.name}_{date_from}_{date_to}.{extension}"

    def _statement_xlsx(self, date_from, date_to):
        """The statement as an XLSX workbook (bytes): same numbers as ``get_statement``."""
        self.ensure_one()
        statement = self.get_statement(date_from, date_to)
        lang_self = self.with_context(lang=self.partner_id.lang or self.env.lang)
        _ = lang_self.env._
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
        sheet = workbook.add_worksheet(_("Statement"))
        bold = workbook.add_format({"bold": True})
        money_format = workbook.add_format({"num_format": "#,##0.00"})
        day_format = workbook.add_format({"bold": True, "bg_color": "#EEEEEE"})
        row = 0
        sheet.write_string(
            row, 0, _("Statement of account under the technical support contract"), bold
        )
        row += 1
        sheet.write_string(
            row,
            0,
            _(
                "Contract %(contract)s, %(customer)s, from %(date_from)s to %(date_to)s",
                contract=statement["contract"],
                customer=csv_safe_cell(statement["customer"]),
                date_from=statement["date_from"],
                date_to=statement["date_to"],
            ),
        )
        row += 2
        headers = [
            _("Date"),
            _("Subject"),
            _("Start"),
            _("End"),
            _("Minutes"),
            _("Block"),
            _("Block billed minutes"),
            _("Engineer"),
            _("Organisation"),
            _("Description"),
            _("Charged"),
        ]
        for column, header in enumerate(headers):
            sheet.write_string(row, column, header, bold)
        row += 1
        for day in statement["days"]:
            sheet.write_string(row, 0, day["date"], day_format)
            sheet.write_string(row, 1, _("Billed for the day (union of intervals)"), day_format)
            sheet.write_number(row, 4, day["billed_minutes"], day_format)
            sheet.write_number(row, 6, day["amount"], money_format)
            row += 1
            for line in day["lines"]:
                values = [
                    day["date"],
                    line["subject"],
                    line["start"],
                    line["end"],
                ]
                for column, value in enumerate(values):
                    sheet.write_string(row, column, csv_safe_cell(value))
                sheet.write_number(row, 4, line["raw_minutes"])
                if line["block"]:
                    sheet.write_number(row, 5, line["block"])
                sheet.write_number(row, 6, line["block_billed_minutes"])
                sheet.write_string(row, 7, csv_safe_cell(line["engineer"]))
                sheet.write_string(row, 8, csv_safe_cell(line["engineer_organisation"]))
                sheet.write_string(row, 9, csv_safe_cell(line["description"]))
                sheet.write_string(row, 10, _("yes") if line["charged"] else _("no (vendor bug)"))
                row += 1
            for work in day["work_descriptions"]:
                sheet.write_string(row, 7, csv_safe_cell(work["engineer"]))
                sheet.write_string(row, 9, csv_safe_cell(work["description"]))
                row += 1
        row += 1
        totals = [
            (_("Balance at the start of the period"), statement["balance_start"]),
            (_("Services performed"), statement["performed_amount"]),
            (_("Payments received"), statement["receipts_amount"]),
            (_("Balance at the end of the period"), statement["balance_end"]),
        ]
        for label, amount in totals:
            sheet.write_string(row, 1, label, bold)
            sheet.write_number(row, 6, amount, money_format)
            row += 1
        sheet.set_column(1, 1, 45)
        sheet.set_column(2, 3, 20)
        sheet.set_column(9, 9, 60)
        workbook.close()
        return buffer.getvalue()

    # ------------------------------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------------------------------
    def _send_statement(self, date_from, date_to, reason="weekly"):
        """E-mail the PDF statement to the contract's contacts and log it in the chatter."""
        template = self.env.ref("miko_support_contract.mail_template_support_statement")
        for contract in self:
            partners = contract.contact_ids.filtered("email") or contract.partner_id
            pdf = contract._statement_pdf(date_from, date_to)
            context = {
                "miko_statement_from": str(date_from),
                "miko_statement_to": str(date_to),
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
                attachments=[(contract._statement_file_name(date_from, date_to, "pdf"), pdf)],
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        return True

    def action_send_statement_now(self):
        """Send the statement of the last 30 days now (backend button, portal request)."""
        today = fields.Date.context_today(self)
        self.sudo()._send_statement(today - timedelta(days=30), today, reason="request")
        return True

    def _daily_balances(self, date_from, date_to):
        """The wallet balance at the end of each day from ``date_from`` to ``date_to``."""
        self.ensure_one()
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
                self.id,
                date_from,
                date_to,
            )
        )
        return [float(balance) for _day, balance in self.env.cr.fetchall()]

    def _record_portal_consent(self, user):
        """The customer agrees in the portal to an additional invoice for the overrun."""
        self.ensure_one()
        contract = self.sudo()
        if contract.balance >= 0:
            raise UserError(
                self.env._(
                    "Contract %(contract)s has no overrun to agree to.", contract=contract.name
                )
            )
        consent = (
            self.env["miko.support.overrun.consent"]
            .sudo()
            .create(
                {
                    "contract_id": contract.id,
                    "partner_id": user.partner_id.id,
                    "user_id": user.id,
                    "method": "portal",
                    "note": self.env._(
                        "Agreed in the customer portal by %(user)s.", user=user.partner_id.name
                    ),
                }
            )
        )
        contract.message_post(
            body=self.env._(
                "%(customer)s agreed in the portal to an additional invoice for the overrun.",
                customer=user.partner_id.name,
            )
        )
        return consent

    # ------------------------------------------------------------------------------------------
    # Balance alerts
    # ------------------------------------------------------------------------------------------
    def _balance_level(self):
        self.ensure_one()
        if self.balance < 0:
            return "negative"
        if self._is_below_threshold():
            return "low"
        return "none"

    def _check_balance_alerts(self):
        """After the wallet moved: queue an early statement when a level is newly crossed."""
        for contract in self.sudo():
            if contract.state not in ("active", "suspended", "terminating"):
                continue
            level = contract._balance_level()
            alerted = contract.balance_alert_level or "none"
            if ALERT_LEVELS[level] > ALERT_LEVELS[alerted]:
                contract.write({"balance_alert_level": level, "balance_alert_pending": True})
            elif ALERT_LEVELS[level] < ALERT_LEVELS[alerted]:
                contract.write({"balance_alert_level": level, "balance_alert_pending": False})

    @api.model
    def _cron_send_balance_alerts(self):
        """Send the early statements queued by balance crossings (once per crossing)."""
        contracts = self.sudo().search([("balance_alert_pending", "=", True)])
        today = fields.Date.context_today(self)
        for index, contract in enumerate(contracts, start=1):
            week_start = today - timedelta(days=today.weekday())
            contract._send_statement(week_start, today, reason=contract.balance_alert_level)
            contract.balance_alert_pending = False
            if index % STATEMENT_BATCH == 0:
                self._miko_commit_progress(STATEMENT_BATCH, len(contracts) - index)
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
        contracts = self.sudo().search(
            [
                ("state", "in", ("active", "suspended", "terminating")),
                "|",
                ("statement_week", "=", False),
                ("statement_week", "<", week_start),
            ]
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
                contract._send_statement(week_start, week_end)
                sent += 1
            contract.statement_week = week_start
            if index % STATEMENT_BATCH == 0:
                self._miko_commit_progress(STATEMENT_BATCH, len(contracts) - index)
        _logger.info("weekly statements: %s sent for the week of %s", sent, week_start)
        return sent

    @api.model
    def _miko_commit_progress(self, processed, remaining):
        """Commit a batch when running as a cron job (never inside a caller's transaction)."""
        if self.env.context.get("ir_cron_progress_id"):
            self.env["ir.cron"]._commit_progress(processed, remaining=remaining)


class ReportSupportStatement(models.AbstractModel):
    _name = "report.miko_support_contract.report_support_statement"
    _description = "Statement of Account Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        today = fields.Date.context_today(self)
        date_to = fields.Date.to_date(data.get("date_to")) or today
        date_from = fields.Date.to_date(data.get("date_from")) or date_to - timedelta(days=30)
        docs = self.env["miko.support.contract"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "miko.support.contract",
            "docs": docs,
            "statements": {
                contract.id: contract.get_statement(date_from, date_to) for contract in docs
            },
        }
