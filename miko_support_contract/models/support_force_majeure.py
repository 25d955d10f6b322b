from datetime import UTC

from odoo import api, fields, models
from odoo.exceptions import UserError


class SupportForceMajeure(models.Model):
    """A force-majeure event of a contract (section IX): while it lasts the response deadlines
    of the contract's requests and the acceptance periods of its UPDs stand still."""

    _name = "miko.support.force.majeure"
    _description = "Force Majeure Event"
    _order = "date_start desc, id desc"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "miko.support.contract",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    date_start = fields.Datetime(string="Start", required=True)
    date_end = fields.Datetime(string="End", required=True)
    description = fields.Text(required=True)

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for event in self:
            if event.date_end <= event.date_start:
                raise UserError(
                    self.env._(
                        "Force majeure of contract %(contract)s, field End: it must be after "
                        "the start.",
                        contract=event.contract_id.display_name,
                    )
                )

    def _local_periods(self):
        """``(begin, finish)`` of the events as naive datetimes of the company's support time
        zone (the reference of the acceptance days)."""
        periods = []
        for event in self:
            tz = event.company_id._miko_support_zone()
            periods.append(
                tuple(
                    moment.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
                    for moment in (event.date_start, event.date_end)
                )
            )
        return periods
