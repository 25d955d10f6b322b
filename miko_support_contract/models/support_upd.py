import base64
import csv
import io
import logging
import re
import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import format_amount, format_date, formatLang

from .. import upd as upd_xml
from ..edi import provider_for
from ..rules import RuleError, force_majeure, money
from ..rules.source_files import csv_safe_cell

_logger = logging.getLogger(__name__)

ACCEPTANCE_DAYS = 7
UPD_BATCH_SIZE = 50
TRACKING_NUMBER = re.compile(r"[0-9]{14}")
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
STATES = [
    ("draft", "Draft"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("signed", "Signed"),
    ("signed_discrepancies", "Signed with Discrepancies"),
    ("refused", "Refused"),
    ("deemed_accepted", "Deemed Accepted"),
]
FINAL_STATES = ("signed", "signed_discrepancies", "refused", "deemed_accepted")


class SupportUpd(models.Model):
    """The monthly UPD (universal transfer document, status 2 «ДОП») of one contract.

    It is the accounting document of the month's services: generating it posts the revenue
    against the customer's advance and links the month's wallet consumption to that entry.
    """

    _name = "miko.support.upd"
    _description = "Monthly UPD"
    _inherit = ["mail.thread", "mail.activity.mixin", "miko.support.hash.chain.mixin"]
    _order = "period_start desc, id desc"
    _check_company_auto = True
    _chain_fields = (
        "name",
        "period_start",
        "period_end",
        "date",
        "revision",
        "corrected_upd_id",
        "minutes",
        "amount_total",
        "line_name",
        "line_quantity",
        "line_price",
        "guid",
    )

    name = fields.Char(string="Number", required=True, readonly=True, copy=False, default="/")
    contract_id = fields.Many2one(
        "miko.support.contract",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        related="contract_id.partner_id", store=True, index=True, string="Customer"
    )
    currency_id = fields.Many2one(related="contract_id.currency_id")
    period_start = fields.Date(required=True, readonly=True)
    period_end = fields.Date(required=True, readonly=True)
    date = fields.Date(
        string="Document Date", required=True, readonly=True, help="Last day of the month."
    )
    revision = fields.Integer(
        readonly=True, default=0, copy=False, help="0 for the first UPD, +1 per correction."
    )
    corrected_upd_id = fields.Many2one(
        "miko.support.upd",
        string="Corrects",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The refused UPD this one replaces.",
    )
    correction_ids = fields.One2many("miko.support.upd", "corrected_upd_id", string="Corrections")
    state = fields.Selection(
        STATES, default="draft", required=True, readonly=True, tracking=True, index=True, copy=False
    )
    channel = fields.Selection(
        [("edi", "EDI operator"), ("post", "Post")],
        string="Delivery Channel",
        required=True,
        readonly=True,
    )
    minutes = fields.Integer(string="Billed Minutes", readonly=True)
    amount_total = fields.Monetary(currency_field="currency_id", readonly=True, string="Total")
    line_name = fields.Char(string="Service", readonly=True)
    line_okei = fields.Char(string="OKEI Unit Code", readonly=True)
    line_unit = fields.Char(string="Unit", readonly=True)
    line_quantity = fields.Char(
        string="Quantity", readonly=True, help="Exact decimal as written in the XML."
    )
    line_price = fields.Char(string="Price", readonly=True, help="Exact decimal as in the XML.")
    move_id = fields.Many2one(
        "account.move", string="Journal Entry", readonly=True, copy=False, check_company=True
    )
    guid = fields.Char(string="GUID", readonly=True, copy=False)
    xml_attachment_id = fields.Many2one("ir.attachment", string="XML File", readonly=True)
    xml_file_name = fields.Char(related="xml_attachment_id.name", string="XML File Name")
    signature_attachment_id = fields.Many2one(
        "ir.attachment",
        string="Seller's Signature",
        copy=False,
        help="Detached signature (.sig) of the XML made with the director's certificate outside "
        "Odoo. Never generated here.",
    )
    buyer_title_attachment_id = fields.Many2one(
        "ir.attachment", string="Buyer's Title", readonly=True, copy=False
    )
    buyer_signature_attachment_id = fields.Many2one(
        "ir.attachment", string="Buyer's Signature", readonly=True, copy=False
    )
    deemed_attachment_id = fields.Many2one(
        "ir.attachment", string="Unilaterally Signed Copy", readonly=True, copy=False
    )
    unilateral_edi_message_id = fields.Char(
        string="Unilateral Copy EDI Message ID",
        readonly=True,
        copy=False,
        help="The operator's message carrying the unilaterally signed copy (contract 4.4).",
    )
    unilateral_tracking_number = fields.Char(
        copy=False,
        tracking=True,
        help="Russian Post tracking number (ШПИ) of the letter carrying the unilaterally signed "
        "copy of a paper UPD: 14 digits.",
    )
    sent_date = fields.Datetime(readonly=True, copy=False)
    delivery_date = fields.Date(
        readonly=True,
        copy=False,
        tracking=True,
        help="Day (Moscow time) the customer received the UPD: the 7-day acceptance period "
        "starts on the next day.",
    )
    signed_date = fields.Date(readonly=True, copy=False, tracking=True)
    buyer_signer_name = fields.Char(string="Signed By (Buyer)", readonly=True, copy=False)
    discrepancy_document = fields.Char(
        readonly=True,
        copy=False,
        help="The buyer's document of discrepancies named in its title (КодИтога 2).",
    )
    discrepancy_attachment_id = fields.Many2one(
        "ir.attachment", string="Discrepancy Document File", readonly=True, copy=False
    )
    refusal_reason = fields.Text(readonly=True, copy=False)
    deemed_accepted_date = fields.Date(readonly=True, copy=False, tracking=True)
    tracking_number = fields.Char(
        copy=False,
        tracking=True,
        help="Russian Post tracking number (ШПИ) of the registered letter: 14 digits.",
    )
    edi_message_id = fields.Char(string="EDI Message ID", readonly=True, copy=False)
    edi_entity_id = fields.Char(string="EDI Document ID", readonly=True, copy=False)
    edi_attempts = fields.Integer(string="Sending Attempts", readonly=True, copy=False)
    edi_error = fields.Text(string="Last EDI Error", readonly=True, copy=False)

    _month_revision_unique = models.Constraint(
        "UNIQUE(contract_id, period_start, revision)",
        "A contract has one UPD per month (and per correction).",
    )
    _guid_unique = models.UniqueIndex(
        "(guid) WHERE guid IS NOT NULL", "The GUID of a UPD must be unique."
    )
    _state_date_idx = models.Index("(state, delivery_date)")

    # ------------------------------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------------------------------
    @api.constrains("tracking_number", "unilateral_tracking_number")
    def _check_tracking_number(self):
        for upd in self:
            for number in filter(None, (upd.tracking_number, upd.unilateral_tracking_number)):
                if not TRACKING_NUMBER.fullmatch(number):
                    raise UserError(
                        self.env._(
                            "UPD %(upd)s, field Tracking Number: %(number)s is not a Russian "
                            "Post tracking number of 14 digits.",
                            upd=upd.display_name,
                            number=number,
                        )
                    )

    # ------------------------------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------------------------------
    @api.ondelete(at_uninstall=False)
    def _unlink_except_posted(self):
        if self.filtered("move_id"):
            raise UserError(
                self.env._(
                    "UPD %(upd)s has posted the month's revenue: it cannot be deleted; create a "
                    "correction instead.",
                    upd=", ".join(self.filtered("move_id").mapped("display_name")),
                )
            )

    # ------------------------------------------------------------------------------------------
    # Integration API
    # ------------------------------------------------------------------------------------------
    @api.model
    def generate_for_month(self, year, month, contract_ids=None):
        """The UPDs of a month, one per contract with consumption; idempotent.

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
            earlier = self._upd_candidate_contracts(earlier_first, earlier_last, contract_ids)
            earlier._settle_month_rounding(earlier_first, earlier_last)
            self._generate_batch(earlier, earlier_first, earlier_last)
        contracts = self._upd_candidate_contracts(first, last, contract_ids)
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
            tz = company.miko_support_tz or "Europe/Moscow"
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

    def get_xml(self):
        """Integration API (fixed): the seller's title, the windows-1251 file of the 5.03 XML
        base64-encoded (ASCII text), as Odoo sends binary data over RPC: the raw bytes are not
        UTF-8 and could not travel in JSON-RPC or XML-RPC."""
        return base64.b64encode(self._xml_content()).decode()

    def _xml_content(self):
        """The seller's title (windows-1251 bytes of the 5.03 XML)."""
        self.ensure_one()
        if not self.xml_attachment_id:
            raise UserError(
                self.env._(
                    "UPD %(upd)s has no XML file: the customer %(partner)s has no EDI "
                    "participant ID.",
                    upd=self.display_name,
                    partner=self.partner_id.display_name,
                )
            )
        return base64.b64decode(self.xml_attachment_id.sudo().datas)

    def mark_delivered(self, delivery_date):
        """The customer received the UPD on ``delivery_date`` (EDI receipt or post delivery)."""
        delivery_date = fields.Date.to_date(delivery_date)
        for upd in self:
            if upd.state not in ("sending", "sent", "delivered"):
                raise UserError(
                    self.env._(
                        "UPD %(upd)s is %(state)s: only a sent UPD can be delivered.",
                        upd=upd.display_name,
                        state=upd._state_label(),
                    )
                )
            upd._check_delivery_date(delivery_date, entered=False)
        self.write({"state": "delivered", "delivery_date": delivery_date})
        return True

    # ------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------
    def action_send(self):
        """Send by the contract's channel: EDI through the company's provider, post on paper."""
        for upd in self:
            if upd.state not in ("draft", "sending"):
                raise UserError(
                    self.env._(
                        "UPD %(upd)s is %(state)s: it was already sent.",
                        upd=upd.display_name,
                        state=upd._state_label(),
                    )
                )
        for upd in self.filtered(lambda u: u.channel == "edi"):
            upd._check_edi_settings()
        for upd in self.filtered(lambda u: u.channel == "edi"):
            upd.write({"state": "sending"})
            upd._edi_send()
        for upd in self.filtered(lambda u: u.channel == "post"):
            upd._post_send_email_copy()
        return True

    def action_mark_posted(self):
        """The paper UPD left by registered mail: its tracking number is known."""
        for upd in self:
            if upd.channel != "post" or upd.state != "draft":
                raise UserError(
                    self.env._(
                        "UPD %(upd)s is not a paper UPD waiting to be posted.",
                        upd=upd.display_name,
                    )
                )
            if not upd.tracking_number:
                raise UserError(
                    self.env._(
                        "UPD %(upd)s, field Tracking Number: enter the tracking number of the "
                        "registered letter first.",
                        upd=upd.display_name,
                    )
                )
        self.write({"state": "sent", "sent_date": fields.Datetime.now()})
        self._post_send_email_copy()
        return True

    def action_mark_delivered_today(self):
        return self.mark_delivered(self._today())

    def action_enter_delivery_date(self):
        """The date the customer received the letter, read from the post's tracking."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "miko_support_contract.miko_support_upd_delivery_wizard_action"
        )
        action["context"] = {"default_upd_id": self.id}
        return action

    def action_download_xml(self):
        self.ensure_one()
        self._xml_content()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.xml_attachment_id.id}?download=true",
            "target": "download",
        }

    def action_upload_answer(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "miko_support_contract.miko_support_upd_answer_wizard_action"
        )
        action["context"] = {"default_upd_id": self.id}
        return action

    def action_create_correction(self):
        """A new revision of a refused UPD with the month's current totals.

        The journal entry of the refused UPD stays: only a difference (credits booked since) is
        posted by the correction, so revenue always equals the month's wallet consumption.
        """
        self.ensure_one()
        if self.state != "refused":
            raise UserError(
                self.env._(
                    "UPD %(upd)s is not refused: only a refused UPD gets a correction.",
                    upd=self.display_name,
                )
            )
        if self.correction_ids:
            raise UserError(
                self.env._(
                    "UPD %(upd)s already has the correction %(correction)s.",
                    upd=self.display_name,
                    correction=self.correction_ids[:1].display_name,
                )
            )
        correction = self._generate_one(
            self.contract_id, self.period_start, self.period_end, corrects=self
        )
        return correction._get_records_action() if correction else True

    def action_download_form103(self):
        """Registered-mail list (Russian Post form 103 shape) of these paper UPDs, as CSV."""
        content = self._form103_csv()
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"f103_{fields.Date.context_today(self)}.csv",
                "raw": content,
                "mimetype": "text/csv",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
        }

    def action_print_for_post(self):
        if self and all(upd.state == "deemed_accepted" for upd in self):
            return self.env.ref("miko_support_contract.action_report_upd_deemed").report_action(
                self
            )
        return self.env.ref("miko_support_contract.action_report_upd_post").report_action(self)

    # ------------------------------------------------------------------------------------------
    # Business methods: generation and accounting
    # ------------------------------------------------------------------------------------------
    @api.model
    def _upd_candidate_contracts(self, first, last, contract_ids=None):
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

    def _latest_for(self, contract, first):
        return self.search(
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
            return self.browse()
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
            upd = self.with_context(mail_create_nolog=True).create(vals).with_env(self.env)
            upd._attach_xml()
            upd._post_revenue(totals["amount"])
            contract.sudo().locked_until = max(contract.sudo().locked_until or last, last)
        upd.message_post(body=upd._generated_notes()[upd.id])
        return upd

    def _staff_env(self):
        """The environment in the language of the vendor's staff who read the UPD's chatter
        (the company's language)."""
        return self.with_context(lang=self.company_id.partner_id.lang or self.env.lang).env

    def _generated_notes(self):
        """``{upd id: note}``: the chatter note of each new UPD, minutes and amount in the number
        format of its company's language (one environment per company, no query per UPD)."""
        notes = {}
        for upds in self.grouped("company_id").values():
            env = upds[:1]._staff_env()
            for upd in upds.with_env(env):
                notes[upd.id] = env._(
                    "UPD generated: %(minutes)s min, %(amount)s.",
                    minutes=formatLang(env, upd.minutes, digits=0),
                    amount=format_amount(env, upd.amount_total, upd.currency_id),
                )
        return notes

    @api.model
    def _generate_batch(self, contracts, first, last):
        """First UPDs of the month for ``contracts``, a constant number of queries per UPD.

        Same result as :meth:`_generate_one` for each contract, but the reads, the journal
        entries (created and posted together), the wallet links, the billing locks and the
        chatter notes are done once per batch. A contract whose UPD already exists keeps it; a
        refused document raises (the caller's transaction leaves nothing behind).
        """
        if not contracts:
            return self.browse()
        contracts = contracts.sorted("id")
        self.env.cr.execute(
            SQL(
                "SELECT id FROM miko_support_contract WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                contracts.ids,
            )
        )
        existing = {
            upd.contract_id.id: upd
            for upd in self.search(
                [("contract_id", "in", contracts.ids), ("period_start", "=", first)],
                order="revision",
            )
        }
        todo = contracts.filtered(lambda c: c.id not in existing)
        totals = todo._service_totals_by_contract(first, last)
        todo = todo.filtered(lambda c: totals[c.id]["amount"] > 0)
        with self.env.cr.savepoint():  # a refused document leaves nothing behind
            upds = (
                self.with_context(mail_create_nolog=True)
                .create(
                    [
                        self._prepare_upd_vals(contract, first, last, totals[contract.id])
                        for contract in todo
                    ]
                )
                .with_env(self.env)
            )
            upds._attach_xml_batch()
            upds._post_revenue_batch()
            for contract in todo.sudo():
                if not contract.locked_until or contract.locked_until < last:
                    contract.locked_until = last
        upds._message_log_batch(bodies=upds._generated_notes())
        result = self.browse([existing[c.id].id for c in contracts if c.id in existing]) | upds
        return result.sorted(lambda upd: upd.contract_id.id)

    def _attach_xml_batch(self):
        """:meth:`_attach_xml` of many UPDs, their attachments created together."""
        vals_list, owners = [], []
        for upd in self:
            content, name = upd._checked_xml()
            if content is None:
                continue
            vals_list.append(
                {
                    "name": name,
                    "raw": content,
                    "mimetype": "application/xml",
                    "res_model": self._name,
                    "res_id": upd.id,
                }
            )
            owners.append(upd)
        attachments = self.env["ir.attachment"].sudo().create(vals_list)
        for upd, attachment in zip(owners, attachments, strict=True):
            upd.sudo().xml_attachment_id = attachment

    def _post_revenue_batch(self):
        """:meth:`_post_revenue` of first UPDs (nothing posted yet for their months)."""
        moves_by_upd = {}
        for company_upds in self.grouped("company_id").values():
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
            upds = company_upds.filtered(lambda upd: money.to_decimal(upd.amount_total))
            moves = (
                self.env["account.move"]
                .sudo()
                .with_company(company)
                .create(
                    [
                        upd._prepare_revenue_move_vals(money.to_decimal(upd.amount_total), journal)
                        for upd in upds
                    ]
                )
            )
            moves.action_post()
            moves_by_upd.update(zip(upds, moves, strict=True))
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

    def _post_revenue(self, amount):
        """Post Dr advances received / Cr revenue for what the month's UPDs did not post yet.

        ``amount`` is the month's consumption; for a correction only the difference from the
        revenue already posted for the month is posted. The month's service wallet entries that
        have no journal entry yet are linked to the new one (``move_id``), so they leave the
        off-ledger part of the wallet reconciliation.
        """
        self.ensure_one()
        contract = self.contract_id.sudo()
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
        posted = self._month_posted_revenue()
        delta = money.to_decimal(amount) - posted
        if not delta:
            return self.env["account.move"]
        move = (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .create(self._prepare_revenue_move_vals(delta, self._revenue_journal(company)))
        )
        move.action_post()
        self.sudo().move_id = move
        self._link_wallet_entries(move)
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

    def _prepare_revenue_move_vals(self, delta, journal):
        """Dr advances received / Cr support revenue of ``delta`` (reversed when negative)."""
        self.ensure_one()
        contract = self.contract_id.sudo()
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
            upd=self.name,
            contract=contract.name,
            start=self.period_start,
            end=self.period_end,
        )
        partner = contract.partner_id.commercial_partner_id
        return {
            "move_type": "entry",
            "journal_id": journal.id,
            "date": self.period_end,
            "ref": self.name,
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

    def _month_posted_revenue(self):
        """Revenue already posted for this UPD's contract and month (by earlier revisions)."""
        self.ensure_one()
        company = self.company_id
        moves = (
            self.search(
                [
                    ("contract_id", "=", self.contract_id.id),
                    ("period_start", "=", self.period_start),
                    ("id", "!=", self.id),
                ]
            )
            .sudo()
            .move_id
        )
        lines = moves.line_ids.filtered(
            lambda line: line.account_id == company.miko_revenue_account_id
        )
        return -money.to_decimal(sum(lines.mapped("balance")))

    def _link_wallet_entries(self, move):
        """Link the month's unlinked service entries to ``move`` (ledger rows are append-only:
        only this one column is set, once, in SQL)."""
        self.ensure_one()
        Entry = self.env["miko.support.wallet.entry"]
        Entry.flush_model(["move_id", "contract_id", "date", "kind"])
        self.env.cr.execute(
            SQL(
                "UPDATE miko_support_wallet_entry SET move_id = %s "
                "WHERE contract_id = %s AND date BETWEEN %s AND %s "
                "AND kind IN ('consumption', 'credit') AND move_id IS NULL",
                move.id,
                self.contract_id.id,
                self.period_start,
                self.period_end,
            )
        )
        Entry.invalidate_model(["move_id"])

    # ------------------------------------------------------------------------------------------
    # Business methods: XML
    # ------------------------------------------------------------------------------------------
    def _upd_party(self, partner, owner):
        partner = partner.commercial_partner_id
        address = self._partner_address(partner)
        missing = [
            label
            for label, value in (
                (self.env._("INN"), partner.vat),
                (self.env._("Address"), address),
            )
            if not value
        ]
        if missing:
            raise UserError(
                self.env._(
                    "UPD %(upd)s cannot be generated: %(owner)s %(partner)s has no %(fields)s.",
                    upd=self.display_name,
                    owner=owner,
                    partner=partner.display_name,
                    fields=", ".join(missing),
                )
            )
        is_entrepreneur = len(partner.vat or "") == 12
        name_parts = (partner.name or "").split()
        return upd_xml.UpdParty(
            name=partner.name,
            inn=partner.vat,
            kpp=partner.miko_kpp or None,
            ogrn=partner.miko_ogrn or None,
            address=address,
            edo_id=partner.miko_edo_id or None,
            is_individual_entrepreneur=is_entrepreneur,
            last_name=name_parts[-3] if is_entrepreneur and len(name_parts) >= 3 else None,
            first_name=name_parts[-2] if is_entrepreneur and len(name_parts) >= 3 else None,
            middle_name=name_parts[-1] if is_entrepreneur and len(name_parts) >= 3 else None,
        )

    def _print_number(self, value, digits=2):
        """A number of the printed form in its reader's (the buyer's) format: «3 666,67» in
        Russian; ``digits=None`` prints the places the value needs (minutes: «110»)."""
        self.ensure_one()
        value = Decimal(str(value or 0))
        if digits is None:
            digits = money.significant_places(value)
        env = self.with_context(lang=self.partner_id.lang or "ru_RU").env
        return formatLang(env, float(value), digits=digits)

    @api.model
    def _partner_address(self, partner):
        """One-line address of the UPD (postal address when given, else the legal one)."""
        partner = partner.commercial_partner_id
        if partner.miko_postal_address:
            return " ".join(partner.miko_postal_address.split())
        parts = (partner.zip, partner.state_id.name, partner.city, partner.street, partner.street2)
        return ", ".join(part for part in parts if part)

    def _upd_signer(self):
        company = self.company_id
        director = company.miko_director_id
        if not director:
            raise UserError(
                self.env._(
                    "UPD %(upd)s cannot be generated: company %(company)s has no director to "
                    "sign it (Settings / Support Contracts).",
                    upd=self.display_name,
                    company=company.display_name,
                )
            )
        parts = (director.name or "").split()
        if len(parts) < 2 or not director.function:
            raise UserError(
                self.env._(
                    "UPD %(upd)s cannot be generated: the director %(director)s needs a last and "
                    "first name and a job position.",
                    upd=self.display_name,
                    director=director.display_name,
                )
            )
        return upd_xml.UpdSigner(
            last_name=parts[0],
            first_name=parts[1],
            middle_name=" ".join(parts[2:]) or None,
            position=director.function,
            org_inn=company.vat or None,
        )

    def _upd_document(self):
        """The plain values of the seller's title (the ``upd`` package)."""
        self.ensure_one()
        contract = self.contract_id.sudo()
        seller = self._upd_party(self.company_id.partner_id, self.env._("seller"))
        buyer = self._upd_party(contract.partner_id, self.env._("customer"))
        line = upd_xml.UpdLine(
            number=1,
            name=self.line_name,
            okei_code=self.line_okei,
            unit_name=self.line_unit,
            quantity=Decimal(self.line_quantity),
            price=Decimal(self.line_price),
            amount=money.to_decimal(self.amount_total),
        )
        tz = pytz.timezone(self.company_id.miko_support_tz or "Europe/Moscow")
        formed_at = pytz.utc.localize(fields.Datetime.now()).astimezone(tz).replace(tzinfo=None)
        return upd_xml.UpdDocument(
            guid=self.guid,
            number=self.name,
            date=self.date,
            formed_at=formed_at,
            seller=seller,
            buyer=buyer,
            signer=self._upd_signer(),
            lines=(line,),
            total=line.amount,
            period_start=self.period_start,
            period_end=self.period_end,
            contract_number=contract.name,
            contract_date=contract.date_start or self.period_start,
            # the edition the customer accepted by paying (a UPD always follows a payment)
            contract_name=contract.offer_edition_id.basis_label()
            if contract.offer_edition_id
            else upd_xml.DEFAULT_CONTRACT_NAME,
        )

    def _attach_xml(self):
        """Check, build, validate and store the XML; a clear error names what is missing."""
        self.ensure_one()
        content, name = self._checked_xml()
        if content is None:
            return self.env["ir.attachment"]
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": name,
                    "raw": content,
                    "mimetype": "application/xml",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        )
        self.sudo().xml_attachment_id = attachment
        return attachment

    def _checked_xml(self):
        """``(content, file name)`` of the checked and validated XML; ``(None, None)`` for a
        paper UPD of a buyer without an EDO id. A refused document raises a ``UserError``."""
        self.ensure_one()
        document = self._upd_document()
        if not document.buyer.edo_id and self.channel == "post":
            return None, None
        try:
            upd_xml.check_document(document)
            content = upd_xml.build_xml(document)
            upd_xml.validate_xml(content, self.company_id.miko_upd_xsd_path or None)
            upd_xml.check_schematron_rules(content, file_name=upd_xml.file_id(document))
        except RuleError as error:
            raise UserError(
                self.env._(
                    "UPD %(upd)s for %(partner)s cannot be generated: %(reason)s",
                    upd=self.name,
                    partner=self.partner_id.display_name,
                    reason=self.env._(error.message),  # pylint: disable=translation-not-lazy
                )
            ) from error
        return content, upd_xml.file_name(document)

    # ------------------------------------------------------------------------------------------
    # Business methods: delivery and acceptance
    # ------------------------------------------------------------------------------------------
    def _check_delivery_date(self, delivery_date, entered=True):
        """A delivery date is never after today; one the user enters (the post's tracking) is
        also never before the day the UPD was sent."""
        self.ensure_one()
        if not delivery_date:
            raise UserError(
                self.env._(
                    "UPD %(upd)s, field Delivery Date: enter the day the customer received it.",
                    upd=self.display_name,
                )
            )
        today = self._today()
        if delivery_date > today:
            raise UserError(
                self.env._(
                    "UPD %(upd)s, field Delivery Date: %(date)s is in the future (today is "
                    "%(today)s).",
                    upd=self.display_name,
                    date=format_date(self.env, delivery_date),
                    today=format_date(self.env, today),
                )
            )
        sent_on = self._local_date(self.sent_date) if self.sent_date and entered else None
        if sent_on and delivery_date < sent_on:
            raise UserError(
                self.env._(
                    "UPD %(upd)s, field Delivery Date: %(date)s is before the UPD was sent "
                    "(%(sent)s).",
                    upd=self.display_name,
                    date=format_date(self.env, delivery_date),
                    sent=format_date(self.env, sent_on),
                )
            )

    def _local_date(self, moment):
        tz = pytz.timezone(self.company_id.miko_support_tz or "Europe/Moscow")
        return pytz.utc.localize(moment).astimezone(tz).date()

    def _state_label(self):
        return dict(self._fields["state"]._description_selection(self.env)).get(self.state)

    def _today(self):
        tz = pytz.timezone(self.env.company.miko_support_tz or "Europe/Moscow")
        return pytz.utc.localize(fields.Datetime.now()).astimezone(tz).date()

    def _edi_provider(self):
        return provider_for(self.company_id)

    def _check_edi_settings(self):
        """Refuse to send by EDI while the company has no operator or misses one of its
        settings, naming what to set."""
        self.ensure_one()
        company = self.company_id.sudo()
        provider = self._edi_provider()
        missing = provider.missing_settings() if provider else ["miko_edi_provider"]
        if missing:
            raise UserError(
                self.env._(
                    "UPD %(upd)s cannot be sent: the EDI operator of %(company)s is not "
                    "configured. Set %(fields)s on the company (Settings > Companies > "
                    "%(company)s, tab Support Contracts).",
                    upd=self.display_name,
                    company=company.display_name,
                    fields=", ".join(
                        company._fields[name]._description_string(self.env) for name in missing
                    ),
                )
            )

    def _edi_send(self):
        """Hand the UPD to the operator; it is «sent» once the operator accepted it as sent
        (not as a draft). A failure or a draft leaves it «sending» for the retry cron."""
        self.ensure_one()
        provider = self._edi_provider()
        if not provider:
            self.sudo().edi_error = self.env._("No EDI operator is set on the company.")
            return False
        self.sudo().edi_attempts += 1
        try:
            sent = provider.send(self)
        except UserError:
            raise
        except Exception as error:
            _logger.info("UPD %s: sending failed, will retry: %s", self.name, error)
            self.sudo().edi_error = str(error)[:2000]
            return False
        if not sent:
            self.sudo().edi_error = self.env._(
                "Waiting at the operator as a draft: sign and send it in the operator's interface."
            )
            return False
        self.sudo().write({"state": "sent", "sent_date": fields.Datetime.now(), "edi_error": False})
        return True

    def _edi_poll(self):
        """Ask the operator about delivery and the buyer's answer."""
        self.ensure_one()
        provider = self._edi_provider()
        if not provider:
            return
        try:
            status = provider.poll(self)
            if status.get("delivered_on") and self.state == "sent":
                self.mark_delivered(status["delivered_on"])
            if status.get("answer") and self.state in ("sent", "delivered"):
                answer = provider.fetch_answer(self)
                if answer:
                    self._apply_operator_answer(answer)
        except UserError:
            raise
        except Exception as error:
            _logger.info("UPD %s: polling failed: %s", self.name, error)
            self.sudo().edi_error = str(error)[:2000]

    def _apply_operator_answer(self, answer):
        kind = answer.get("kind")
        if kind == "title":
            self._apply_buyer_title(
                answer["content"], answer.get("file_name"), answer.get("signature")
            )
        elif kind in ("refusal", "clarification"):
            self._apply_refusal(answer.get("reason") or "", kind=kind)

    def _apply_buyer_title(
        self,
        content,
        file_name=None,
        signature=None,
        discrepancy_file=None,
        discrepancy_file_name=None,
    ):
        """Record the buyer's title ON_NSCHFDOPPOK: ``КодИтога`` 1 signed, 2 signed with
        discrepancies (the discrepancy document kept, finance given an activity), 3 refused."""
        self.ensure_one()
        try:
            title = upd_xml.parse_buyer_title(content)
        except RuleError as error:
            raise UserError(
                self.env._(
                    "UPD %(upd)s: the uploaded file is not a usable buyer's title: %(reason)s",
                    upd=self.display_name,
                    reason=self.env._(error.message),  # pylint: disable=translation-not-lazy
                )
            ) from error
        own_id = (self.xml_file_name or "").removesuffix(".xml")
        if not own_id or title.seller_file_id.lower() != own_id.lower():
            raise UserError(
                self.env._(
                    "The buyer's title answers the file %(file)s, not UPD %(upd)s (%(own)s).",
                    file=title.seller_file_id,
                    upd=self.display_name,
                    own=own_id or "-",
                )
            )
        if self.state in FINAL_STATES:
            raise UserError(
                self.env._(
                    "UPD %(upd)s is already %(state)s.",
                    upd=self.display_name,
                    state=self._state_label(),
                )
            )
        Attachment = self.env["ir.attachment"].sudo()
        vals = {
            "buyer_title_attachment_id": Attachment.create(
                {
                    "name": file_name or f"{title.file_id or 'ON_NSCHFDOPPOK'}.xml",
                    "raw": content,
                    "res_model": self._name,
                    "res_id": self.id,
                }
            ).id,
            "buyer_signer_name": title.signer_name or False,
        }
        if signature:
            vals["buyer_signature_attachment_id"] = Attachment.create(
                {
                    "name": f"{title.file_id or 'ON_NSCHFDOPPOK'}.sig",
                    "raw": signature,
                    "res_model": self._name,
                    "res_id": self.id,
                }
            ).id
        if not self.delivery_date:
            vals["delivery_date"] = title.formed_on or self._today()
        if title.is_refusal:
            vals.update(
                state="refused",
                refusal_reason=title.acceptance_content
                or title.discrepancy_document
                or self.env._("Not accepted by the buyer."),
            )
        elif title.has_discrepancies:
            vals.update(
                state="signed_discrepancies",
                signed_date=title.accepted_on or title.formed_on or self._today(),
                discrepancy_document=title.discrepancy_document
                or title.acceptance_content
                or False,
            )
            if discrepancy_file:
                vals["discrepancy_attachment_id"] = Attachment.create(
                    {
                        "name": discrepancy_file_name
                        or f"{title.file_id or 'ON_NSCHFDOPPOK'}_discrepancies",
                        "raw": discrepancy_file,
                        "res_model": self._name,
                        "res_id": self.id,
                    }
                ).id
        else:
            vals.update(
                state="signed",
                signed_date=title.accepted_on or title.formed_on or self._today(),
            )
        self.sudo().write(vals)
        self.message_post(
            body=self.env._(
                "Buyer's title received: %(state)s by %(signer)s.",
                state=self._state_label(),
                signer=title.signer_name or "-",
            )
        )
        if self.state == "signed_discrepancies":
            self._schedule_discrepancy_activity()
        return title

    def _schedule_discrepancy_activity(self):
        """A to-do for a finance user: the buyer signed with discrepancies, settle the claim."""
        self.ensure_one()
        finance = self.env.ref("miko_support_contract.group_finance").sudo().all_user_ids
        finance = finance.filtered(
            lambda user: self.company_id in user.company_ids and not user.share
        )
        user = self.contract_id.user_id if self.contract_id.user_id in finance else finance[:1]
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("UPD signed with discrepancies"),
            note=self.env._(
                "The customer %(partner)s signed UPD %(upd)s with discrepancies: %(document)s",
                partner=self.partner_id.display_name,
                upd=self.display_name,
                document=self.discrepancy_document or "-",
            ),
            user_id=(user or self.env.user).id,
        )

    def _apply_refusal(self, reason, kind="refusal"):
        """A refusal to sign or a clarification request: the reason is kept, a correction
        follows."""
        self.ensure_one()
        if not (reason or "").strip():
            raise UserError(
                self.env._(
                    "UPD %(upd)s: a refusal or clarification request needs its reason.",
                    upd=self.display_name,
                )
            )
        if self.state in FINAL_STATES:
            raise UserError(
                self.env._(
                    "UPD %(upd)s is already %(state)s.",
                    upd=self.display_name,
                    state=self._state_label(),
                )
            )
        prefix = self.env._("Clarification requested: ") if kind == "clarification" else ""
        vals = {"state": "refused", "refusal_reason": prefix + reason.strip()}
        if not self.delivery_date:
            vals["delivery_date"] = self._today()
        self.sudo().write(vals)

    def _deemed_acceptance_date(self):
        """Day the UPD counts as accepted when nothing came: delivery date D + 7 days.

        Delivery on day D (Moscow time); the 7 calendar days are counted from D+1; when by the
        start of D+7 (00:00 Moscow) neither a signature nor a refusal came, the UPD is accepted
        on D+7.
        """
        self.ensure_one()
        events = self.contract_id.sudo().force_majeure_ids
        if not events:
            return self.delivery_date + timedelta(days=ACCEPTANCE_DAYS)
        # force majeure (section IX) extends the acceptance period by its duration
        return force_majeure.extend_days(
            self.delivery_date + timedelta(days=1), ACCEPTANCE_DAYS - 1, events._local_periods()
        ) + timedelta(days=1)

    def _deem_accepted(self, on_date):
        self.ensure_one()
        self.sudo().write({"state": "deemed_accepted", "deemed_accepted_date": on_date})
        report = self.env.ref("miko_support_contract.action_report_upd_deemed")
        pdf, _kind = (
            self.env["ir.actions.report"].sudo()._render_qweb_pdf(report.report_name, self.ids)
        )
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": f"UPD_{self.name}_unilateral.pdf",
                    "raw": pdf,
                    "mimetype": "application/pdf",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        )
        self.sudo().deemed_attachment_id = attachment
        self._issue_unilateral_copy(attachment)

    def _issue_unilateral_copy(self, attachment):
        """The unilaterally signed copy goes by the contract's channel (contract 4.4): through
        the EDI operator, or printed for a registered letter; an e-mail copy always follows."""
        self.ensure_one()
        provider = self._edi_provider() if self.channel == "edi" else None
        if provider:
            try:
                message_id = provider.send_unilateral_copy(self, attachment)
            except UserError:
                raise
            except Exception as error:
                _logger.info("UPD %s: the unilateral copy was not sent: %s", self.name, error)
                self.sudo().edi_error = str(error)[:2000]
                message_id = None
            if message_id:
                self.sudo().unilateral_edi_message_id = message_id
        if self.channel == "post" or not self.unilateral_edi_message_id:
            env = self._staff_env()
            self.message_post(
                body=env._(
                    "UPD %(upd)s is deemed accepted on %(date)s: print the unilaterally signed "
                    "copy, send it by registered letter and enter its tracking number.",
                    upd=self.display_name,
                    date=format_date(env, self.deemed_accepted_date),
                )
                if self.channel == "post"
                else env._(
                    "UPD %(upd)s is deemed accepted on %(date)s: send the unilaterally signed "
                    "copy to the customer in the EDI operator's interface.",
                    upd=self.display_name,
                    date=format_date(env, self.deemed_accepted_date),
                )
            )
        template = self.env.ref("miko_support_contract.mail_template_upd_deemed_accepted")
        email_values = {"attachment_ids": [fields.Command.link(attachment.id)]}
        registration_email = self.contract_id.sudo().registration_email
        if registration_email:
            email_values["email_to"] = registration_email
        template.sudo().send_mail(self.id, email_values=email_values)

    def _registration_emails(self):
        """The registration e-mails of the UPD's contract and of its licences (clause 4.3 names
        the licence's), each once."""
        self.ensure_one()
        contract = self.contract_id.sudo()
        emails = [contract.registration_email, *contract.licence_ids.mapped("registration_email")]
        return list(dict.fromkeys(email.strip() for email in emails if email and email.strip()))

    def _post_send_email_copy(self):
        """E-mail copy of the UPD to the registration e-mails of the contract and licences."""
        template = self.env.ref("miko_support_contract.mail_template_upd_copy")
        for upd in self:
            emails = upd._registration_emails()
            if emails:
                template.sudo().send_mail(upd.id, email_values={"email_to": ",".join(emails)})

    def _form103_csv(self):
        """Russian Post list of registered mail (form 103 columns), windows-1251, «;»."""
        for upd in self:
            if upd.channel != "post" or not upd.tracking_number:
                raise UserError(
                    self.env._(
                        "UPD %(upd)s is not a paper UPD with a tracking number.",
                        upd=upd.display_name,
                    )
                )
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(
            [
                "№ п/п",
                "ШПИ",
                "Адресат",
                "Почтовый индекс",
                "Адрес",
                "Вес, кг",
                "Объявленная ценность, руб.",
                "Сумма наложенного платежа, руб.",
                "Примечание",
            ]
        )
        for number, upd in enumerate(self.sorted("tracking_number"), start=1):
            partner = upd.partner_id.commercial_partner_id
            address = self._partner_address(partner)
            writer.writerow(
                [
                    csv_safe_cell(value)
                    for value in (
                        number,
                        upd.tracking_number,
                        partner.name or "",
                        partner.zip or "",
                        " ".join(address.split()),
                        "0.02",
                        "0",
                        "0",
                        f"УПД {upd.name}",
                    )
                ]
            )
        return buffer.getvalue().encode("cp1251", errors="replace")

    # ------------------------------------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------------------------------------
    @api.model
    def _upd_commit_progress(self, processed=0, remaining=None):
        """``ir.cron._commit_progress`` in a cron run; outside one (a test, a user's call) the
        caller's transaction decides and nothing is committed here."""
        if not self.env.context.get("ir_cron_progress_id"):
            return float("inf")
        return self.env["ir.cron"]._commit_progress(processed, remaining=remaining)

    @api.model
    def _cron_close_previous_month(self, batch_size=UPD_BATCH_SIZE):
        """1st of the month: UPDs of the previous month, committed per batch (restartable).

        The cron closes the month of every company (not only its user's current ones).
        """
        self = self.sudo().with_context(  # noqa: PLW0642 - all companies for the cron
            allowed_company_ids=self.env["res.company"].sudo().search([]).ids
        )
        today = self._today()
        previous = today.replace(day=1) - timedelta(days=1)
        first, last = self.env["miko.support.contract"]._month_bounds(previous.year, previous.month)
        contracts = self._upd_candidate_contracts(first, last)
        done_ids = set(self.search([("period_start", "=", first)]).contract_id.ids)
        todo = contracts.filtered(lambda c: c.id not in done_ids)
        self._upd_commit_progress(remaining=len(todo))
        for start in range(0, len(todo), batch_size):
            batch = self._claim_contracts(todo[start : start + batch_size])
            try:
                with self.env.cr.savepoint():
                    self._generate_batch(batch, first, last)
            except UserError:
                self._generate_each(batch, first, last)
            if self._upd_commit_progress(len(batch)) <= 0:
                break

    @api.model
    def _claim_contracts(self, contracts):
        """The contracts no other worker is closing now (row locks held until the commit):
        several cron workers can share the month close, each skipping the others' batches."""
        self.env.cr.execute(
            SQL(
                "SELECT id FROM miko_support_contract WHERE id = ANY(%s) ORDER BY id "
                "FOR UPDATE SKIP LOCKED",
                contracts.ids,
            )
        )
        return contracts.browse([row[0] for row in self.env.cr.fetchall()])

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

    @api.model
    def _cron_send_pending(self, batch_size=UPD_BATCH_SIZE):
        """Retry UPDs left «sending» (operator down, timeout); idempotent at the operator."""
        pending = self.search([("state", "=", "sending")], limit=batch_size)
        self._upd_commit_progress(remaining=len(pending))
        for upd in pending:
            upd._edi_send()
            self._upd_commit_progress(1)

    @api.model
    def _cron_poll_edi(self, batch_size=UPD_BATCH_SIZE):
        """Read delivery receipts and buyers' answers of UPDs at the operator."""
        waiting = self.search(
            [("state", "in", ("sent", "delivered")), ("channel", "=", "edi")], limit=batch_size
        )
        self._upd_commit_progress(remaining=len(waiting))
        for upd in waiting:
            upd._edi_poll()
            self._upd_commit_progress(1)

    @api.model
    def _cron_deem_accepted(self):
        """Deem accepted the UPDs delivered 7 days ago without a signature or a refusal.

        Counting: the UPD was delivered on day D (Moscow time, the company's support time
        zone); days are counted from D+1; on D+7 (from 00:00 Moscow) a UPD still neither signed
        nor refused becomes «deemed accepted» with the date D+7, gets its unilaterally signed
        copy (PDF with the note) and that copy is e-mailed to the customer. On D+6 nothing
        happens.
        """
        today = self._today()
        due = self.search(
            [
                ("state", "=", "delivered"),
                ("delivery_date", "<=", today - timedelta(days=ACCEPTANCE_DAYS)),
            ]
        )
        due = due.filtered(lambda upd: upd._deemed_acceptance_date() <= today)
        for upd in due:
            upd._deem_accepted(upd._deemed_acceptance_date())
        return due
