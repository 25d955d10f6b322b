"""Capture of activities from files and feeds: the PBX call records (Asterisk ``Master.csv``,
CDR exports) and the TeamViewer connection reports, uploaded, fetched by a capture source or sent
to the API methods ``import_pbx_cdr`` / ``import_teamviewer_report``.

``miko.support.capture`` is a service (no table): :meth:`SupportCapture._import_parsed` is its
one entry point, where every parsed feed lands, is matched to engineers and contracts (the rest
goes to *Activities to Assign*) and is registered through ``register_activities``; the upload
wizard checks a file's size with :meth:`SupportCapture._check_upload_size` before decoding it.
"""

import base64
import binascii
import collections
from datetime import UTC

from odoo import api, models
from odoo.exceptions import UserError

from ..rules import RuleError, pbx_cdr, phones, teamviewer

OPEN_CONTRACT_STATES = ("draft", "active", "suspended", "terminating")
DEFAULT_IMPORT_MAX_MB = 20


class SupportCapture(models.AbstractModel):
    _name = "miko.support.capture"
    _description = "Support Activity Capture"

    @api.model
    def _import_pbx_cdr(self, data, pbx_tz=None):
        """Import an Asterisk ``Master.csv`` (bytes, text or base64 text) of the PBX.

        ``pbx_tz``: the zone the PBX writes its times in; ``None`` detects it from the uniqueids
        (the company's support zone when nothing tells); ``detected`` in the result says which
        zone and layouts were used.

        Answered calls of an engineer's extension with a customer's number become activities
        (begin = answer, end = hang-up); unknown extensions or numbers go to the unmatched queue.
        Idempotent: a re-import creates nothing new. Returns the counts, the unmatched count and
        the errors with their line numbers.
        """
        company = self.env.company
        default_tz = company._miko_support_zone().key
        users = (
            self.env["res.users"]
            .sudo()
            .search([("miko_pbx_extension", "!=", False), ("share", "=", False)])
        )
        extensions = {user.miko_pbx_extension.strip(): user for user in users}
        parsed = self._parse_source(
            lambda payload: pbx_cdr.parse_master_csv(
                payload,
                set(extensions),
                pbx_tz,
                default_tz=default_tz,
                # set by a capture source's upload (``miko.support.capture.source.import_file``)
                city_code=self.env.context.get("miko_city_code"),
                extension_length=self.env.context.get("miko_extension_length"),
            ),
            data,
        )
        return self._import_parsed(
            parsed,
            company,
            lambda ref: extensions.get((ref or "").strip()),
            self._contract_by_phone,
        )

    @api.model
    def _import_teamviewer_report(self, data, file_format="csv", tz=None):
        """Import a TeamViewer connection report: CSV export or Web API JSON (connections)."""
        company = self.env.company
        tz_name = tz or company._miko_support_zone().key
        if file_format == "json":
            parsed = self._parse_source(teamviewer.parse_connections_json, data)
        elif file_format == "csv":
            parsed = self._parse_source(
                lambda payload: teamviewer.parse_connections_csv(payload, tz_name), data
            )
        else:
            raise UserError(
                self.env._(
                    'Unknown report format "%(format)s": use csv or json.', format=file_format
                )
            )
        return self._import_parsed(
            parsed, company, self._engineer_by_teamviewer_ref, self._contract_by_device
        )

    @api.model
    def _max_upload_bytes(self):
        """Largest accepted import file (system parameter
        ``miko_support_contract.import_max_upload_mb``, 20 MB by default)."""
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("miko_support_contract.import_max_upload_mb", DEFAULT_IMPORT_MAX_MB)
        )
        try:
            megabytes = float(value)
        except ValueError:
            megabytes = DEFAULT_IMPORT_MAX_MB
        return int(max(megabytes, 0) * 1024 * 1024)

    @api.model
    def _check_upload_size(self, size, encoded=False):
        """Refuse a file over the limit from its size alone, before it is decoded or parsed.

        ``encoded``: ``size`` is the length of base64 text (¾ of it are bytes).
        """
        size = size * 3 // 4 if encoded else size
        limit = self._max_upload_bytes()
        if size > limit:
            raise UserError(
                self.env._(
                    "The file is too large: %(size)s MB, at most %(limit)s MB are accepted "
                    "(system parameter miko_support_contract.import_max_upload_mb). Nothing was "
                    "imported.",
                    size=round(size / 1024 / 1024, 1),
                    limit=round(limit / 1024 / 1024, 1),
                )
            )

    @api.model
    def _parse_source(self, parser, data):
        if isinstance(data, str):
            self._check_upload_size(len(data), encoded=True)
            try:
                payload = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                payload = data.encode("utf-8")
        else:
            payload = data
        self._check_upload_size(len(payload))
        try:
            return parser(payload)
        except RuleError as error:
            raise UserError(self.env._(error.message)) from error

    @api.model
    def _engineer_by_teamviewer_ref(self, ref):
        ref = (ref or "").strip()
        if not ref:
            return None
        Users = self.env["res.users"].sudo()
        return (
            Users.search([("miko_teamviewer_ref", "=ilike", ref), ("share", "=", False)], limit=1)
            or Users.search(
                ["|", ("login", "=ilike", ref), ("email", "=ilike", ref), ("share", "=", False)],
                limit=1,
            )
            or None
        )

    @api.model
    def _contract_by_phone(self, ref, company):
        key = phones.normalize_phone(ref or "")
        if not key:
            return "customer", None
        partners = self.env["res.partner"].sudo().search([("miko_phone_key", "=", key)])
        if not partners:
            return "customer", None
        return self._single_open_contract(partners.commercial_partner_id, company)

    @api.model
    def _contract_by_device(self, ref, company):
        device = (
            self.env["miko.support.remote.device"]
            .sudo()
            .search(
                [("device_ref", "=", teamviewer.device_ref(ref)), ("company_id", "=", company.id)],
                limit=1,
            )
        )
        if not device:
            return "customer", None
        return None, device.contract_id

    @api.model
    def _single_open_contract(self, commercial_partners, company):
        contracts = (
            self.env["miko.support.contract"]
            .sudo()
            .search(
                [
                    ("partner_id", "child_of", commercial_partners.ids),
                    ("company_id", "=", company.id),
                    ("state", "in", OPEN_CONTRACT_STATES),
                ]
            )
        )
        if len(contracts) != 1:
            return "contract", None
        return None, contracts

    @api.model
    def _import_parsed(self, parsed, company, find_engineer, find_contract):
        matched, unmatched, reasons = [], [], []
        for record in parsed.records:
            engineer = find_engineer(record.get("engineer_ref"))
            reason, contract = find_contract(record.get("customer_ref"), company)
            if not engineer:
                reason = "engineer"
            if reason:
                unmatched.append(record)
                reasons.append(reason)
                continue
            matched.append(
                {
                    "contract": contract.id,
                    "engineer": engineer.login,
                    "kind": record["kind"],
                    "start": record["start"].astimezone(UTC).isoformat(),
                    "end": record["end"].astimezone(UTC).isoformat(),
                    "subject": record["subject"],
                    "description": record.get("description") or "",
                    "source": record["source"],
                    "source_ref": record["source_ref"],
                }
            )
        queued = (
            self.env["miko.support.activity.unmatched"].sudo()._queue(unmatched, reasons, company)
        )
        result = self.env["miko.support.contract"].register_activities(matched)
        if matched:
            failed = {error["index"] for error in result["errors"]}
            self.env["miko.support.activity.unmatched"].sudo().search(
                [
                    ("state", "=", "open"),
                    ("source", "in", list({r["source"] for r in matched})),
                    (
                        "source_ref",
                        "in",
                        [r["source_ref"] for i, r in enumerate(matched) if i not in failed],
                    ),
                ]
            ).write({"state": "assigned"})
        errors = [
            {"line": line_no, "message": str(self.env._(message))}
            for line_no, message in parsed.errors
        ]
        errors += [
            {
                "line": None,
                "message": self.env._(
                    "Record %(ref)s: %(message)s",
                    ref=matched[error["index"]]["source_ref"],
                    message=error["message"],
                ),
            }
            for error in result["errors"]
        ]
        return {
            "created": result["created"],
            "updated": result["updated"],
            "skipped": result["skipped"] + len(parsed.skipped) + (len(unmatched) - len(queued)),
            "unmatched": len(queued),
            "errors": errors,
            "detected": parsed.detected,
            "skip_reasons": dict(
                collections.Counter(str(self.env._(message)) for _line, message in parsed.skipped)
            ),
        }
