"""Force majeure (section IX) extends response deadlines and acceptance periods."""

from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common_upd import MikoUpdCommon


def msk(*args):
    """A Moscow wall-clock time as the naive UTC datetime Odoo stores (UTC+3)."""
    return datetime(*args) - timedelta(hours=3)


@tagged("post_install", "-at_install")
class TestForceMajeure(MikoUpdCommon):
    def event(self, contract, start, end, description="Наводнение, офис обесточен"):
        return self.env["miko.support.force.majeure"].create(
            {
                "contract_id": contract.id,
                "date_start": start,
                "date_end": end,
                "description": description,
            }
        )

    def test_response_deadline_extended_by_the_event(self):
        contract = self.create_contract()
        request = (
            self.env["project.task"]
            .with_company(self.company)
            .create(
                {
                    "miko_contract_id": contract.id,
                    "name": "Не работает панель",
                    "miko_arrival": msk(2026, 11, 10, 10),  # Tuesday
                }
            )
        )
        self.assertEqual(request.miko_deadline, msk(2026, 11, 11, 10))
        # six hours of force majeure on Tuesday afternoon
        self.event(contract, msk(2026, 11, 10, 12), msk(2026, 11, 10, 18))
        self.assertEqual(request.miko_deadline, msk(2026, 11, 11, 16))
        # an event after the deadline changes nothing
        self.event(contract, msk(2026, 11, 12, 9), msk(2026, 11, 12, 18))
        self.assertEqual(request.miko_deadline, msk(2026, 11, 11, 16))

    def test_acceptance_period_extended_by_the_event(self):
        contract = self.prepaid_contract()
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        upd = self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        upd.action_send()
        upd.mark_delivered(date(2026, 11, 2))
        self.assertEqual(upd._deemed_acceptance_date(), date(2026, 11, 9))
        # 4–6 November (three days, Moscow) lost to force majeure
        self.event(contract, msk(2026, 11, 4, 0), msk(2026, 11, 7, 0))
        self.assertEqual(upd._deemed_acceptance_date(), date(2026, 11, 12))
        Upd = self.env["miko.support.upd"]
        with freeze_time("2026-11-09 09:00:00"):  # D+7: still within the extended period
            self.assertFalse(Upd._cron_deem_accepted())
        self.assertEqual(upd.state, "delivered")
        with freeze_time("2026-11-11 21:30:00"):  # 12 Nov 00:30 Moscow
            self.assertEqual(Upd._cron_deem_accepted(), upd)
        self.assertEqual(upd.deemed_accepted_date, date(2026, 11, 12))

    def test_end_before_start_is_refused(self):
        contract = self.create_contract()
        with self.assertRaises(UserError) as caught:
            self.event(contract, msk(2026, 11, 5), msk(2026, 11, 4))
        self.assertIn(contract.name, str(caught.exception))
        self.assertIn("End", str(caught.exception))

    def test_three_months_of_force_majeure_let_either_party_terminate_at_once(self):
        contract = self.create_contract()
        # two events that touch make one period: 1 July – 15 October
        self.event(contract, msk(2026, 7, 1), msk(2026, 8, 15))
        self.event(contract, msk(2026, 8, 15), msk(2026, 10, 15))
        contract.action_give_notice(
            date(2026, 10, 5), given_by="vendor", date_end=date(2026, 10, 5)
        )
        self.assertEqual((contract.state, contract.date_end), ("terminating", date(2026, 10, 5)))
        # the customer may too, and the end defaults to the notice date
        other = self.create_contract()
        self.event(other, msk(2026, 7, 1), msk(2026, 10, 15))
        other.action_give_notice(date(2026, 10, 1), given_by="customer")
        self.assertEqual(other.date_end, date(2026, 10, 1))

    def test_shorter_or_interrupted_force_majeure_keeps_the_month_of_notice(self):
        contract = self.create_contract()
        self.event(contract, msk(2026, 7, 1), msk(2026, 8, 1))
        self.event(contract, msk(2026, 8, 10), msk(2026, 10, 15))  # interrupted for 9 days
        with self.assertRaises(UserError):
            contract.action_give_notice(
                date(2026, 10, 5), given_by="customer", date_end=date(2026, 10, 5)
            )
        # over: the event ended before the notice
        with self.assertRaises(UserError):
            contract.action_give_notice(
                date(2026, 10, 20), given_by="customer", date_end=date(2026, 10, 20)
            )
        contract.action_give_notice(date(2026, 10, 5), given_by="customer")
        self.assertEqual(contract.date_end, date(2026, 11, 5))
