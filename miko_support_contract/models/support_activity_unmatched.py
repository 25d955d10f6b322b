from datetime import UTC

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..rules import phones
from .selections import ACTIVITY_KINDS, source_label

REASONS = [
    ("engineer", "Unknown engineer"),
    ("customer", "Unknown customer"),
    ("contract", "No single open contract"),
]


class SupportActivityUnmatched(models.Model):
    """An imported activity that could not be matched yet: waits here to be assigned.

    Nothing imported is dropped: an unknown extension, phone number or device lands here with
    everything read from the source. Assigning it registers the activity (idempotently, by the
    same source reference) and can remember the mapping for the next imports.
    """

    _name = "miko.support.activity.unmatched"
    _description = "Unmatched Imported Activity"
    _order = "date_begin desc, id desc"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    state = fields.Selection(
        [("open", "To assign"), ("assigned", "Assigned"), ("ignored", "Ignored")],
        default="open",
        required=True,
        index=True,
    )
    reason = fields.Selection(REASONS, required=True)
    source = fields.Char(required=True, readonly=True)
    source_ref = fields.Char(string="Source Reference", required=True, readonly=True)
    source_label = fields.Char(string="Origin", compute="_compute_source_label")
    engineer_ref = fields.Char(string="Engineer in Source", readonly=True)
    customer_ref = fields.Char(string="Customer in Source", readonly=True)
    kind = fields.Selection(ACTIVITY_KINDS, required=True, readonly=True)
    date_begin = fields.Datetime(string="Begin", required=True, readonly=True)
    date_end = fields.Datetime(string="End", required=True, readonly=True)
    subject = fields.Char(required=True, readonly=True)
    description = fields.Text(readonly=True)
    contract_id = fields.Many2one("miko.support.contract", check_company=True)
    user_id = fields.Many2one("res.users", string="Engineer", domain=[("share", "=", False)])
    remember = fields.Boolean(
        default=True,
        help="Remember the mapping (extension, phone or device) for the next imports.",
    )
    activity_id = fields.Many2one("miko.support.activity", readonly=True)

    _source_unique = models.Constraint(
        "UNIQUE(source, source_ref)", "This imported activity is already waiting to be assigned."
    )

    @api.depends("source")
    @api.depends_context("lang")
    def _compute_source_label(self):
        for item in self:
            item.source_label = source_label(self.env, item.source)

    @api.model
    def _queue(self, records, reason_by_index, company):
        """Queue unmatched ``records`` (parser dicts); already queued ones are left as they are."""
        refs = [(record["source"], record["source_ref"]) for record in records]
        existing = self.search(
            [
                ("source", "in", list({r[0] for r in refs})),
                ("source_ref", "in", [r[1] for r in refs]),
            ]
        )
        seen = {(item.source, item.source_ref) for item in existing}
        vals_list = []
        for index, record in enumerate(records):
            key = (record["source"], record["source_ref"])
            if key in seen:
                continue
            seen.add(key)
            vals_list.append(
                {
                    "company_id": company.id,
                    "reason": reason_by_index[index],
                    "source": record["source"],
                    "source_ref": record["source_ref"],
                    "engineer_ref": record.get("engineer_ref"),
                    "customer_ref": record.get("customer_ref"),
                    "kind": record["kind"],
                    "date_begin": _naive_utc(record["start"]),
                    "date_end": _naive_utc(record["end"]),
                    "subject": record["subject"],
                    "description": record.get("description") or "",
                }
            )
        return self.create(vals_list)

    def action_assign(self):
        for item in self:
            if item.state != "open":
                continue
            if not item.contract_id or not item.user_id:
                raise UserError(
                    self.env._(
                        'Unmatched activity "%(subject)s": choose the contract and the engineer '
                        "first.",
                        subject=item.subject,
                    )
                )
            result = self.env["miko.support.contract"].register_activities(
                [
                    {
                        "contract": item.contract_id.id,
                        "engineer": item.user_id.login,
                        "kind": item.kind,
                        "start": fields.Datetime.to_datetime(item.date_begin).isoformat()
                        + "+00:00",
                        "end": fields.Datetime.to_datetime(item.date_end).isoformat() + "+00:00",
                        "subject": item.subject,
                        "description": item.description or "",
                        "source": item.source,
                        "source_ref": item.source_ref,
                    }
                ]
            )
            if result["errors"]:
                raise UserError(result["errors"][0]["message"])
            if item.remember:
                item._remember_mapping()
            activity = self.env["miko.support.activity"].search(
                [("source", "=", item.source), ("source_ref", "=", item.source_ref)],
                order="part",
                limit=1,
            )
            item.write({"state": "assigned", "activity_id": activity.id})
        return True

    def action_ignore(self):
        self.filtered(lambda item: item.state == "open").state = "ignored"
        return True

    def action_reopen(self):
        self.filtered(lambda item: item.state == "ignored").state = "open"
        return True

    def _remember_caller_phone(self):
        """Add the caller's number to the customer: as its phone when it has none, else as a
        contact of its own; the customer's main phone is never overwritten."""
        customer = self.contract_id.partner_id.commercial_partner_id.sudo()
        if not customer.phone:
            customer.phone = self.customer_ref
            return customer
        return customer.create(
            {
                "name": self.env._(
                    "Phone %(phone)s (remembered from a call)", phone=self.customer_ref
                ),
                "parent_id": customer.id,
                "type": "other",
                "phone": self.customer_ref,
            }
        )

    def _remember_mapping(self):
        self.ensure_one()
        if self.reason == "engineer" and self.engineer_ref:
            field = "miko_pbx_extension" if self.source == "pbx" else "miko_teamviewer_ref"
            if not self.user_id[field]:
                self.user_id.sudo()[field] = self.engineer_ref
        elif self.reason == "customer" and self.customer_ref:
            if self.source == "pbx":
                key = phones.normalize_phone(self.customer_ref)
                customer = self.contract_id.partner_id.commercial_partner_id
                known = self.env["res.partner"].search_count(
                    [("miko_phone_key", "=", key), ("id", "child_of", customer.ids)], limit=1
                )
                if key and not known:
                    self._remember_caller_phone()
            else:
                self.env["miko.support.remote.device"].create(
                    {
                        "name": self.customer_ref,
                        "device_ref": self.customer_ref,
                        "contract_id": self.contract_id.id,
                    }
                )


def _naive_utc(moment):
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)
