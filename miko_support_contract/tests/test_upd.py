import base64
import csv
import io
from datetime import date

import psycopg2
from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.miko_support_contract import upd as upd_xml

from .common_upd import BUYER_EDO, SELLER_EDO, SELLER_XSD_503, MikoUpdCommon

TITLE_GUID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"


def buyer_title(seller_file_id, code="1", content="Услуги приняты без претензий"):
    """A buyer's title 5.02 answering ``seller_file_id``."""
    return f"""<?xml version="1.0" encoding="windows-1251"?>
<Файл ИдФайл="ON_NSCHFDOPPOK_{SELLER_EDO}_{BUYER_EDO}_20261103_{TITLE_GUID}_0_0_0_0_0_00"
      ВерсФорм="5.02" ВерсПрог="Контур.Диадок">
  <Документ КНД="1115132" ДатаИнфПок="03.11.2026" ВремИнфПок="10.15.00"
            НаимЭконСубСост="ООО Ромашка">
    <ИдИнфПрод ИдФайлИнфПр="{seller_file_id}" ДатаФайлИнфПр="01.11.2026"
               ВремФайлИнфПр="18.05.07">
      <ЭП>MIIBfakeSignature==</ЭП>
    </ИдИнфПрод>
    <СодФХЖ4 НаимДокОпрПр="Документ об оказании услуг" Функция="ДОП"
             ПорНомДокИнфПр="1" ДатаДокИнфПр="31.10.2026">
      <СвПрин СодОпер="{content}" ДатаПрин="03.11.2026">
        <КодСодОпер КодИтога="{code}"/>
      </СвПрин>
    </СодФХЖ4>
    <Подписант Должн="Генеральный директор" СпосПодтПолном="1">
      <ФИО Фамилия="Кузнецов" Имя="Олег" Отчество="Павлович"/>
    </Подписант>
  </Документ>
</Файл>
""".encode("windows-1251")


@tagged("post_install", "-at_install")
class TestUpd(MikoUpdCommon):
    def generate_october(self, contract, minutes=198, amount=5610.0):
        self.consume(contract, date(2026, 10, 14), minutes, amount)
        return self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)

    def test_acceptance_month_of_198_minutes(self):
        """198 min at 1700 RUB/h: one UPD of 5610.00, ДОП, без НДС, valid 5.03 XML."""
        contract = self.prepaid_contract()
        upd = self.generate_october(contract)
        self.assertEqual(len(upd), 1)
        self.assertEqual(upd.amount_total, 5610.00)
        self.assertEqual(upd.state, "draft")
        totals = contract._service_totals(date(2026, 10, 1), date(2026, 10, 31))
        self.assertEqual(str(totals["amount"]), "5610.00")
        self.assertEqual(upd.minutes, 198)
        self.assertEqual((upd.line_unit, upd.line_okei, upd.line_quantity), ("ч", "356", "3.3"))
        self.assertIn("за октябрь 2026", upd.line_name)

        content = upd._xml_content()
        upd_xml.validate_xml(content, SELLER_XSD_503)
        upd_xml.check_schematron_rules(content, file_name=upd.xml_file_name.removesuffix(".xml"))
        root = etree.fromstring(content)
        document = root.find("Документ")
        self.assertEqual(document.get("Функция"), "ДОП")
        item = document.find("ТаблСчФакт/СведТов")
        self.assertEqual(item.get("НалСт"), "без НДС")
        self.assertEqual(item.get("СтТовБезНДС"), "5610.00")
        self.assertEqual(document.find("ТаблСчФакт/ВсегоОпл").get("СтТовУчНалВсего"), "5610.00")
        transfer = document.find("СвПродПер/СвПер")
        self.assertEqual(transfer.get("ДатаНачПер"), "01.10.2026")
        self.assertEqual(transfer.get("ДатаОконПер"), "31.10.2026")
        self.assertEqual(transfer.find("ОснПер").get("РеквНомерДок"), contract.name)
        self.assertEqual(document.find("Подписант/ФИО").get("Фамилия"), "Смирнов")
        self.assertIn(upd.guid, upd.xml_file_name)

    def test_shipped_schema_validates_unless_the_company_names_another(self):
        contract = self.prepaid_contract()
        upd = self.generate_october(contract)
        self.assertFalse(self.company.miko_upd_xsd_path)
        content, _file_name = self.env["miko.support.upd.document"]._checked_xml(upd)
        self.assertTrue(content)
        # the setting overrides the shipped schema: here the buyer's, which the seller's refuses
        self.company.miko_upd_xsd_path = str(upd_xml.BUYER_XSD["5.02"])
        with self.assertRaises(UserError) as caught:
            self.env["miko.support.upd.document"]._checked_xml(upd)
        self.assertIn("ON_NSCHFDOPPOK_1_997_02_05_02_01.xsd", str(caught.exception))
        self.assertIn(upd.name, str(caught.exception))

    def test_accounting_entry_and_wallet_reconciliation(self):
        contract = self.prepaid_contract()
        self.assertEqual(contract._wallet_reconciliation()["difference"], 0)
        upd = self.generate_october(contract)
        move = upd.move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.move_type, "entry")
        self.assertEqual(move.date, date(2026, 10, 31))
        advance = move.line_ids.filtered(
            lambda line: line.account_id == self.company.miko_advance_account_id
        )
        revenue = move.line_ids.filtered(
            lambda line: line.account_id == self.company.miko_revenue_account_id
        )
        self.assertEqual((advance.debit, revenue.credit), (5610.0, 5610.0))
        self.assertEqual(advance.partner_id, self.customer)
        consumption = contract.entry_ids.filtered(lambda e: e.kind == "consumption")
        self.assertEqual(consumption.move_id, move)
        self.assertEqual(contract.locked_until, date(2026, 10, 31))
        check = contract._wallet_reconciliation()
        self.assertEqual(check["difference"], 0)
        self.assertEqual(check["off_ledger"], 0)
        self.assertEqual(contract.balance, 10000.0 - 5610.0)

    def test_generate_is_idempotent(self):
        contract = self.prepaid_contract()
        upd = self.generate_october(contract)
        Upd = self.env["miko.support.upd"]
        self.assertEqual(Upd.generate_for_month(2026, 10, contract.ids), upd)
        self.assertEqual(Upd.generate_for_month(2026, 10), upd)
        self.assertEqual(Upd.search_count([("contract_id", "=", contract.id)]), 1)
        self.assertEqual(
            len(self.env["account.move"].search([("ref", "=", upd.name)])), 1, "one entry"
        )
        self.assertFalse(Upd.generate_for_month(2026, 9, contract.ids), "no consumption")

    def test_unique_per_contract_and_month(self):
        contract = self.prepaid_contract()
        upd = self.generate_october(contract)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.env["miko.support.upd"].create(
                {
                    "contract_id": contract.id,
                    "period_start": upd.period_start,
                    "period_end": upd.period_end,
                    "date": upd.date,
                    "channel": "edi",
                }
            )

    def test_missing_requisites_are_named(self):
        contract = self.prepaid_contract()
        self.consume(contract, date(2026, 10, 3), 60, 1700.0)
        director = self.company.miko_director_id
        self.company.miko_director_id = False
        with self.assertRaisesRegex(UserError, "no director"):
            self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        self.company.miko_director_id = director
        self.customer.miko_edo_id = False
        with self.assertRaisesRegex(UserError, "ООО «Ромашка».*EDO participant ID"):
            self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        self.customer.vat = False
        with self.assertRaisesRegex(UserError, "customer ООО «Ромашка» has no INN"):
            self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)

    def test_minutes_that_are_no_finite_hours(self):
        """7 min at 1700: unit «мин», price per minute with 11 decimals, amount exact."""
        contract = self.prepaid_contract()
        upd = self.generate_october(contract, minutes=7, amount=198.33)
        self.assertEqual((upd.line_unit, upd.line_quantity), ("мин", "7"))
        upd_xml.validate_xml(upd._xml_content(), SELLER_XSD_503)
        self.assertEqual(upd.amount_total, 198.33)

    # ---------------------------------------------------------------- acceptance
    def test_seven_day_rule_boundary(self):
        """Delivered on 2 Nov (D): 8 Nov 23:59 Moscow (D+6) no; 9 Nov 00:30 Moscow (D+7) yes."""
        contract = self.prepaid_contract()
        upd = self.generate_october(contract)
        upd.action_send()
        self.assertEqual(upd.state, "sent")
        upd.mark_delivered(date(2026, 11, 2))
        Upd = self.env["miko.support.upd"]
        with freeze_time("2026-11-08 20:59:00"):  # 23:59 in Moscow, day 6
            self.assertFalse(Upd._cron_deem_accepted())
        self.assertEqual(upd.state, "delivered")
        with freeze_time("2026-11-08 21:30:00"):  # 00:30 in Moscow, day 7
            self.assertEqual(Upd._cron_deem_accepted(), upd)
        self.assertEqual(upd.state, "deemed_accepted")
        self.assertEqual(upd.deemed_accepted_date, date(2026, 11, 9))
        self.assertTrue(upd.deemed_attachment_id)
        html = base64.b64decode(upd.deemed_attachment_id.datas).decode()
        mails = self.env["mail.mail"].search(
            [("model", "=", "miko.support.upd"), ("res_id", "=", upd.id)]
        )
        self.assertTrue(
            mails.filtered(lambda mail: upd.deemed_attachment_id in mail.attachment_ids),
            "the unilaterally signed copy is e-mailed to the customer",
        )
        self.assertRegex(html, r"Подписан в одностороннем порядке\W*(<span>)?09\.11\.2026")

    def test_signed_or_refused_is_never_deemed(self):
        contract = self.prepaid_contract()
        upd = self.generate_october(contract)
        upd.action_send()
        upd.mark_delivered(date(2026, 11, 2))
        own_id = upd.xml_file_name.removesuffix(".xml")
        self.env["miko.support.upd.exchange"]._apply_buyer_title(upd, buyer_title(own_id))
        with freeze_time("2026-12-01 12:00:00"):
            self.assertFalse(self.env["miko.support.upd"]._cron_deem_accepted())
        self.assertEqual(upd.state, "signed")

    # ---------------------------------------------------------------- manual EDI
    def test_manual_upload_of_the_buyer_title(self):
        contract = self.prepaid_contract()
        upd = self.generate_october(contract)
        upd.action_send()
        wizard = self.env["miko.support.upd.answer.wizard"].with_user(self.finance)
        other = "ON_NSCHFDOPPR_X_Y_20261101_11111111-2222-4333-8444-555555555555_0_0_0_0_0_00"
        with self.assertRaisesRegex(UserError, "answers the file"):
            wizard.create(
                {"upd_id": upd.id, "title_file": base64.b64encode(buyer_title(other))}
            ).action_apply()
        with self.assertRaisesRegex(UserError, "not a usable buyer's title"):
            wizard.create(
                {"upd_id": upd.id, "title_file": base64.b64encode(upd._xml_content())}
            ).action_apply()
        own_id = upd.xml_file_name.removesuffix(".xml")
        wizard.create(
            {
                "upd_id": upd.id,
                "title_file": base64.b64encode(buyer_title(own_id)),
                "title_file_name": f"{own_id}_answer.xml",
                "signature_file": base64.b64encode(b"detached CMS"),
            }
        ).action_apply()
        self.assertEqual(upd.state, "signed")
        self.assertEqual(upd.buyer_signer_name, "Кузнецов Олег Павлович")
        self.assertEqual(upd.signed_date, date(2026, 11, 3))
        self.assertEqual(upd.buyer_signature_attachment_id.raw, b"detached CMS")

    def test_refusal_then_correction(self):
        contract = self.prepaid_contract()
        upd = self.generate_october(contract)
        upd.action_send()
        self.env["miko.support.upd.answer.wizard"].create(
            {"upd_id": upd.id, "answer_type": "refusal", "reason": "Не тот период"}
        ).action_apply()
        self.assertEqual(upd.state, "refused")
        self.assertEqual(upd.refusal_reason, "Не тот период")
        # a credit for work found not billable, booked into the refused month
        contract._wallet_post(
            [
                {
                    "contract_id": contract.id,
                    "date": date(2026, 10, 20),
                    "kind": "credit",
                    "amount": 850.0,
                    "minutes": -30,
                    "name": "Credit",
                    "source_key": "test:credit",
                }
            ]
        )
        upd.action_create_correction()
        correction = upd.correction_ids
        self.assertEqual(correction.revision, 1)
        self.assertEqual(correction.amount_total, 4760.0)
        self.assertEqual(correction.minutes, 168)
        self.assertNotEqual(correction.guid, upd.guid)
        self.assertEqual(correction.move_id.amount_total, 850.0, "only the difference")
        self.assertEqual(contract._wallet_reconciliation()["difference"], 0)
        self.assertEqual(
            self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids), correction
        )
        upd_xml.validate_xml(correction._xml_content(), SELLER_XSD_503)
        with self.assertRaises(UserError):
            upd.action_create_correction()

    # ---------------------------------------------------------------- post
    def test_post_channel_tracking_and_form_103(self):
        contract = self.prepaid_contract(
            upd_channel="post", registration_email="reg@romashka.example"
        )
        upd = self.generate_october(contract)
        with self.assertRaisesRegex(UserError, "14 digits"), self.env.cr.savepoint():
            upd.tracking_number = "12345"
        with self.assertRaisesRegex(UserError, "Tracking Number"):
            upd.action_mark_posted()
        upd.tracking_number = "12345678901234"
        upd.action_mark_posted()
        self.assertEqual(upd.state, "sent")
        mails = self.env["mail.mail"].search(
            [("model", "=", "miko.support.upd"), ("res_id", "=", upd.id)]
        )
        recipients = mails.mapped("email_to") + mails.recipient_ids.mapped("email")
        self.assertIn("reg@romashka.example", recipients, "an e-mail copy goes to registration")
        self.customer.name = "=HYPERLINK(1)"
        form103 = self.env["miko.support.upd.document"]._form103_csv(upd)
        rows = list(csv.reader(io.StringIO(form103.decode("cp1251")), delimiter=";"))
        self.assertEqual(rows[0][1], "ШПИ")
        self.assertEqual(rows[1][1], "12345678901234")
        self.assertEqual(rows[1][2], "'=HYPERLINK(1)", "CSV injection is neutralised")
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "miko_support_contract.action_report_upd_post", upd.ids
        )
        html = html.decode()
        self.assertEqual(html.count("Экземпляр покупателя"), 1)
        self.assertEqual(html.count("Универсальный передаточный документ"), 2)
        self.assertRegex(html, r"5\W?610[.,]00")

    # ---------------------------------------------------------------- security, wizard
    def test_access(self):
        contract = self.prepaid_contract()
        upd = self.generate_october(contract)
        self.assertEqual(upd.with_user(self.sales).amount_total, 5610.0)
        with self.assertRaises(AccessError):
            upd.with_user(self.sales).write({"tracking_number": "12345678901234"})
        with self.assertRaises(AccessError):
            upd.with_user(self.engineer).read(["name"])
        self.assertEqual(upd.with_user(self.portal_user).read(["name"])[0]["name"], upd.name)
        with self.assertRaises(AccessError):
            upd.with_user(self.other_portal_user).read(["name"])

    def test_month_close_wizard(self):
        contract = self.prepaid_contract()
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        wizard = (
            self.env["miko.support.upd.month.close"]
            .with_user(self.finance)
            .create({"year": 2026, "month": "10"})
        )
        wizard.action_preview()
        self.assertEqual(len(wizard.line_ids), 1)
        self.assertEqual(wizard.total_amount, 5610.0)
        self.assertEqual(wizard.todo_count, 1)
        wizard.action_generate()
        self.assertEqual(wizard.done_count, 1)
        upd = wizard.line_ids.upd_id
        wizard.action_generate()
        self.assertEqual(wizard.line_ids.upd_id, upd, "restartable, nothing twice")

    def test_cron_closes_the_previous_month_once(self):
        contract = self.prepaid_contract()
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        self.consume(contract, date(2026, 11, 2), 60, 1700.0)
        Upd = self.env["miko.support.upd"]
        with freeze_time("2026-11-01 02:00:00"):  # 05:00 in Moscow on the 1st
            Upd._cron_close_previous_month()
            Upd._cron_close_previous_month()
        upds = Upd.search([("contract_id", "=", contract.id)])
        self.assertEqual(len(upds), 1)
        self.assertEqual(upds.period_start, date(2026, 10, 1))
        self.assertEqual(upds.amount_total, 5610.0, "November's minutes are not in it")
        self.assertEqual(contract._wallet_reconciliation()["difference"], 0)
        self.assertEqual(contract._wallet_reconciliation()["off_ledger"], -1700.0)
