import base64
from datetime import UTC, date, datetime

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from . import fake_diadoc
from .common_upd import MikoDiadocCommon, ticks
from .test_upd import buyer_title


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
