import base64

from odoo import api, fields, models
from odoo.exceptions import UserError


class ActivityImportWizard(models.TransientModel):
    """Upload a PBX call-record file or a TeamViewer connection report."""

    _name = "miko.support.activity.import.wizard"
    _description = "Import Support Activities"

    source = fields.Selection(
        [
            ("pbx", "PBX call records (Asterisk Master.csv)"),
            ("teamviewer_csv", "TeamViewer connection report (CSV)"),
            ("teamviewer_json", "TeamViewer Web API connections (JSON)"),
        ],
        required=True,
        default="pbx",
    )
    # required in the form only: the import clears the file once read, and a required column
    # refuses that write ("Missing required value") and rolls the whole import back
    file = fields.Binary(attachment=False)
    filename = fields.Char()
    tz = fields.Selection(
        "_tz_selection",
        string="Time Zone of the File",
        default=lambda self: self.env.company.miko_support_tz or "Europe/Moscow",
        help="Times in PBX files and TeamViewer CSV exports are local times of this zone.",
    )
    state = fields.Selection([("upload", "Upload"), ("done", "Done")], default="upload")
    created_count = fields.Integer(string="Created", readonly=True)
    updated_count = fields.Integer(string="Updated", readonly=True)
    skipped_count = fields.Integer(string="Skipped", readonly=True)
    unmatched_count = fields.Integer(string="To Assign", readonly=True)
    error_text = fields.Text(string="Errors", readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        # refuse an oversized upload from its length, before it is stored or decoded
        for vals in vals_list:
            self.env["miko.support.activity"]._check_upload_size(
                len(vals.get("file") or b""), encoded=True
            )
        return super().create(vals_list)

    def _tz_selection(self):
        return self.env["res.partner"]._fields["tz"]._description_selection(self.env)

    def action_import(self):
        self.ensure_one()
        if not self.file:
            raise UserError(
                self.env._(
                    "%(wizard)s: the field «%(field)s» is empty; choose the file to import.",
                    wizard=self.env["ir.model"]._get(self._name).name,
                    field=self._fields["file"].get_description(self.env)["string"],
                )
            )
        Activity = self.env["miko.support.activity"]
        Activity._check_upload_size(len(self.file or b""), encoded=True)
        data = base64.b64decode(self.file or b"")
        if self.source == "pbx":
            result = Activity.import_pbx_cdr(data, pbx_tz=self.tz)
        else:
            file_format = "json" if self.source == "teamviewer_json" else "csv"
            result = Activity.import_teamviewer_report(data, file_format=file_format, tz=self.tz)
        lines = []
        for error in result["errors"]:
            if error["line"]:
                lines.append(
                    self.env._(
                        "Line %(line)s: %(message)s", line=error["line"], message=error["message"]
                    )
                )
            else:
                lines.append(error["message"])
        self.write(
            {
                "state": "done",
                "file": False,
                "created_count": result["created"],
                "updated_count": result["updated"],
                "skipped_count": result["skipped"],
                "unmatched_count": result["unmatched"],
                "error_text": "\n".join(lines),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_view_unmatched(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "miko_support_contract.miko_support_activity_unmatched_action"
        )
