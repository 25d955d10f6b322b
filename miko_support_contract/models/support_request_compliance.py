from odoo import fields, models
from odoo.tools import SQL


class SupportRequestCompliance(models.Model):
    """Response-deadline compliance per customer and month (a read-only SQL view)."""

    _name = "miko.support.request.compliance"
    _description = "Support Request Deadline Compliance"
    _auto = False
    _order = "month desc, partner_id"
    _depends = {
        "project.task": [
            "miko_is_request",
            "miko_arrival",
            "miko_contract_id",
            "miko_deadline_breached",
            "partner_id",
            "company_id",
        ],
        "miko.support.contract": ["partner_id"],
        "res.partner": ["commercial_partner_id"],
        "res.company": ["miko_support_tz"],
    }

    month = fields.Date(readonly=True, help="First day of the month the requests arrived in.")
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    contract_id = fields.Many2one("miko.support.contract", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    request_count = fields.Integer(string="Requests", readonly=True, aggregator="sum")
    breached_count = fields.Integer(string="Breached", readonly=True, aggregator="sum")
    on_time_count = fields.Integer(string="On Time", readonly=True, aggregator="sum")
    compliance_rate = fields.Float(
        string="Compliance (%)",
        readonly=True,
        aggregator="avg",
        help="Share of the month's requests whose work started before the deadline.",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT MIN(task.id) AS id,
                   date_trunc('month', task.miko_arrival AT TIME ZONE 'UTC'
                              AT TIME ZONE COALESCE(company.miko_support_tz, 'Europe/Moscow'))::date
                       AS month,
                   COALESCE(contract.partner_id, partner.commercial_partner_id) AS partner_id,
                   task.miko_contract_id AS contract_id,
                   task.company_id AS company_id,
                   COUNT(*) AS request_count,
                   COUNT(*) FILTER (WHERE task.miko_deadline_breached) AS breached_count,
                   COUNT(*) FILTER (WHERE NOT COALESCE(task.miko_deadline_breached, FALSE))
                       AS on_time_count,
                   100.0 * COUNT(*) FILTER (WHERE NOT COALESCE(task.miko_deadline_breached, FALSE))
                       / COUNT(*) AS compliance_rate
              FROM project_task task
              JOIN res_company company ON company.id = task.company_id
         LEFT JOIN miko_support_contract contract ON contract.id = task.miko_contract_id
         LEFT JOIN res_partner partner ON partner.id = task.partner_id
             WHERE task.miko_is_request AND task.miko_arrival IS NOT NULL
          GROUP BY 2, 3, 4, 5
            """
        )
