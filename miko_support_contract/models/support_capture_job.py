"""Import jobs: a large capture upload imported by a cron, a batch at a time."""

import collections
import datetime
import re

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..rules import RuleError, capture_batches, pbx_cdr, teamviewer
from ..rules.source_files import decode_text
from .cron_progress import commit_cron_progress

DEFAULT_JOB_ROWS = 5000
DEFAULT_BATCH_ROWS = 1000
JOB_ROWS_PARAM = "miko_support_contract.import_job_rows"
BATCH_ROWS_PARAM = "miko_support_contract.import_job_batch_rows"
FILE_KINDS = [
    ("pbx", "PBX call records (Asterisk Master.csv)"),
    ("teamviewer_csv", "TeamViewer connection report (CSV)"),
    ("teamviewer_json", "TeamViewer Web API connections (JSON)"),
    ("mikopbx_sqlite", "MikoPBX call records (cdr.db)"),
]
_OFFSET_LABEL = re.compile(r"^UTC(?P<sign>[+-])(?P<hours>\d{2}):(?P<minutes>\d{2})$")


def _zone(name):
    """A zone name, or the ``tzinfo`` of a detected offset label (``UTC+03:00``)."""
    match = _OFFSET_LABEL.match(name or "")
    if not match:
        return name or None
    offset = datetime.timedelta(hours=int(match["hours"]), minutes=int(match["minutes"]))
    return datetime.timezone(-offset if match["sign"] == "-" else offset)


class SupportCaptureJob(models.Model):
    """A capture file too large to import inside the upload's request.

    The upload wizard stores the file as an attachment of a job and triggers the cron, which
    imports it a batch of rows at a time through the same import methods as a small upload
    (``import_pbx_cdr``, ``import_teamviewer_report``, a capture source's upload) and commits
    after each batch with the counts so far, so the job's progress shows while it runs. A batch
    either lands whole with its counts or not at all: after a crash or a failed batch the job
    resumes at the first batch not committed (and the imports are idempotent by source
    reference anyway). When the job ends, its summary goes to the source's chatter and the
    uploader is notified.
    """

    _name = "miko.support.capture.job"
    _description = "Capture Import Job"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="File", required=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    user_id = fields.Many2one(
        "res.users",
        string="Uploaded By",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.user,
    )
    capture_source_id = fields.Many2one(
        "miko.support.capture.source",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        check_company=True,
    )
    file_kind = fields.Selection(FILE_KINDS, string="File Type", required=True, readonly=True)
    tz = fields.Char(string="Time Zone of the File", readonly=True)
    attachment_id = fields.Many2one("ir.attachment", readonly=True, ondelete="set null")
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        string="Status",
        default="queued",
        required=True,
        readonly=True,
        tracking=True,
    )
    rows_total = fields.Integer(string="Rows", readonly=True)
    rows_done = fields.Integer(string="Rows Imported", readonly=True)
    progress = fields.Float(compute="_compute_progress", store=True, aggregator=False)
    created_count = fields.Integer(string="Created", readonly=True)
    updated_count = fields.Integer(string="Updated", readonly=True)
    skipped_count = fields.Integer(string="Skipped", readonly=True)
    unmatched_count = fields.Integer(string="To Assign", readonly=True)
    refused_count = fields.Integer(string="Refused Rows", readonly=True)
    error_text = fields.Text(string="Errors", readonly=True)
    skip_reasons = fields.Json(string="Skip Reason Counts", readonly=True)
    skip_reasons_text = fields.Text(string="Skipped Because", compute="_compute_skip_reasons_text")
    detected_text = fields.Char(string="Read As", readonly=True)
    failure = fields.Text(string="Stopped By", readonly=True)
    date_done = fields.Datetime(string="Finished", readonly=True)
    # how far the job got: units (records, calls) imported, the file's leading records repeated
    # in every batch (header), the zone every batch of a PBX file is read in
    unit_cursor = fields.Integer(string="Units Imported", readonly=True)
    head_records = fields.Integer(string="Header Records", readonly=True)
    pbx_tz = fields.Char(string="PBX Time Zone", readonly=True)
    prepared = fields.Boolean(readonly=True)

    _check_rows = models.Constraint(
        "CHECK(rows_done >= 0 AND rows_done <= rows_total)",
        "The imported rows of a job are between 0 and its rows.",
    )

    @api.depends("rows_done", "rows_total", "state")
    def _compute_progress(self):
        for job in self:
            if job.state == "done":
                job.progress = 100.0
            else:
                job.progress = 100.0 * job.rows_done / job.rows_total if job.rows_total else 0.0

    @api.depends("skip_reasons")
    def _compute_skip_reasons_text(self):
        for job in self:
            reasons = sorted((job.skip_reasons or {}).items(), key=lambda item: -item[1])
            job.skip_reasons_text = "\n".join(f"{n} × {reason}" for reason, n in reasons if n)

    # ------------------------------------------------------------------------------------------
    def action_refresh(self):
        """The form re-reads the job (the progress of a running job)."""
        return True

    def action_retry(self):
        """Queue a failed job again: it resumes at its first batch not imported."""
        for job in self:
            if job.state != "failed":
                raise UserError(
                    self.env._(
                        'Import job "%(job)s": only a failed job is run again (it is %(state)s).',
                        job=job.name,
                        state=dict(job._fields["state"]._description_selection(self.env))[
                            job.state
                        ],
                    )
                )
        self.write({"state": "queued", "failure": False})
        self._trigger_cron()
        return True

    def action_view_unmatched(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "miko_support_contract.miko_support_activity_unmatched_action"
        )

    # ------------------------------------------------------------------------------------------
    @api.model
    def _job_rows(self):
        """Uploads of more rows than this become jobs (system parameter
        ``miko_support_contract.import_job_rows``, 5,000 by default)."""
        return self._int_param(JOB_ROWS_PARAM, DEFAULT_JOB_ROWS)

    @api.model
    def _batch_rows(self):
        """Rows imported per batch (``miko_support_contract.import_job_batch_rows``, 1,000)."""
        return max(self._int_param(BATCH_ROWS_PARAM, DEFAULT_BATCH_ROWS), 1)

    @api.model
    def _int_param(self, key, default):
        value = self.env["ir.config_parameter"].sudo().get_param(key, default)
        try:
            return int(value)
        except ValueError:
            return default

    @api.model
    def _count_rows(self, data, file_kind, capture_source=None):
        """Rows of an upload, counted without importing it (header included)."""
        if file_kind == "mikopbx_sqlite":
            return len(capture_source._read_cdr_db(data))
        if file_kind == "teamviewer_json":
            try:
                return len(teamviewer._json_records(data, len(data) + 1))
            except RuleError:
                return 0  # imported at once, which reports what is wrong with it
        records = capture_batches.csv_records(data)
        return len(records) if records is not None else 0

    @api.model
    def _create_for_upload(self, data, filename, file_kind, rows, *, tz=None, capture_source=None):
        """Store an upload of ``rows`` rows as a queued job and trigger the cron."""
        company = capture_source.company_id if capture_source else self.env.company
        job = self.create(
            {
                "name": filename or self.env._("Capture file"),
                "file_kind": file_kind,
                "tz": tz or False,
                "capture_source_id": capture_source.id if capture_source else False,
                "company_id": company.id,
                "rows_total": rows,
            }
        )
        job.attachment_id = self.env["ir.attachment"].create(
            {
                "name": job.name,
                "raw": data,
                "res_model": self._name,
                "res_id": job.id,
            }
        )
        job._trigger_cron()
        return job

    def _trigger_cron(self):
        self.env.ref("miko_support_contract.miko_support_capture_job_cron").sudo()._trigger()

    # ------------------------------------------------------------------------------------------
    def _file_data(self):
        self.ensure_one()
        if not self.attachment_id:
            raise UserError(self.env._('Import job "%(job)s": its file is gone.', job=self.name))
        return self.attachment_id.raw

    def _import_payload(self, payload, pbx_tz=None):
        """Import one batch (bytes of the file's format) the way a small upload is imported."""
        self.ensure_one()
        if self.capture_source_id:
            return self.capture_source_id._import_file(payload, pbx_tz=pbx_tz)
        Activity = self.env["miko.support.activity"]
        if self.file_kind == "pbx":
            return Activity.import_pbx_cdr(payload, pbx_tz=pbx_tz or self.tz or None)
        file_format = "json" if self.file_kind == "teamviewer_json" else "csv"
        return Activity.import_teamviewer_report(payload, file_format=file_format, tz=self.tz)

    def _skip_reason_counts(self, parsed):
        return collections.Counter(str(self.env._(message)) for _line, message in parsed.skipped)

    def _prepare_pbx(self, data, records):
        """Read the whole PBX file once: its zone (detected once for every batch), its layouts
        and whether its first line is a header repeated in every batch."""
        source = self.capture_source_id
        given = self.tz or (source.tz if source else None)
        default_tz = self.company_id._miko_support_zone().key
        try:
            parsed = pbx_cdr.parse_master_csv(
                data, None, given or None, len(data) + 1, default_tz=default_tz
            )
        except RuleError:
            return {"prepared": True}  # the first batch reports what is wrong with the file
        head = 1 if records and "header" in parsed.detected.get("layouts", {}) else 0
        return {
            "prepared": True,
            "head_records": head,
            "pbx_tz": parsed.detected.get("tz") or default_tz,
            "rows_total": len(records) - head,
            "detected_text": self._detected_text(parsed.detected),
        }

    def _prepare(self, data, records):
        self.ensure_one()
        vals = {"prepared": True}
        if records is not None and self._is_pbx():
            vals = self._prepare_pbx(data, records)
        elif records is not None and self._kind() == "teamviewer_csv":
            try:
                _delimiter, header_line, _columns = teamviewer._find_header(decode_text(data))
            except RuleError:
                header_line = 0
            vals["head_records"] = capture_batches.header_count(records, header_line)
            vals["rows_total"] = len(records) - vals["head_records"]
        self.write(vals)

    def _kind(self):
        source = self.capture_source_id
        return source.kind if source else self.file_kind

    def _is_pbx(self):
        return self._kind() in ("pbx", "asterisk_csv", "freepbx_csv")

    def _plan(self):
        """``(weights, run)``: rows of each unit still in the file order, and ``run(start,
        end)`` importing units ``start:end`` and returning the result, lines as in the file."""
        self.ensure_one()
        data = self._file_data()
        kind = self._kind()
        if kind == "mikopbx_sqlite":
            calls = capture_batches.cdr_calls(self.capture_source_id._read_cdr_db(data))

            def run_calls(start, end):
                rows = [row for call in calls[start:end] for row in call]
                return self.capture_source_id._import_cdr_rows(rows)

            return [len(call) for call in calls], run_calls
        if kind == "teamviewer_json":
            try:
                items = teamviewer._json_records(data, len(data) + 1)
            except RuleError:
                items = None
            if items is not None:

                def run_json(start, end):
                    result = self._import_payload(capture_batches.json_batch(items, start, end))
                    for error in result["errors"]:
                        error["line"] = error["line"] and error["line"] + start
                    return result

                return [1] * len(items), run_json
        records = capture_batches.csv_records(data) if kind != "teamviewer_json" else None
        if records is None:  # a file that is not cut: one batch
            return [max(self.rows_total, 1)], lambda start, end: self._import_payload(data)
        if not self.prepared:
            self._prepare(data, records)
        head = self.head_records
        head_lines = len(b"".join(payload for _n, payload in records[:head]).splitlines())
        pbx_tz = _zone(self.pbx_tz) if self._is_pbx() else None
        head_skips = collections.Counter()
        if head and self._is_pbx():
            head_skips = self._skip_reason_counts(
                pbx_cdr.parse_master_csv(records[0][1], None, pbx_tz or "UTC")
            )

        def run_csv(start, end):
            payload, shift = capture_batches.csv_batch(records, head, head + start, head + end)
            result = self._import_payload(payload, pbx_tz=pbx_tz)
            for error in result["errors"]:
                error["line"] = capture_batches.shift_line(error["line"], head_lines, shift)
            if start:  # the repeated header was counted by the first batch
                result["skipped"] -= sum(head_skips.values())
                reasons = collections.Counter(result.get("skip_reasons") or {})
                reasons.subtract(head_skips)
                result["skip_reasons"] = dict(reasons)
            return result

        return [1] * (len(records) - head), run_csv

    def _add_result(self, result, units_done, rows_done):
        """Add a batch's result to the job's counts (in the batch's transaction)."""
        self.ensure_one()
        lines = [
            self.env._("Line %(line)s: %(message)s", line=error["line"], message=error["message"])
            if error["line"]
            else str(error["message"])
            for error in result["errors"]
        ]
        reasons = collections.Counter(self.skip_reasons or {})
        reasons.update(result.get("skip_reasons") or {})
        vals = {
            "unit_cursor": units_done,
            "rows_done": rows_done,
            "rows_total": max(self.rows_total, rows_done),
            "created_count": self.created_count + result["created"],
            "updated_count": self.updated_count + result["updated"],
            "skipped_count": self.skipped_count + result["skipped"],
            "unmatched_count": self.unmatched_count + result["unmatched"],
            "refused_count": self.refused_count + len(lines),
            "skip_reasons": {reason: n for reason, n in reasons.items() if n},
        }
        if lines:
            vals["error_text"] = "\n".join(filter(None, [self.error_text, *lines]))
        if not self.detected_text and result.get("detected"):
            vals["detected_text"] = self._detected_text(result["detected"])
        self.write(vals)

    def _run(self, max_batches=None):
        """Import the job's next batches, committing after each one in a cron run.

        ``max_batches``: stop after that many (tests follow the progress batch by batch).
        Returns whether the job is finished (done or failed).
        """
        self.ensure_one()
        if self.state in ("done", "failed"):
            return True
        if self.state == "queued":
            self.state = "running"
            commit_cron_progress(self.env, 0)
        try:
            weights, run = self._plan()
        except (RuleError, UserError) as error:
            return self._fail(error)
        batch_rows = self._batch_rows()
        batches = 0
        while self.unit_cursor < len(weights):
            start = self.unit_cursor
            end = capture_batches.batch_end(weights, start, batch_rows)
            rows_done = self.rows_done + sum(weights[start:end])
            try:
                with self.env.cr.savepoint():
                    self._add_result(run(start, end), end, rows_done)
            except Exception as error:  # the batch is rolled back; earlier ones stay
                self.env.invalidate_all()
                return self._fail(error)
            batches += 1
            if (
                commit_cron_progress(self.env, sum(weights[start:end])) <= 0
                or batches == max_batches
            ):
                return self.unit_cursor >= len(weights) and self._finish()
        return self._finish()

    def _fail(self, error):
        if isinstance(error, RuleError):
            message = str(self.env._(error.message))
        elif isinstance(error, UserError):
            message = error.args[0]
        else:
            message = f"{type(error).__name__}: {error}"
        self.write({"state": "failed", "failure": message})
        body = self.env._(
            "Import of %(file)s stopped after %(done)s of %(total)s rows: %(error)s",
            file=self.name,
            done=self.rows_done,
            total=self.rows_total,
            error=message,
        )
        self._notify(body, "danger")
        commit_cron_progress(self.env, 0)
        return True

    def _finish(self):
        self.write({"state": "done", "date_done": fields.Datetime.now()})
        summary = self.env._(
            "Import of %(file)s finished: %(rows)s rows, created %(created)s, updated "
            "%(updated)s, skipped %(skipped)s, to assign %(unmatched)s, refused %(refused)s.",
            file=self.name,
            rows=self.rows_done,
            created=self.created_count,
            updated=self.updated_count,
            skipped=self.skipped_count,
            unmatched=self.unmatched_count,
            refused=self.refused_count,
        )
        if self.capture_source_id:
            errors = (
                []
                if not self.error_text
                else [{"line": None, "message": line} for line in self.error_text.split("\n")]
            )
            self.capture_source_id._record_run(
                {
                    "created": self.created_count,
                    "updated": self.updated_count,
                    "skipped": self.skipped_count,
                    "unmatched": self.unmatched_count,
                    "refused": self.refused_count,
                    "errors": errors,
                },
                self.capture_source_id.last_cursor,
            )
        self._notify(summary, "success")
        commit_cron_progress(self.env, 0)
        return True

    def _notify(self, body, kind):
        """Post ``body`` on the job (the uploader gets it in the inbox) and show it at once."""
        self.message_post(
            body=body,
            author_id=self.env.ref("base.partner_root").id,
            partner_ids=self.user_id.partner_id.ids,
            notify_author_mention=True,  # the job runs as the uploader, who is to be told
            message_type="notification",
            subtype_xmlid="mail.mt_note",
        )
        self.user_id._bus_send(
            "simple_notification", {"type": kind, "message": body, "sticky": kind == "danger"}
        )

    @api.model
    def _detected_text(self, detected):
        """What the import read the file as: its zone (detected or given) and layouts."""
        if not detected.get("tz"):
            return False
        layouts = ", ".join(sorted(detected.get("layouts") or {})) or "-"
        if detected.get("tz_detected"):
            return self.env._(
                "Time zone %(tz)s detected from the call identifiers; layout %(layouts)s.",
                tz=detected["tz"],
                layouts=layouts,
            )
        return self.env._(
            "Time zone %(tz)s; layout %(layouts)s.", tz=detected["tz"], layouts=layouts
        )

    @api.model
    def _cron_run_jobs(self):
        """Run the queued jobs, and the running ones a crash left (the cron's lock keeps two runs
        from taking the same job), each as its uploader, in its company and their language."""
        jobs = self.search([("state", "in", ("queued", "running"))], order="id")
        if self.env.context.get("ir_cron_progress_id"):
            self.env["ir.cron"]._commit_progress(
                remaining=sum(max(job.rows_total - job.rows_done, 0) for job in jobs)
            )
        for job in jobs:
            job_as_uploader = (
                job.with_user(job.user_id)
                .with_company(job.company_id)
                .with_context(lang=job.user_id.lang)  # the summary in the uploader's language
            )
            job_as_uploader._run()
            if job_as_uploader.state == "running":  # out of time: the cron runs again at once
                job_as_uploader._trigger_cron()
                break
