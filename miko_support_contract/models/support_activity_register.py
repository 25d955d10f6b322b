"""Integration API: activities registered in bulk (register_activities)."""

from datetime import UTC, datetime

from odoo import api, models
from odoo.exceptions import UserError

from ..rules import intervals
from .selections import ACTIVITY_KIND_CODES


class SupportContractActivityApi(models.AbstractModel):
    _name = "miko.support.contract.activity.api"
    _description = "Support Contract: Activities Integration API"

    # ------------------------------------------------------------------------------------------
    # Integration API: activities
    # ------------------------------------------------------------------------------------------
    @api.model
    def register_activities(self, records):
        """Create or update activities in bulk, idempotently by (``source``, ``source_ref``).

        Each record: ``contract`` (number or id), ``engineer`` (user login), ``kind``, ``start``
        and ``end`` (ISO 8601 with offset), ``subject``, ``description``, ``source``,
        ``source_ref``, and optionally ``request`` (the id of the support request). Returns
        ``{"created", "updated", "skipped", "errors": [{"index", "message"}]}``; invalid records
        are reported and the valid ones still saved. The work is done in set-based SQL
        (``miko.support.activity._import_api_records``); a record stored exactly as sent is
        skipped by its fingerprint.
        """
        Activity = self.env["miko.support.activity"]
        Activity.check_access("create")
        if not isinstance(records, (list, tuple)):
            raise UserError(self.env._("register_activities expects a list of activity records."))
        return Activity._import_api_records(list(records))

    def _activity_contract_settings(self, contract, contracts_by_key):
        """The support time zone, the locked month and the stored ids (contract, company,
        customer) of ``contract``, once per call."""
        settings = contracts_by_key.get(("settings", contract.id))
        if settings is None:
            settings = (
                contract.company_id._miko_support_zone(),
                contract.sudo().locked_until,
                (contract.id, contract.company_id.id, contract.partner_id.id),
            )
            contracts_by_key["settings", contract.id] = settings
        return settings

    def _prepare_activity_row(self, record, contracts_by_key, users_by_login):
        if not isinstance(record, dict):
            raise UserError(self.env._("The record is not an object with activity fields."))
        contract_key = record.get("contract")
        if isinstance(contract_key, str):
            contract_key = contract_key.strip()
        contract = contracts_by_key.get(contract_key)
        if not contract:
            raise UserError(
                self.env._(
                    'Unknown support contract "%(contract)s" (field "contract").',
                    contract=contract_key,
                )
            )
        user = users_by_login.get(record.get("engineer"))
        if not user:
            raise UserError(
                self.env._(
                    'Unknown engineer "%(engineer)s" (field "engineer": an internal user\'s '
                    "login).",
                    engineer=record.get("engineer"),
                )
            )
        kind = record.get("kind")
        if kind not in ACTIVITY_KIND_CODES:
            raise UserError(
                self.env._(
                    'Unknown activity kind "%(kind)s" (field "kind"): use one of %(kinds)s.',
                    kind=kind,
                    kinds=", ".join(sorted(ACTIVITY_KIND_CODES)),
                )
            )
        begin = self._parse_activity_moment(record.get("start"), "start")
        end = self._parse_activity_moment(record.get("end"), "end")
        tz_name, _locked_until, contract_ids = self._activity_contract_settings(
            contract, contracts_by_key
        )
        intervals.validate_interval(begin, end, tz_name)
        values = {}
        for name, limit in (("subject", 512), ("source", 64), ("source_ref", 256)):
            value = record.get(name)
            if not isinstance(value, str) or not value.strip():
                raise UserError(
                    self.env._('Field "%(field)s" is required.', field=name),
                )
            if len(value) > limit:
                raise UserError(
                    self.env._(
                        'Field "%(field)s" is longer than %(limit)s characters.',
                        field=name,
                        limit=limit,
                    )
                )
            values[name] = value.strip()
        description = record.get("description") or ""
        if not isinstance(description, str):
            raise UserError(self.env._('Field "description" must be text.'))
        request_id = record.get("request") or None
        if request_id is not None:
            task = self.env["project.task"].sudo().browse(request_id).exists()
            if (
                isinstance(request_id, bool)
                or not isinstance(request_id, int)
                or not task
                or task.miko_contract_id != contract
            ):
                raise UserError(
                    self.env._(
                        "Unknown support request %(request)s for contract %(contract)s (field "
                        '"request").',
                        request=request_id,
                        contract=contract.display_name,
                    )
                )
        return {
            "contract": contract,
            "contract_ids": contract_ids,
            "user_id": user.id,
            "kind": kind,
            "subject": values["subject"],
            "description": description,
            "source": values["source"],
            "source_ref": values["source_ref"],
            "request_id": request_id,
            "compare": (
                contract.id,
                user.id,
                kind,
                begin,
                end,
                values["subject"],
                description,
                request_id,
            ),
        }

    def _parse_activity_moment(self, value, field_name):
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is not None:
                return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)
        raise UserError(
            self.env._(
                'Field "%(field)s" must be an ISO 8601 date and time with its UTC offset, e.g. '
                "2026-11-24T10:42:00+03:00 (got %(value)s).",
                field=field_name,
                value=value,
            )
        )
