"""The monthly UPD (5.03, ДОП, без НДС) of the ``upd`` package: line values, XML, our checks,
XSD, Schematron. Plain ``BaseCase`` classes: no database, run by pytest and by Odoo's runner.
"""

import time
from dataclasses import replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.tests import BaseCase

from odoo.addons.miko_support_contract import upd
from odoo.addons.miko_support_contract.rules import RuleError
from odoo.addons.miko_support_contract.rules.money import minutes_amount

from .common_upd_xml import (
    BUYER_EDO,
    BUYER_INN,
    BUYER_XSD_501,
    BUYER_XSD_502,
    DIADOC_BUYER_TITLE,
    GUID,
    OTHER_VENDOR_503,
    SAMPLES,
    SELLER_EDO,
    SELLER_INN,
    SELLER_XSD_503,
    SHARED,
    add_extra,
    append_signer_poa,
    drop_kpp,
    inn12,
    make_buyer,
    make_document,
    make_seller,
    make_signer,
    message,
    mutate,
    ogrnip,
    parse,
    problems_text,
    refusal,
    remove_element,
    set_attribute,
    support_line,
)

REQUISITE_CASES = [
    ({"buyer": make_buyer(kpp=None)}, ("Buyer", "KPP is missing")),
    ({"seller": make_seller(kpp="77080100")}, ("Seller", "KPP 77080100 is invalid")),
    ({"seller": make_seller(inn="")}, ("Seller", "“INN” is empty")),
    ({"buyer": make_buyer(inn="5003123450")}, ("Buyer", "check digits do not match")),
    ({"buyer": make_buyer(inn=inn12("5003123456"))}, ("Buyer", "must have 10 digits")),
    ({"buyer": make_buyer(address="  ")}, ("Buyer", "“Address” is empty")),
    ({"seller": make_seller(address=None)}, ("Seller", "“Address” is empty")),
    ({"signer": None}, ("The signer is missing",)),
    ({"signer": make_signer(position="")}, ("Signer", "“Position” is empty")),
    ({"signer": make_signer(org_inn=BUYER_INN)}, ("Signer", "differs from the seller")),
    ({"buyer": make_buyer(edo_id=None)}, ("Buyer", "EDO participant ID")),
    ({"seller": make_seller(edo_id="2BM_bad_id")}, ("Seller", "EDO participant ID")),
    ({"seller": make_seller(name="Я" * 1001)}, ("Seller", "longer than 1000")),
    ({"total": Decimal("5610.01")}, ("total 5610.01 differs from the sum", "5610.00")),
    ({"period_start": date(2026, 12, 1)}, ("starts on 01.12.2026", "30.11.2026")),
    ({"contract_date": date(2026, 12, 31)}, ("contract date 31.12.2026",)),
    ({"guid": "not-a-guid"}, ("GUID not-a-guid",)),
    ({"lines": ()}, ("no lines",)),
    ({"buyer": make_buyer(ogrn="1027700132190")}, ("Buyer", "OGRN 1027700132190")),
    (
        {"signer": make_signer(authority_method="3")},
        ("Signer", "machine-readable power of attorney"),
    ),
]

BAD_LINE_CASES = [
    ({"amount": Decimal("-5610.00")}, "amount -5610.00 must be a positive"),
    ({"amount": Decimal("5610.001")}, "at most 2 decimal places"),
    ({"quantity": Decimal("0")}, "quantity 0 must be a positive"),
    ({"price": Decimal("1700.000000000001")}, "at most 11"),
    ({"amount": Decimal("5611.00")}, "rounds to 5610.00, not to the amount 5611.00"),
    ({"okei_code": "ч"}, "not an OKEI code"),
    ({"name": " \n "}, "“Service name” is empty"),
    ({"number": 2}, "line 1 has number 2"),
    ({"name": "bell\x07"}, "control characters"),
]

XSD_BREAKING_CASES = [
    (remove_element("Документ/ТаблСчФакт/ВсегоОпл"), "ВсегоОпл"),
    (remove_element("Документ/Подписант"), "Подписант"),
    (set_attribute("Документ/ТаблСчФакт/СведТов", "НалСт", "6%"), "НалСт"),
    (set_attribute(".", "ВерсФорм", "5.02"), "ВерсФорм"),
    (set_attribute("Документ", "Функция", "АКТ"), "Функция"),
    (set_attribute("Документ/СвСчФакт/СвПрод/ИдСв/СвЮЛУч", "КПП", "7708-0100"), "КПП"),
    (set_attribute("Документ/ТаблСчФакт/СведТов", "СтТовБезНДС", "5610.001"), "СтТовБезНДС"),
    (set_attribute("Документ/СвСчФакт", "ДатаДок", "31.11.2026"), "ДатаДок"),
]

SCHEMATRON_CASES = [
    (remove_element("Документ/СвПродПер"), "Документ: СвПродПер is required when Функция = ДОП"),
    (add_extra({"СпОбстФСЧФ": "1"}), "@СпОбстФСЧФ is not allowed when Функция = ДОП"),
    (add_extra({"СпОбстФСЧФДОП": "00005"}), "@СпОбстФДОП is required when Функция = ДОП"),
    (set_attribute("Документ/Подписант", "СпосПодтПолном", "3"), "СвДоверЭл is required"),
    (append_signer_poa, "СвДоверБум is not allowed when СпосПодтПолном = 1"),
    (set_attribute("Документ/ТаблСчФакт/ВсегоОпл", "СтТовБезНДСВсего", "5600.00"), "lines sum"),
    (set_attribute("Документ/ТаблСчФакт/СведТов", "СтТовУчНал", "5600.00"), "differs from"),
    (set_attribute("Документ/ТаблСчФакт/СведТов", "КолТов", "3.4"), "КолТов × ЦенаТов = 5780.00"),
    (set_attribute("Документ/ТаблСчФакт/СведТов", "НомСтр", "2"), "НомСтр must be 1"),
    (set_attribute("Документ/СвПродПер/СвПер", "ДатаНачПер", "01.12.2026"), "is after ДатаОконПер"),
    (set_attribute("Документ", "ДатаИнфПр", "01.12.2026"), "not ДатаИнфПр 01.12.2026"),
    (set_attribute("Документ/СвСчФакт/СвПокуп/ИдСв/СвЮЛУч", "ИННЮЛ", "5003123450"), "check digits"),
    (remove_element("Документ/ТаблСчФакт/СведТов/СумНал/БезНДС"), "СумНал/БезНДС"),
]


class TestUpdShipping(BaseCase):
    """The schemas and samples the tests read are there."""

    def test_shared_folder_is_there(self):
        assert SAMPLES.is_dir(), f"UPD samples not found under {SHARED} (set MIKO_SHARED_DIR)"

    def test_schemas_are_shipped_inside_the_addon(self):
        addon = Path(upd.__file__).resolve().parents[1]
        for path in (SELLER_XSD_503, BUYER_XSD_502, BUYER_XSD_501):
            assert path.is_file()
            assert path.resolve().is_relative_to(addon)
        # validation uses the shipped seller's title 5.03 when no schema is named
        upd.validate_xml(upd.build_xml(make_document()))
        broken = mutate(upd.build_xml(make_document()), set_attribute(".", "ВерсФорм", "5.02"))
        error = refusal(upd.validate_xml, broken)
        assert SELLER_XSD_503.name in message(error)


class TestUpdMeasure(BaseCase):
    """Minutes at an hourly rate become the line's unit, quantity and price."""

    def test_198_minutes_at_1700_per_hour_are_3_3_hours_for_5610(self):
        measure = upd.service_measure(198, Decimal("1700"))
        assert (measure.okei_code, measure.unit_name) == ("356", "ч")
        assert measure.quantity == Decimal("3.3")
        assert measure.price == Decimal("1700")
        assert measure.amount == Decimal("5610.00")

    def test_minutes_that_are_no_finite_hours_are_stated_in_minutes(self):
        exact = upd.service_measure(7, Decimal("1800"))
        assert (exact.okei_code, exact.quantity, exact.price) == ("355", Decimal(7), Decimal(30))
        rounded = upd.service_measure(7, Decimal("1700"))
        assert (rounded.okei_code, rounded.unit_name) == ("355", "мин")
        assert rounded.price == Decimal("28.33333333333")
        assert rounded.amount == Decimal("198.33")
        assert (rounded.quantity * rounded.price).quantize(Decimal("0.01")) == rounded.amount

    @settings(max_examples=300, deadline=None)
    @given(
        minutes=st.integers(min_value=1, max_value=1_000_000),
        cents=st.integers(min_value=1, max_value=10**9),
    )
    def test_measure_always_multiplies_back_to_the_amount(self, minutes, cents):
        rate = Decimal(cents).scaleb(-2)
        measure = upd.service_measure(minutes, rate)
        assert measure.amount == minutes_amount(minutes, rate)
        product = (measure.quantity * measure.price).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert product == measure.amount
        assert -measure.quantity.normalize().as_tuple().exponent <= 11
        assert -measure.price.normalize().as_tuple().exponent <= 11


class TestUpdBuild(BaseCase):
    """File name and the XML of the seller's title."""

    def test_file_id_follows_the_fns_name_rule(self):
        doc = make_document()
        assert upd.file_id(doc) == (
            f"ON_NSCHFDOPPR_{BUYER_EDO}_{SELLER_EDO}_20261130_{GUID}_0_0_0_0_0_00"
        )
        assert upd.file_name(doc) == upd.file_id(doc) + ".xml"
        # The date is the day the file is formed, not the document date.
        later = make_document(formed_at=datetime(2026, 12, 1, 9, 0, 0))
        assert "_20261201_" in upd.file_id(later)

    def test_built_upd_is_a_valid_5_03_dop_without_vat(self):
        doc = make_document(
            lines=(support_line(1, 198, "1700"), support_line(2, 7, "1700", "ноябрь 2026 (выезд)"))
        )
        xml = upd.build_xml(doc)

        assert xml.startswith(b'<?xml version="1.0" encoding="windows-1251"?>')
        text = xml.decode("windows-1251")
        assert "Техническая поддержка программ «МИКО» за ноябрь 2026" in text
        upd.validate_xml(xml, SELLER_XSD_503)
        upd.check_schematron_rules(xml, file_name=upd.file_name(doc))

        root = parse(xml)
        assert root.get("ИдФайл") == upd.file_id(doc)
        assert root.get("ВерсФорм") == "5.03"
        document = root.find("Документ")
        assert document.get("КНД") == "1115131"
        assert document.get("Функция") == "ДОП"
        assert document.get("ПоФактХЖ") == upd.FACT_NAME_DOP
        assert (document.get("ДатаИнфПр"), document.get("ВремИнфПр")) == ("30.11.2026", "18.05.07")
        assert root.find("Документ/СвСчФакт/СвПокуп/ИдСв/СвЮЛУч").get("НаимОрг") == (
            'АО "Клиент & Партнёры"'
        )
        assert root.find("Документ/СвСчФакт/ДенИзм").get("КодОКВ") == "643"
        first, second = root.iterfind("Документ/ТаблСчФакт/СведТов")
        assert first.attrib == {
            "НомСтр": "1",
            "НаимТов": "Техническая поддержка программ «МИКО» за ноябрь 2026",
            "ОКЕИ_Тов": "356",
            "НаимЕдИзм": "ч",
            "КолТов": "3.3",
            "ЦенаТов": "1700.00",
            "СтТовБезНДС": "5610.00",
            "НалСт": "без НДС",
            "СтТовУчНал": "5610.00",
        }
        assert first.findtext("СумНал/БезНДС") == "без НДС"
        assert (second.get("ОКЕИ_Тов"), second.get("КолТов"), second.get("ЦенаТов")) == (
            "355",
            "7",
            "28.33333333333",
        )
        assert second.get("СтТовБезНДС") == "198.33"
        totals = root.find("Документ/ТаблСчФакт/ВсегоОпл")
        assert totals.get("СтТовБезНДСВсего") == totals.get("СтТовУчНалВсего") == "5808.33"
        assert totals.findtext("СумНалВсего/БезНДС") == "без НДС"
        transfer = root.find("Документ/СвПродПер/СвПер")
        assert transfer.get("СодОпер") == "Услуги оказаны в полном объеме"
        assert (transfer.get("ДатаНачПер"), transfer.get("ДатаОконПер")) == (
            "01.11.2026",
            "30.11.2026",
        )
        assert transfer.find("ОснПер").attrib == {
            "РеквНаимДок": "Договор",
            "РеквНомерДок": "ТП-15/2025",
            "РеквДатаДок": "15.12.2025",
        }
        signer = root.find("Документ/Подписант")
        assert signer.get("СпосПодтПолном") == "1"
        assert signer.find("ФИО").get("Фамилия") == "Иванов"

    def test_individual_entrepreneur_seller_is_written_as_sved_ip(self):
        seller = make_seller(
            name="ИП Петров Пётр Петрович",
            inn=inn12("7708123456"),
            kpp=None,
            ogrn=ogrnip("31877460012345"),
            is_individual_entrepreneur=True,
            last_name="Петров",
            first_name="Пётр",
            middle_name="Петрович",
        )
        doc = make_document(seller=seller, signer=make_signer(org_inn=seller.inn))
        xml = upd.build_xml(doc)
        upd.validate_xml(xml, SELLER_XSD_503)
        upd.check_schematron_rules(xml)
        entrepreneur = parse(xml).find("Документ/СвСчФакт/СвПрод/ИдСв/СвИП")
        assert entrepreneur.get("ИННФЛ") == seller.inn
        assert entrepreneur.get("ОГРНИП") == seller.ogrn
        assert entrepreneur.find("ФИО").get("Имя") == "Пётр"
        assert parse(xml).find("Документ").get("НаимЭконСубСост").startswith("ИП Петров")

    def test_signer_with_a_machine_readable_power_of_attorney(self):
        signer = make_signer(
            position="Менеджер по работе с клиентами",
            authority_method="3",
            poa_number="0b1f6b1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
            poa_date=date(2026, 1, 15),
            poa_system="https://m4d.nalog.gov.ru/",
        )
        xml = upd.build_xml(make_document(signer=signer))
        upd.validate_xml(xml, SELLER_XSD_503)
        upd.check_schematron_rules(xml)
        power = parse(xml).find("Документ/Подписант/СвДоверЭл")
        assert power.get("НомДовер") == signer.poa_number
        assert power.get("ДатаВыдДовер") == "15.01.2026"

    @settings(max_examples=25, deadline=None)
    @given(
        name=st.text(
            alphabet=st.characters(
                blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufffe\uffff"
            ),
            min_size=1,
            max_size=80,
        ).filter(lambda text: text.strip()),
        minutes=st.integers(min_value=1, max_value=20_000),
        cents=st.integers(min_value=100, max_value=1_000_000),
    )
    def test_any_valid_document_validates_and_keeps_its_text(self, name, minutes, cents):
        """Quotes, ampersands and characters windows-1251 lacks survive as references."""
        line = replace(support_line(1, minutes, Decimal(cents).scaleb(-2)), name=name)
        doc = make_document(lines=(line,), buyer=make_buyer(name=name))
        xml = upd.build_xml(doc)
        upd.validate_xml(xml, SELLER_XSD_503)
        upd.check_schematron_rules(xml, file_name=upd.file_name(doc))
        root = parse(xml)
        expected = " ".join(name.split())
        assert root.find("Документ/ТаблСчФакт/СведТов").get("НаимТов") == expected
        assert root.find("Документ/СвСчФакт/СвПокуп/ИдСв/СвЮЛУч").get("НаимОрг") == expected


class TestUpdCheckDocument(BaseCase):
    """Our business checks name the requisite and its owner."""

    def test_check_document_names_the_requisite_and_its_owner(self):
        for changes, expected in REQUISITE_CASES:
            with self.subTest(changes=changes, expected=expected):
                error = refusal(upd.check_document, make_document(**changes))
                for part in expected:
                    assert part in message(error)
                with self.assertRaises(RuleError):
                    upd.build_xml(make_document(**changes))

    def test_individual_entrepreneur_rules(self):
        seller = make_seller(
            inn=inn12("7708123456"),
            is_individual_entrepreneur=True,
            last_name="Петров",
            first_name="",
        )
        error = refusal(upd.check_document, make_document(seller=seller))
        text = problems_text(error)
        assert "Seller: an individual entrepreneur has no KPP; remove 770801001." in text
        assert "Seller: “First name” is empty." in text
        seller = replace(seller, inn=SELLER_INN, kpp=None, first_name="Пётр")
        assert "must have 12 digits" in message(
            refusal(upd.check_document, make_document(seller=seller))
        )

    def test_check_document_refuses_bad_lines(self):
        for line_changes, expected in BAD_LINE_CASES:
            with self.subTest(line_changes=line_changes, expected=expected):
                line = replace(support_line(1, 198, "1700"), **line_changes)
                error = refusal(
                    upd.check_document, make_document(lines=(line,), total=Decimal("5610.00"))
                )
                assert expected in problems_text(error)
                assert "Line" in problems_text(error)

    def test_check_document_collects_every_problem(self):
        doc = make_document(
            buyer=make_buyer(kpp=None, address=""), signer=None, total=Decimal("1.00")
        )
        error = refusal(upd.check_document, doc)
        assert len(error.problems) == 4
        assert message(error).startswith("Buyer: the KPP is missing")
        assert message(error).endswith("Further problems: 3.")


class TestUpdXsd(BaseCase):
    """The XSD check against the shipped schema."""

    def test_validation_rejects_broken_documents(self):
        for change, expected in XSD_BREAKING_CASES:
            with self.subTest(change=change, expected=expected):
                xml = mutate(upd.build_xml(make_document()), change)
                error = refusal(upd.validate_xml, xml, SELLER_XSD_503)
                assert "does not match the schema" in message(error)
                assert expected in message(error)

    def test_validation_accepts_the_shared_samples(self):
        for sample in SAMPLES.glob("SYNTHETIC_*.xml"):
            upd.validate_xml(sample.read_bytes(), SELLER_XSD_503)
        upd.validate_xml(OTHER_VENDOR_503.read_bytes(), SELLER_XSD_503)
        upd.validate_xml(DIADOC_BUYER_TITLE.read_bytes(), BUYER_XSD_502)

    def test_schema_is_compiled_once_and_validation_is_fast(self):
        xml = upd.build_xml(make_document())
        assert upd._schema(SELLER_XSD_503) is upd._schema(str(SELLER_XSD_503))
        upd.validate_xml(xml, SELLER_XSD_503)
        count = 500
        started = time.perf_counter()
        for _ in range(count):
            upd.validate_xml(xml, SELLER_XSD_503)
        rate = count / (time.perf_counter() - started)
        assert rate >= 1000, f"{rate:.0f} validations per second"


class TestUpdSchematron(BaseCase):
    """The FNS Schematron rules and control ratios."""

    def test_schematron_rules_catch_what_the_xsd_lets_through(self):
        for change, expected in SCHEMATRON_CASES:
            with self.subTest(change=change, expected=expected):
                xml = upd.build_xml(make_document())
                assert upd.schematron_violations(xml) == []
                broken = mutate(xml, change)
                error = refusal(upd.check_schematron_rules, broken)
                assert expected in problems_text(error)

    def test_schematron_kpp_of_an_organisation(self):
        broken = mutate(upd.build_xml(make_document()), drop_kpp)
        upd.validate_xml(broken, SELLER_XSD_503)  # optional in the XSD
        error = refusal(upd.check_schematron_rules, broken)
        assert "СвПокуп/ИдСв/СвЮЛУч: @КПП is required when it is an organisation." in message(error)

    def test_schematron_file_name_rule(self):
        doc = make_document()
        xml = upd.build_xml(doc)
        upd.check_schematron_rules(xml, file_name=f"/tmp/outbox/{upd.file_name(doc)}")
        error = refusal(upd.check_schematron_rules, xml, file_name="upd_november.xml")
        assert "0400400007" in message(error)
        assert "upd_november" in message(error)

    def test_schematron_on_the_synthetic_sample(self):
        """The sample breaks the file name rule on purpose; its buyer INN is not checksum-valid."""
        (sample,) = SAMPLES.glob("SYNTHETIC_*.xml")
        violations = [
            str(v) for v in upd.schematron_violations(sample.read_bytes(), file_name=sample.name)
        ]
        assert any("0400400007" in v for v in violations)
        assert any("INN 5000000013 has wrong check digits" in v for v in violations)
        assert len(violations) == 2
