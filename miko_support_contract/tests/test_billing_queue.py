"""Billing without per-activity writes: trails computed on read, the queue of changed days, the
bulk wallet posting."""

from datetime import date, datetime

from odoo.exceptions import UserError
from odoo.tests import tagged

from . import oracle_intervals as intervals
from .common import MikoSupportCommon

MSK = "+03:00"


@tagged("post_install", "-at_install")
class TestBillingQueue(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls.create_contract()
        cls.other_contract = cls.create_contract(partner=cls.other_customer)
        cls.Contract = cls.env["miko.support.contract"]
        cls.Activity = cls.env["miko.support.activity"]
        cls.Queue = cls.env["miko.support.billing.queue"].sudo()

    def record(self, ref, start, end, contract=None):
        return {
            "contract": (contract or self.contract).name,
            "engineer": self.engineer.login,
            "kind": "remote",
            "start": f"{start}{MSK}",
            "end": f"{end}{MSK}",
            "subject": f"Сеанс {ref}",
            "description": "",
            "source": "queue",
            "source_ref": ref,
        }

    def register(self, records):
        result = self.Contract.register_activities(records)
        self.assertFalse(result["errors"])
        return result

    def activity(self, ref, part=0):
        return self.Activity.with_context(active_test=False).search(
            [("source_ref", "=", ref), ("part", "=", part)]
        )

    def day_line(self, day, contract=None):
        return self.env["account.analytic.line"].search(
            [
                ("miko_contract_id", "=", (contract or self.contract).id),
                ("user_id", "=", self.engineer.id),
                ("date", "=", day),
            ]
        )

    def queued(self):
        return {(q.contract_id, q.user_id, q.day) for q in self.Queue.search([])}

    def expected_trails(self, activities):
        """The pure rule on the billable activities: ``{id: (index, minutes, begin, end)}``."""
        rows = [
            (a.id, a.user_id.id, a.contract_id.id, a.date_begin, a.date_end)
            for a in activities
            if a.active and not a.is_vendor_bug
        ]
        expected = {}
        for day in intervals.bill_activities(rows, intervals.MOSCOW).values():
            for key, entry in day.trail.items():
                block = day.blocks[entry.block_index]
                expected[key] = (
                    entry.block_index + 1,
                    entry.block_billed_minutes,
                    block.start,
                    block.end,
                )
        return expected

    def trails(self, activities):
        return {
            a.id: (a.block_index, a.block_billed_minutes, a.block_begin, a.block_end)
            for a in activities
        }

    # --- trails computed on read ----------------------------------------------------------------
    def test_trails_on_read_follow_the_rule(self):
        self.register(
            [
                self.record("t1", "2026-11-24T10:00:00", "2026-11-24T10:10:00"),
                self.record("t2", "2026-11-24T10:10:00", "2026-11-24T10:20:29"),  # touches t1
                self.record("t3", "2026-11-24T10:20:30", "2026-11-24T10:21:00"),  # gap of 1 s
                self.record("t4", "2026-11-24T10:05:00", "2026-11-24T10:06:00"),  # nested
                self.record("mid", "2026-11-24T23:50:00", "2026-11-25T00:20:00"),  # midnight
                self.record("bug", "2026-11-24T12:00:00", "2026-11-24T12:30:00"),
                self.record("gone", "2026-11-24T14:00:00", "2026-11-24T14:30:00"),
            ]
        )
        # before the billing run: the trail is already what the rows say
        self.assertTrue(self.activity("t1").needs_billing)
        self.assertEqual(self.activity("t1").block_billed_minutes, 20)
        self.activity("bug").action_mark_vendor_bug("BUG-1")
        self.activity("gone").action_archive()
        everything = self.Activity.with_context(active_test=False).search(
            [("source", "=", "queue")]
        )
        self.assertEqual(len(everything), 8)  # the midnight session is two pieces
        expected = self.expected_trails(everything)
        trails = self.trails(everything)
        self.assertEqual({key: trails[key] for key in expected}, expected)
        t1, t2, t3 = self.activity("t1"), self.activity("t2"), self.activity("t3")
        self.assertEqual((t1.block_index, t2.block_index, t3.block_index), (1, 1, 2))
        self.assertEqual(t1.block_billed_minutes, 20)  # 10:00:00–10:20:29 → 20 min
        self.assertEqual(
            (
                self.activity("mid").block_billed_minutes,
                self.activity("mid", 1).block_billed_minutes,
            ),
            (10, 20),
        )
        for ref in ("bug", "gone"):
            activity = self.activity(ref)
            self.assertEqual(
                (activity.block_index, activity.block_billed_minutes),
                (0, 0),
                ref,
            )
            self.assertFalse(activity.block_begin or activity.block_end, ref)
        # the form's changes billed their days at once; a description does not re-bill
        self.activity("t3").write({"description": "no re-billing"})
        self.assertFalse(self.activity("t3").needs_billing)
        self.Contract._cron_post_consumption()
        line = self.day_line(date(2026, 11, 24))
        # 10:00–10:20:29 (20) + 10:20:30–10:21 (1, rounded half-up) + 23:50–24:00 (10)
        self.assertEqual(line.miko_billed_minutes, 31)
        self.assertEqual(self.trails(everything), trails)
        self.assertEqual(self.activity("bug").timesheet_id, line)
        self.assertFalse(self.activity("gone").timesheet_id)
        self.assertEqual(self.activity("mid", 1).timesheet_id, self.day_line(date(2026, 11, 25)))
        self.assertEqual(
            set(line.miko_activity_ids.mapped("source_ref")), {"t1", "t2", "t3", "t4", "mid", "bug"}
        )

    def test_timesheet_id_search(self):
        self.register(
            [
                self.record("s1", "2026-11-23T10:00:00", "2026-11-23T10:30:00"),
                self.record("s2", "2026-11-23T11:00:00", "2026-11-23T11:30:00"),
                self.record("s3", "2026-11-24T10:00:00", "2026-11-24T10:30:00"),
                self.record("s4", "2026-11-24T12:00:00", "2026-11-24T12:30:00"),
            ]
        )
        self.Contract._cron_post_consumption()
        self.activity("s4").action_archive()
        line_23, line_24 = self.day_line(date(2026, 11, 23)), self.day_line(date(2026, 11, 24))
        Activity = self.Activity.with_context(active_test=False)
        ours = [("source", "=", "queue")]

        def refs(domain):
            return set(Activity.search(ours + domain).mapped("source_ref"))

        self.assertEqual(refs([("timesheet_id", "=", line_23.id)]), {"s1", "s2"})
        self.assertEqual(
            refs([("timesheet_id", "in", (line_23 | line_24).ids)]), {"s1", "s2", "s3"}
        )
        self.assertEqual(refs([("timesheet_id", "=", False)]), {"s4"})
        self.assertEqual(refs([("timesheet_id", "!=", line_23.id)]), {"s3", "s4"})
        self.assertEqual(refs([("timesheet_id.date", "=", date(2026, 11, 24))]), {"s3"})
        action = line_23.action_miko_view_activities()
        self.assertEqual(
            set(self.Activity.search(action["domain"]).mapped("source_ref")), {"s1", "s2"}
        )

    # --- the queue ------------------------------------------------------------------------------
    def test_queue_is_consumed_once(self):
        self.register(
            [
                self.record("q1", "2026-11-23T10:00:00", "2026-11-23T10:30:00"),
                self.record("q2", "2026-11-24T10:00:00", "2026-11-24T10:30:00"),
            ]
        )
        groups = {
            (self.contract, self.engineer, date(2026, 11, 23)),
            (self.contract, self.engineer, date(2026, 11, 24)),
        }
        self.assertEqual(self.queued(), groups)
        self.assertEqual(
            set(self.Activity.search([("needs_billing", "=", True)]).mapped("source_ref")),
            {"q1", "q2"},
        )
        self.assertEqual(self.contract._bill_pending_days(), 2)
        self.assertFalse(self.queued())
        self.assertFalse(self.Activity.search([("needs_billing", "=", True)]))
        self.assertEqual(self.contract._bill_pending_days(), 0)
        # an unchanged re-import queues nothing
        self.register([self.record("q1", "2026-11-23T10:00:00", "2026-11-23T10:30:00")])
        self.assertFalse(self.queued())
        self.assertEqual(self.day_line(date(2026, 11, 23)).miko_billed_minutes, 30)

    def test_rebilling_after_edit_delete_and_move(self):
        self.register(
            [
                self.record("m1", "2026-11-24T10:00:00", "2026-11-24T10:30:00"),
                self.record("m2", "2026-11-24T11:00:00", "2026-11-24T11:20:00"),
                self.record("m3", "2026-11-24T12:00:00", "2026-11-24T12:10:00"),
            ]
        )
        self.Contract._cron_post_consumption()
        day = date(2026, 11, 24)
        self.assertEqual(self.day_line(day).miko_billed_minutes, 60)
        # an edit in the form
        self.activity("m1").write({"date_end": datetime(2026, 11, 24, 7, 45)})  # 10:45 Moscow
        self.assertEqual(self.day_line(day).miko_billed_minutes, 75)
        # a move to another contract through the API: both days are billed again
        self.register(
            [self.record("m2", "2026-11-24T11:00:00", "2026-11-24T11:20:00", self.other_contract)]
        )
        self.assertEqual(
            self.queued(),
            {(self.contract, self.engineer, day), (self.other_contract, self.engineer, day)},
        )
        self.Contract._cron_post_consumption()
        self.assertEqual(self.day_line(day).miko_billed_minutes, 55)
        self.assertEqual(self.day_line(day, self.other_contract).miko_billed_minutes, 20)
        # a move in the form
        self.activity("m3").write({"contract_id": self.other_contract.id})
        self.assertEqual(self.day_line(day).miko_billed_minutes, 45)
        self.assertEqual(self.day_line(day, self.other_contract).miko_billed_minutes, 30)
        # a deletion
        self.activity("m1").unlink()
        self.assertEqual(self.day_line(day).miko_billed_minutes, 0)
        self.assertFalse(self.day_line(day).miko_activity_ids)
        self.assertFalse(self.queued())
        self.Contract._cron_post_consumption()
        consumed = self.contract.entry_ids.filtered(lambda e: e.date == day)
        self.assertEqual(sum(consumed.mapped("minutes")), 0)
        self.assertEqual(sum(self.other_contract.entry_ids.mapped("minutes")), 30)
        self.assertFalse(self.env["miko.support.wallet.entry"]._chain_altered())

    # --- bulk wallet posting --------------------------------------------------------------------
    def test_bulk_posting_equals_orm_create(self):
        Entry = self.env["miko.support.wallet.entry"].sudo()
        self.contract._wallet_post(
            [
                {
                    "contract_id": self.contract.id,
                    "date": date(2026, 10, 1),
                    "kind": "adjustment",
                    "amount": 1000.0,
                    "name": "Opening",
                    "reason": "test",
                    "approver_id": self.env.user.id,
                }
            ]
        )
        self.contract.state = "active"

        def vals_list(contract, prefix):
            return [
                {
                    "contract_id": contract.id,
                    "date": date(2026, 10, day),
                    "kind": "consumption" if day % 3 else "credit",
                    "amount": amount,
                    "minutes": minutes,
                    "name": f"Технический день {day}",
                    "source_key": f"{prefix}:{contract.id}:{day}",
                }
                for day, amount, minutes in (
                    (1, -736.67, 26),
                    (2, -0.1 - 0.2, 0),  # a float that needs the currency's rounding
                    (3, 28.33, -1),
                    (4, -1700.0, 60),
                )
            ]

        bulk = Entry._create_bulk(vals_list(self.contract, "bulk"))
        self.assertEqual(self.contract.balance_alert_level, "negative")
        orm = Entry.create(vals_list(self.contract, "orm"))
        orm_other = Entry.create(vals_list(self.other_contract, "orm"))
        self.assertEqual(len(bulk), 4)

        def snapshot(entries):
            return [
                (e.date, e.kind, e.amount, e.minutes, e.name, e.company_id, e.partner_id)
                for e in entries.sorted("id")
            ]

        self.assertEqual(snapshot(bulk), snapshot(orm))
        self.assertEqual(
            [key.replace("bulk", "orm") for key in bulk.sorted("id").mapped("source_key")],
            orm.sorted("id").mapped("source_key"),
        )
        self.assertTrue(all(bulk.mapped("chain_hash")))
        self.assertFalse(Entry._chain_altered((self.contract | self.other_contract).ids))
        # the ORM after the bulk entries continues the same chain
        self.contract._wallet_post(vals_list(self.contract, "after")[:1])
        self.assertFalse(Entry._chain_altered(self.contract.ids))
        # the stored balance moved as create moves it, and the alert level followed
        self.assertAlmostEqual(
            self.contract.balance, 1000.0 + 2 * (-736.67 - 0.3 + 28.33 - 1700.0) - 736.67
        )
        self.assertEqual(self.contract.balance_alert_level, "negative")
        self.assertEqual(self.other_contract.balance, sum(orm_other.mapped("amount")))
        self.assertFalse(self.contract._wallet_integrity_errors()["balances"])

    def test_post_consumption_keys_and_amounts(self):
        self.register(
            [
                self.record("w1", "2026-11-23T10:00:00", "2026-11-23T10:26:00"),
                self.record("w2", "2026-11-24T10:00:00", "2026-11-24T10:26:00"),
                self.record(
                    "w3", "2026-11-24T10:00:00", "2026-11-24T10:30:00", self.other_contract
                ),
            ]
        )
        self.Contract._cron_post_consumption()
        entries = self.contract.entry_ids.sorted("date")
        self.assertEqual(
            [(e.date, e.kind, e.amount, e.minutes, e.source_key) for e in entries],
            [
                (
                    date(2026, 11, 23),
                    "consumption",
                    -736.67,
                    26,
                    f"billing:{self.contract.id}:2026-11-23:1",
                ),
                # each day on its own (the month's rounding is settled once, by the UPD)
                (
                    date(2026, 11, 24),
                    "consumption",
                    -736.67,
                    26,
                    f"billing:{self.contract.id}:2026-11-24:1",
                ),
            ],
        )
        self.assertEqual(
            entries[0].name,
            "Техническая поддержка за 23.11.2026: 26 мин",  # the customer's language
        )
        # a correction is a second entry of the day
        self.activity("w2").write({"date_end": datetime(2026, 11, 24, 7, 30)})  # 10:30 Moscow
        self.Contract._cron_post_consumption()
        correction = self.contract.entry_ids.filtered(
            lambda e: e.source_key == f"billing:{self.contract.id}:2026-11-24:2"
        )
        self.assertEqual((correction.minutes, correction.kind), (4, "consumption"))
        self.assertEqual(
            correction.name,
            "Корректировка техподдержки за 24.11.2026: 4 мин",
        )
        # 26 + 30 min = 736.67 + 850.00 in all
        self.assertAlmostEqual(sum(self.contract.entry_ids.mapped("amount")), -1586.67, 2)
        self.assertAlmostEqual(self.contract.balance, sum(self.contract.entry_ids.mapped("amount")))
        self.assertFalse(self.env["miko.support.wallet.entry"]._chain_altered())
        # nothing new on a second run
        count = len(self.contract.entry_ids)
        self.Contract._cron_post_consumption()
        self.assertEqual(len(self.contract.entry_ids), count)

    # --- day lines written through the ORM -------------------------------------------------------
    def test_day_line_fields_are_what_the_orm_computes(self):
        """A day line is made by hr_timesheet's ``create``: its stored computed fields are what
        the ORM computes again, its cost is the employee's hourly cost (``amount``), and the
        billing run's writes keep it so."""
        employee = self.env(su=True)["hr.employee"].create(
            {
                "name": self.engineer.name,
                "user_id": self.engineer.id,
                "company_id": self.contract.company_id.id,
                "hourly_cost": 600.0,
            }
        )
        self.register([self.record("d1", "2026-11-24T10:00:00", "2026-11-24T10:30:00")])
        self.Contract._cron_post_consumption()
        line = self.day_line(date(2026, 11, 24))
        self.assertTrue(line.project_id and line.partner_id and line.currency_id)
        self.assertEqual(line.employee_id, employee)
        self.assertEqual((line.unit_amount, line.amount), (0.5, -300.0))
        self.assertEqual(line.account_id, self.contract.project_id.account_id)
        self.assertEqual(line.product_uom_id, self.contract.company_id.project_time_mode_id)
        computed = [name for name, field in line._fields.items() if field.store and field.compute]
        stored = {name: line[name] for name in computed}
        for name in computed:
            self.env.add_to_compute(line._fields[name], line)
        self.env.flush_all()
        line.invalidate_recordset()
        self.assertEqual({name: line[name] for name in computed}, stored)
        # an edit: the billing run writes the minutes, hr_timesheet the cost
        self.activity("d1").write({"date_end": datetime(2026, 11, 24, 7, 45)})  # 10:45 Moscow
        line.invalidate_recordset()
        self.assertEqual((line.miko_billed_minutes, line.unit_amount), (45, 0.75))
        self.assertEqual(line.amount, -450.0)
        # nobody else writes what the billing run maintains, not even with a context key
        for vals in ({"unit_amount": 2.0}, {"miko_wallet_entry_id": False}):
            with self.assertRaises(UserError):
                line.with_context(miko_billing_write=True).write(vals)

    def test_day_line_links_its_ledger_entry(self):
        """Each day line points to the ledger entry that last charged its day."""
        self.register(
            [
                self.record("l1", "2026-11-23T10:00:00", "2026-11-23T10:26:00"),
                self.record("l2", "2026-11-24T10:00:00", "2026-11-24T10:26:00"),
            ]
        )
        self.Contract._bill_pending_days()
        first, second = self.day_line(date(2026, 11, 23)), self.day_line(date(2026, 11, 24))
        self.assertEqual(len(first | second), 2)
        self.assertFalse((first | second).miko_wallet_entry_id)  # billed, not charged yet
        self.Contract._cron_post_consumption()
        key = f"billing:{self.contract.id}"
        entries = {e.source_key: e for e in self.contract.entry_ids}
        self.assertEqual(first.miko_wallet_entry_id, entries[f"{key}:2026-11-23:1"])
        self.assertEqual(second.miko_wallet_entry_id, entries[f"{key}:2026-11-24:1"])
        # a correction of the 24th: that line moves to the correction, the other stays
        self.activity("l2").write({"date_end": datetime(2026, 11, 24, 7, 30)})
        self.Contract._cron_post_consumption()
        entries = {e.source_key: e for e in self.contract.entry_ids}
        self.assertEqual(first.miko_wallet_entry_id, entries[f"{key}:2026-11-23:1"])
        self.assertEqual(second.miko_wallet_entry_id, entries[f"{key}:2026-11-24:2"])
        self.assertEqual(second.miko_wallet_entry_id.minutes, 4)
        # the ledger entry of a day line is never deleted under it
        self.assertEqual(
            self.env["account.analytic.line"]._fields["miko_wallet_entry_id"].ondelete, "restrict"
        )
