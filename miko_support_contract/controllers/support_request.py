from datetime import UTC
from zoneinfo import ZoneInfo

from odoo import fields, http
from odoo.http import request
from odoo.tools import plaintext2html
from odoo.tools.mail import formataddr, single_email_re

from ..rules import phones

FORM_FIELDS = (
    "organisation",
    "contact_name",
    "phone",
    "phone_other",
    "email",
    "registration_number",
    "description",
)
REQUIRED_FIELDS = ("organisation", "contact_name", "phone", "email", "description")
# Hidden from people by CSS: only robots fill it in.
HONEYPOT_FIELD = "website_url"
MAX_FILES = 5
DEFAULT_MAX_UPLOAD_MB = 10
DEFAULT_RATE_LIMIT = 5
DEFAULT_RATE_MINUTES = 10


class SupportRequestController(http.Controller):
    """The public support request form: only prepares values and validates input; the request
    is created with an explicit list of fields.

    ``website=True`` is http_routing's *frontend* flag (language, frontend layout values), as on
    the portal's routes: it needs no ``website`` module.
    """

    @http.route("/support/request", type="http", auth="public", methods=["GET"], website=True)
    def support_request_form(self, **kwargs):
        values = {name: kwargs.get(name, "") for name in FORM_FIELDS}
        return self._render_form(values, {})

    @http.route(
        "/support/request", type="http", auth="public", methods=["POST"], website=True, csrf=True
    )
    def support_request_submit(self, **kwargs):
        values = {name: (kwargs.get(name) or "").strip() for name in FORM_FIELDS}
        if kwargs.get(HONEYPOT_FIELD):
            # A robot: answer as if all went well, keep nothing.
            return request.render("miko_support_contract.support_request_thanks", {"task": None})
        uploads = [f for f in request.httprequest.files.getlist("attachments") if f.filename]
        errors = self._validate(values, uploads)
        remote_ip = request.httprequest.remote_addr
        if not errors and self._rate_limited(remote_ip):
            errors["form"] = request.env._(
                "Too many requests were sent from your address. Please wait a few minutes or "
                "write to us by e-mail."
            )
        if errors:
            return self._render_form(values, errors, status=400)
        attachments = self._read_uploads(uploads, errors)
        if errors:
            return self._render_form(values, errors, status=400)
        task = self._create_request(values, attachments, remote_ip)
        return request.render(
            "miko_support_contract.support_request_thanks",
            {
                "task": task,
                "deadline": self._local_deadline(task),
                "tz": task.company_id._miko_support_zone().key,
            },
        )

    # ------------------------------------------------------------------------------------------
    def _render_form(self, values, errors, status=200):
        return request.render(
            "miko_support_contract.support_request_form",
            {
                "values": values,
                "errors": errors,
                "honeypot_field": HONEYPOT_FIELD,
                "attachments_hint": request.env._(
                    "Up to %(files)s files, %(size)s MB in total.",
                    files=MAX_FILES,
                    size=self._max_upload_mb(),
                ),
            },
            status=status,
        )

    def _validate(self, values, uploads):
        env = request.env
        labels = {
            "organisation": env._("Organisation"),
            "contact_name": env._("Contact name"),
            "phone": env._("Contact phone"),
            "email": env._("E-mail"),
            "description": env._("Description of the problem"),
        }
        errors = {
            name: env._("%(field)s is required.", field=labels[name])
            for name in REQUIRED_FIELDS
            if not values[name]
        }
        for name in ("phone", "phone_other"):
            if values[name] and not phones.normalize_subscriber_phone(values[name]):
                errors[name] = env._(
                    "%(phone)s is not a phone number: write it as +7 495 123-45-67.",
                    phone=values[name],
                )
        if values["email"] and not single_email_re.match(values["email"]):
            errors["email"] = env._("%(email)s is not an e-mail address.", email=values["email"])
        if len(uploads) > MAX_FILES:
            errors["attachments"] = env._("Attach at most %(count)s files.", count=MAX_FILES)
        return errors

    def _max_upload_mb(self):
        param = (
            request.env["ir.config_parameter"]
            .sudo()
            .get_param("miko_support_contract.request_max_upload_mb")
        )
        return int(param) if param and param.isdigit() else DEFAULT_MAX_UPLOAD_MB

    def _read_uploads(self, uploads, errors):
        """File names and contents, refusing a total above the size limit without reading it all."""
        limit = self._max_upload_mb() * 1024 * 1024
        attachments, total = [], 0
        for upload in uploads:
            content = upload.read(limit - total + 1)
            total += len(content)
            if total > limit:
                errors["attachments"] = request.env._(
                    "Attachments may total at most %(size)s MB.", size=self._max_upload_mb()
                )
                return []
            attachments.append((upload.filename, content))
        return attachments

    def _rate_limited(self, remote_ip):
        params = request.env["ir.config_parameter"].sudo()
        limit = int(
            params.get_param("miko_support_contract.request_rate_limit", DEFAULT_RATE_LIMIT)
        )
        minutes = int(
            params.get_param("miko_support_contract.request_rate_minutes", DEFAULT_RATE_MINUTES)
        )
        return request.env["project.task"]._miko_rate_limited(remote_ip, limit, minutes)

    def _create_request(self, values, attachments, remote_ip):
        env = request.env
        number = values["registration_number"].upper()
        licence = (
            env["miko.support.licence"]
            .sudo()
            .search([("registration_number", "=", number)], limit=1)
            if number
            else env["miko.support.licence"]
        )
        company = licence.company_id or self._default_company()
        project = env["project.project"]._miko_support_project(company)
        summary = values["description"].splitlines()[0][:80]
        task = (
            env["project.task"]
            .sudo()
            .with_company(company)
            .with_context(mail_create_nosubscribe=True)
            .create(
                {
                    "name": f"{values['organisation']}: {summary}",
                    "project_id": project.id,
                    "description": plaintext2html(values["description"]),
                    "miko_organisation": values["organisation"],
                    "miko_contact_name": values["contact_name"],
                    "miko_contact_phone": values["phone"],
                    "miko_contact_phone_other": values["phone_other"],
                    "email_from": formataddr((values["contact_name"], values["email"])),
                    "miko_registration_number": number,
                    "miko_remote_ip": remote_ip,
                    "miko_arrival": fields.Datetime.now(),
                }
            )
        )
        if attachments:
            env["ir.attachment"].sudo().create(
                [
                    {
                        "name": name,
                        "raw": content,
                        "res_model": "project.task",
                        "res_id": task.id,
                    }
                    for name, content in attachments
                ]
            )
        return task

    def _default_company(self):
        """Company of requests whose number is unknown: the system parameter
        ``miko_support_contract.request_company_id``, else the public user's company."""
        param = (
            request.env["ir.config_parameter"]
            .sudo()
            .get_param("miko_support_contract.request_company_id", "")
        )
        company = request.env["res.company"].sudo().browse(int(param)) if param.isdigit() else None
        return company if company and company.exists() else request.env.company

    def _local_deadline(self, task):
        tz = task.company_id._miko_support_zone().key
        deadline = task.miko_deadline.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))
        return deadline.strftime("%d.%m.%Y %H:%M")
