import csv
from pathlib import Path

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import (
    VALID_ACCOUNT,
    VALID_BIK,
    VALID_CORR,
    VALID_INN,
    VALID_KPP,
    VALID_OGRN,
    MikoSupportCommon,
)


@tagged("post_install", "-at_install")
class TestRequisites(MikoSupportCommon):
    def test_valid_requisites_are_kept(self):
        partner = self.env["res.partner"].create(
            {
                "name": "ООО «Проверка»",
                "is_company": True,
                "country_id": self.env.ref("base.ru").id,
                "vat": VALID_INN,
                "miko_kpp": VALID_KPP,
                "miko_ogrn": VALID_OGRN,
            }
        )
        self.assertEqual(partner.vat, VALID_INN)
        bank = self.env["res.bank"].create(
            {"name": "Банк", "bic": VALID_BIK, "miko_corr_account": VALID_CORR}
        )
        account = self.env["res.partner.bank"].create(
            {"acc_number": VALID_ACCOUNT, "bank_id": bank.id, "partner_id": partner.id}
        )
        self.assertEqual(account.acc_number, VALID_ACCOUNT)

    def test_wrong_inn_names_partner_and_field(self):
        with self.assertRaises(ValidationError) as caught:
            self.env["res.partner"].create(
                {"name": "ООО «Опечатка»", "is_company": True, "vat": "7702190123"}
            )
        message = str(caught.exception)
        self.assertIn("ООО «Опечатка»", message)
        self.assertIn("INN", message)

    def test_wrong_kpp_and_ogrn_are_refused(self):
        partner = self.env["res.partner"].create({"name": "ООО «Тест»", "is_company": True})
        with self.assertRaises(ValidationError) as caught:
            partner.miko_kpp = "77020100"
        self.assertIn("KPP", str(caught.exception))
        with self.assertRaises(ValidationError) as caught:
            partner.miko_ogrn = "1027766131866"
        self.assertIn("OGRN", str(caught.exception))
        self.assertFalse(partner.miko_ogrn, "a refused value is not stored")

    def test_foreign_partner_tax_id_is_not_checked_as_inn(self):
        partner = self.env["res.partner"].create(
            {
                "name": "GmbH",
                "is_company": True,
                "country_id": self.env.ref("base.de").id,
                "vat": "DE123456789",
            }
        )
        self.assertEqual(partner.vat, "DE123456789")

    def test_wrong_bik_and_accounts_are_refused(self):
        with self.assertRaises(ValidationError) as caught:
            self.env["res.bank"].create({"name": "Банк", "bic": "12345"})
        self.assertIn("BIK", str(caught.exception))
        with self.assertRaises(ValidationError):
            self.env["res.bank"].create(
                {"name": "Банк", "bic": VALID_BIK, "miko_corr_account": "30101810000000000987"}
            )
        bank = self.env["res.bank"].create({"name": "Банк", "bic": VALID_BIK})
        with self.assertRaises(ValidationError) as caught:
            self.env["res.partner.bank"].create(
                {
                    "acc_number": "40702810600000012345",
                    "bank_id": bank.id,
                    "partner_id": self.customer.id,
                }
            )
        self.assertIn(self.customer.name, str(caught.exception))

    def test_budget_institution_with_treasury_requisites_is_a_customer(self):
        with (Path(__file__).parent / "data" / "treasury_requisites.csv").open(
            encoding="utf-8"
        ) as file:
            row = next(csv.DictReader(file))
        partner = self.env["res.partner"].create(
            {
                "name": row["name"],
                "is_company": True,
                "country_id": self.env.ref("base.ru").id,
                "vat": row["inn"],
                "miko_kpp": row["kpp"],
            }
        )
        treasury = self.env["res.bank"].create(
            {"name": "УФК по ЛНР", "bic": row["bik"], "miko_corr_account": row["corr_account"]}
        )
        account = self.env["res.partner.bank"].create(
            {"acc_number": row["account"], "bank_id": treasury.id, "partner_id": partner.id}
        )
        self.assertEqual(account.acc_number, "03214643000000018300")
        # the treasury body of the single tax payment: BIK 01…, ЕКС 40102…
        tula = self.env["res.bank"].create(
            {
                "name": "ОТДЕЛЕНИЕ ТУЛА БАНКА РОССИИ//УФК по Тульской области",
                "bic": "017003983",
                "miko_corr_account": "40102810445370000059",
            }
        )
        self.assertEqual(tula.miko_corr_account, "40102810445370000059")
        with self.assertRaises(ValidationError) as caught:
            tula.miko_corr_account = "40102810445370000058"
        self.assertIn("40102810445370000058", str(caught.exception))
        with self.assertRaises(ValidationError) as caught:
            self.env["res.partner.bank"].create(
                {
                    "acc_number": "40702810600000012345",
                    "bank_id": tula.id,
                    "partner_id": partner.id,
                }
            )
        self.assertIn("control key", str(caught.exception))

    def test_company_defaults_and_requisites(self):
        company = self.env["res.company"].create({"name": "Новая"})
        self.assertEqual(company.miko_support_tz, "Europe/Moscow")
        company.miko_kpp = VALID_KPP
        self.assertEqual(company.partner_id.miko_kpp, VALID_KPP)

    def test_messages_are_translated(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        with self.assertRaises(ValidationError) as caught:
            self.env["res.partner"].with_context(lang="ru_RU").create(
                {"name": "ООО «Опечатка»", "is_company": True, "vat": "7702190123"}
            )
        self.assertIn("ИНН", str(caught.exception))
