"""The UPD record (``miko.support.upd``): its fields, states, constraints and buttons, and the
Integration API names fixed on it (``generate_for_month``, ``get_xml``, ``mark_delivered``,
``_cron_deem_accepted``).

The work is done by the services beside it, each in its own file:

* ``support_upd_closing.py`` (``miko.support.upd.closing``): the month close and its revenue;
* ``support_upd_exchange.py`` (``miko.support.upd.exchange``): sending (EDI and paper), the
  buyer's answers and the unilateral acceptance;
* ``support_upd_document.py`` (``miko.support.upd.document``): the seller's title XML and the
  printed form's helpers.
"""

import base64
import re
from datetime import UTC, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_amount, format_date, formatLang

from ..rules import force_majeure

ACCEPTANCE_DAYS = 7
UPD_BATCH_SIZE = 50
TRACKING_NUMBER = re.compile(r"[0-9]{14}")
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
        the others get a new UPD with its journal entry, XML and billing lock. The work is the
        month close service's (:meth:`~.support_upd_closing.SupportUpdClosing.close_month`).

        :returns: ``miko.support.upd`` recordset of the month's UPDs of those contracts.
        """
        return self.env["miko.support.upd.closing"].close_month(year, month, contract_ids)

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
        exchange = self.env["miko.support.upd.exchange"]
        for upd in self.filtered(lambda u: u.channel == "edi"):
            exchange._check_edi_settings(upd)
        for upd in self.filtered(lambda u: u.channel == "edi"):
            upd.write({"state": "sending"})
            exchange._edi_send(upd)
        exchange._post_send_email_copy(self.filtered(lambda u: u.channel == "post"))
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
        self.env["miko.support.upd.exchange"]._post_send_email_copy(self)
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
        correction = self.env["miko.support.upd.closing"]._generate_one(
            self.contract_id, self.period_start, self.period_end, corrects=self
        )
        return correction._get_records_action() if correction else True

    def action_download_form103(self):
        """Registered-mail list (Russian Post form 103 shape) of these paper UPDs, as CSV."""
        content = self.env["miko.support.upd.document"]._form103_csv(self)
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
    # Business methods
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
        """The day of a UTC ``moment`` in the company's support time zone."""
        return moment.replace(tzinfo=UTC).astimezone(self.company_id._miko_support_zone()).date()

    def _state_label(self):
        return dict(self._fields["state"]._description_selection(self.env)).get(self.state)

    def _today(self):
        """Today in the current company's support time zone."""
        return self.env.company._miko_support_today()

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

    # ------------------------------------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------------------------------------
    @api.model
    def _cron_close_previous_month(self, batch_size=UPD_BATCH_SIZE):
        """1st of the month: UPDs of the previous month, committed per batch (restartable);
        see :meth:`~.support_upd_closing.SupportUpdClosing._cron_close_previous_month`."""
        closing = self.env["miko.support.upd.closing"]
        return closing._cron_close_previous_month(batch_size=batch_size)

    @api.model
    def _cron_send_pending(self, batch_size=UPD_BATCH_SIZE):
        """Retry UPDs left «sending» (operator down, timeout); idempotent at the operator."""
        return self.env["miko.support.upd.exchange"]._cron_send_pending(batch_size=batch_size)

    @api.model
    def _cron_poll_edi(self, batch_size=UPD_BATCH_SIZE):
        """Read delivery receipts and buyers' answers of UPDs at the operator."""
        return self.env["miko.support.upd.exchange"]._cron_poll_edi(batch_size=batch_size)

    @api.model
    def _cron_deem_accepted(self):
        """Integration API (fixed): deem accepted the UPDs delivered 7 days ago without a
        signature or a refusal (the exchange service's ``_cron_deem_accepted``)."""
        return self.env["miko.support.upd.exchange"]._cron_deem_accepted()
