from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import MikoSupportCommon

DATA = Path(__file__).parent / "data"


@tagged("post_install", "-at_install")
class TestActivities(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls.create_contract()
        cls.engineer2 = cls.new_user("miko_engineer2", "miko_support_contract.group_engineer")
        cls.Contract = cls.env["miko.support.contract"]
        cls.Activity = cls.env["miko.support.activity"]

    def record(self, ref, start, end, engineer=None, contract=None, **values):
        return {
            "contract": contract or self.contract.name,
            "engineer": (engineer or self.engineer).login,
            "kind": "call_out",
            "start": start,
            "end": end,
            "subject": f"Исходящий звонок {ref}",
            "description": "",
            "source": "api",
            "source_ref": ref,
            **values,
        }

    def register(self, records):
        return self.Contract.register_activities(records)

    def charge(self):
        self.Contract._cron_post_consumption()
        return self.contract.entry_ids.filtered(lambda e: e.kind in ("consumption", "credit"))

    def day_line(self, day, user=None):
        return self.env["account.analytic.line"].search(
            [
                ("miko_contract_id", "=", self.contract.id),
                ("date", "=", day),
                ("user_id", "=", (user or self.engineer).id),
            ]
        )

    # --- the billing rule --------------------------------------------------------------------
    def test_union_of_one_engineers_day(self):
        result = self.register(
            [
                self.record("a", "2026-11-24T10:42:00+03:00", "2026-11-24T10:43:00+03:00"),
                self.record("b", "2026-11-24T11:43:00+03:00", "2026-11-24T11:46:00+03:00"),
                self.record("c", "2026-11-24T11:44:00+03:00", "2026-11-24T12:08:00+03:00"),
            ]
        )
        self.assertEqual(result, {"created": 3, "updated": 0, "skipped": 0, "errors": []})
        entries = self.charge()
        line = self.day_line(date(2026, 11, 24))
        self.assertEqual(line.miko_billed_minutes, 26)
        self.assertAlmostEqual(line.unit_amount, 26 / 60)
        self.assertEqual(line.project_id, self.contract.project_id)
        self.assertEqual(line.employee_id.user_id, self.engineer)
        self.assertEqual(len(line.miko_activity_ids), 3)
        trail = {
            a.source_ref: (a.block_index, a.block_billed_minutes) for a in line.miko_activity_ids
        }
        self.assertEqual(trail, {"a": (1, 1), "b": (2, 25), "c": (2, 25)})
        self.assertEqual(entries.mapped("minutes"), [26])
        # 26 min × 1700 / 60 = 736.666… → 736.67
        self.assertEqual(Decimal(str(entries.amount)), Decimal("-736.67"))
        self.assertEqual(entries.date, date(2026, 11, 24))
        self.assertAlmostEqual(self.contract.balance, -736.67)

    def test_two_engineers_count_separately(self):
        self.register(
            [
                self.record("e1", "2026-11-24T10:00:00+03:00", "2026-11-24T10:30:00+03:00"),
                self.record(
                    "e2",
                    "2026-11-24T10:00:00+03:00",
                    "2026-11-24T10:30:00+03:00",
                    engineer=self.engineer2,
                ),
            ]
        )
        entries = self.charge()
        self.assertEqual(sum(entries.mapped("minutes")), 60)
        self.assertEqual(self.day_line(date(2026, 11, 24)).miko_billed_minutes, 30)
        self.assertEqual(self.day_line(date(2026, 11, 24), self.engineer2).miko_billed_minutes, 30)

    def test_half_up_rounding_of_blocks(self):
        self.register(
            [
                self.record("s29", "2026-11-23T10:00:00+03:00", "2026-11-23T10:00:29+03:00"),
                self.record("s30", "2026-11-24T10:00:00+03:00", "2026-11-24T10:00:30+03:00"),
            ]
        )
        self.charge()
        self.assertEqual(self.day_line(date(2026, 11, 23)).miko_billed_minutes, 0)
        self.assertEqual(self.day_line(date(2026, 11, 24)).miko_billed_minutes, 1)

    def test_crossing_moscow_midnight_is_split(self):
        result = self.register(
            [self.record("night", "2026-11-24T23:50:00+03:00", "2026-11-25T00:20:00+03:00")]
        )
        self.assertEqual(result["created"], 1)
        pieces = self.Activity.search([("source_ref", "=", "night")], order="part")
        self.assertEqual(pieces.mapped("day"), [date(2026, 11, 24), date(2026, 11, 25)])
        self.assertEqual(pieces.mapped("raw_seconds"), [600, 1200])
        self.charge()
        self.assertEqual(self.day_line(date(2026, 11, 24)).miko_billed_minutes, 10)
        self.assertEqual(self.day_line(date(2026, 11, 25)).miko_billed_minutes, 20)
        # re-sending it shorter drops the second piece
        result = self.register(
            [self.record("night", "2026-11-24T23:40:00+03:00", "2026-11-24T23:55:00+03:00")]
        )
        self.assertEqual(result["updated"], 1)
        self.assertEqual(self.Activity.search_count([("source_ref", "=", "night")]), 1)
        entries = self.charge()
        self.assertEqual(sum(entries.mapped("minutes")), 15)

    def test_month_total_is_rounded_once(self):
        """198 minutes at 1700 RUB/h over several days: 5610.00, not a sum of rounded days."""
        records = []
        for day, minutes in ((2, 1), (3, 1), (4, 196)):
            records.append(
                self.record(
                    f"m{day}",
                    f"2026-11-{day:02d}T10:00:00+03:00",
                    f"2026-11-{day:02d}T{10 + minutes // 60:02d}:{minutes % 60:02d}:00+03:00",
                )
            )
        self.register(records)
        entries = self.charge()
        self.assertEqual(sum(entries.mapped("minutes")), 198)
        # one entry per day (28.33 + 28.33 + 5553.33), the month's rounding settled once
        self.assertEqual(len(entries), 3)
        self.contract._settle_month_rounding(date(2026, 11, 1), date(2026, 11, 30))
        totals = self.contract._service_totals(date(2026, 11, 1), date(2026, 11, 30))
        self.assertEqual(totals, {"amount": Decimal("5610.00"), "minutes": 198})
        # each day on its own (28.33 + 28.33 + 5553.33 = 5609.99); the settlement adds 0.01
        self.assertEqual(
            sorted(Decimal(str(-a)) for a in entries.mapped("amount")),
            [Decimal("28.33"), Decimal("28.33"), Decimal("5553.33")],
        )

    # --- idempotency and corrections ---------------------------------------------------------
    def test_reimport_and_recharge_create_nothing(self):
        records = [
            self.record("r1", "2026-11-24T10:00:00+03:00", "2026-11-24T10:10:00+03:00"),
            self.record("r2", "2026-11-24T10:05:00+03:00", "2026-11-24T10:20:00+03:00"),
        ]
        self.register(records)
        first = self.charge()
        again = self.register([*records, records[0]])
        self.assertEqual(again, {"created": 0, "updated": 0, "skipped": 3, "errors": []})
        self.assertEqual(self.charge(), first)
        self.assertEqual(self.Activity.search_count([("contract_id", "=", self.contract.id)]), 2)

    def test_reimport_fast_path_follows_the_stored_activity(self):
        """Unchanged records are skipped by fingerprint; an edited or split activity is not."""
        night = self.record("n", "2026-11-24T23:30:00+03:00", "2026-11-25T00:30:00+03:00")
        day = self.record("d", "2026-11-24T10:00:00+03:00", "2026-11-24T10:30:00+03:00")
        self.register([night, day])
        pieces = self.Activity.search([("source_ref", "in", ("n", "d"))])
        self.assertEqual(len(pieces), 3)
        self.assertEqual(len(set(pieces.mapped("source_hash"))), 2)
        queries = self.env.cr.sql_log_count
        again = self.register([night, day])
        few = self.env.cr.sql_log_count - queries
        self.assertEqual(again, {"created": 0, "updated": 0, "skipped": 2, "errors": []})
        # set-based: the same statements for forty records as for two
        many = [
            self.record(f"m{number}", "2026-11-23T10:00:00+03:00", "2026-11-23T10:05:00+03:00")
            for number in range(40)
        ]
        self.register(many)
        queries = self.env.cr.sql_log_count
        self.assertEqual(self.register([night, day, *many])["skipped"], 42)
        self.assertEqual(self.env.cr.sql_log_count - queries, few)
        # an edit in the back office clears the fingerprint: the re-import restores the record
        edited = pieces.filtered(lambda piece: piece.source_ref == "d")
        edited.date_end = datetime(2026, 11, 24, 7, 20)
        self.assertFalse(edited.source_hash)
        self.assertEqual(self.register([night, day])["updated"], 1)
        self.assertEqual(edited.date_end, datetime(2026, 11, 24, 7, 30))
        self.assertTrue(edited.source_hash)
        # a deleted day piece clears its sibling's: the night activity is rebuilt whole
        pieces.filtered(lambda piece: piece.source_ref == "n" and piece.part == 1).unlink()
        self.assertEqual(self.register([night, day])["updated"], 1)
        self.assertEqual(self.Activity.search_count([("source_ref", "=", "n")]), 2)
        # the same reference sent twice with different data still goes through validation
        changed = dict(day, subject="Другой звонок")
        result = self.register([day, changed])
        self.assertEqual((result["skipped"], len(result["errors"])), (2, 1))
        # another engineer's record sent by an engineer is refused, not skipped
        result = self.Contract.with_user(self.engineer2).register_activities([day])
        self.assertEqual((result["skipped"], len(result["errors"])), (0, 1))

    def test_edit_and_delete_book_corrections(self):
        self.register([self.record("x", "2026-11-24T10:00:00+03:00", "2026-11-24T10:30:00+03:00")])
        self.charge()
        activity = self.Activity.search([("source_ref", "=", "x")])
        activity.date_end = datetime(2026, 11, 24, 7, 20)  # 10:20 Moscow
        entries = self.charge()
        self.assertEqual(entries.sorted("id").mapped("minutes"), [30, -10])
        self.assertEqual(self.day_line(date(2026, 11, 24)).miko_billed_minutes, 20)
        activity.unlink()
        entries = self.charge()
        self.assertEqual(sum(entries.mapped("minutes")), 0)
        self.assertEqual(sum(entries.mapped("amount")), 0)
        self.assertEqual(self.day_line(date(2026, 11, 24)).unit_amount, 0)

    def test_vendor_bug_is_credited(self):
        self.register(
            [
                self.record("ok", "2026-11-24T10:00:00+03:00", "2026-11-24T10:30:00+03:00"),
                self.record("bug", "2026-11-24T11:00:00+03:00", "2026-11-24T11:15:00+03:00"),
            ]
        )
        self.charge()
        bug = self.Activity.search([("source_ref", "=", "bug")])
        with self.assertRaises(UserError):
            bug.action_mark_vendor_bug("")
        bug.action_mark_vendor_bug("BUG-1042", "2026.3")
        credit = self.contract.entry_ids.filtered(lambda e: e.kind == "credit")
        self.assertEqual(credit.minutes, -15)
        self.assertAlmostEqual(credit.amount, 425.0)
        line = self.day_line(date(2026, 11, 24))
        self.assertEqual((line.miko_billed_minutes, line.miko_nonbillable_minutes), (30, 15))
        statement = self.contract.get_statement("2026-11-24", "2026-11-24")
        charged = {line["subject"]: line["charged"] for line in statement["days"][0]["lines"]}
        self.assertEqual(charged, {"Исходящий звонок ok": True, "Исходящий звонок bug": False})
        self.assertEqual(statement["billed_minutes"], 30)
        self.assertAlmostEqual(statement["performed_amount"], 850.0)

    def test_month_lock_is_one_rule(self):
        """``_month_locked`` decides for the activity and the day line alike: a day up to
        ``locked_until`` is closed, the next one open."""
        self.assertFalse(self.contract._month_locked(date(2026, 10, 31)))
        self.register([self.record("m", "2026-10-31T10:00:00+03:00", "2026-10-31T10:30:00+03:00")])
        self.charge()
        self.contract.sudo().locked_until = date(2026, 10, 31)
        self.assertTrue(self.contract._month_locked(date(2026, 10, 31)))
        self.assertFalse(self.contract._month_locked(date(2026, 11, 1)))
        activity = self.Activity.search([("source_ref", "=", "m")])
        with self.assertRaisesRegex(UserError, "locked until"):
            activity.subject = "changed"
        with self.assertRaisesRegex(UserError, "closed by its UPD"):
            activity.timesheet_id.sudo().unlink()

    def test_support_zone_is_the_companys(self):
        """One time-zone helper: the company's zone as a ``ZoneInfo``, Moscow when unset; an
        activity's day and midnight split follow it."""
        company = self.contract.company_id
        self.assertEqual(company._miko_support_zone(), ZoneInfo("Europe/Moscow"))
        company.miko_support_tz = False
        self.assertEqual(company._miko_support_zone(), ZoneInfo("Europe/Moscow"))
        self.assertEqual(self.env["res.company"]._miko_support_zone(), ZoneInfo("Europe/Moscow"))
        company.miko_support_tz = "Asia/Yekaterinburg"  # UTC+5
        self.assertEqual(company._miko_support_zone(), ZoneInfo("Asia/Yekaterinburg"))
        # 20:30-21:30 UTC is 01:30-02:30 on the next day in Yekaterinburg: one piece, next day
        self.register([self.record("z", "2026-11-02T20:30:00+00:00", "2026-11-02T21:30:00+00:00")])
        pieces = self.Activity.search([("source_ref", "=", "z")])
        self.assertEqual(pieces.mapped("day"), [date(2026, 11, 3)])
        activity = self.Activity.create(
            {
                "contract_id": self.contract.id,
                "user_id": self.engineer.id,
                "kind": "remote",
                "subject": "Across Yekaterinburg midnight",
                "date_begin": datetime(2026, 11, 4, 18, 30),
                "date_end": datetime(2026, 11, 4, 19, 30),
            }
        )
        parts = self.Activity.search([("subject", "=", activity.subject)], order="part")
        self.assertEqual(
            [(part.day, part.date_begin, part.date_end) for part in parts],
            [
                (date(2026, 11, 4), datetime(2026, 11, 4, 18, 30), datetime(2026, 11, 4, 19, 0)),
                (date(2026, 11, 5), datetime(2026, 11, 4, 19, 0), datetime(2026, 11, 4, 19, 30)),
            ],
        )

    def test_locked_month_refuses_changes(self):
        self.register([self.record("l", "2026-10-30T10:00:00+03:00", "2026-10-30T10:30:00+03:00")])
        self.charge()
        self.contract.sudo().locked_until = date(2026, 10, 31)
        activity = self.Activity.search([("source_ref", "=", "l")])
        with self.assertRaises(UserError):
            activity.date_end = datetime(2026, 10, 30, 7, 40)
        with self.assertRaises(UserError):
            activity.unlink()
        result = self.register(
            [
                self.record("l", "2026-10-30T10:00:00+03:00", "2026-10-30T10:45:00+03:00"),
                self.record("new", "2026-10-29T10:00:00+03:00", "2026-10-29T10:45:00+03:00"),
            ]
        )
        # a change of closed work is refused; new work of the closed month is accepted as late
        # work (charged in the first open month, see test_lifecycle)
        self.assertEqual((result["created"], result["updated"]), (1, 0))
        self.assertEqual([e["index"] for e in result["errors"]], [0])
        with self.assertRaises(UserError):
            self.day_line(date(2026, 10, 30)).with_user(self.engineer).name = "changed"

    # --- bad input ---------------------------------------------------------------------------
    def test_bad_records_are_reported_good_ones_saved(self):
        good = self.record("good", "2026-11-24T10:00:00+03:00", "2026-11-24T10:10:00+03:00")
        result = self.register(
            [
                self.record("rev", "2026-11-24T10:00:00+03:00", "2026-11-24T09:00:00+03:00"),
                good,
                self.record("naive", "2026-11-24T10:00:00", "2026-11-24T10:10:00"),
                self.record(
                    "nc", "2026-11-24T10:00:00+03:00", "2026-11-24T10:10:00+03:00", contract="ТП-0"
                ),
                self.record(
                    "k", "2026-11-24T10:00:00+03:00", "2026-11-24T10:10:00+03:00", kind="chat"
                ),
                self.record("long", "2026-11-24T10:00:00+03:00", "2026-11-25T11:00:00+03:00"),
                self.record("zero", "2026-11-24T10:00:00+03:00", "2026-11-24T10:00:00+03:00"),
                dict(good, subject="other"),
                "not a record",
            ]
        )
        self.assertEqual(result["created"], 1)
        self.assertEqual([e["index"] for e in result["errors"]], [0, 2, 3, 4, 5, 6, 7, 8])
        messages = " | ".join(e["message"] for e in result["errors"])
        for expected in ('"start"', "ТП-0", "chat", "24"):
            self.assertIn(expected, messages)
        self.assertEqual(self.Activity.search_count([("contract_id", "=", self.contract.id)]), 1)

    def test_manual_activity_validation(self):
        with self.assertRaises(ValidationError):
            self.Activity.create(
                {
                    "contract_id": self.contract.id,
                    "subject": "x",
                    "date_begin": datetime(2026, 11, 24, 8, 0),
                    "date_end": datetime(2026, 11, 24, 7, 0),
                }
            )
        activity = self.Activity.with_user(self.engineer).create(
            {
                "contract_id": self.contract.id,
                "subject": "Анализ базы данных",
                "kind": "db_analysis",
                "date_begin": datetime(2026, 11, 24, 20, 50),  # 23:50 Moscow
                "date_end": datetime(2026, 11, 24, 21, 30),  # 00:30 Moscow next day
            }
        )
        pieces = self.Activity.search([("subject", "=", "Анализ базы данных")], order="day")
        self.assertEqual(len(pieces), 2)
        self.assertEqual(activity.user_id, self.engineer)
        self.assertEqual(pieces.mapped("day"), [date(2026, 11, 24), date(2026, 11, 25)])

    def test_manual_activity_shows_in_the_timesheet_at_once(self):
        activity = self.Activity.with_user(self.engineer).create(
            {
                "contract_id": self.contract.id,
                "subject": "Консультация по телефону",
                "kind": "call_in",
                "date_begin": datetime(2026, 11, 24, 7, 0),  # 10:00 Moscow
                "date_end": datetime(2026, 11, 24, 7, 25),
            }
        )
        line = self.day_line(date(2026, 11, 24))
        self.assertEqual((line.miko_billed_minutes, activity.timesheet_id), (25, line))
        activity.with_user(self.engineer).date_end = datetime(2026, 11, 24, 7, 40)
        self.assertEqual(line.miko_billed_minutes, 40)
        self.assertFalse(self.contract.entry_ids, "the wallet is charged by the cron")
        activity.with_user(self.engineer).unlink()
        self.assertEqual(line.miko_billed_minutes, 0)

    # --- security ----------------------------------------------------------------------------
    def test_engineers_register_and_change_only_their_own(self):
        as_engineer = self.Contract.with_user(self.engineer)
        result = as_engineer.register_activities(
            [
                self.record("own", "2026-11-24T10:00:00+03:00", "2026-11-24T10:10:00+03:00"),
                self.record(
                    "other",
                    "2026-11-24T10:00:00+03:00",
                    "2026-11-24T10:10:00+03:00",
                    engineer=self.engineer2,
                ),
            ]
        )
        self.assertEqual(result["created"], 1)
        self.assertEqual(result["errors"][0]["index"], 1)
        self.register(
            [
                self.record(
                    "theirs",
                    "2026-11-24T11:00:00+03:00",
                    "2026-11-24T11:10:00+03:00",
                    engineer=self.engineer2,
                )
            ]
        )
        theirs = self.Activity.search([("source_ref", "=", "theirs")])
        self.assertTrue(theirs.with_user(self.engineer).subject)  # engineers read all
        with self.assertRaises(AccessError):
            theirs.with_user(self.engineer).subject = "changed"
        with self.assertRaises(AccessError):
            self.Contract.with_user(self.portal_user).register_activities([])

    def test_portal_reads_only_own_activities(self):
        other_contract = self.create_contract(partner=self.other_customer)
        self.register(
            [
                self.record("p1", "2026-11-24T10:00:00+03:00", "2026-11-24T10:10:00+03:00"),
                self.record(
                    "p2",
                    "2026-11-24T10:00:00+03:00",
                    "2026-11-24T10:10:00+03:00",
                    contract=other_contract.name,
                ),
            ]
        )
        visible = self.Activity.with_user(self.portal_user).search([])
        self.assertEqual(visible.mapped("source_ref"), ["p1"])

    def test_day_line_time_follows_the_activities(self):
        self.register([self.record("d", "2026-11-24T10:00:00+03:00", "2026-11-24T10:30:00+03:00")])
        self.charge()
        line = self.day_line(date(2026, 11, 24)).with_user(self.engineer)
        line.name = "Настроил интеграцию с 1С"
        with self.assertRaises(UserError):
            line.unit_amount = 2
        statement = self.contract.get_statement("2026-11-01", "2026-11-30")
        self.assertEqual(
            statement["days"][0]["work_descriptions"],
            [{"engineer": self.engineer.name, "description": "Настроил интеграцию с 1С"}],
        )

    # --- statement ---------------------------------------------------------------------------
    def test_statement_agrees_with_the_ledger(self):
        invoice = self.contract.create_prepayment_invoice(amount=10000)
        invoice.action_post()
        self.pay(invoice, 10000, date(2026, 11, 20))
        self.register(
            [
                self.record("s1", "2026-11-21T10:00:00+03:00", "2026-11-21T10:42:00+03:00"),
                self.record("s2", "2026-11-23T10:00:00+03:00", "2026-11-23T11:00:00+03:00"),
                self.record("s3", "2026-11-30T10:00:00+03:00", "2026-11-30T11:00:00+03:00"),
            ]
        )
        self.charge()
        statement = self.contract.get_statement(date(2026, 11, 20), date(2026, 11, 29))
        self.assertEqual(statement["billed_minutes"], 102)
        self.assertEqual([d["billed_minutes"] for d in statement["days"]], [42, 60])
        self.assertAlmostEqual(statement["receipts_amount"], 10000.0)
        self.assertAlmostEqual(statement["performed_amount"], 2890.0)
        self.assertAlmostEqual(
            statement["balance_end"], self.contract.wallet_balance_at(date(2026, 11, 29))
        )
        self.assertAlmostEqual(statement["balance_end"], 7110.0)
        self.assertAlmostEqual(
            sum(d["amount"] for d in statement["days"]), statement["performed_amount"]
        )
        line = statement["days"][0]["lines"][0]
        self.assertEqual(line["start"], "2026-11-21 10:00:00")
        self.assertEqual((line["block"], line["block_billed_minutes"]), (1, 42))
        with self.assertRaises(AccessError):
            self.contract.with_user(self.other_portal_user).get_statement(
                date(2026, 11, 1), date(2026, 11, 30)
            )
