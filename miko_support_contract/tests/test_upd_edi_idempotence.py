"""EDI at least once, keyed by the document GUID: repeated sends, repeated or out-of-order
operator events change nothing once applied."""

from datetime import UTC, date, datetime

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.miko_support_contract.upd.edi.diadoc import DiadocProvider

from .common_upd import MikoDiadocCommon, ticks
from .test_upd import buyer_title


@tagged("post_install", "-at_install")
class TestUpdEdiIdempotence(MikoDiadocCommon):
    def snapshot(self):
        upd = self.upd
        attachments = self.env["ir.attachment"].search_count(
            [("res_model", "=", "miko.support.upd"), ("res_id", "=", upd.id)]
        )
        return (
            upd.state,
            upd.delivery_date,
            upd.signed_date,
            upd.refusal_reason,
            upd.edi_message_id,
            attachments,
            len(self.operator.messages),
        )

    def poll_times(self, count):
        for _ in range(count):
            self.Upd._cron_poll_edi()
            self.Upd._cron_send_pending()

    def test_repeated_sends_store_one_message(self):
        self.upd.action_send()
        with self.assertRaisesRegex(UserError, "already sent"):
            self.upd.action_send()
        self.poll_times(3)
        self.assertEqual(len(self.operator.messages), 1)
        self.assertEqual(list(self.operator.messages), [self.upd.guid], "keyed by the GUID")

    def test_lost_answer_then_events_then_retry(self):
        """The operator stored the message but the answer was lost (timeout): the buyer's
        receipt comes before our retry; the retry finds the same message, then the receipt
        is read once."""
        self.operator.fail_next = ["timeout"]
        self.upd.action_send()
        self.assertEqual(self.upd.state, "sending")
        message = next(iter(self.operator.messages.values()))
        self.operator.add_delivery(
            message["MessageId"], ticks(datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
        )
        self.poll_times(3)
        self.assertEqual(self.upd.state, "delivered")
        self.assertEqual(self.upd.delivery_date, date(2026, 11, 3))
        self.assertEqual(len(self.operator.messages), 1)

    def test_repeated_and_out_of_order_events_change_nothing(self):
        upd = self.upd
        upd.action_send()
        # a repeated receipt listed after the first one: the first delivery counts
        self.operator.add_delivery(
            upd.edi_message_id, ticks(datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
        )
        self.operator.add_delivery(
            upd.edi_message_id, ticks(datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
        )
        self.poll_times(2)
        self.assertEqual((upd.state, upd.delivery_date), ("delivered", date(2026, 11, 3)))
        own_id = upd.xml_file_name.removesuffix(".xml")
        self.operator.add_buyer_title(upd.edi_message_id, buyer_title(own_id), b"buyer CMS")
        self.poll_times(1)
        self.assertEqual(upd.state, "signed")
        signed = self.snapshot()
        # the same title again, a late receipt and a refusal after the signature
        self.operator.add_buyer_title(upd.edi_message_id, buyer_title(own_id), b"buyer CMS")
        self.operator.add_delivery(
            upd.edi_message_id, ticks(datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
        )
        self.operator.add_rejection(upd.edi_message_id, "Поздний отказ")
        self.poll_times(3)
        self.assertEqual(self.snapshot(), signed)
        with self.assertRaisesRegex(UserError, "already"):
            self.env["miko.support.upd.exchange"]._apply_buyer_title(upd, buyer_title(own_id))
        with self.assertRaises(UserError):
            upd.mark_delivered(date(2026, 11, 1))
        self.assertEqual(self.snapshot(), signed)

    def test_refusal_then_late_title_changes_nothing(self):
        upd = self.upd
        upd.action_send()
        self.operator.add_rejection(upd.edi_message_id, "Неверный период")
        self.poll_times(1)
        self.assertEqual(upd.state, "refused")
        refused = self.snapshot()
        own_id = upd.xml_file_name.removesuffix(".xml")
        self.operator.add_buyer_title(upd.edi_message_id, buyer_title(own_id), b"buyer CMS")
        self.poll_times(3)
        self.assertEqual(self.snapshot(), refused)

    def test_replaying_the_whole_feed_changes_nothing(self):
        """Events read again (a cursor lost, a page applied twice) change nothing once
        applied: the feed is at least once."""
        upd = self.upd
        upd.action_send()
        self.operator.add_delivery(
            upd.edi_message_id, ticks(datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
        )
        own_id = upd.xml_file_name.removesuffix(".xml")
        self.operator.add_buyer_title(upd.edi_message_id, buyer_title(own_id), b"buyer CMS")
        self.poll_times(1)
        self.assertEqual(upd.state, "signed")
        signed = (*self.snapshot(), upd.write_date, len(upd.message_ids))
        self.company.sudo().miko_diadoc_index_key = False
        provider = DiadocProvider(self.company)
        self.assertEqual(provider.sync_events(), len(self.operator.events))
        self.assertEqual(provider.sync_events(), 0)
        self.assertEqual((*self.snapshot(), upd.write_date, len(upd.message_ids)), signed)
        self.assertEqual(
            self.company.sudo().miko_diadoc_index_key, self.operator.events[-1]["IndexKey"]
        )
