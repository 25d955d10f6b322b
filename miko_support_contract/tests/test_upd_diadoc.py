import base64
from datetime import UTC, date, datetime

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.miko_support_contract.upd.edi.diadoc import DiadocProvider

from . import fake_diadoc
from .common_upd import MikoDiadocCommon, ticks
from .test_upd import buyer_title
from .test_upd_acceptance import title_with_discrepancies


@tagged("post_install", "-at_install")
class TestUpdDiadoc(MikoDiadocCommon):
    """The Diadoc adapter against a fake operator speaking the protocol on 127.0.0.1."""

    def test_send_poll_and_buyer_title(self):
        upd = self.upd
        upd.action_send()
        self.assertEqual(upd.state, "sent")
        self.assertEqual(len(self.operator.messages), 1)
        message = self.operator.messages[upd.guid]
        self.assertEqual(message["ToBoxId"], fake_diadoc.BUYER_BOX)
        self.assertFalse(message["IsDraft"], "a stored signature is sent, never a made-up one")
        self.assertEqual(upd.edi_message_id, message["MessageId"])

        # 2 Nov 2026 22:30 UTC is already 3 Nov in Moscow
        self.operator.add_delivery(
            upd.edi_message_id, ticks(datetime(2026, 11, 2, 22, 30, tzinfo=UTC))
        )
        self.env["miko.support.upd"]._cron_poll_edi()
        self.assertEqual(upd.state, "delivered")
        self.assertEqual(upd.delivery_date, date(2026, 11, 3))

        own_id = upd.xml_file_name.removesuffix(".xml")
        self.operator.add_buyer_title(upd.edi_message_id, buyer_title(own_id), b"buyer CMS")
        self.env["miko.support.upd"]._cron_poll_edi()
        self.assertEqual(upd.state, "signed")
        self.assertEqual(upd.buyer_signer_name, "Кузнецов Олег Павлович")
        self.assertEqual(upd.buyer_signature_attachment_id.raw, b"buyer CMS")

    def test_operator_error_then_retry_sends_once(self):
        upd = self.upd
        self.operator.fail_next = ["500"]
        upd.action_send()
        self.assertEqual(upd.state, "sending")
        self.assertIn("500", upd.edi_error)
        self.env["miko.support.upd"]._cron_send_pending()
        self.assertEqual(upd.state, "sent")
        self.assertEqual(self.operator.post_calls, 2)
        self.assertEqual(len(self.operator.messages), 1, "the operator stored one message")

    def test_operator_timeout_then_retry_sends_once(self):
        upd = self.upd
        self.operator.fail_next = ["timeout"]
        upd.action_send()
        self.assertEqual(upd.state, "sending")
        self.assertEqual(upd.edi_attempts, 1)
        self.env["miko.support.upd"]._cron_send_pending()
        self.assertEqual(upd.state, "sent")
        self.assertEqual(len(self.operator.messages), 1, "the operator stored one message")
        self.assertEqual(
            upd.edi_message_id, next(iter(self.operator.messages.values()))["MessageId"]
        )

    def test_refusal_from_the_operator(self):
        upd = self.upd
        upd.action_send()
        self.operator.add_rejection(upd.edi_message_id, "Неверный период")
        self.env["miko.support.upd"]._cron_poll_edi()
        self.assertEqual(upd.state, "refused")
        self.assertEqual(upd.refusal_reason, "Неверный период")

    def test_without_signature_posts_a_draft_which_is_not_sent(self):
        upd = self.upd
        upd.signature_attachment_id = False
        upd.action_send()
        draft = self.operator.messages[upd.guid]
        self.assertTrue(draft["IsDraft"], "signed in Diadoc, not here")
        self.assertEqual(upd.state, "sending", "a draft is not sent")
        self.assertIn("draft", upd.edi_error)
        self.Upd._cron_send_pending()
        self.assertEqual(upd.state, "sending")
        self.assertEqual(len(self.operator.messages), 1, "the retry posts nothing new")
        # the seller signs and sends the draft in the operator's interface
        sent = self.operator.send_draft(draft["MessageId"])
        self.Upd._cron_send_pending()
        self.assertEqual(upd.state, "sent")
        self.assertEqual(upd.edi_message_id, sent["MessageId"])
        self.assertEqual(upd.edi_entity_id, sent["Entities"][0]["EntityId"])
        self.operator.add_delivery(
            sent["MessageId"], ticks(datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
        )
        self.Upd._cron_poll_edi()
        self.assertEqual(upd.delivery_date, date(2026, 11, 3))

    def test_sending_without_operator_settings_is_refused(self):
        upd = self.upd
        self.company.miko_diadoc_box_id = False
        with self.assertRaises(UserError) as caught:
            upd.action_send()
        self.assertIn("Diadoc Box ID", str(caught.exception))
        self.company.miko_edi_provider = False
        with self.assertRaises(UserError) as caught:
            upd.action_send()
        self.assertIn("EDI Operator", str(caught.exception))
        self.assertEqual(upd.state, "draft")
        self.assertEqual(self.operator.post_calls, 0, "nothing was sent")

    def test_unilateral_copy_through_the_operator(self):
        upd = self.upd
        upd.action_send()
        self.operator.add_delivery(
            upd.edi_message_id, ticks(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
        )
        self.Upd._cron_poll_edi()
        self.assertEqual(upd.delivery_date, date(2026, 11, 2))
        with freeze_time("2026-11-08 21:30:00"):  # 9 Nov 00:30 Moscow = D+7
            self.Upd._cron_deem_accepted()
        self.assertEqual(upd.state, "deemed_accepted")
        self.assertEqual(upd.deemed_accepted_date, date(2026, 11, 9))
        copy = self.operator.messages[f"{upd.guid}-unilateral"]
        self.assertEqual(upd.unilateral_edi_message_id, copy["MessageId"])
        self.assertEqual(copy["ToBoxId"], fake_diadoc.BUYER_BOX)
        entity = copy["Entities"][0]
        self.assertEqual(entity["AttachmentType"], "Nonformalized")
        self.assertEqual(base64.b64decode(entity["Content"]["Data"]), upd.deemed_attachment_id.raw)
        self.assertTrue(copy["IsDraft"], "signed in Diadoc, never here")

    # ------------------------------------------------------------------ OpenID Connect
    def test_access_token_cached_until_it_expires_then_refreshed(self):
        upd = self.upd
        with freeze_time("2026-11-01 09:00:00"):
            upd.action_send()
            self.Upd._cron_poll_edi()
            self.Upd._cron_poll_edi()
        self.assertEqual(upd.state, "sent")
        self.assertEqual(
            self.operator.token_calls,
            [fake_diadoc.REFRESH_TOKEN],
            "one token for the post and the polls: it is cached",
        )
        cache = self.company.sudo().miko_diadoc_token_cache
        self.assertNotEqual(cache["refresh_token"], fake_diadoc.REFRESH_TOKEN, "rotated")
        # 59 minutes later the token is within the minute of margin: refreshed with the
        # refresh token the provider gave last time
        with freeze_time("2026-11-01 09:59:30"):
            self.Upd._cron_poll_edi()
        self.assertEqual(
            self.operator.token_calls, [fake_diadoc.REFRESH_TOKEN, cache["refresh_token"]]
        )
        renewed = self.company.sudo().miko_diadoc_token_cache
        self.assertNotEqual(renewed["access_token"], cache["access_token"])
        self.assertNotEqual(renewed["refresh_token"], cache["refresh_token"])

    def test_refused_refresh_authenticates_again_then_says_what_to_do(self):
        upd = self.upd
        upd.action_send()
        rotated = self.company.sudo().miko_diadoc_token_cache["refresh_token"]
        # the identity provider forgets every token but the issued one
        self.operator.refresh_tokens = {fake_diadoc.REFRESH_TOKEN}
        self.operator.revoke_access_tokens()
        calls = len(self.operator.token_calls)
        self.Upd._cron_poll_edi()
        self.assertFalse(upd.edi_error, "re-authenticated with the issued refresh token")
        self.assertEqual(self.operator.token_calls[calls:], [rotated, fake_diadoc.REFRESH_TOKEN])
        # nothing valid is left: the poll fails saying to issue a new refresh token
        self.operator.refresh_tokens = set()
        self.operator.revoke_access_tokens()
        self.Upd._cron_poll_edi()
        self.assertIn("issue a new one", upd.edi_error)
        self.assertFalse(self.company.sudo().miko_diadoc_token_cache)
        # the administrator enters a new one: it is used at once
        self.operator.refresh_tokens = {"new-issued"}
        self.company.sudo().miko_diadoc_refresh_token = "new-issued"
        self.operator.add_delivery(
            upd.edi_message_id, ticks(datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
        )
        self.Upd._cron_poll_edi()
        self.assertEqual(upd.state, "delivered")
        self.assertEqual(self.operator.token_calls[-1], "new-issued")

    def test_secrets_are_for_administrators_only(self):
        for name in ("miko_diadoc_client_secret", "miko_diadoc_refresh_token"):
            for model in ("res.company", "res.config.settings"):
                self.assertEqual(self.env[model]._fields[name].groups, "base.group_system")
        self.assertEqual(
            self.env["res.company"]._fields["miko_diadoc_token_cache"].groups,
            "base.group_system",
        )

    # ------------------------------------------------------------------ event feed
    def test_events_paging_resumes_from_the_stored_index_key(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "miko_support_contract.diadoc_events_page", "2"
        )
        upd = self.upd
        upd.action_send()
        message_id = upd.edi_message_id
        self.operator.add_delivery(message_id, ticks(datetime(2026, 11, 3, 9, 0, tzinfo=UTC)))
        self.operator.add_delivery(message_id, ticks(datetime(2026, 11, 4, 9, 0, tzinfo=UTC)))
        self.Upd._cron_poll_edi()
        self.assertEqual((upd.state, upd.delivery_date), ("delivered", date(2026, 11, 3)))
        keys = [event["IndexKey"] for event in self.operator.events]
        self.assertEqual(self.company.sudo().miko_diadoc_index_key, keys[-1])
        calls = self.operator.event_calls
        self.assertEqual([call.get("afterIndexKey") for call in calls], [None, keys[1]])
        # a re-poll asks after the stored key, gets nothing and changes nothing
        before = (upd.state, upd.delivery_date, upd.write_date, len(self.operator.messages))
        del calls[:]
        self.Upd._cron_poll_edi()
        self.assertEqual([call.get("afterIndexKey") for call in calls], [keys[-1]])
        self.assertEqual(
            (upd.state, upd.delivery_date, upd.write_date, len(self.operator.messages)), before
        )
        # a new event is read from there
        own_id = upd.xml_file_name.removesuffix(".xml")
        self.operator.add_buyer_title(message_id, buyer_title(own_id), b"buyer CMS")
        self.Upd._cron_poll_edi()
        self.assertEqual(upd.state, "signed")
        self.assertEqual(calls[-1].get("afterIndexKey"), keys[-1])

    def test_a_failing_page_keeps_the_cursor(self):
        upd = self.upd
        upd.action_send()
        own_id = upd.xml_file_name.removesuffix(".xml")
        self.operator.add_buyer_title(upd.edi_message_id, buyer_title(own_id), b"buyer CMS")
        cursor = self.company.sudo().miko_diadoc_index_key
        contents, self.operator.contents = self.operator.contents, {}  # content unreadable
        self.Upd._cron_poll_edi()
        self.assertIn("404", upd.edi_error)
        self.assertEqual(upd.state, "sent")
        self.assertEqual(self.company.sudo().miko_diadoc_index_key, cursor, "page read again")
        self.operator.contents = contents
        self.Upd._cron_poll_edi()
        self.assertEqual(upd.state, "signed")

    def test_refusal_as_a_universal_message(self):
        upd = self.upd
        upd.action_send()
        self.operator.add_universal_message(
            upd.edi_message_id, "Rejection", 3999, "Услуги за октябрь не оказывались"
        )
        self.Upd._cron_poll_edi()
        self.assertEqual(upd.state, "refused")
        self.assertEqual(upd.refusal_reason, "Услуги за октябрь не оказывались")

    def test_clarification_as_a_universal_message(self):
        upd = self.upd
        upd.action_send()
        # an information message out of the workflow changes nothing
        self.operator.add_universal_message(
            upd.edi_message_id, "InformationMessage", 4002, "Спасибо", IsOutOfWorkflow=True
        )
        self.Upd._cron_poll_edi()
        self.assertEqual(upd.state, "sent")
        self.operator.add_universal_message(
            upd.edi_message_id, "AmendmentRequest", 2999, "Укажите номер договора"
        )
        self.Upd._cron_poll_edi()
        self.assertEqual(upd.state, "refused")
        self.assertIn("Укажите номер договора", upd.refusal_reason)

    def test_signed_with_discrepancies_through_the_feed(self):
        upd = self.upd
        upd.action_send()
        own_id = upd.xml_file_name.removesuffix(".xml")
        self.operator.add_buyer_title(
            upd.edi_message_id, title_with_discrepancies(own_id), b"buyer CMS"
        )
        self.Upd._cron_poll_edi()
        self.assertEqual(upd.state, "signed_discrepancies")
        self.assertEqual(upd.discrepancy_document, "Р-12")
        self.assertEqual(upd.buyer_signature_attachment_id.raw, b"buyer CMS")
        self.assertTrue(upd.activity_ids, "finance settles the claim")

    def test_lost_post_answer_found_in_the_feed(self):
        """The post timed out after the operator stored it; the feed shows our message (by the
        GUID) before the retry: the UPD follows it and is sent without a second post."""
        upd = self.upd
        self.operator.fail_next = ["timeout"]
        upd.action_send()
        self.assertEqual((upd.state, upd.edi_message_id), ("sending", False))
        posted = self.operator.messages[upd.guid]
        DiadocProvider(self.company).sync_events()
        self.assertEqual(upd.state, "sent")
        self.assertEqual(upd.edi_message_id, posted["MessageId"])
        self.assertEqual(self.operator.post_calls, 1)

    def test_connection_from_the_settings(self):
        settings = self.env["res.config.settings"].create({})
        action = settings.action_miko_diadoc_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("ООО «МИКО»", action["params"]["message"])
        self.company.sudo().miko_diadoc_box_id = "other-box@diadoc.ru"
        with self.assertRaisesRegex(UserError, "no box other-box@diadoc.ru"):
            settings.action_miko_diadoc_test_connection()
        self.company.sudo().miko_diadoc_client_secret = "wrong"
        self.company.sudo().miko_diadoc_token_cache = False
        with self.assertRaisesRegex(UserError, "failed.*refresh token"):
            settings.action_miko_diadoc_test_connection()
        self.company.sudo().miko_diadoc_client_secret = False
        with self.assertRaisesRegex(UserError, "Diadoc Client Secret"):
            settings.action_miko_diadoc_test_connection()

    def test_an_answer_the_upd_refuses_does_not_block_the_feed(self):
        upd = self.upd
        upd.action_send()
        self.operator.add_buyer_title(
            upd.edi_message_id, buyer_title("ON_NSCHFDOPPR_another_file"), b"buyer CMS"
        )
        with self.assertLogs("odoo.addons.miko_support_contract.upd.edi.diadoc", "WARNING"):
            self.Upd._cron_poll_edi()
        self.assertEqual(upd.state, "sent")
        self.assertIn("ON_NSCHFDOPPR_another_file", upd.edi_error)
        self.assertEqual(
            self.company.sudo().miko_diadoc_index_key, self.operator.events[-1]["IndexKey"]
        )
        own_id = upd.xml_file_name.removesuffix(".xml")
        self.operator.add_buyer_title(upd.edi_message_id, buyer_title(own_id), b"buyer CMS")
        self.Upd._cron_poll_edi()
        self.assertEqual(upd.state, "signed")
