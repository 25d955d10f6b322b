"""The QWeb report of the statement of account (Appendix 2): its values come from
``miko.support.statement``."""

from datetime import timedelta

from odoo import api, fields, models


class ReportSupportStatement(models.AbstractModel):
    _name = "report.miko_support_contract.report_support_statement"
    _description = "Statement of Account Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        today = fields.Date.context_today(self)
        date_to = fields.Date.to_date(data.get("date_to")) or today
        date_from = fields.Date.to_date(data.get("date_from")) or date_to - timedelta(days=30)
        # a report action with data (the statement wizard) reaches /report/pdf without ids in its
        # path: they travel in its context
        docids = docids or (data.get("context") or {}).get("active_ids") or []
        docs = self.env["miko.support.contract"].browse(docids)
        Statement = self.env["miko.support.statement"]
        return {
            "doc_ids": docids,
            "doc_model": "miko.support.contract",
            "docs": docs,
            "statements": {
                contract.id: Statement._build_statement(contract, date_from, date_to)
                for contract in docs
            },
        }
