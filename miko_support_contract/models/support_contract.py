from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..rules import RuleError, business_hours, money
from .selections import NOTICE_GIVERS

LIABILITY_CAP_SHARE = Decimal("0.20")
CONFIDENTIALITY_YEARS = 5
UPD_ACCEPTED_STATES = ("signed", "signed_discrepancies", "deemed_accepted")


class SupportContract(models.Model):
    _name = "miko.support.contract"
    _description = "Technical Support Contract"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "portal.mixin",
        "miko.support.contract.activity.api",
        "miko.support.contract.invoicing",
        "miko.support.contract.lifecycle",
        "miko.support.contract.statement",
        "miko.support.contract.wallet",
        "miko.support.contract.billing",
        "miko.support.contract.charge",
    ]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Number", required=True, copy=False, readonly=True, default="/", index="trigram"
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        tracking=True,
        index=True,
        domain="[('is_company', '=', True)]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    user_id = fields.Many2one(
        "res.users", string="Salesperson", default=lambda self: self.env.user, tracking=True
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("active", "Active"),
            ("suspended", "Suspended"),
            ("terminating", "Terminating"),
            ("closed", "Closed"),
        ],
        string="Status",
        default="draft",
        required=True,
        tracking=True,
        index=True,
        copy=False,
    )
    force_majeure_ids = fields.One2many(
        "miko.support.force.majeure", "contract_id", string="Force Majeure Events"
    )
    offer_edition_id = fields.Many2one(
        "miko.support.offer.edition",
        readonly=True,
        tracking=True,
        check_company=True,
        help="The edition of the public offer the customer accepted with its last payment.",
    )
    date_start = fields.Date(
        string="Start Date",
        copy=False,
        readonly=True,
        tracking=True,
        help="Date of the first payment received: the contract takes effect with it.",
    )
    notice_date = fields.Date(copy=False, tracking=True)
    notice_given_by = fields.Selection(NOTICE_GIVERS, copy=False, tracking=True)
    date_end = fields.Date(
        string="End Date",
        copy=False,
        tracking=True,
        help="At least one calendar month after the notice, sooner only by mutual consent.",
    )
    licence_ids = fields.One2many("miko.support.licence", "contract_id", string="Licences")
    rate_ids = fields.One2many("miko.support.rate", "contract_id", string="Rate History")
    hourly_rate = fields.Monetary(
        compute="_compute_hourly_rate",
        currency_field="currency_id",
        groups="miko_support_contract.group_sales",
    )
    low_balance_type = fields.Selection(
        [("amount", "Amount"), ("minutes", "Minutes")],
        string="Low Balance Threshold In",
        default="amount",
        required=True,
    )
    low_balance_amount = fields.Monetary(
        currency_field="currency_id",
        groups="miko_support_contract.group_sales",
    )
    low_balance_minutes = fields.Integer(default=120)
    contact_ids = fields.Many2many(
        "res.partner",
        string="Document Recipients",
        help="Contacts that receive statements and UPDs.",
    )
    registration_email = fields.Char(
        string="Registration E-mail",
        help="E-mail given at product registration: receives the e-mail copy of every UPD.",
    )
    upd_channel = fields.Selection(
        [("edi", "EDI operator"), ("post", "Post")],
        string="UPD Delivery",
        default="edi",
        required=True,
        tracking=True,
    )
    balance = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        copy=False,
        default=0.0,
        groups="miko_support_contract.group_sales,base.group_portal",
        help="Wallet balance now: the sum of all ledger entries. Maintained in the same "
        "transaction as every entry.",
    )
    wallet_version = fields.Integer(
        readonly=True,
        copy=False,
        default=0,
        help="Bumped by every ledger entry, so concurrent debits conflict instead of both passing.",
    )
    balance_minutes = fields.Integer(
        string="Balance in Minutes",
        compute="_compute_balance_minutes",
        groups="miko_support_contract.group_sales",
    )
    days_until_zero = fields.Integer(
        compute="_compute_days_until_zero",
        groups="miko_support_contract.group_sales",
        help="Forecast from the consumption of the last 4 weeks; -1 when nothing was consumed.",
    )
    days_until_zero_text = fields.Char(
        string="Forecast Days Until Zero",
        compute="_compute_days_until_zero",
        groups="miko_support_contract.group_sales",
        help="Forecast from the consumption of the last 4 weeks; «—» when nothing was consumed, "
        "so no forecast can be made.",
    )
    is_low_balance = fields.Boolean(
        compute="_compute_balance_flags", search="_search_is_low_balance", string="Low Balance"
    )
    is_negative_balance = fields.Boolean(
        compute="_compute_balance_flags", search="_search_is_negative_balance", string="Debt"
    )
    locked_until = fields.Date(
        string="Billing Locked Until",
        readonly=True,
        copy=False,
        help="Last day of the last month closed by a UPD: activities, timesheets and wallet "
        "consumption up to this day can no longer change.",
    )
    entry_ids = fields.One2many("miko.support.wallet.entry", "contract_id", string="Ledger")
    invoice_ids = fields.One2many("account.move", "miko_contract_id", string="Invoices")
    invoice_count = fields.Integer(
        compute="_compute_invoice_count",
    )
    suspension_ids = fields.One2many(
        "miko.support.suspension", "contract_id", string="Suspensions", readonly=True
    )
    overrun_consent_ids = fields.One2many(
        "miko.support.overrun.consent", "contract_id", string="Consents to Additional Invoices"
    )
    request_ids = fields.One2many("project.task", "miko_contract_id", string="Support Requests")
    request_count = fields.Integer(compute="_compute_request_count", string="Requests")
    liability_cap = fields.Monetary(
        compute="_compute_liability_cap",
        currency_field="currency_id",
        groups="miko_support_contract.group_sales",
        help="20% of the UPD totals of the last calendar year: the vendor's liability is "
        "limited to it.",
    )
    confidentiality_until = fields.Date(
        compute="_compute_confidentiality_until",
        help="Confidentiality holds until the contract ends and five years after it.",
    )
    results_transferred = fields.Boolean(
        compute="_compute_results_transferred",
        help="The results of the services pass to the customer once every UPD is signed or "
        "deemed accepted and the balance is settled.",
    )
    project_id = fields.Many2one(
        "project.project",
        string="Timesheet Project",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Project whose timesheets carry the support day lines of this contract.",
    )
    support_activity_ids = fields.One2many(
        "miko.support.activity", "contract_id", string="Support Activities"
    )

    _name_company_unique = models.Constraint(
        "UNIQUE(company_id, name)", "The contract number must be unique per company."
    )

    # ------------------------------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------------------------------
    @api.depends("rate_ids.date_from", "rate_ids.hourly_rate")
    @api.depends_context("date")
    def _compute_hourly_rate(self):
        today = fields.Date.context_today(self)
        for contract in self:
            contract.hourly_rate = contract._rate_at(today)

    def _compute_invoice_count(self):
        counts = dict(
            self.env["account.move"]._read_group(
                [("miko_contract_id", "in", self.ids)], ["miko_contract_id"], ["__count"]
            )
        )
        for contract in self:
            contract.invoice_count = counts.get(contract, 0)

    def _compute_request_count(self):
        counts = dict(
            self.env["project.task"]._read_group(
                [("miko_contract_id", "in", self.ids)], ["miko_contract_id"], ["__count"]
            )
        )
        for contract in self:
            contract.request_count = counts.get(contract, 0)

    @api.depends_context("date")
    def _compute_liability_cap(self):
        last_year = fields.Date.context_today(self).year - 1
        for contract in self:
            if not contract.id:
                contract.liability_cap = 0.0
                continue
            consumed = contract._service_totals(date(last_year, 1, 1), date(last_year, 12, 31))
            cap = (consumed["amount"] * LIABILITY_CAP_SHARE).quantize(money.CENT, ROUND_HALF_UP)
            contract.liability_cap = float(cap)

    @api.depends("date_end")
    def _compute_confidentiality_until(self):
        for contract in self:
            contract.confidentiality_until = (
                contract.date_end and contract.date_end + relativedelta(years=CONFIDENTIALITY_YEARS)
            )

    @api.depends("balance")
    def _compute_results_transferred(self):
        open_upds = set()
        if "miko.support.upd" in self.env and self.ids:
            open_upds = {
                contract.id
                for [contract] in self.env["miko.support.upd"]
                .sudo()
                ._read_group(
                    [
                        ("contract_id", "in", self.ids),
                        ("state", "not in", UPD_ACCEPTED_STATES),
                    ],
                    ["contract_id"],
                )
            }
        for contract in self:
            contract.results_transferred = (
                contract.sudo().balance >= 0 and contract.id not in open_upds
            )

    def _compute_access_url(self):  # pylint: disable=missing-return
        super()._compute_access_url()
        for contract in self:
            contract.access_url = f"/my/support/{contract.id}"

    # ------------------------------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = (
                    self.env["ir.sequence"]
                    .with_company(company)
                    .next_by_code("miko.support.contract")
                    or "/"
                )
        contracts = super().create(vals_list)
        for contract in contracts.filtered(lambda c: not c.contact_ids):
            contract.contact_ids = contract.partner_id
        return contracts

    def write(self, vals):
        suspending = leaving = self.browse()
        if "state" in vals:
            suspending = self.filtered(
                lambda c: c.state != "suspended" and vals["state"] == "suspended"
            )
            leaving = self.filtered(
                lambda c: c.state == "suspended" and vals["state"] != "suspended"
            )
        result = super().write(vals)
        if suspending or leaving:
            Suspension = self.env["miko.support.suspension"].sudo()
            for contract in suspending:
                Suspension.create(
                    {"contract_id": contract.id, "date_from": contract._support_today()}
                )
            for contract in leaving:
                today = contract._support_today()
                for period in Suspension.search(
                    [("contract_id", "=", contract.id), ("date_to", "=", False)]
                ):
                    period.date_to = max(period.date_from, today) - timedelta(days=1)
            self.env["account.analytic.line"].invalidate_model(["miko_outside_period"])
        return result

    def _support_today(self):
        """Today in the company's support time zone."""
        self.ensure_one()
        return self.company_id._miko_support_today()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_ledger(self):
        for contract in self:
            if contract.state != "draft" or contract.sudo().entry_ids:
                raise UserError(
                    self.env._(
                        "Contract %(contract)s has a wallet history: "
                        "close it instead of deleting it.",
                        contract=contract.display_name,
                    )
                )

    # ------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------
    def action_view_ledger(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "miko_support_contract.miko_support_wallet_entry_action"
        )
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {"default_contract_id": self.id}
        return action

    def action_view_requests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "miko_support_contract.miko_support_request_action"
        )
        action["domain"] = [("miko_contract_id", "=", self.id)]
        action["context"] = {"default_miko_contract_id": self.id}
        return action

    # ------------------------------------------------------------------------------------------
    # Integration API
    # ------------------------------------------------------------------------------------------
    def set_hourly_rate(self, rate, date_from):
        """Add a rate to the history; it applies from ``date_from`` on, never retroactively."""
        self.ensure_one()
        date_from = fields.Date.to_date(date_from)
        existing = self.rate_ids.filtered(lambda r: r.date_from == date_from)
        if existing:
            existing.hourly_rate = rate
            return existing
        return self.env["miko.support.rate"].create(
            {"contract_id": self.id, "date_from": date_from, "hourly_rate": rate}
        )

    @api.model
    def compute_response_deadline(self, arrival):
        """Response deadline of a request that arrived at ``arrival``.

        Both are naive UTC datetimes, as Odoo stores them; support hours are counted in the
        company's support time zone (Europe/Moscow by default).
        """
        arrival = fields.Datetime.to_datetime(arrival)
        if not arrival:
            raise UserError(self.env._("Give the arrival date and time of the request."))
        return self._miko_response_deadline(arrival, self.env.company)

    # ------------------------------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------------------------------
    def _month_locked(self, day):
        """Whether ``day`` lies in a month closed by the contract's UPD (up to ``locked_until``):
        the one month-lock rule of the activities, the day lines, the UPD and the charge booking
        (the SQL of the bulk import reads the same column)."""
        self.ensure_one()
        locked_until = self.sudo().locked_until
        return bool(day and locked_until and day <= locked_until)

    def _miko_hold_reason(self, day):
        """Why work of ``day`` is held (kept, not charged until a manager decides): ``"suspended"``
        (the day lies in a suspension period), ``"before_start"`` (before the first payment),
        ``"after_end"`` (after the end date), or ``False``. The effective-period rule for records
        in memory (the day line's flag, the activity's message); its SQL form for sets is
        ``account.analytic.line._miko_outside_period_sql`` (the search and the wallet charging),
        and ``test_lifecycle`` checks the two agree."""
        self.ensure_one()
        contract = self.sudo()
        if not day:
            return False
        if any(
            period.date_from <= day and (not period.date_to or day <= period.date_to)
            for period in contract.suspension_ids
        ):
            return "suspended"
        if contract.date_start and day < contract.date_start:
            return "before_start"
        if contract.date_end and day > contract.date_end:
            return "after_end"
        return False

    def _rate_at(self, on_date):
        """Hourly rate valid on ``on_date`` (0.0 when none yet): the one rate-at-a-date rule
        (charges, the month's rounding, the UPD, the current rate)."""
        self.ensure_one()
        rates = self.rate_ids.filtered(lambda r: r.date_from <= on_date).sorted("date_from")
        return rates[-1].hourly_rate if rates else 0.0

    def _offer_basis_label(self, on_date=None):
        """The offer the contract's documents name: the accepted edition, else the one in force
        on ``on_date`` (a first invoice names the edition its payment will accept)."""
        self.ensure_one()
        edition = self.sudo().offer_edition_id or self.env[
            "miko.support.offer.edition"
        ].sudo()._in_force(self.company_id, on_date or fields.Date.context_today(self))
        return edition.basis_label() if edition else False

    @api.model
    def _miko_response_deadline(self, arrival, company):
        try:
            return business_hours.compute_response_deadline(
                arrival,
                hours=business_hours.DEFAULT_HOURS,
                tz=company._miko_support_zone(),
            )
        except RuleError as error:
            raise UserError(
                self.env._(
                    "Company %(company)s, support hours: %(reason)s",
                    company=company.display_name,
                    reason=self.env._(error.message),
                )
            ) from error

    @api.model
    def _month_bounds(self, year, month):
        first = date(year, month, 1)
        return first, first + relativedelta(months=1, days=-1)
