"""The SQL union billing agrees with the pure rule ``tests/oracle_intervals.bill_activities``."""

import random
from datetime import UTC, datetime, timedelta

from odoo.tests import tagged

from . import oracle_intervals as intervals
from .common import MikoSupportCommon

MSK = "+03:00"


@tagged("post_install", "-at_install")
class TestBillingSql(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contracts = cls.create_contract() | cls.create_contract(partner=cls.other_customer)
        cls.engineers = cls.engineer | cls.new_user(
            "miko_engineer_sql", "miko_support_contract.group_engineer"
        )
        cls.Contract = cls.env["miko.support.contract"]
        cls.Activity = cls.env["miko.support.activity"]

    def random_records(self, rnd, count, prefix):
        """Overlapping, touching, nested and midnight-crossing intervals of a few days."""
        records = []
        base = datetime(2026, 11, 23, 8, 0, 0)
        for index in range(count):
            start = base + timedelta(
                days=rnd.randint(0, 2), seconds=rnd.choice([0, 15, 29, 30, 31, 59])
            )
            start += timedelta(minutes=rnd.randint(0, 16 * 60))
            if rnd.random() < 0.05:  # across Moscow midnight
                start = start.replace(hour=23, minute=rnd.randint(40, 59))
            end = start + timedelta(seconds=rnd.choice([1, 29, 30, 89, 90, 600, 3599, 5400]))
            if rnd.random() < 0.1 and records:  # touching the previous one exactly
                previous = records[-1]
                start = datetime.fromisoformat(previous["end"][:19])
                end = start + timedelta(minutes=rnd.randint(1, 20))
            records.append(
                {
                    "contract": rnd.choice(self.contracts).name,
                    "engineer": rnd.choice(self.engineers).login,
                    "kind": "remote",
                    "start": start.isoformat() + MSK,
                    "end": end.isoformat() + MSK,
                    "subject": f"{prefix} {index}",
                    "description": "",
                    "source": "sqltest",
                    "source_ref": f"{prefix}-{index}",
                }
            )
        return records

    def assert_matches_rule(self, records, vendor_bugs=()):
        users = {user.login: user.id for user in self.engineers}
        contracts = {contract.name: contract.id for contract in self.contracts}
        by_ref = {record["source_ref"]: record for record in records}
        rows = [
            (
                ref,
                users[record["engineer"]],
                contracts[record["contract"]],
                datetime.fromisoformat(record["start"]).astimezone(UTC).replace(tzinfo=None),
                datetime.fromisoformat(record["end"]).astimezone(UTC).replace(tzinfo=None),
            )
            for ref, record in by_ref.items()
            if ref not in vendor_bugs
        ]
        expected = intervals.bill_activities(rows, intervals.MOSCOW)
        lines = self.env["account.analytic.line"].search(
            [("miko_contract_id", "in", self.contracts.ids)]
        )
        billed = {
            (line.user_id.id, line.miko_contract_id.id, line.date): line.miko_billed_minutes
            for line in lines
        }
        self.assertEqual(
            {key: day.billed_minutes for key, day in expected.items()},
            {key: minutes for key, minutes in billed.items() if minutes or key in expected},
        )
        for line in lines:
            self.assertAlmostEqual(line.unit_amount, line.miko_billed_minutes / 60.0)
            self.assertEqual(line.employee_id.user_id, line.user_id)
            self.assertEqual(line.project_id, line.miko_contract_id.project_id)
        activities = self.Activity.search([("source", "=", "sqltest")])
        for activity in activities:
            key = (activity.user_id.id, activity.contract_id.id, activity.day)
            self.assertEqual(activity.timesheet_id.date, activity.day)
            if activity.source_ref in vendor_bugs:
                self.assertEqual((activity.block_index, activity.block_billed_minutes), (0, 0))
                continue
            entry = expected[key].trail[activity.source_ref]
            block = expected[key].blocks[entry.block_index]
            self.assertEqual(
                (
                    activity.block_index,
                    activity.block_billed_minutes,
                    activity.block_begin,
                    activity.block_end,
                ),
                (entry.block_index + 1, entry.block_billed_minutes, block.start, block.end),
                activity.source_ref,
            )

    def test_sql_billing_equals_the_rule_on_random_days(self):
        for seed in range(3):
            rnd = random.Random(seed)
            records = self.random_records(rnd, 120, f"s{seed}")
            result = self.Contract.register_activities(records)
            self.assertFalse(result["errors"])
            self.Contract._cron_post_consumption()
            self.assert_matches_rule(records)
            # edits: some intervals move, some become vendor bugs; the union follows
            moved = []
            for record in rnd.sample(records, 30):
                start = datetime.fromisoformat(record["start"]) + timedelta(minutes=7)
                moved.append({**record, "start": start.isoformat()})
            for record in moved:
                start = datetime.fromisoformat(record["start"])
                if start >= datetime.fromisoformat(record["end"]):
                    record["end"] = (start + timedelta(minutes=1)).isoformat()
            by_ref = {record["source_ref"]: record for record in records}
            by_ref.update({record["source_ref"]: record for record in moved})
            result = self.Contract.register_activities(moved)
            self.assertFalse(result["errors"])
            bugs = {record["source_ref"] for record in rnd.sample(records, 10)}
            self.Activity.search([("source_ref", "in", list(bugs))]).action_mark_vendor_bug("B-1")
            self.Contract._cron_post_consumption()
            self.assert_matches_rule(list(by_ref.values()), bugs)
            self.Activity.search([("source", "=", "sqltest")]).unlink()
            self.Contract._cron_post_consumption()
