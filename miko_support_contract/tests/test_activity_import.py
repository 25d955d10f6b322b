"""``register_activities`` validates in SQL: every kind of bad record is refused with the message
of the single-record validator, and what the API accepts is read exactly as Python reads it."""

import math
from datetime import UTC, datetime

from odoo.tests import tagged

from .common import MikoSupportCommon


@tagged("post_install", "-at_install")
class TestActivityImport(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls.create_contract()
        cls.Contract = cls.env["miko.support.contract"]
        cls.Activity = cls.env["miko.support.activity"]

    def record(self, ref, **values):
        return {
            "contract": self.contract.name,
            "engineer": self.engineer.login,
            "kind": "call_in",
            "start": "2026-11-24T10:00:00+03:00",
            "end": "2026-11-24T10:10:00+03:00",
            "subject": f"Звонок {ref}",
            "description": "",
            "source": "api",
            "source_ref": ref,
            **values,
        }

    def stored(self, ref):
        return self.Activity.search([("source_ref", "=", ref)], order="part")

    def test_every_bad_field_is_named_and_nothing_of_it_saved(self):
        cases = [
            ("not a record", None, "not an object"),
            ("contract", {"contract": "SC-NOPE"}, 'Unknown support contract "SC-NOPE"'),
            ("contract float", {"contract": 1.5}, "Unknown support contract"),
            ("contract bool", {"contract": True}, "Unknown support contract"),
            ("engineer", {"engineer": "ghost"}, 'Unknown engineer "ghost"'),
            ("engineer int", {"engineer": 7}, "Unknown engineer"),
            ("kind", {"kind": "telepathy"}, 'Unknown activity kind "telepathy"'),
            ("kind none", {"kind": None}, "Unknown activity kind"),
            ("start text", {"start": "yesterday"}, 'Field "start" must be an ISO 8601'),
            ("start int", {"start": 1234}, 'Field "start" must be an ISO 8601'),
            ("start nan", {"start": math.nan}, 'Field "start" must be an ISO 8601'),
            ("start object", {"start": datetime(2026, 11, 24)}, 'Field "start" must be an ISO'),
            ("no offset", {"start": "2026-11-24T10:00:00"}, 'Field "start" must be an ISO 8601'),
            ("30 feb", {"start": "2026-02-30T10:00:00+03:00"}, 'Field "start" must be an ISO'),
            ("31 nov", {"end": "2026-11-31T10:00:00+03:00"}, 'Field "end" must be an ISO 8601'),
            ("reversed", {"end": "2026-11-24T09:00:00+03:00"}, "is before the start"),
            ("empty", {"end": "2026-11-24T10:00:00+03:00"}, "has no duration"),
            ("too long", {"end": "2026-11-25T10:00:01+03:00"}, "longer than 24 hours"),
            ("subject", {"subject": "   "}, 'Field "subject" is required'),
            ("subject int", {"subject": 5}, 'Field "subject" is required'),
            ("subject long", {"subject": "я" * 513}, 'Field "subject" is longer than 512'),
            ("subject nul", {"subject": "a\x00b"}, 'Field "subject" holds a value'),
            ("source", {"source": ""}, 'Field "source" is required'),
            ("description", {"description": 5}, 'Field "description" must be text'),
            ("request", {"request": 999999999}, "Unknown support request 999999999"),
        ]
        records = [
            "nonsense" if values is None else self.record(name, **values)
            for name, values, _pattern in cases
        ]
        records.append(self.record("good"))
        result = self.Contract.register_activities(records)
        self.assertEqual(result["created"], 1, result)
        self.assertEqual([error["index"] for error in result["errors"]], list(range(len(cases))))
        for (name, _values, pattern), error in zip(cases, result["errors"], strict=True):
            self.assertRegex(error["message"], pattern, name)
        self.assertEqual(
            self.Activity.search([("contract_id", "=", self.contract.id)]).mapped("source_ref"),
            ["good"],
        )

    def test_accepted_forms_are_read_as_python_reads_them(self):
        forms = {
            "z": ("2026-11-24T07:00:00Z", "2026-11-24T07:05:00Z"),
            "compact offset": ("2026-11-24T10:00:00+0300", "2026-11-24T10:05:00+0300"),
            "hours offset": ("2026-11-24T10:00:00+03", "2026-11-24T10:05:00+03"),
            "no seconds": ("2026-11-24 10:00+03:00", "2026-11-24 10:05+03:00"),
            "fraction": ("2026-11-24T10:00:00.999+03:00", "2026-11-24T10:05:00.5+03:00"),
            "spaces": ("  2026-11-24T10:00:00+03:00\n", "\t2026-11-24T10:05:00+03:00 "),
            "other zone": ("2026-11-24T05:00:00-02:00", "2026-11-24T05:05:00-02:00"),
            "29 feb": ("2028-02-29T10:00:00+03:00", "2028-02-29T10:05:00+03:00"),
        }
        records = [
            self.record(name, start=start, end=end, contract=f"  {self.contract.name} ")
            for name, (start, end) in forms.items()
        ]
        records.append(self.record("by id", contract=self.contract.id, description=None))
        result = self.Contract.register_activities(records)
        self.assertEqual(result["errors"], [])
        self.assertEqual(result["created"], len(records))
        for name, (start, end) in forms.items():
            activity = self.stored(name)
            expected = [
                datetime.fromisoformat(value.strip())
                .astimezone(UTC)
                .replace(tzinfo=None, microsecond=0)
                for value in (start, end)
            ]
            self.assertEqual([activity.date_begin, activity.date_end], expected, name)
            self.assertEqual(activity.contract_id, self.contract)
        self.assertFalse(self.stored("by id").description)

    def test_texts_are_trimmed_and_kept_verbatim_inside(self):
        record = self.record(
            "  trim  ", subject="  Звонок\tпо «Ромашке»  ", source=" pbx ", description=" d "
        )
        self.assertEqual(self.Contract.register_activities([record])["created"], 1)
        activity = self.Activity.search([("source", "=", "pbx")])
        self.assertEqual(
            (activity.source_ref, activity.subject, activity.description),
            ("trim", "Звонок\tпо «Ромашке»", " d "),
        )
        again = self.Contract.register_activities([dict(record, source_ref="trim")])
        self.assertEqual((again["created"], again["skipped"]), (0, 1), again)

    def test_a_piece_per_local_day_and_a_changed_split(self):
        night = self.record(
            "night", start="2026-11-24T23:00:00+03:00", end="2026-11-25T22:00:00+03:00"
        )
        self.Contract.register_activities([night])
        pieces = self.stored("night")
        self.assertEqual(pieces.mapped("part"), [0, 1])
        self.assertEqual(pieces.mapped("raw_seconds"), [3600, 22 * 3600])
        # shortened to end at midnight: one piece ending at 21:00 UTC, the second one dropped
        result = self.Contract.register_activities([dict(night, end="2026-11-25T00:00:00+03:00")])
        self.assertEqual(result["updated"], 1, result)
        pieces = self.stored("night")
        self.assertEqual(pieces.mapped("part"), [0])
        self.assertEqual(pieces.date_end, datetime(2026, 11, 24, 21, 0))
