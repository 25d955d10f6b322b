"""Activity capture: every way activities come in.

* ``register_activities`` (the Integration API): the records travel to PostgreSQL as one JSON
  document and are parsed, validated, split at the local midnights, compared with what is stored
  and upserted there, in a dozen statements whatever their number. Python checks the types and
  words the messages of the records refused (with the same validator as a single record, so the
  messages are the ones users know).
* PBX call records and remote-desktop connection reports, turned into API records.
"""

import base64
import binascii
import collections
import json
import math
from datetime import UTC

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..rules import RuleError, pbx_cdr, phones, teamviewer
from .support_activity import ACTIVITY_KIND_CODES

OPEN_CONTRACT_STATES = ("draft", "active", "suspended", "terminating")
DEFAULT_IMPORT_MAX_MB = 20

# ISO 8601 with a UTC offset, as ``datetime.fromisoformat`` reads it; PostgreSQL casts what
# matches (days past the 28th are checked against the month first)
MOMENT_PATTERN = (
    r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9]([.][0-9]{1,6})?)?(Z|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)$"
)
WHITESPACE = " \t\n\r\f\v\u00a0"
RECORD_FIELDS = (
    "contract",
    "engineer",
    "kind",
    "start",
    "end",
    "subject",
    "description",
    "source",
    "source_ref",
    "request",
)
TEXT_LIMITS = (("subject", 512), ("source", 64), ("source_ref", 256))
TEMP_TABLES = SQL("miko_import_row, miko_import_piece, miko_import_status")


class SupportActivity(models.Model):
    _inherit = "miko.support.activity"

    @api.model
    def import_pbx_cdr(self, data, pbx_tz=None):
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
        default_tz = company.miko_support_tz or "Europe/Moscow"
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
    def import_teamviewer_report(self, data, file_format="csv", tz=None):
        """Import a TeamViewer connection report: CSV export or Web API JSON (connections)."""
        company = self.env.company
        tz_name = tz or company.miko_support_tz or "Europe/Moscow"
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

    # ------------------------------------------------------------------------------------------
    # The Integration API: register_activities in set-based SQL
    # ------------------------------------------------------------------------------------------
    @api.model
    def _import_api_records(self, records):
        """Upsert ``records`` (``register_activities``); return its result dict."""
        cr = self.env.cr
        result = {"created": 0, "updated": 0, "skipped": 0, "errors": []}
        if not records:
            return result
        self.env.flush_all()
        cr.execute(SQL("DROP TABLE IF EXISTS %s", TEMP_TABLES))
        payload, refused = _json_payload(records)
        Contract = self.env["miko.support.contract"]
        refused_set = set(refused)
        sent = [record for index, record in enumerate(records) if index not in refused_set]
        contracts_by_key, contract_keys = self._import_contracts(
            {record.get("contract") for record in sent}
        )
        users_by_login = self._import_engineers({record["engineer"] for record in sent})
        is_manager = self.env.user.has_group("miko_support_contract.group_manager")
        mapping = {
            "key_types": [key[0] for key in contract_keys],
            "keys": [key[1] for key in contract_keys],
            "key_contracts": [key[2] for key in contract_keys],
            "logins": list(users_by_login),
            "login_users": [user.id for user in users_by_login.values()],
            "is_manager": is_manager,
            "uid": self.env.uid,
        }
        cr.execute(
            SQL(
                _ROW_SQL,
                **mapping,
                payload=payload,
                refused=refused,
                date_begin=_moment_sql("start_text"),
                date_end=_moment_sql("end_text"),
                kinds=sorted(ACTIVITY_KIND_CODES),
                ws=WHITESPACE,
                **{f"{name}_limit": limit for name, limit in TEXT_LIMITS},
            )
        )
        result["skipped"] += len(records) - cr.rowcount  # stored exactly as sent
        cr.execute(
            SQL(
                """
                SELECT idx, error, rn, first_idx, source_ref, differs FROM miko_import_row
                 WHERE error IS NOT NULL OR rn > 1
                """
            )
        )
        for index, error, _rank, first_index, source_ref, differs in cr.fetchall():
            if error:
                message = self._import_error_message(
                    records[index], error, contracts_by_key, users_by_login
                )
                result["errors"].append({"index": index, "message": message})
                continue
            result["skipped"] += 1  # a repetition of an earlier record of the call
            if differs:
                result["errors"].append(
                    {
                        "index": index,
                        "message": self.env._(
                            "Record %(index)s repeats source reference %(ref)s of record "
                            "%(first)s with different data.",
                            index=index,
                            ref=source_ref,
                            first=first_index,
                        ),
                    }
                )
        cr.execute(SQL(_PIECE_SQL))
        cr.execute(SQL(_STATUS_SQL))
        cr.execute(
            SQL(
                """
                SELECT s.idx, s.status, s.old_contract_id, s.locked_until
                  FROM miko_import_status s WHERE s.status IN ('new', 'changed', 'locked')
                """
            )
        )
        for index, status, old_contract_id, locked_until in cr.fetchall():
            if status == "new":
                result["created"] += 1
            elif status == "changed":
                result["updated"] += 1
            else:
                result["errors"].append(
                    {
                        "index": index,
                        "message": self.env._(
                            "Activity %(ref)s belongs to a month closed by its UPD (contract "
                            "%(contract)s is locked until %(locked)s): it cannot change.",
                            ref=records[index].get("source_ref"),
                            contract=Contract.sudo().browse(old_contract_id).display_name,
                            locked=locked_until,
                        ),
                    }
                )
        cr.execute(
            SQL(
                """
                SELECT COUNT(*) FILTER (WHERE status = 'same'),
                       COUNT(*) FILTER (WHERE status = 'same' AND rehash)
                  FROM miko_import_status
                """
            )
        )
        same, rehash = cr.fetchone()
        result["skipped"] += same
        self._import_write_pieces(changed=bool(result["updated"]), rehash=bool(rehash))
        cr.execute(SQL("DROP TABLE IF EXISTS %s", TEMP_TABLES))
        self.invalidate_model()
        result["errors"].sort(key=lambda error: error["index"])
        return result

    def _import_contracts(self, values):
        """The contracts named by ``values`` (ids or numbers) that the user may read:
        ``(by_key, keys)``, with ``by_key`` as ``_prepare_activity_row`` wants it and ``keys``
        the (JSON type, key, contract id) triples the SQL joins on."""
        ids = {value for value in values if type(value) is int and 0 < value < 2**31}
        names = {value.strip() for value in values if type(value) is str} - {""}
        Contract = self.env["miko.support.contract"]
        found = (
            Contract.search(["|", ("id", "in", list(ids)), ("name", "in", list(names))])
            if ids or names
            else Contract
        )
        by_key, keys = {}, []
        for contract in found:
            by_key[contract.id] = by_key[contract.name] = contract
            if contract.id in ids:
                keys.append(("number", str(contract.id), contract.id))
            if contract.name in names:
                keys.append(("string", contract.name, contract.id))
        return by_key, keys

    def _import_engineers(self, logins):
        users = (
            self.env["res.users"]
            .sudo()
            .search([("login", "in", list(logins)), ("share", "=", False)])
            if logins
            else self.env["res.users"]
        )
        return {user.login: user for user in users}

    def _import_error_message(self, record, error, contracts_by_key, users_by_login):
        """The message of a refused record, worded by the single-record validator."""
        Contract = self.env["miko.support.contract"]
        try:
            Contract._prepare_activity_row(record, contracts_by_key, users_by_login)
        except (UserError, RuleError) as failure:
            message = failure.args[0] if isinstance(failure, UserError) else failure.message
            return str(self.env._(message))
        unsupported = next((name for name in RECORD_FIELDS if _unsupported(record.get(name))), None)
        if unsupported:
            return self.env._(
                'Field "%(field)s" holds a value that cannot be stored (a NUL character, NaN or '
                "an unsupported type).",
                field=unsupported,
            )
        if error == "permission":
            return self.env._(
                "Only a support manager may register activities of another engineer "
                "(%(engineer)s).",
                engineer=record.get("engineer"),
            )
        if error == "refused" and isinstance(record, dict):
            error = _ill_typed_field(record) or error
        return self.env._('Field "%(field)s" is not valid.', field=error)

    def _import_write_pieces(self, changed, rehash):
        """Insert the new pieces, update the changed ones, drop the surplus, refresh the
        fingerprints of the unchanged, and queue the days concerned for billing."""
        cr = self.env.cr
        uid = self.env.uid
        if changed or rehash:
            # the statements below join the activities: let the planner see how few rows come
            cr.execute(SQL("ANALYZE miko_import_piece, miko_import_status"))
        if changed:
            self._import_update_pieces()
        cr.execute(
            SQL(
                """
                INSERT INTO miko_support_activity (
                       contract_id, company_id, partner_id, user_id, kind, date_begin, date_end,
                       day, subject, description, source, source_ref, part, raw_seconds,
                       request_id, source_hash, active, is_vendor_bug, create_uid, create_date,
                       write_uid, write_date)
                SELECT p.contract_id, p.company_id, p.partner_id, p.user_id, p.kind,
                       p.piece_begin, p.piece_end, p.day, p.subject, p.description, p.source,
                       p.source_ref, p.part,
                       EXTRACT(EPOCH FROM p.piece_end - p.piece_begin)::int, p.request_id,
                       p.raw_hash, TRUE, FALSE, %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s,
                       NOW() AT TIME ZONE 'UTC'
                  FROM miko_import_piece p JOIN miko_import_status s USING (idx)
                 WHERE s.status IN ('new', 'changed') AND p.old_id IS NULL
                    ON CONFLICT (source, source_ref, part) WHERE source_ref IS NOT NULL
                       DO NOTHING
                """,
                uid=uid,
            )
        )
        self._queue_billing_groups(
            SQL(
                """
                SELECT p.contract_id, p.user_id, p.day
                  FROM miko_import_piece p JOIN miko_import_status s USING (idx)
                 WHERE s.status IN ('new', 'changed') AND p.old_id IS NULL
                """
            )
        )
        if rehash:
            cr.execute(
                SQL(
                    """
                    UPDATE miko_support_activity a SET source_hash = s.raw_hash
                      FROM miko_import_status s
                     WHERE s.status = 'same' AND s.rehash
                       AND a.source = s.source AND a.source_ref = s.source_ref
                       AND a.source_hash IS DISTINCT FROM s.raw_hash
                    """
                )
            )

    def _import_update_pieces(self):
        """The changed activities: the days they leave queued for billing, surplus pieces
        dropped, the others rewritten."""
        cr = self.env.cr
        uid = self.env.uid
        # the days the changed activities leave, and (below) those they enter
        self._queue_billing_groups(
            SQL(
                """
                SELECT a.contract_id, a.user_id, a.day
                  FROM miko_support_activity a JOIN miko_import_status s
                    ON a.source = s.source AND a.source_ref = s.source_ref
                 WHERE s.status = 'changed'
                """
            )
        )
        cr.execute(
            SQL(
                """
                DELETE FROM miko_support_activity a USING miko_import_status s
                 WHERE s.status = 'changed' AND s.surplus
                   AND a.source = s.source AND a.source_ref = s.source_ref AND a.part >= s.pieces
                """
            )
        )
        cr.execute(
            SQL(
                """
                UPDATE miko_support_activity a
                   SET contract_id = p.contract_id, company_id = p.company_id,
                       partner_id = p.partner_id, user_id = p.user_id, kind = p.kind,
                       date_begin = p.piece_begin, date_end = p.piece_end, day = p.day,
                       subject = p.subject, description = p.description,
                       request_id = p.request_id,
                       raw_seconds = EXTRACT(EPOCH FROM p.piece_end - p.piece_begin)::int,
                       source_hash = p.raw_hash,
                       write_uid = %(uid)s, write_date = NOW() AT TIME ZONE 'UTC'
                  FROM miko_import_piece p JOIN miko_import_status s USING (idx)
                 WHERE s.status = 'changed' AND a.id = p.old_id
                """,
                uid=uid,
            )
        )
        self._queue_billing_groups(
            SQL(
                """
                SELECT p.contract_id, p.user_id, p.day
                  FROM miko_import_piece p JOIN miko_import_status s USING (idx)
                 WHERE s.status = 'changed'
                """
            )
        )


def _unsupported(value):
    """A value JSON cannot carry to PostgreSQL as the API allows (see ``_json_payload``)."""
    if value is None or isinstance(value, (bool, int, str)):
        return isinstance(value, str) and "\x00" in value
    if isinstance(value, float):
        return not math.isfinite(value)
    return True


def _ill_typed(record):
    """Whether a field of ``record`` has a type the API refuses (the SQL reads every field as
    text, so the types are checked here: a few comparisons per record)."""
    return (
        type(record) is not dict
        or type(record.get("contract")) not in (int, str)
        or type(record.get("engineer")) is not str
        or type(record.get("kind")) is not str
        or type(record.get("start")) is not str
        or type(record.get("end")) is not str
        or type(record.get("subject")) is not str
        or type(record.get("source")) is not str
        or type(record.get("source_ref")) is not str
        or not (record.get("description") is None or type(record.get("description")) is str)
        or not (record.get("request") is None or type(record.get("request")) is int)
    )


def _ill_typed_field(record):
    """The first field of ``record`` with a type the API refuses (for the message)."""
    if type(record.get("contract")) not in (int, str):
        return "contract"
    for name in ("engineer", "kind", "start", "end", "subject", "source", "source_ref"):
        if type(record.get(name)) is not str:
            return name
    if not (record.get("description") is None or type(record.get("description")) is str):
        return "description"
    if not (record.get("request") is None or type(record.get("request")) is int):
        return "request"
    return None


def _moment_sql(column):
    """SQL: the naive-UTC moment (to the second) of the text column ``r.<column>``, or NULL when
    it is not ISO 8601 with an offset (``MOMENT_PATTERN``; a day past the 28th is checked against
    its month before the cast, which would fail the whole statement)."""
    text = SQL.identifier("r", column)
    return SQL(
        """
        CASE WHEN %(text)s ~ %(pattern)s
                  AND (substr(%(text)s, 9, 2) <= '28' OR substr(%(text)s, 9, 2)::int
                       <= EXTRACT(DAY FROM make_date(substr(%(text)s, 1, 4)::int,
                                                     substr(%(text)s, 6, 2)::int, 1)
                                           + interval '1 month - 1 day'))
             THEN date_trunc('second', %(text)s::timestamptz AT TIME ZONE 'UTC')
        END
        """,
        text=text,
        pattern=MOMENT_PATTERN,
    )


def _json_payload(records):
    """The records as one JSON array of objects for ``json_to_recordset``, and the indexes of
    those refused before SQL: not an object, a field of another type, or a value JSON cannot
    carry (NaN, text with NUL, other Python objects). They travel as empty objects; their
    messages come from the single-record validator."""
    refused = [index for index, record in enumerate(records) if _ill_typed(record)]
    if not refused:
        try:
            payload = json.dumps(records, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            payload = None
        if payload is not None and "\\u0000" not in payload:
            return payload, refused
    refused = sorted(
        set(refused)
        | {
            index
            for index, record in enumerate(records)
            if isinstance(record, dict)
            and any(_unsupported(record.get(name)) for name in RECORD_FIELDS)
        }
    )
    skip = set(refused)
    safe = [
        {} if index in skip else {name: record.get(name) for name in RECORD_FIELDS}
        for index, record in enumerate(records)
    ]
    return json.dumps(safe, ensure_ascii=False, allow_nan=False), refused


# 1. the records validated and parsed: every field read as text but the contract (a number is an
# id, a string its number); ``refused`` rows were refused in Python. ``same``: stored exactly as
# sent (the re-import fast path: the fingerprint of the first piece, the same contract and
# engineer, no request to check again, the caller's right, the month open, every record of the
# call with this reference identical), nothing else is computed for it; ``error`` names what is
# wrong (NULL when valid); ``rn`` > 1 marks a repetition of the reference within the call
_ROW_SQL = """
CREATE TEMP TABLE miko_import_row ON COMMIT DROP AS
WITH c AS (
    SELECT * FROM unnest(%(key_types)s::text[], %(keys)s::text[], %(key_contracts)s::int[])
        AS c(key_type, key, contract_id)
), u AS (
    SELECT * FROM unnest(%(logins)s::text[], %(login_users)s::int[]) AS u(login, user_id)
), raw AS MATERIALIZED (
    SELECT (r.ordinality - 1)::int AS idx,
           (r.ordinality - 1)::int = ANY(%(refused)s::int[]) AS refused,
           md5(concat_ws(chr(31), r.contract::text, r.engineer, r.kind, r.start, r."end",
                         r.subject, COALESCE(r.description, ''), r.source, r.source_ref,
                         COALESCE(r.request, ''))) AS raw_hash,
           json_typeof(r.contract) AS contract_type,
           btrim(r.contract #>> '{}', %(ws)s) AS contract_key,
           r.engineer, r.kind,
           btrim(r.start, %(ws)s) AS start_text, btrim(r."end", %(ws)s) AS end_text,
           r.subject AS subject_raw, COALESCE(r.description, '') AS description,
           r.source AS source_raw, r.source_ref AS source_ref_raw,
           btrim(r.source, %(ws)s) AS source, btrim(r.source_ref, %(ws)s) AS source_ref,
           r.request AS request_text
      FROM ROWS FROM (json_to_recordset(%(payload)s::json) AS (
               contract json, engineer text, kind text, start text, "end" text, subject text,
               description text, source text, source_ref text, request text))
           WITH ORDINALITY AS r(contract, engineer, kind, start, "end", subject, description,
                                source, source_ref, request, ordinality)
), r AS MATERIALIZED (
    SELECT r.*, c.contract_id, u.user_id,
           COALESCE(
               a.source_hash = r.raw_hash AND a.contract_id = c.contract_id
               AND a.user_id = u.user_id AND NOT r.refused
               AND NOT COALESCE(r.request_text ~ '^-?[0-9]+$' AND r.request_text <> '0', FALSE)
               AND (%(is_manager)s OR a.user_id = %(uid)s)
               AND (k.locked_until IS NULL OR a.day > k.locked_until)
               AND MIN(r.raw_hash) OVER ref = MAX(r.raw_hash) OVER ref,
               FALSE
           ) AS same
      FROM raw r
 LEFT JOIN c ON c.key_type = r.contract_type AND c.key = r.contract_key
 LEFT JOIN u ON u.login = r.engineer
 LEFT JOIN LATERAL (
           SELECT a.id, a.source_hash, a.contract_id, a.user_id, a.day
             FROM miko_support_activity a
            WHERE a.source = r.source AND a.source_ref = r.source_ref AND a.part = 0
       ) a ON TRUE
 LEFT JOIN miko_support_contract k ON k.id = a.contract_id
    WINDOW ref AS (PARTITION BY r.source, r.source_ref)
), p AS MATERIALIZED (
    SELECT r.idx, r.raw_hash, r.source, r.source_ref, r.kind, r.refused,
           r.contract_id, k.company_id, k.partner_id, k.locked_until,
           COALESCE(co.miko_support_tz, 'Europe/Moscow') AS tz, r.user_id,
           btrim(r.subject_raw, %(ws)s) AS subject,
           r.description, r.subject_raw, r.source_raw, r.source_ref_raw,
           COALESCE(r.request_text ~ '^-?[0-9]+$' AND r.request_text <> '0', FALSE)
               AS has_request,
           t.id AS request_id,
           %(date_begin)s AS date_begin,
           %(date_end)s AS date_end
      FROM r
 LEFT JOIN miko_support_contract k ON k.id = r.contract_id
 LEFT JOIN res_company co ON co.id = k.company_id
 LEFT JOIN project_task t
        ON t.id = CASE WHEN r.request_text ~ '^[0-9]{1,9}$'
                       THEN r.request_text::int END
       AND t.miko_contract_id = r.contract_id
     WHERE NOT r.same
), checked AS MATERIALIZED (
    SELECT p.*,
           (p.date_begin AT TIME ZONE 'UTC' AT TIME ZONE p.tz)::date AS day0,
           CASE
               WHEN p.refused THEN 'refused'
               WHEN p.contract_id IS NULL THEN 'contract'
               WHEN p.user_id IS NULL THEN 'engineer'
               WHEN p.kind <> ALL(%(kinds)s::text[]) THEN 'kind'
               WHEN p.date_begin IS NULL THEN 'start'
               WHEN p.date_end IS NULL THEN 'end'
               WHEN p.date_end <= p.date_begin
                    OR p.date_end - p.date_begin > interval '24 hours' THEN 'interval'
               WHEN p.subject = '' OR char_length(p.subject_raw) > %(subject_limit)s
                   THEN 'subject'
               WHEN p.source = '' OR char_length(p.source_raw) > %(source_limit)s THEN 'source'
               WHEN p.source_ref = '' OR char_length(p.source_ref_raw) > %(source_ref_limit)s
                   THEN 'source_ref'
               WHEN p.has_request AND p.request_id IS NULL THEN 'request'
               WHEN NOT %(is_manager)s AND p.user_id <> %(uid)s THEN 'permission'
           END AS error
      FROM p
)
SELECT checked.idx, checked.raw_hash, checked.source, checked.source_ref,
       checked.kind, checked.contract_id, checked.company_id, checked.partner_id, checked.tz,
       checked.user_id, checked.subject, checked.description, checked.request_id,
       checked.date_begin, checked.date_end, checked.day0, checked.error,
       row_number() OVER w AS rn,
       first_value(idx) OVER w AS first_idx,
       (contract_id, user_id, kind, date_begin, date_end, subject, description, request_id)
           IS DISTINCT FROM (first_value(contract_id) OVER w, first_value(user_id) OVER w,
                             first_value(kind) OVER w, first_value(date_begin) OVER w,
                             first_value(date_end) OVER w, first_value(subject) OVER w,
                             first_value(description) OVER w, first_value(request_id) OVER w)
           AS differs
  FROM checked
WINDOW w AS (PARTITION BY error IS NULL, source, source_ref ORDER BY idx)
"""

# 2. the day pieces of the valid first records (cut at the local midnights, an activity lasts
# at most 24 hours) beside the stored piece of the same number
_PIECE_SQL = """
CREATE TEMP TABLE miko_import_piece ON COMMIT DROP AS
WITH f AS (
    SELECT r.*,
           ((r.day0 + 1)::timestamp AT TIME ZONE r.tz) AT TIME ZONE 'UTC' AS midnight1,
           ((r.day0 + 2)::timestamp AT TIME ZONE r.tz) AT TIME ZONE 'UTC' AS midnight2
      FROM miko_import_row r
     WHERE r.error IS NULL AND r.rn = 1
), pieces AS (
    SELECT f.*, 0 AS part, f.day0 AS day, f.date_begin AS piece_begin,
           LEAST(f.date_end, f.midnight1) AS piece_end
      FROM f
     UNION ALL
    SELECT f.*, 1, f.day0 + 1, f.midnight1, LEAST(f.date_end, f.midnight2)
      FROM f WHERE f.date_end > f.midnight1
     UNION ALL
    SELECT f.*, 2, f.day0 + 2, f.midnight2, f.date_end
      FROM f WHERE f.date_end > f.midnight2
)
SELECT p.idx, p.raw_hash, p.source, p.source_ref, p.part, p.day, p.piece_begin, p.piece_end,
       p.contract_id, p.company_id, p.partner_id, p.user_id, p.kind, p.subject, p.description,
       p.request_id,
       a.id AS old_id, a.contract_id AS old_contract_id, a.day AS old_day,
       a.source_hash AS old_hash,
       a.id IS NOT NULL
       AND (a.contract_id, a.user_id, a.kind, a.date_begin, a.date_end, a.subject,
            COALESCE(a.description, ''), a.request_id)
           IS NOT DISTINCT FROM (p.contract_id, p.user_id, p.kind, p.piece_begin, p.piece_end,
                                 p.subject, p.description, p.request_id) AS old_same
  FROM pieces p
  LEFT JOIN LATERAL (
       SELECT a.* FROM miko_support_activity a
        WHERE a.source = p.source AND a.source_ref = p.source_ref AND a.part = p.part
  ) a ON TRUE
"""

# 3. per record: new, same (stored as sent), changed, or locked (a change to a closed month)
_STATUS_SQL = """
CREATE TEMP TABLE miko_import_status ON COMMIT DROP AS
WITH g AS (
    SELECT p.idx, p.source, p.source_ref, p.raw_hash, COUNT(*) AS pieces,
           bool_or(p.old_id IS NOT NULL) AS has_old, bool_and(p.old_same) AS all_same,
           bool_or(p.old_hash IS DISTINCT FROM p.raw_hash) AS rehash,
           MIN(p.old_day) AS old_day,
           (array_agg(p.old_contract_id ORDER BY p.part))[1] AS old_contract_id
      FROM miko_import_piece p
  GROUP BY p.idx, p.source, p.source_ref, p.raw_hash
), s AS (
    SELECT g.*,
           g.has_old AND EXISTS (
               SELECT 1 FROM miko_support_activity a
                WHERE a.source = g.source AND a.source_ref = g.source_ref
                  AND a.part >= g.pieces) AS surplus
      FROM g
)
SELECT s.*, k.locked_until,
       CASE WHEN NOT s.has_old THEN 'new'
            WHEN s.all_same AND NOT s.surplus THEN 'same'
            WHEN k.locked_until IS NOT NULL AND s.old_day <= k.locked_until THEN 'locked'
            ELSE 'changed'
       END AS status
  FROM s
  LEFT JOIN miko_support_contract k ON k.id = s.old_contract_id
"""
