from odoo import api, fields, models
from odoo.exceptions import UserError


class VendorBugWizard(models.TransientModel):
    """Mark activities, or all the activities of a support request, as a vendor bug."""

    _name = "miko.support.vendor.bug.wizard"
    _description = "Mark Work as a Vendor Bug"

    activity_ids = fields.Many2many("miko.support.activity", string="Activities")
    request_id = fields.Many2one("project.task", string="Support Request")
    bug_reference = fields.Char(required=True)
    bug_release = fields.Char(string="Release")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "miko.support.activity" and context.get("active_ids"):
            values["activity_ids"] = [fields.Command.set(context["active_ids"])]
        if context.get("active_model") == "project.task" and context.get("active_id"):
            values["request_id"] = context["active_id"]
        return values

    def action_confirm(self):
        self.ensure_one()
        activities = self.activity_ids
        if self.request_id:
            activities |= self.env["miko.support.activity"].search(
                [("request_id", "=", self.request_id.id)]
            )
        if not activities:
            raise UserError(
                self.env._(
                    "There is no activity to mark as a vendor bug (%(bug)s).",
                    bug=self.bug_reference,
                )
            )
        if not self.env.user.has_group("miko_support_contract.group_manager"):
            activities.action_propose_vendor_bug(self.bug_reference, self.bug_release)
            if self.request_id:
                self.request_id.message_post(
                    body=self.env._(
                        "Work on this request proposed as vendor bug %(bug)s (release "
                        "%(release)s): %(count)s activities wait for a support manager's "
                        "confirmation.",
                        bug=self.bug_reference,
                        release=self.bug_release or "—",
                        count=len(activities),
                    )
                )
            return {"type": "ir.actions.act_window_close"}
        activities.action_mark_vendor_bug(self.bug_reference, self.bug_release)
        if self.request_id:
            self.request_id.message_post(
                body=self.env._(
                    "Work on this request marked as vendor bug %(bug)s (release %(release)s): "
                    "%(count)s activities are not billed.",
                    bug=self.bug_reference,
                    release=self.bug_release or "—",
                    count=len(activities),
                )
            )
        return {"type": "ir.actions.act_window_close"}
