"""Activity capture: every way activities come in.

* ``register_activities`` (the Integration API): the records travel to PostgreSQL as one JSON
  document and are parsed, validated, split at the local midnights, compared with what is stored
  and upserted there, in a dozen statements whatever their number. Python checks the types and
  words the messages of the records refused (with the same validator as a single record, so the
  messages are the ones users know).
* PBX call records and remote-desktop connection reports: parsed by the capture service
  (``miko.support.capture``, ``support_capture.py``) into API records.
"""

import json
import math

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..rules import RuleError
from .activity_import_sql import PIECE_SQL, ROW_SQL, STATUS_SQL
from .billing_sql import day_pieces_sql, local_day_sql
from .selections import ACTIVITY_KIND_CODES

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


class SupportActivityCapture(models.AbstractModel):
    _name = "miko.support.activity.capture"
    _description = "Support Activity: Capture"

    @api.model
    def import_pbx_cdr(self, data, pbx_tz=None):
        """Import an Asterisk ``Master.csv`` (bytes, text or base64 text) of the PBX: see
        ``miko.support.capture._import_pbx_cdr``."""
        return self.env["miko.support.capture"]._import_pbx_cdr(data, pbx_tz=pbx_tz)

    @api.model
    def import_teamviewer_report(self, data, file_format="csv", tz=None):
        """Import a TeamViewer connection report: CSV export or Web API JSON (connections); see
        ``miko.support.capture._import_teamviewer_report``."""
        return self.env["miko.support.capture"]._import_teamviewer_report(
            data, file_format=file_format, tz=tz
        )

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
                ROW_SQL,
                **mapping,
                payload=payload,
                refused=refused,
                date_begin=_moment_sql("start_text"),
                date_end=_moment_sql("end_text"),
                kinds=sorted(ACTIVITY_KIND_CODES),
                ws=WHITESPACE,
                day0=local_day_sql(SQL("p.date_begin"), SQL("p.tz")),
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
        cr.execute(
            SQL(
                PIECE_SQL,
                pieces=day_pieces_sql(
                    SQL(
                        "SELECT r.idx, r.date_begin, r.date_end, r.tz FROM miko_import_row r "
                        "WHERE r.error IS NULL AND r.rn = 1"
                    )
                ),
            )
        )
        cr.execute(SQL(STATUS_SQL))
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
