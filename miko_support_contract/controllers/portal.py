from datetime import date, timedelta

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.tools.misc import format_date, formatLang

from odoo.addons.portal.controllers.portal import CustomerPortal

from ..rules import balance_chart

CHART_DAYS = 90


class MikoSupportPortal(CustomerPortal):
    """The customer's support contracts under /my/support: balance, statements, consent."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "support_contract_count" in counters:
            Contract = request.env["miko.support.contract"]
            values["support_contract_count"] = (
                Contract.search_count([]) if Contract.has_access("read") else 0
            )
        return values

    def _support_contract(self, contract_id, access_token=None):
        """The contract if this visitor may see it, else a 404 (never another customer's)."""
        try:
            return self._document_check_access("miko.support.contract", contract_id, access_token)
        except (AccessError, MissingError):
            raise request.not_found() from None

    @http.route(["/my/support"], type="http", auth="user", website=True)
    def portal_my_support(self, **kwargs):
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "contracts": request.env["miko.support.contract"].search([]),
                "page_name": "support",
            }
        )
        return request.render("miko_support_contract.portal_my_support", values)

    @http.route(["/my/support/<int:contract_id>"], type="http", auth="public", website=True)
    def portal_support_contract(self, contract_id, access_token=None, message=None, **kwargs):
        contract = self._support_contract(contract_id, access_token)
        today = fields.Date.context_today(contract)
        values = self._get_page_view_values(
            contract,
            access_token,
            {
                "contract": contract,
                "page_name": "support_contract",
                "balance_points": _balance_points(contract, today),
                "date_from": today - timedelta(days=30),
                "date_to": today,
                "message": message,
                "can_consent": contract.balance < 0 and not contract.overrun_consent_ids,
                "upds": _contract_upds(contract),
                "statement": contract.get_statement(today - timedelta(days=30), today),
            },
            "my_support_history",
            False,
        )
        return request.render("miko_support_contract.portal_support_contract", values)

    @http.route(
        ["/my/support/<int:contract_id>/statement"], type="http", auth="public", website=True
    )
    def portal_support_statement(
        self, contract_id, access_token=None, date_from=None, date_to=None, file_format="pdf", **kw
    ):
        contract = self._support_contract(contract_id, access_token)
        try:
            start = date.fromisoformat(date_from) if date_from else None
            end = date.fromisoformat(date_to) if date_to else None
        except ValueError:
            start = end = None
        if not start or not end or start > end:
            return request.make_response(
                request.env._("Choose a period: the start date must not be after the end date."),
                headers=[("Content-Type", "text/plain; charset=utf-8")],
                status=400,
            )
        Statement = contract.env["miko.support.statement"]
        if file_format == "xlsx":
            content = Statement._xlsx(contract, start, end)
            mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            content = Statement._pdf(contract, start, end)
            mimetype = "application/pdf"
            file_format = "pdf"
        filename = Statement._file_name(contract, start, end, file_format)
        return request.make_response(
            content,
            headers=[
                ("Content-Type", mimetype),
                ("Content-Length", len(content)),
                ("Content-Disposition", http.content_disposition(filename)),
            ],
        )

    @http.route(
        ["/my/support/<int:contract_id>/upd/<int:upd_id>/<string:file_kind>"],
        type="http",
        auth="public",
        website=True,
    )
    def portal_support_upd_file(self, contract_id, upd_id, file_kind, access_token=None, **kw):
        """A UPD's file: ``xml`` (seller's title), ``pdf`` (printable form), ``signed`` (the
        buyer's title) or ``deemed`` (the unilaterally signed copy) — only of this contract."""
        contract = self._support_contract(contract_id, access_token)
        upd = request.env["miko.support.upd"].sudo().browse(upd_id).exists()
        if not upd or upd.contract_id != contract:
            raise request.not_found()
        if file_kind == "pdf":
            content, _format = (
                request.env["ir.actions.report"]
                .sudo()
                ._render_qweb_pdf("miko_support_contract.action_report_upd", upd.ids)
            )
            return request.make_response(
                content,
                headers=[
                    ("Content-Type", "application/pdf"),
                    ("Content-Disposition", http.content_disposition(f"{upd.name}.pdf")),
                ],
            )
        attachment = {
            "xml": upd.xml_attachment_id,
            "signed": upd.buyer_title_attachment_id,
            "deemed": upd.deemed_attachment_id,
        }.get(file_kind)
        if not attachment:
            raise request.not_found()
        return request.make_response(
            attachment.raw,
            headers=[
                ("Content-Type", attachment.mimetype or "application/octet-stream"),
                ("Content-Disposition", http.content_disposition(attachment.name)),
            ],
        )

    @http.route(
        ["/my/support/<int:contract_id>/request_statement"],
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_support_request_statement(self, contract_id, access_token=None, **kwargs):
        contract = self._support_contract(contract_id, access_token)
        contract.action_send_statement_now()
        return request.redirect(f"/my/support/{contract.id}?message=statement_sent")

    @http.route(
        ["/my/support/<int:contract_id>/consent"],
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_support_consent(self, contract_id, access_token=None, **kwargs):
        contract = self._support_contract(contract_id, access_token)
        try:
            contract._record_portal_consent(request.env.user)
        except UserError:
            return request.redirect(f"/my/support/{contract.id}?message=consent_refused")
        return request.redirect(f"/my/support/{contract.id}?message=consent_recorded")


def _contract_upds(contract):
    """The contract's UPDs (sudo: the contract was checked), newest first."""
    if "miko.support.upd" not in request.env:
        return []
    return request.env["miko.support.upd"].sudo().search([("contract_id", "=", contract.id)])


def _balance_points(contract, today):
    """The balance chart of the last days with its axes, labels in the visitor's language."""
    start = today - timedelta(days=CHART_DAYS)
    balances = contract.env["miko.support.statement"]._daily_balances(contract, start, today)
    chart = balance_chart.balance_chart(balances, start)
    env = request.env if request else contract.env
    chart["x_labels"] = [(x, format_date(env, day)) for x, day in chart["x_ticks"]]
    chart["y_labels"] = [
        (y, formatLang(env, amount, currency_obj=contract.currency_id))
        for y, amount in chart["y_ticks"]
    ]
    return chart
