"""Sending the UPD and the customer's answers: EDI (through the company's operator,
``edi/provider.py``) and paper (registered letter, e-mail copies), the buyer's title
(КодИтога 1 signed, 2 with discrepancies, 3 refused), refusals and clarification requests, and
the unilateral acceptance after 7 days without an answer (contract 4.4).

``miko.support.upd.exchange`` (no table) is a service: its methods take the UPD they work on.
The UPD's buttons and crons (``miko.support.upd``) and the answer wizard call it.
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from .. import upd as upd_xml
from ..rules import RuleError
from ..upd.edi import provider_for
from .cron_progress import commit_cron_progress
from .support_upd import ACCEPTANCE_DAYS, FINAL_STATES, UPD_BATCH_SIZE

_logger = logging.getLogger(__name__)


class SupportUpdExchange(models.AbstractModel):
    """Sending, answers and acceptance of the UPDs (service)."""

    _name = "miko.support.upd.exchange"
    _description = "UPD Sending and Acceptance"

    # ------------------------------------------------------------------------------------------
    # Sending (EDI and paper)
    # ------------------------------------------------------------------------------------------
    @api.model
    def _edi_provider(self, upd):
        """The company's EDI operator (``edi/provider.py``), None when none is set."""
        return provider_for(upd.company_id)

    @api.model
    def _check_edi_settings(self, upd):
        """Refuse to send by EDI while the company has no operator or misses one of its
        settings, naming what to set."""
        upd.ensure_one()
        company = upd.company_id.sudo()
        provider = self._edi_provider(upd)
        missing = provider.missing_settings() if provider else ["miko_edi_provider"]
        if missing:
            raise UserError(
                self.env._(
                    "UPD %(upd)s cannot be sent: the EDI operator of %(company)s is not "
                    "configured. Set %(fields)s on the company (Settings > Companies > "
                    "%(company)s, tab Support Contracts).",
                    upd=upd.display_name,
                    company=company.display_name,
                    fields=", ".join(
                        company._fields[name]._description_string(self.env) for name in missing
                    ),
                )
            )

    @api.model
    def _edi_send(self, upd):
        """Hand the UPD to the operator; it is «sent» once the operator accepted it as sent
        (not as a draft). A failure or a draft leaves it «sending» for the retry cron."""
        upd.ensure_one()
        provider = self._edi_provider(upd)
        if not provider:
            upd.sudo().edi_error = self.env._("No EDI operator is set on the company.")
            return False
        upd.sudo().edi_attempts += 1
        try:
            sent = provider.send(upd)
        except UserError:
            raise
        except Exception as error:
            _logger.info("UPD %s: sending failed, will retry: %s", upd.name, error)
            upd.sudo().edi_error = str(error)[:2000]
            return False
        if not sent:
            upd.sudo().edi_error = self.env._(
                "Waiting at the operator as a draft: sign and send it in the operator's interface."
            )
            return False
        upd.sudo().write({"state": "sent", "sent_date": fields.Datetime.now(), "edi_error": False})
        return True

    @api.model
    def _edi_poll(self, upd):
        """Ask the operator about delivery and the buyer's answer."""
        upd.ensure_one()
        provider = self._edi_provider(upd)
        if not provider:
            return
        try:
            status = provider.poll(upd)
            if status.get("delivered_on") and upd.state == "sent":
                upd.mark_delivered(status["delivered_on"])
            if status.get("answer") and upd.state in ("sent", "delivered"):
                answer = provider.fetch_answer(upd)
                if answer:
                    self._apply_operator_answer(upd, answer)
        except UserError:
            raise
        except Exception as error:
            _logger.info("UPD %s: polling failed: %s", upd.name, error)
            upd.sudo().edi_error = str(error)[:2000]

    @api.model
    def _registration_emails(self, upd):
        """The registration e-mails of the UPD's contract and of its licences (clause 4.3 names
        the licence's), each once."""
        upd.ensure_one()
        contract = upd.contract_id.sudo()
        emails = [contract.registration_email, *contract.licence_ids.mapped("registration_email")]
        return list(dict.fromkeys(email.strip() for email in emails if email and email.strip()))

    @api.model
    def _post_send_email_copy(self, upds):
        """E-mail copy of the UPD to the registration e-mails of the contract and licences."""
        template = self.env.ref("miko_support_contract.mail_template_upd_copy")
        for upd in upds:
            emails = self._registration_emails(upd)
            if emails:
                template.sudo().send_mail(upd.id, email_values={"email_to": ",".join(emails)})

    # ------------------------------------------------------------------------------------------
    # The buyer's answer
    # ------------------------------------------------------------------------------------------
    @api.model
    def _apply_operator_answer(self, upd, answer):
        kind = answer.get("kind")
        if kind == "title":
            self._apply_buyer_title(
                upd,
                answer["content"],
                file_name=answer.get("file_name"),
                signature=answer.get("signature"),
            )
        elif kind in ("refusal", "clarification"):
            self._apply_refusal(upd, answer.get("reason") or "", kind=kind)

    @api.model
    def _apply_buyer_title(
        self,
        upd,
        content,
        *,
        file_name=None,
        signature=None,
        discrepancy_file=None,
        discrepancy_file_name=None,
    ):
        """Record the buyer's title ON_NSCHFDOPPOK: ``КодИтога`` 1 signed, 2 signed with
        discrepancies (the discrepancy document kept, finance given an activity), 3 refused."""
        upd.ensure_one()
        try:
            title = upd_xml.parse_buyer_title(content)
        except RuleError as error:
            raise UserError(
                self.env._(
                    "UPD %(upd)s: the uploaded file is not a usable buyer's title: %(reason)s",
                    upd=upd.display_name,
                    reason=self.env._(error.message),  # pylint: disable=translation-not-lazy
                )
            ) from error
        own_id = (upd.xml_file_name or "").removesuffix(".xml")
        if not own_id or title.seller_file_id.lower() != own_id.lower():
            raise UserError(
                self.env._(
                    "The buyer's title answers the file %(file)s, not UPD %(upd)s (%(own)s).",
                    file=title.seller_file_id,
                    upd=upd.display_name,
                    own=own_id or "-",
                )
            )
        if upd.state in FINAL_STATES:
            raise UserError(
                self.env._(
                    "UPD %(upd)s is already %(state)s.",
                    upd=upd.display_name,
                    state=upd._state_label(),
                )
            )
        Attachment = self.env["ir.attachment"].sudo()
        vals = {
            "buyer_title_attachment_id": Attachment.create(
                {
                    "name": file_name or f"{title.file_id or 'ON_NSCHFDOPPOK'}.xml",
                    "raw": content,
                    "res_model": upd._name,
                    "res_id": upd.id,
                }
            ).id,
            "buyer_signer_name": title.signer_name or False,
        }
        if signature:
            vals["buyer_signature_attachment_id"] = Attachment.create(
                {
                    "name": f"{title.file_id or 'ON_NSCHFDOPPOK'}.sig",
                    "raw": signature,
                    "res_model": upd._name,
                    "res_id": upd.id,
                }
            ).id
        if not upd.delivery_date:
            vals["delivery_date"] = title.formed_on or upd._today()
        if title.is_refusal:
            vals.update(
                state="refused",
                refusal_reason=title.acceptance_content
                or title.discrepancy_document
                or self.env._("Not accepted by the buyer."),
            )
        elif title.has_discrepancies:
            vals.update(
                state="signed_discrepancies",
                signed_date=title.accepted_on or title.formed_on or upd._today(),
                discrepancy_document=title.discrepancy_document
                or title.acceptance_content
                or False,
            )
            if discrepancy_file:
                vals["discrepancy_attachment_id"] = Attachment.create(
                    {
                        "name": discrepancy_file_name
                        or f"{title.file_id or 'ON_NSCHFDOPPOK'}_discrepancies",
                        "raw": discrepancy_file,
                        "res_model": upd._name,
                        "res_id": upd.id,
                    }
                ).id
        else:
            vals.update(
                state="signed",
                signed_date=title.accepted_on or title.formed_on or upd._today(),
            )
        upd.sudo().write(vals)
        upd.message_post(
            body=self.env._(
                "Buyer's title received: %(state)s by %(signer)s.",
                state=upd._state_label(),
                signer=title.signer_name or "-",
            )
        )
        if upd.state == "signed_discrepancies":
            self._schedule_discrepancy_activity(upd)
        return title

    @api.model
    def _schedule_discrepancy_activity(self, upd):
        """A to-do for a finance user: the buyer signed with discrepancies, settle the claim."""
        upd.ensure_one()
        finance = self.env.ref("miko_support_contract.group_finance").sudo().all_user_ids
        finance = finance.filtered(
            lambda user: upd.company_id in user.company_ids and not user.share
        )
        user = upd.contract_id.user_id if upd.contract_id.user_id in finance else finance[:1]
        upd.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("UPD signed with discrepancies"),
            note=self.env._(
                "The customer %(partner)s signed UPD %(upd)s with discrepancies: %(document)s",
                partner=upd.partner_id.display_name,
                upd=upd.display_name,
                document=upd.discrepancy_document or "-",
            ),
            user_id=(user or self.env.user).id,
        )

    @api.model
    def _apply_refusal(self, upd, reason, kind="refusal"):
        """A refusal to sign or a clarification request: the reason is kept, a correction
        follows."""
        upd.ensure_one()
        if not (reason or "").strip():
            raise UserError(
                self.env._(
                    "UPD %(upd)s: a refusal or clarification request needs its reason.",
                    upd=upd.display_name,
                )
            )
        if upd.state in FINAL_STATES:
            raise UserError(
                self.env._(
                    "UPD %(upd)s is already %(state)s.",
                    upd=upd.display_name,
                    state=upd._state_label(),
                )
            )
        prefix = self.env._("Clarification requested: ") if kind == "clarification" else ""
        vals = {"state": "refused", "refusal_reason": prefix + reason.strip()}
        if not upd.delivery_date:
            vals["delivery_date"] = upd._today()
        upd.sudo().write(vals)

    # ------------------------------------------------------------------------------------------
    # Unilateral acceptance
    # ------------------------------------------------------------------------------------------
    @api.model
    def _deem_accepted(self, upd, on_date):
        upd.ensure_one()
        upd.sudo().write({"state": "deemed_accepted", "deemed_accepted_date": on_date})
        report = self.env.ref("miko_support_contract.action_report_upd_deemed")
        pdf, _kind = (
            self.env["ir.actions.report"].sudo()._render_qweb_pdf(report.report_name, upd.ids)
        )
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": f"UPD_{upd.name}_unilateral.pdf",
                    "raw": pdf,
                    "mimetype": "application/pdf",
                    "res_model": upd._name,
                    "res_id": upd.id,
                }
            )
        )
        upd.sudo().deemed_attachment_id = attachment
        self._issue_unilateral_copy(upd, attachment)

    @api.model
    def _issue_unilateral_copy(self, upd, attachment):
        """The unilaterally signed copy goes by the contract's channel (contract 4.4): through
        the EDI operator, or printed for a registered letter; an e-mail copy always follows."""
        upd.ensure_one()
        provider = self._edi_provider(upd) if upd.channel == "edi" else None
        if provider:
            try:
                message_id = provider.send_unilateral_copy(upd, attachment)
            except UserError:
                raise
            except Exception as error:
                _logger.info("UPD %s: the unilateral copy was not sent: %s", upd.name, error)
                upd.sudo().edi_error = str(error)[:2000]
                message_id = None
            if message_id:
                upd.sudo().unilateral_edi_message_id = message_id
        if upd.channel == "post" or not upd.unilateral_edi_message_id:
            env = upd._staff_env()
            upd.message_post(
                body=env._(
                    "UPD %(upd)s is deemed accepted on %(date)s: print the unilaterally signed "
                    "copy, send it by registered letter and enter its tracking number.",
                    upd=upd.display_name,
                    date=format_date(env, upd.deemed_accepted_date),
                )
                if upd.channel == "post"
                else env._(
                    "UPD %(upd)s is deemed accepted on %(date)s: send the unilaterally signed "
                    "copy to the customer in the EDI operator's interface.",
                    upd=upd.display_name,
                    date=format_date(env, upd.deemed_accepted_date),
                )
            )
        template = self.env.ref("miko_support_contract.mail_template_upd_deemed_accepted")
        email_values = {"attachment_ids": [fields.Command.link(attachment.id)]}
        registration_email = upd.contract_id.sudo().registration_email
        if registration_email:
            email_values["email_to"] = registration_email
        template.sudo().send_mail(upd.id, email_values=email_values)

    # ------------------------------------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------------------------------------
    @api.model
    def _cron_send_pending(self, batch_size=UPD_BATCH_SIZE):
        """Retry UPDs left «sending» (operator down, timeout); idempotent at the operator."""
        pending = self.env["miko.support.upd"].search([("state", "=", "sending")], limit=batch_size)
        commit_cron_progress(self.env, remaining=len(pending))
        for upd in pending:
            self._edi_send(upd)
            commit_cron_progress(self.env, 1)

    @api.model
    def _cron_poll_edi(self, batch_size=UPD_BATCH_SIZE):
        """Read delivery receipts and buyers' answers of UPDs at the operator."""
        waiting = self.env["miko.support.upd"].search(
            [("state", "in", ("sent", "delivered")), ("channel", "=", "edi")], limit=batch_size
        )
        commit_cron_progress(self.env, remaining=len(waiting))
        for upd in waiting:
            self._edi_poll(upd)
            commit_cron_progress(self.env, 1)

    @api.model
    def _cron_deem_accepted(self):
        """Deem accepted the UPDs delivered 7 days ago without a signature or a refusal.

        Counting: the UPD was delivered on day D (Moscow time, the company's support time
        zone); days are counted from D+1; on D+7 (from 00:00 Moscow) a UPD still neither signed
        nor refused becomes «deemed accepted» with the date D+7, gets its unilaterally signed
        copy (PDF with the note) and that copy is e-mailed to the customer. On D+6 nothing
        happens.
        """
        today = self.env.company._miko_support_today()
        due = self.env["miko.support.upd"].search(
            [
                ("state", "=", "delivered"),
                ("delivery_date", "<=", today - timedelta(days=ACCEPTANCE_DAYS)),
            ]
        )
        due = due.filtered(lambda upd: upd._deemed_acceptance_date() <= today)
        for upd in due:
            self._deem_accepted(upd, upd._deemed_acceptance_date())
        return due
