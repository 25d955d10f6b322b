"""E-mails on support requests become e-mail activities of the request's contract."""

from datetime import timedelta

from odoo import models

EMAIL_MINUTES_PARAM = "miko_support_contract.email_minutes"
DEFAULT_EMAIL_MINUTES = 5


class ProjectTask(models.Model):
    _inherit = "project.task"

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        for task in self:
            if task.miko_is_request and task.miko_contract_id:
                task._miko_register_email(message)
        return result

    def _miko_register_email(self, message):
        """An e-mail sent or received on the request: an activity of the time it took.

        Sent by an engineer (a comment, not an internal note) it is an outgoing e-mail of that
        engineer; received from the customer it is an incoming e-mail of the request's assignee.
        The time spent starts at the message and lasts the configured default (5 minutes); the
        engineer corrects the end when it took longer.
        """
        self.ensure_one()
        if message.message_type not in ("email", "comment") or message.subtype_id.internal:
            return
        if not message.subtype_id:
            return
        author_users = message.author_id.user_ids.filtered(lambda u: not u.share)
        if author_users:
            engineer, kind = author_users[0], "email_out"
            recipients = message.partner_ids
            subject = "Исходящее письмо №{number} для {names}".format(
                number=message.id,
                names=", ".join(
                    f"{partner.name} <{partner.email}>" if partner.email else partner.name
                    for partner in recipients
                )
                or self.miko_contract_id.partner_id.name,
            )
        else:
            engineer, kind = self.user_ids[:1], "email_in"
            author = message.author_id
            sender = message.email_from or (author.email if author else "")
            subject = f"Входящее письмо №{message.id} от {sender}"
        if not engineer:
            return
        minutes = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(EMAIL_MINUTES_PARAM, DEFAULT_EMAIL_MINUTES)
        )
        start = message.date.replace(microsecond=0)
        self.env["miko.support.contract"].sudo().with_user(engineer).register_activities(
            [
                {
                    "contract": self.miko_contract_id.id,
                    "engineer": engineer.login,
                    "kind": kind,
                    "start": start.isoformat() + "+00:00",
                    "end": (start + timedelta(minutes=max(minutes, 1))).isoformat() + "+00:00",
                    "subject": subject[:512],
                    "description": message.subject or self.name or "",
                    "source": "email",
                    "source_ref": str(message.id),
                    "request": self.id,
                }
            ]
        )
