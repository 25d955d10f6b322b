import base64

from odoo import api, fields, models
from odoo.exceptions import UserError

UPLOAD_KINDS = ("mikopbx_sqlite", "asterisk_csv", "freepbx_csv", "teamviewer_csv")


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
    capture_source_id = fields.Many2one(
        "miko.support.capture.source",
        domain=[("kind", "in", UPLOAD_KINDS)],
        help="The PBX or TeamViewer account the file comes from: its kind, time zone, city code "
        "and extension length are used, and the summary is posted on it.",
    )
    # required in the form only: the import clears the file once read, and a required column
    # refuses that write ("Missing required value") and rolls the whole import back
    file = fields.Binary(attachment=False)
    filename = fields.Char()
    tz = fields.Selection(
        "_tz_selection",
        string="Time Zone of the File",
        help="Times in PBX files and TeamViewer CSV exports are local times of this zone. Empty: "
        "for a PBX file, detected from the call identifiers (Asterisk uniqueids hold the UTC "
        "moment); otherwise the company's support time zone.",
    )
    state = fields.Selection(
        [("upload", "Upload"), ("preview", "Preview"), ("queued", "Queued"), ("done", "Done")],
        default="upload",
    )
    job_id = fields.Many2one(
        "miko.support.capture.job",
        string="Import Job",
        readonly=True,
        help="A file of more rows than the setting «Rows Imported in the Background» is imported "
        "by this job, a batch at a time.",
    )
    job_state = fields.Selection(related="job_id.state", string="Job Status")
    job_progress = fields.Float(related="job_id.progress", string="Progress")
    skip_reasons_text = fields.Text(string="Skipped Because", readonly=True)
    created_count = fields.Integer(string="Created", readonly=True)
    updated_count = fields.Integer(string="Updated", readonly=True)
    skipped_count = fields.Integer(string="Skipped", readonly=True)
    unmatched_count = fields.Integer(string="To Assign", readonly=True)
    error_text = fields.Text(string="Errors", readonly=True)
    detected_text = fields.Char(string="Read As", readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        # refuse an oversized upload from its length, before it is stored or decoded
        for vals in vals_list:
            self.env["miko.support.capture"]._check_upload_size(
                len(vals.get("file") or b""), encoded=True
            )
        return super().create(vals_list)

    def _tz_selection(self):
        return self.env["res.partner"]._fields["tz"]._description_selection(self.env)

    def _file_data(self):
        if not self.file:
            raise UserError(
                self.env._(
                    "%(wizard)s: the field «%(field)s» is empty; choose the file to import.",
                    wizard=self.env["ir.model"]._get(self._name).name,
                    field=self._fields["file"].get_description(self.env)["string"],
                )
            )
        self.env["miko.support.capture"]._check_upload_size(len(self.file or b""), encoded=True)
        return base64.b64decode(self.file or b"")

    def _file_kind(self):
        """The job's file type of the upload."""
        kind = self.capture_source_id.kind
        if kind in ("mikopbx_sqlite", "teamviewer_csv"):
            return kind
        return "pbx" if kind else self.source

    def _run_import(self):
        data = self._file_data()
        Activity = self.env["miko.support.activity"]
        if self.capture_source_id:
            return self.capture_source_id.import_file(data)
        if self.source == "pbx":
            return Activity.import_pbx_cdr(data, pbx_tz=self.tz or None)
        file_format = "json" if self.source == "teamviewer_json" else "csv"
        return Activity.import_teamviewer_report(data, file_format=file_format, tz=self.tz)

    def _result_values(self, result):
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
        reasons = sorted((result.get("skip_reasons") or {}).items(), key=lambda item: -item[1])
        return {
            "created_count": result["created"],
            "updated_count": result["updated"],
            "skipped_count": result["skipped"],
            "unmatched_count": result["unmatched"],
            "error_text": "\n".join(lines),
            "detected_text": self._detected_text(result.get("detected") or {}),
            "skip_reasons_text": "\n".join(f"{count} × {reason}" for reason, count in reasons),
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_preview(self):
        """Import inside a savepoint rolled back: the exact counts, nothing written."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                result = self._run_import()
                self.env.flush_all()
                raise _PreviewDone(result)
        except _PreviewDone as done:
            result = done.result
        self.env.invalidate_all()
        self.write({"state": "preview", **self._result_values(result)})
        return self._reopen()

    def action_import(self):
        """Import the file now, or, above the rows setting, queue it as an import job."""
        self.ensure_one()
        job = self._queue_job()
        if job:
            self.write({"state": "queued", "job_id": job.id, "file": False})
            return self._reopen()
        result = self._run_import()
        self.write({"state": "done", "file": False, **self._result_values(result)})
        return self._reopen()

    def _queue_job(self):
        """An import job for a file of more rows than the setting, else nothing."""
        data = self._file_data()
        Job = self.env["miko.support.capture.job"]
        file_kind = self._file_kind()
        rows = Job._count_rows(data, file_kind, self.capture_source_id)
        if rows <= Job._job_rows():
            return Job
        return Job._create_for_upload(
            data,
            self.filename,
            file_kind,
            rows,
            tz=self.tz if not self.capture_source_id else None,
            capture_source=self.capture_source_id,
        )

    def action_refresh(self):
        """Show the job's progress so far."""
        return self._reopen()

    def action_view_job(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "miko.support.capture.job",
            "res_id": self.job_id.id,
            "view_mode": "form",
        }

    def _detected_text(self, detected):
        return self.env["miko.support.capture.job"]._detected_text(detected)

    def action_view_unmatched(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "miko_support_contract.miko_support_activity_unmatched_action"
        )


class _PreviewDone(Exception):  # a control-flow signal carrying the result, not an error
    def __init__(self, result):
        super().__init__()
        self.result = result
