from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date, split_every
from odoo.tools.misc import formatLang

from ..rules import RuleError, business_hours, force_majeure, money

BURN_RATE_DAYS = 28
LIABILITY_CAP_SHARE = Decimal("0.20")
CONFIDENTIALITY_YEARS = 5
UPD_ACCEPTED_STATES = ("signed", "signed_discrepancies", "deemed_accepted")
AUTO_SUSPEND_BATCH = 100


NOTICE_GIVERS = [
    ("customer", "Customer"),
    ("vendor", "Vendor"),
    ("mutual", "Mutual consent"),
]


class SupportContract(models.Model):
    _name = "miko.support.contract"
    _description = "Technical Support Contract"
    _inherit = ["mail.thread", "mail.activity.mixin", "portal.mixin"]
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
    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("miko_contract_id", "=", self.id)]
        action["context"] = {"default_move_type": "out_invoice", "create": False}
        return action

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

    # ------------------------------------------------------------------------------------------
    # Integration API
    # ------------------------------------------------------------------------------------------
    def create_prepayment_invoice(self, amount=None, hours=None):
        """Draft prepayment invoice («счёт на оплату») for an amount or a number of hours.

        :returns: the draft ``account.move``.
        """
        self.ensure_one()
        if (amount is None) == (hours is None):
            raise UserError(
                self.env._(
                    "Contract %(contract)s: give either an amount or a number of hours for the "
                    "prepayment invoice.",
                    contract=self.display_name,
                )
            )
        if self.state == "closed":
            raise UserError(
                self.env._(
                    "Contract %(contract)s is closed: no new prepayment invoice.",
                    contract=self.display_name,
                )
            )
        if hours is not None:
            quantity = money.to_decimal(hours)
            price = money.to_decimal(self.sudo()._rate_at(fields.Date.context_today(self)))
            if not price:
                raise UserError(
                    self.env._(
                        "Contract %(contract)s has no hourly rate: set one before invoicing hours.",
                        contract=self.display_name,
                    )
                )
        else:
            quantity, price = Decimal(1), money.to_decimal(amount)
        if quantity <= 0 or price <= 0:
            raise UserError(
                self.env._(
                    "Contract %(contract)s: the prepayment amount must be positive.",
                    contract=self.display_name,
                )
            )
        return self._create_support_move("out_invoice", quantity, price, hours=hours is not None)

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

    # ------------------------------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------------------------------
    def _rate_at(self, on_date):
        """Hourly rate valid on ``on_date`` (0.0 when none yet)."""
        self.ensure_one()
        rates = self.rate_ids.filtered(lambda r: r.date_from <= on_date).sorted("date_from")
        return rates[-1].hourly_rate if rates else 0.0

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

    def _create_support_move(self, move_type, quantity, price, hours=False):
        self.ensure_one()
        company = self.company_id
        if not company.miko_prepayment_product_id or not company.miko_advance_account_id:
            company.sudo()._miko_setup_support_accounting()
        product = company.miko_prepayment_product_id
        account = company.miko_advance_account_id
        if not product or not account:
            raise UserError(
                self.env._(
                    "Company %(company)s has no advances received account or prepaid support "
                    "product: configure them in Settings / Support Contracts.",
                    company=company.display_name,
                )
            )
        label = (
            self.env._(
                "Prepayment for technical support under contract %(contract)s, %(hours)s h",
                contract=self.name,
                hours=formatLang(
                    self.env, float(quantity), digits=money.significant_places(quantity)
                ),
            )
            if hours
            else self.env._(
                "Prepayment for technical support under contract %(contract)s",
                contract=self.name,
            )
        )
        if move_type == "out_refund":
            label = self.env._(
                "Refund of the unused balance under contract %(contract)s", contract=self.name
            )
        uom = self.env.ref("uom.product_uom_hour", raise_if_not_found=False) if hours else None
        line_vals = {
            "product_id": product.id,
            "name": label,
            "quantity": float(quantity),
            "price_unit": float(price),
            "account_id": account.id,
            "tax_ids": [fields.Command.clear()],
        }
        if uom:
            line_vals["product_uom_id"] = uom.id
        return (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": self.partner_id.id,
                    "company_id": company.id,
                    "miko_contract_id": self.id,
                    "invoice_origin": self.name,
                    **(
                        {"journal_id": company._miko_prepayment_journal().id}
                        if move_type == "out_invoice"
                        else {}
                    ),
                    "invoice_line_ids": [fields.Command.create(line_vals)],
                }
            )
        )

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
                tz=company.miko_support_tz or business_hours.DEFAULT_TZ,
            )
        except RuleError as error:
            raise UserError(
                self.env._(
                    "Company %(company)s, support hours: %(reason)s",
                    company=company.display_name,
                    reason=self.env._(error.message),
                )
            ) from error

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
    def _month_bounds(self, year, month):
        first = date(year, month, 1)
        return first, first + relativedelta(months=1, days=-1)

    def _unused_overrun_consent(self):
        """The oldest recorded consent not yet used by an additional invoice (clause 5.3: one
        consent covers one additional invoice)."""
        self.ensure_one()
        consents = self.sudo().overrun_consent_ids.filtered(lambda c: not c.invoice_id)
        if not consents:
            raise ValidationError(
                self.env._(
                    "Contract %(contract)s: an additional invoice for the overrun needs the "
                    "customer's recorded consent first (each consent covers one invoice).",
                    contract=self.display_name,
                )
            )
        return consents.sorted(lambda c: (c.consent_datetime, c.id))[0]

    def action_create_overrun_invoice(self):
        """Additional invoice for the debt, allowed once per recorded consent, up to the agreed
        amount."""
        self.ensure_one()
        consent = self._unused_overrun_consent()
        debt = -money.to_decimal(self.sudo().balance)
        if debt <= 0:
            raise UserError(
                self.env._(
                    "Contract %(contract)s has no overrun to invoice.", contract=self.display_name
                )
            )
        if consent.amount:
            debt = min(debt, money.to_decimal(consent.amount))
        invoice = self._create_support_move("out_invoice", Decimal(1), debt)
        consent.invoice_id = invoice
        return invoice

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

    # ------------------------------------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------------------------------------
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
