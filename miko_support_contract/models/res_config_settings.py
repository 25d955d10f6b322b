from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..controllers.support_request import (
    DEFAULT_MAX_UPLOAD_MB,
    DEFAULT_RATE_LIMIT,
    DEFAULT_RATE_MINUTES,
)
from ..upd.edi.diadoc import DiadocProvider
from .project_task import DEFAULT_EMAIL_MINUTES, EMAIL_MINUTES_PARAM
from .support_capture import DEFAULT_IMPORT_MAX_MB
from .support_capture_job import (
    BATCH_ROWS_PARAM,
    DEFAULT_BATCH_ROWS,
    DEFAULT_JOB_ROWS,
    JOB_ROWS_PARAM,
)

PARAM = "miko_support_contract.%s"


class ResConfigSettings(models.TransientModel):
    """*Settings / Support Contracts*: the company's support parameters and the system parameters
    of the request form, the e-mail billing and the activity import."""

    _inherit = "res.config.settings"

    miko_support_tz = fields.Selection(
        related="company_id.miko_support_tz", readonly=False, string="Support Time Zone"
    )
    miko_director_id = fields.Many2one(
        related="company_id.miko_director_id", readonly=False, string="Director"
    )
    miko_chief_accountant_id = fields.Many2one(
        related="company_id.miko_chief_accountant_id", readonly=False, string="Chief Accountant"
    )
    miko_advance_account_id = fields.Many2one(
        related="company_id.miko_advance_account_id",
        readonly=False,
        string="Advances Received Account",
    )
    miko_revenue_account_id = fields.Many2one(
        related="company_id.miko_revenue_account_id",
        readonly=False,
        string="Support Revenue Account",
    )
    miko_prepayment_product_id = fields.Many2one(
        related="company_id.miko_prepayment_product_id",
        readonly=False,
        string="Prepaid Support Product",
    )
    miko_prepayment_journal_id = fields.Many2one(
        related="company_id.miko_prepayment_journal_id",
        readonly=False,
        string="Prepayment Invoice Journal",
    )
    miko_auto_suspend = fields.Boolean(
        related="company_id.miko_auto_suspend", readonly=False, string="Suspend Debtors"
    )
    miko_suspend_grace_days = fields.Integer(
        related="company_id.miko_suspend_grace_days", readonly=False, string="Grace Days"
    )
    miko_upd_xsd_path = fields.Char(
        related="company_id.miko_upd_xsd_path", readonly=False, string="UPD XSD Path"
    )
    miko_edi_provider = fields.Selection(
        related="company_id.miko_edi_provider", readonly=False, string="EDI Operator"
    )
    miko_diadoc_url = fields.Char(
        related="company_id.miko_diadoc_url", readonly=False, string="Diadoc API URL"
    )
    miko_diadoc_client_id = fields.Char(
        related="company_id.miko_diadoc_client_id",
        readonly=False,
        string="Diadoc API Client ID",
        groups="base.group_system",
    )
    miko_diadoc_token_url = fields.Char(
        related="company_id.miko_diadoc_token_url",
        readonly=False,
        string="Diadoc Token Endpoint",
        groups="base.group_system",
    )
    miko_diadoc_client_secret = fields.Char(
        related="company_id.miko_diadoc_client_secret",
        readonly=False,
        string="Diadoc Client Secret",
        groups="base.group_system",
    )
    miko_diadoc_refresh_token = fields.Char(
        related="company_id.miko_diadoc_refresh_token",
        readonly=False,
        string="Diadoc Refresh Token",
        groups="base.group_system",
    )
    miko_diadoc_box_id = fields.Char(
        related="company_id.miko_diadoc_box_id", readonly=False, string="Diadoc Box ID"
    )
    miko_request_rate_limit = fields.Integer(
        string="Requests per Address",
        default=DEFAULT_RATE_LIMIT,
        config_parameter=PARAM % "request_rate_limit",
        help="Requests the public form accepts from one IP address within the period below.",
    )
    miko_request_rate_minutes = fields.Integer(
        string="Rate Limit Period (Minutes)",
        default=DEFAULT_RATE_MINUTES,
        config_parameter=PARAM % "request_rate_minutes",
    )
    miko_request_max_upload_mb = fields.Integer(
        string="Request Attachments Limit (MB)",
        default=DEFAULT_MAX_UPLOAD_MB,
        config_parameter=PARAM % "request_max_upload_mb",
        help="Total size of the files attached to one request of the public form.",
    )
    miko_request_company_id = fields.Many2one(
        "res.company",
        string="Company of Unknown Requests",
        config_parameter=PARAM % "request_company_id",
        help="Company of the requests whose registration number is unknown; empty: the company "
        "of the public user.",
    )
    miko_email_minutes = fields.Integer(
        string="Minutes per E-mail",
        default=DEFAULT_EMAIL_MINUTES,
        config_parameter=EMAIL_MINUTES_PARAM,
        help="Minutes recorded for an engineer's e-mail to the customer of a request.",
    )
    miko_import_max_upload_mb = fields.Integer(
        string="Activity Import Limit (MB)",
        default=DEFAULT_IMPORT_MAX_MB,
        config_parameter=PARAM % "import_max_upload_mb",
        help="Largest PBX or TeamViewer file the activity import accepts.",
    )
    miko_import_job_rows = fields.Integer(
        string="Rows Imported in the Background",
        default=DEFAULT_JOB_ROWS,
        config_parameter=JOB_ROWS_PARAM,
        help="A file of more rows is imported by an import job, a batch at a time, with a "
        "progress bar (Support / Capture / Import Jobs); a smaller one at once.",
    )
    miko_import_job_batch_rows = fields.Integer(
        string="Rows per Import Batch",
        default=DEFAULT_BATCH_ROWS,
        config_parameter=BATCH_ROWS_PARAM,
        help="Rows an import job imports and commits at a time.",
    )

    @api.constrains(
        "miko_request_rate_limit",
        "miko_request_rate_minutes",
        "miko_request_max_upload_mb",
        "miko_email_minutes",
        "miko_import_max_upload_mb",
        "miko_import_job_rows",
        "miko_import_job_batch_rows",
    )
    def _check_miko_limits(self):
        positive = (
            "miko_request_rate_limit",
            "miko_request_rate_minutes",
            "miko_request_max_upload_mb",
            "miko_import_max_upload_mb",
            "miko_import_job_rows",
            "miko_import_job_batch_rows",
        )
        for settings in self:
            for name in (*positive, "miko_email_minutes"):
                value = settings[name]
                label = self._fields[name]._description_string(self.env)
                if name in positive and value <= 0:
                    raise ValidationError(
                        self.env._(
                            "Settings / Support Contracts: %(field)s must be above zero, not "
                            "%(value)s.",
                            field=label,
                            value=value,
                        )
                    )
                if value < 0:
                    raise ValidationError(
                        self.env._(
                            "Settings / Support Contracts: %(field)s cannot be negative "
                            "(%(value)s).",
                            field=label,
                            value=value,
                        )
                    )

    def action_miko_diadoc_test_connection(self):
        """Authenticate with the Diadoc settings of the company and find its box there."""
        self.ensure_one()
        company = self.company_id
        provider = DiadocProvider(company)
        missing = provider.missing_settings()
        if missing:
            raise UserError(
                self.env._(
                    "Diadoc of %(company)s: set %(fields)s first.",
                    company=company.display_name,
                    fields=", ".join(
                        company._fields[name]._description_string(self.env) for name in missing
                    ),
                )
            )
        try:
            organization = provider.test_connection()
        except Exception as error:
            raise UserError(
                self.env._(
                    "The connection to Diadoc of %(company)s failed: %(error)s",
                    company=company.display_name,
                    error=str(error)[:500],
                )
            ) from error
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Diadoc connection works: box %(box)s of %(organization)s.",
                    box=company.sudo().miko_diadoc_box_id,
                    organization=organization,
                ),
            },
        }
