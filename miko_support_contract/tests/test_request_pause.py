"""«Waiting for the customer» pauses the response clock of a request (clause 3.3.3)."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import MikoSupportCommon


def msk(*args):
    """A Moscow wall-clock time as the naive UTC datetime Odoo stores (UTC+3)."""
    return datetime(*args) - timedelta(hours=3)


@tagged("post_install", "-at_install")
class TestRequestPause(MikoSupportCommon):
    def test_waiting_for_the_customer_stops_the_clock(self):
        Task = self.env["project.task"]
        request = Task.with_company(self.company).create(
            {
                "miko_contract_id": self.create_contract().id,
                "name": "Не проходит обмен",
                "miko_arrival": msk(2026, 11, 10, 10),  # Tuesday
            }
        )
        self.assertEqual(request.miko_deadline, msk(2026, 11, 11, 10))
        stages = request.project_id.type_ids.sorted("sequence")
        waiting = stages.filtered("miko_waiting_customer")
        self.assertEqual(len(waiting), 1, "the Support project has one waiting stage")
        with freeze_time(msk(2026, 11, 10, 12)):  # the engineer asks for the database
            request.write({"stage_id": waiting.id})
        self.assertFalse(request.miko_work_start, "asking the customer to wait is no start")
        self.assertEqual(request.miko_pause_ids.date_start, msk(2026, 11, 10, 12))
        self.assertFalse(request.miko_pause_ids.date_end)
        # the deadline passes while the request waits: no breach
        self.assertNotIn(request, Task.search(Task._miko_breach_domain(msk(2026, 11, 11, 11))))
        with freeze_time(msk(2026, 11, 11, 12)):  # the customer answers a day later
            request.write({"stage_id": stages[0].id})
        self.assertEqual(request.miko_pause_ids.date_end, msk(2026, 11, 11, 12))
        self.assertEqual(request.miko_deadline, msk(2026, 11, 12, 10), "24 h later")
        self.assertNotIn(request, Task.search(Task._miko_breach_domain(msk(2026, 11, 12, 9))))
        self.assertIn(request, Task.search(Task._miko_breach_domain(msk(2026, 11, 12, 11))))
        # a second wait adds its own pause
        with freeze_time(msk(2026, 11, 11, 14)):
            request.write({"stage_id": waiting.id})
        with freeze_time(msk(2026, 11, 11, 16)):
            request.write({"stage_id": stages[0].id})
        self.assertEqual(len(request.miko_pause_ids), 2)
        self.assertEqual(request.miko_deadline, msk(2026, 11, 12, 12))
        # engineers read the pauses, only managers change them
        self.assertTrue(request.miko_pause_ids.with_user(self.engineer).read(["date_start"]))
