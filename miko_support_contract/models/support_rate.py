from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..rules import money


class SupportRate(models.Model):
    _name = "miko.support.rate"
    _description = "Support Hourly Rate"
    _order = "contract_id, date_from desc"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "miko.support.contract", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    date_from = fields.Date(string="Valid From", required=True)
    hourly_rate = fields.Monetary(required=True, currency_field="currency_id")

    _date_unique = models.Constraint(
        "UNIQUE(contract_id, date_from)", "A contract has one hourly rate per start date."
    )
    _rate_positive = models.Constraint(
        "CHECK(hourly_rate > 0)", "The hourly rate must be positive."
    )

    @api.constrains("date_from", "hourly_rate")
    def _check_not_retroactive(self):
        """A new rate applies from its date, never to minutes already charged."""
        for rate in self:
            last_charged = rate.contract_id._last_charged_date()
            if last_charged and rate.date_from <= last_charged:
                raise ValidationError(
                    self.env._(
                        "Contract %(contract)s: a rate from %(date)s would change minutes already "
                        "charged up to %(charged)s; choose a later Valid From date.",
                        contract=rate.contract_id.display_name,
                        date=rate.date_from,
                        charged=last_charged,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        rates = super().create(vals_list)
        rates._set_default_low_balance_amount()
        return rates

    def _set_default_low_balance_amount(self):
        """A contract whose low-balance threshold in money was left at 0 gets, with its first
        rate, the worth of its threshold in minutes (120 by default: two hours), so the early
        statement goes out before the wallet is empty, not at zero."""
        for rate in self:
            contract = rate.contract_id.sudo()
            if contract.low_balance_type != "amount" or contract.low_balance_amount:
                continue
            if len(contract.rate_ids) > 1:
                continue  # a threshold of 0 kept while rates changed was chosen
            amount = money.minutes_amount(contract.low_balance_minutes or 0, rate.hourly_rate)
            contract.low_balance_amount = float(amount)

    def write(self, vals):
        if {"date_from", "hourly_rate", "contract_id"} & set(vals):
            self._check_prices_nothing_charged()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_charged(self):
        self._check_prices_nothing_charged()

    def _check_prices_nothing_charged(self):
        """A rate that priced a charged day can be neither moved, re-priced nor deleted: its
        period (from its date to the next rate's) contains days already in the wallet."""
        for rate in self:
            last_charged = rate.contract_id._last_charged_date()
            if last_charged and rate.date_from <= last_charged:
                raise UserError(
                    self.env._(
                        "Contract %(contract)s: the rate valid from %(date)s priced the minutes "
                        "charged up to %(charged)s; it can be neither changed nor deleted. Add a "
                        "new rate valid after %(charged)s instead.",
                        contract=rate.contract_id.display_name,
                        date=rate.date_from,
                        charged=last_charged,
                    )
                )
