"""Capture sources: a PBX or a TeamViewer account activities are pulled from or uploaded for."""

import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..capture import mikopbx, teamviewer_api
from ..rules import RuleError, mikopbx_cdr, teamviewer

API_KINDS = ("mikopbx_api", "teamviewer_api")
TEAMVIEWER_FIRST_PULL_DAYS = 31


class SupportCaptureSource(models.Model):
    """A PBX or TeamViewer account: how to reach it and how to read what it writes.

    API sources are pulled by a cron, incrementally from ``last_cursor`` (MikoPBX: the last
    ``cdr_general`` id; TeamViewer: the end of the last period pulled) and idempotently (every
    activity keeps its source reference, so a re-pull creates nothing). Sources without an API
    are fed by uploads.
    """

    _name = "miko.support.capture.source"
    _description = "Activity Capture Source"
    _inherit = ["mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    kind = fields.Selection(
        [
            ("mikopbx_api", "MikoPBX (REST API v3)"),
            ("mikopbx_sqlite", "MikoPBX (cdr.db upload)"),
            ("asterisk_csv", "Asterisk (Master.csv upload)"),
            ("freepbx_csv", "FreePBX (CDR report export)"),
            ("teamviewer_api", "TeamViewer (Web API)"),
            ("teamviewer_csv", "TeamViewer (CSV export upload)"),
        ],
        required=True,
        default="mikopbx_api",
    )
    url = fields.Char(string="URL", help="MikoPBX: https://pbx.example.ru; TeamViewer: empty.")
    api_key = fields.Char(
        string="API Key / Token",
        groups="miko_support_contract.group_manager",
        copy=False,
        help="MikoPBX REST API key (Bearer) or TeamViewer script token (Reporting: read).",
    )
    tz = fields.Selection(
        "_tz_selection",
        string="Time Zone",
        help="Zone the source writes its times in. Empty: asked from MikoPBX, detected from "
        "Asterisk uniqueids, else the company's support time zone.",
    )
    city_code = fields.Char(help="Completes 5-7 digit local numbers, e.g. 495 or 3012.")
    extension_length = fields.Integer(default=3, help="Length of internal extensions.")
    last_cursor = fields.Char(readonly=True, copy=False)
    last_run = fields.Datetime(readonly=True, copy=False)
    last_result = fields.Text(readonly=True, copy=False)
    job_ids = fields.One2many(
        "miko.support.capture.job", "capture_source_id", string="Import Jobs", readonly=True
    )

    _check_extension_length = models.Constraint(
        "CHECK(extension_length >= 0 AND extension_length <= 7)",
        "The extension length is between 0 and 7 digits.",
    )

    def _tz_selection(self):
        return self.env["res.partner"]._fields["tz"]._description_selection(self.env)

    @api.constrains("city_code")
    def _check_city_code(self):
        for source in self:
            code = (source.city_code or "").strip()
            if code and not (code.isdigit() and 3 <= len(code) <= 5):
                raise UserError(
                    self.env._(
                        'Capture source "%(name)s": the city code "%(code)s" must be 3 to 5 '
                        "digits.",
                        name=source.name,
                        code=code,
                    )
                )

    # ------------------------------------------------------------------------------------------
    def _secret(self):
        self.ensure_one()
        return self.sudo().api_key or ""

    def _check_api(self):
        self.ensure_one()
        if self.kind not in API_KINDS:
            raise UserError(
                self.env._(
                    'Capture source "%(name)s" has no API: upload its files instead.',
                    name=self.name,
                )
            )
        if self.kind == "mikopbx_api" and not self.url:
            raise UserError(
                self.env._('Capture source "%(name)s": the field URL is required.', name=self.name)
            )
        if not self._secret():
            raise UserError(
                self.env._(
                    'Capture source "%(name)s": the field API Key / Token is required.',
                    name=self.name,
                )
            )

    def action_test_connection(self):
        self.ensure_one()
        self._check_api()
        try:
            if self.kind == "mikopbx_api":
                zone = mikopbx.MikoPbxClient(self.url, self._secret()).time_zone()
                message = self.env._(
                    "Connected to MikoPBX, its time zone is %(tz)s.", tz=zone or "-"
                )
            elif teamviewer_api.TeamViewerClient(self.url, self._secret()).ping():
                message = self.env._("Connected to TeamViewer, the token is valid.")
            else:
                raise UserError(self.env._("TeamViewer refused the token."))
        except RuleError as error:
            raise UserError(self.env._(error.message)) from error
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": "success", "sticky": False},
        }

    def action_pull(self):
        for source in self:
            source._check_api()
            source._pull()
        return True

    # ------------------------------------------------------------------------------------------
    def _engineers_by_extension(self):
        users = (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("miko_pbx_extension", "!=", False),
                    ("share", "=", False),
                    ("company_ids", "in", self.company_id.ids),
                ]
            )
        )
        return {user.miko_pbx_extension.strip(): user for user in users}

    def _import_pbx(self, parsed):
        Capture = self.env["miko.support.capture"]
        extensions = self._engineers_by_extension()
        return Capture._import_parsed(
            parsed,
            self.company_id,
            lambda ref: extensions.get((ref or "").strip()),
            Capture._contract_by_phone,
        )

    def _parse_mikopbx(self, rows, tz):
        extensions = self._engineers_by_extension()
        try:
            return mikopbx_cdr.parse_cdr_rows(
                rows,
                set(extensions),
                tz,
                city_code=self.city_code,
                extension_length=self.extension_length or None,
            )
        except RuleError as error:
            raise UserError(self.env._(error.message)) from error

    def _pull(self):
        """Pull what is new since ``last_cursor``; record and post the summary."""
        self.ensure_one()
        try:
            if self.kind == "mikopbx_api":
                totals, cursor = self._pull_mikopbx()
            else:
                totals, cursor = self._pull_teamviewer()
        except (RuleError, UserError) as error:
            message = self.env._(error.message) if isinstance(error, RuleError) else error.args[0]
            self.write({"last_run": fields.Datetime.now(), "last_result": message})
            self.message_post(body=message)
            return False
        self._record_run(totals, cursor)
        return True

    def _record_run(self, totals, cursor):
        summary = self.env._(
            "Created %(created)s, updated %(updated)s, skipped %(skipped)s, to assign "
            "%(unmatched)s, errors %(errors)s.",
            **{key: totals.get(key, 0) for key in ("created", "updated", "skipped", "unmatched")},
            errors=totals.get("refused", len(totals.get("errors", []))),
        )
        details = "\n".join(
            (f"{e['line']}: " if e.get("line") else "") + str(e["message"])
            for e in totals.get("errors", [])[:20]
        )
        self.write(
            {
                "last_run": fields.Datetime.now(),
                "last_cursor": cursor,
                "last_result": "\n".join(filter(None, [summary, details])),
            }
        )
        self.message_post(body=summary)

    @staticmethod
    def _add(totals, result):
        for key in ("created", "updated", "skipped", "unmatched"):
            totals[key] = totals.get(key, 0) + result[key]
        totals.setdefault("errors", []).extend(result["errors"])

    def _pull_mikopbx(self):
        client = mikopbx.MikoPbxClient(self.url, self._secret())
        tz = self.tz or client.time_zone() or self.company_id._miko_support_zone().key
        cursor = int(self.last_cursor or 0)
        totals = {}
        while True:
            rows = client.cdr_page(cursor)
            if not rows:
                break
            self._add(totals, self._import_pbx(self._parse_mikopbx(rows, tz)))
            cursor = max(int(row.get("id") or 0) for row in rows)
            if len(rows) < mikopbx.PAGE_LIMIT:
                break
        return totals, str(cursor)

    def _pull_teamviewer(self):
        client = teamviewer_api.TeamViewerClient(self.url, self._secret())
        now = fields.Datetime.now().replace(microsecond=0)
        # a connection still open at the last pull was skipped then: pulls overlap by a day
        # (what was already imported is skipped by its connection id)
        since = (
            fields.Datetime.to_datetime(self.last_cursor) - datetime.timedelta(days=1)
            if self.last_cursor
            else now - datetime.timedelta(days=TEAMVIEWER_FIRST_PULL_DAYS)
        )
        records = client.connections(since, now)
        Capture = self.env["miko.support.capture"]
        parsed = teamviewer.parse_connections_json({"records": records})
        result = Capture._import_parsed(
            parsed,
            self.company_id,
            Capture._engineer_by_teamviewer_ref,
            Capture._contract_by_device,
        )
        totals = {}
        self._add(totals, result)
        return totals, fields.Datetime.to_string(now)

    def import_file(self, data):
        """Import an uploaded file of this source (bytes); returns the import result."""
        self.ensure_one()
        result = self._import_file(data)
        self._record_run(result, self.last_cursor)
        return result

    def _import_file(self, data, pbx_tz=None):
        """Import ``data`` without recording the run (an import job records it once, at the end).

        ``pbx_tz`` (a zone name or ``tzinfo``) overrides the source's zone for a PBX file: a job
        detects the zone once on the whole file and imports every batch in it.
        """
        self.ensure_one()
        Activity = self.env["miko.support.activity"]
        if self.kind == "mikopbx_sqlite":
            return self._import_cdr_rows(self._read_cdr_db(data))
        if self.kind in ("asterisk_csv", "freepbx_csv"):
            return Activity.with_context(
                miko_city_code=self.city_code, miko_extension_length=self.extension_length or None
            ).import_pbx_cdr(data, pbx_tz=pbx_tz or self.tz or None)
        if self.kind == "teamviewer_csv":
            return Activity.import_teamviewer_report(data, tz=self.tz or None)
        raise UserError(
            self.env._(
                'Capture source "%(name)s" is pulled through its API, not uploaded.',
                name=self.name,
            )
        )

    def _read_cdr_db(self, data):
        """The ``cdr_general`` rows of an uploaded MikoPBX ``cdr.db``."""
        try:
            return mikopbx.read_cdr_db(data)
        except RuleError as error:
            raise UserError(self.env._(error.message)) from error

    def _import_cdr_rows(self, rows):
        """Import MikoPBX ``cdr_general`` rows read from an uploaded ``cdr.db``."""
        self.ensure_one()
        tz = self.tz or self.company_id._miko_support_zone().key
        return self._import_pbx(self._parse_mikopbx(rows, tz))

    @api.model
    def _cron_pull_sources(self):
        sources = self.search([("kind", "in", API_KINDS), ("active", "=", True)])
        for source in sources:
            source._pull()
            if self.env.context.get("ir_cron_progress_id"):  # one source per transaction
                self.env["ir.cron"]._commit_progress(1)
