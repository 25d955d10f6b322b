"""Bad input is refused with a clear error, and nothing is lost or half-written.

Interval and file-format cases live beside their code (test_activities.py,
test_rules_capture.py, test_rules_intervals.py, test_rules_upd_xml.py); these are the cases
reaching the models through uploads, exports and the UPD generation.
"""

import base64
import csv
import io
from datetime import date

import openpyxl

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL

from .common_upd import MikoUpdCommon

MB = 1024 * 1024
INJECTIONS = ("=1+1", "+7 (495) cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)")
XXE_TITLE = (
    b'<?xml version="1.0" encoding="windows-1251"?>'
    b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<\xd4\xe0\xe9\xeb \xc8\xe4\xd4\xe0\xe9\xeb="&xxe;"/>'
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
        for n in range(1, 10)
    )
    + b"]><lolz>&lol9;</lolz>"
)


@tagged("post_install", "-at_install")
class TestBadInput(MikoUpdCommon):
    def activity_count(self):
        return self.env["miko.support.activity"].search_count([])

    # --- uploads ----------------------------------------------------------------------------
    def test_100_mb_import_is_refused_before_decoding(self):
        before = self.activity_count()
        Activity = self.env["miko.support.activity"]
        huge = b"x" * (100 * MB)
        with self.assertRaisesRegex(UserError, "too large: 100.0 MB, at most 20.0 MB"):
            Activity.import_pbx_cdr(huge)
        del huge
        self.env["ir.config_parameter"].sudo().set_param(
            "miko_support_contract.import_max_upload_mb", "1"
        )
        encoded = "QUFB" * (MB // 2)  # 2 MB of base64 text, 1.5 MB decoded
        with self.assertRaisesRegex(UserError, "at most 1.0 MB"):
            Activity.import_teamviewer_report(encoded, file_format="csv")
        with self.assertRaisesRegex(UserError, "at most 1.0 MB"):
            Activity.import_teamviewer_report(encoded.encode(), file_format="json")
        self.assertEqual(self.activity_count(), before, "nothing imported")

    def test_import_wizard_refuses_an_oversized_file_before_storing_it(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "miko_support_contract.import_max_upload_mb", "1"
        )
        Wizard = self.env["miko.support.activity.import.wizard"]
        before = Wizard.search_count([])
        with self.assertRaisesRegex(UserError, "too large"):
            Wizard.create({"source": "pbx", "file": base64.b64encode(b"1" * (2 * MB))})
        self.assertEqual(Wizard.search_count([]), before, "no transient row with the file")
        small = Wizard.create({"source": "pbx", "file": base64.b64encode(b"\n")})
        self.assertTrue(small)

    def upd_state(self, upd):
        attachments = self.env["ir.attachment"].search_count(
            [("res_model", "=", "miko.support.upd"), ("res_id", "=", upd.id)]
        )
        return (upd.state, upd.buyer_title_attachment_id, upd.signed_date, attachments)

    def prepared_upd(self):
        contract = self.prepaid_contract()
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        upd = self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        upd.write({"state": "sent"})
        return upd

    def test_buyer_title_with_entities_is_refused(self):
        upd = self.prepared_upd()
        before = self.upd_state(upd)
        for name, content in (("xxe", XXE_TITLE), ("billion laughs", BILLION_LAUGHS)):
            wizard = self.env["miko.support.upd.answer.wizard"].create(
                {
                    "upd_id": upd.id,
                    "answer_type": "title",
                    "title_file": base64.b64encode(content),
                    "title_file_name": f"{name}.xml",
                }
            )
            with self.assertRaisesRegex(UserError, "DOCTYPE", msg=name):
                wizard.action_apply()
            self.assertEqual(self.upd_state(upd), before, name)

    def test_oversized_buyer_title_is_refused(self):
        upd = self.prepared_upd()
        before = self.upd_state(upd)
        with self.assertRaisesRegex(UserError, "too large"):
            self.env["miko.support.upd.answer.wizard"].create(
                {
                    "upd_id": upd.id,
                    "title_file": base64.b64encode(b"<a/>" * MB),
                    "title_file_name": "big.xml",
                }
            )
        self.assertEqual(self.upd_state(upd), before)

    # --- exports ----------------------------------------------------------------------------
    def test_statement_xlsx_cells_never_start_a_formula(self):
        contract = self.prepaid_contract()
        self.customer.name = "@Ромашка"
        self.engineer.name = "-Иванов"
        result = self.env["miko.support.contract"].register_activities(
            [
                {
                    "contract": contract.id,
                    "engineer": self.engineer.login,
                    "kind": "remote",
                    "start": f"2026-10-{10 + n}T10:00:00+03:00",
                    "end": f"2026-10-{10 + n}T10:10:00+03:00",
                    "subject": text,
                    "description": text,
                    "source": "test",
                    "source_ref": f"inj{n}",
                }
                for n, text in enumerate(INJECTIONS)
            ]
        )
        self.assertFalse(result["errors"])
        workbook = openpyxl.load_workbook(
            io.BytesIO(
                self.env["miko.support.statement"]._xlsx(
                    contract, date(2026, 10, 1), date(2026, 10, 31)
                )
            )
        )
        texts = [
            cell
            for row in workbook.active.iter_rows(values_only=True)
            for cell in row
            if isinstance(cell, str)
        ]
        for text in INJECTIONS:
            self.assertIn("'" + text, texts, "kept, neutralised")
        self.assertFalse([t for t in texts if t[:1] in ("=", "+", "-", "@")])

    def test_form_103_cells_never_start_a_formula(self):
        contract = self.prepaid_contract(upd_channel="post")
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        upd = self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        upd.tracking_number = "12345678901234"
        for text in INJECTIONS:
            self.customer.name = text
            self.customer.street = text
            form103 = self.env["miko.support.upd.document"]._form103_csv(upd)
            rows = list(csv.reader(io.StringIO(form103.decode("cp1251")), delimiter=";"))
            cells = [cell for row in rows[1:] for cell in row]
            self.assertIn("'" + text, cells)
            self.assertFalse([c for c in cells if c[:1] in ("=", "+", "-", "@")], text)

    # --- requisites that would break the FNS schema -------------------------------------------
    def assert_generation_refused(self, contract, pattern):
        moves_before = self.env["account.move"].search_count([])
        with self.assertRaisesRegex(UserError, pattern):
            self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        self.assertFalse(self.env["miko.support.upd"].search([("contract_id", "=", contract.id)]))
        self.assertEqual(self.env["account.move"].search_count([]), moves_before, "no entry")
        self.assertFalse(contract.locked_until)
        self.assertFalse(contract.entry_ids.move_id.filtered(lambda m: m.move_type == "entry"))

    def test_requisites_breaking_the_schema_are_refused_before_sending(self):
        contract = self.prepaid_contract()
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        self.customer.name = "ООО «" + "Очень длинное имя " * 60 + "»"
        self.assert_generation_refused(contract, "1000")
        self.customer.name = "ООО «Ромашка»"
        self.env.flush_all()
        # a KPP of the wrong pattern written behind the ORM's checks
        self.env.cr.execute(
            SQL("UPDATE res_partner SET miko_kpp = '77AB' WHERE id = %s", self.customer.id)
        )
        self.customer.invalidate_recordset(["miko_kpp"])
        self.assert_generation_refused(contract, "KPP|КПП")
        self.env.cr.execute(
            SQL("UPDATE res_partner SET vat = '7702190123' WHERE id = %s", self.customer.id)
        )
        self.customer.invalidate_recordset(["vat"])
        self.assert_generation_refused(contract, "INN|ИНН")


@tagged("post_install", "-at_install")
class TestBadActivityInput(MikoUpdCommon):
    """Complements test_activities.py (end before start, zero, over 24 h, naive times, unknown
    contract or kind, Moscow midnight): month end, a locked month, unknown engineer, UTC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls.prepaid_contract()

    def register(self, ref, start, end, **values):
        record = {
            "contract": self.contract.name,
            "engineer": self.engineer.login,
            "kind": "call_out",
            "start": start,
            "end": end,
            "subject": f"Звонок {ref}",
            "source": "pbx",
            "source_ref": ref,
            **values,
        }
        return self.env["miko.support.contract"].register_activities([record])

    def pieces(self, ref):
        return self.env["miko.support.activity"].search([("source_ref", "=", ref)], order="part")

    def test_crossing_month_end_bills_each_month(self):
        result = self.register("eom", "2026-10-31T23:50:00+03:00", "2026-11-01T00:20:00+03:00")
        self.assertEqual(result["created"], 1, result)
        self.assertEqual(self.pieces("eom").mapped("day"), [date(2026, 10, 31), date(2026, 11, 1)])
        self.env["miko.support.contract"]._cron_post_consumption()
        consumption = self.contract.entry_ids.filtered(lambda e: e.kind == "consumption")
        self.assertEqual(
            sorted((e.date, e.minutes) for e in consumption),
            [(date(2026, 10, 31), 10), (date(2026, 11, 1), 20)],
        )

    def test_crossing_out_of_a_locked_month_is_late_work(self):
        """A record starting in a closed month is accepted whole: its October piece is late work
        charged in November (nothing refused for being late, nothing lost)."""
        self.contract.sudo().locked_until = date(2026, 10, 31)
        result = self.register("eom", "2026-10-31T23:50:00+03:00", "2026-11-01T00:20:00+03:00")
        self.assertEqual((result["created"], len(result["errors"])), (1, 0), result)
        self.assertEqual(self.pieces("eom").mapped("day"), [date(2026, 10, 31), date(2026, 11, 1)])
        self.env["miko.support.contract"].post_consumption()
        consumption = self.contract.entry_ids.filtered(lambda e: e.kind == "consumption")
        self.assertEqual(
            sorted((e.date, e.work_date, e.minutes) for e in consumption),
            [
                (date(2026, 11, 1), date(2026, 10, 31), 10),
                (date(2026, 11, 1), date(2026, 11, 1), 20),
            ],
        )

    def test_unknown_engineer_is_named_and_nothing_saved(self):
        result = self.register(
            "ghost", "2026-11-24T10:00:00+03:00", "2026-11-24T10:10:00+03:00", engineer="ghost"
        )
        self.assertEqual(result["created"], 0)
        self.assertIn("ghost", result["errors"][0]["message"])
        self.assertFalse(self.pieces("ghost"))

    def test_utc_and_local_offsets_are_the_same_moment(self):
        self.register("utc", "2026-11-24T20:50:00Z", "2026-11-24T21:10:00Z")
        self.assertEqual(
            self.pieces("utc").mapped("day"),
            [date(2026, 11, 24), date(2026, 11, 25)],
            "20:50 UTC is 23:50 in Moscow: the call crosses Moscow midnight",
        )
