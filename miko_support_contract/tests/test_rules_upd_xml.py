"""The monthly UPD (5.03, ДОП, без НДС): business rules, XML, XSD, Schematron, buyer's title.

The FNS schemas are shipped in the addon (``data/xsd``); the other vendors' sample files live in
the shared folder beside the repository (``<repo>/../shared/upd``), or where ``MIKO_SHARED_DIR``
points.
"""

import os
import re
import time
from dataclasses import replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from odoo.addons.miko_support_contract import upd
from odoo.addons.miko_support_contract.rules import RuleError
from odoo.addons.miko_support_contract.rules.money import minutes_amount
from odoo.addons.miko_support_contract.rules.xml_safety import parse_xml_safely

SHARED = Path(
    os.environ.get("MIKO_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared"
)
SAMPLES = SHARED / "upd" / "samples"
# the schemas shipped with the addon (data/xsd)
SELLER_XSD_503 = upd.SELLER_XSD_503
BUYER_XSD_502 = upd.BUYER_XSD["5.02"]
BUYER_XSD_501 = upd.BUYER_XSD["5.01"]
DIADOC_BUYER_TITLE = SAMPLES / "diadoc_generate_utd970_05_02_01_title1_resp.xml"
OTHER_VENDOR_503 = SAMPLES / "vscherbo_example-upd_503_SCHFDOP.xml"

GUID = "9d7c1f2e-4b3a-4c5d-8e6f-0a1b2c3d4e5f"


def _inn_digit(body, weights):
    return str(sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11 % 10)


def inn10(prefix):
    """An organisation INN: 9 digits + check digit."""
    return prefix + _inn_digit(prefix, (2, 4, 10, 3, 5, 9, 4, 6, 8))


def inn12(prefix):
    """An individual's INN: 10 digits + 2 check digits."""
    first = _inn_digit(prefix, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8))
    return prefix + first + _inn_digit(prefix + first, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8))


def ogrnip(prefix):
    """A 15-digit OGRNIP: 14 digits + (number mod 13 mod 10)."""
    return prefix + str(int(prefix) % 13 % 10)


SELLER_INN = inn10("770812345")
BUYER_INN = inn10("500312345")
SELLER_EDO = f"2BM-{SELLER_INN}-770801001-201901010000000000001"
BUYER_EDO = f"2BE-{BUYER_INN}-500301001-20200101000000000007"


def make_seller(**changes):
    values = {
        "name": "ООО «МИКО Софт»",
        "inn": SELLER_INN,
        "kpp": "770801001",
        "ogrn": None,
        "address": "123001, г. Москва, ул. Садовая-Кудринская, д. 11, стр. 1, офис 5",
        "edo_id": SELLER_EDO,
        "bank": upd.UpdBankAccount(
            account_number="40702810900000012345",
            bik="044525225",
            bank_name="ПАО Сбербанк",
            corr_account="30101810400000000225",
        ),
    }
    values.update(changes)
    return upd.UpdParty(**values)


def make_buyer(**changes):
    values = {
        "name": 'АО "Клиент & Партнёры"',
        "inn": BUYER_INN,
        "kpp": "500301001",
        "address": "141400, Московская обл., г. Химки, ул. Ленинградская, д. 25",
        "edo_id": BUYER_EDO,
    }
    values.update(changes)
    return upd.UpdParty(**values)


def make_signer(**changes):
    values = {
        "last_name": "Иванов",
        "first_name": "Иван",
        "middle_name": "Иванович",
        "position": "Генеральный директор",
        "org_inn": SELLER_INN,
    }
    values.update(changes)
    return upd.UpdSigner(**values)


def support_line(number, minutes, hourly_rate, month="ноябрь 2026"):
    measure = upd.service_measure(minutes, Decimal(hourly_rate))
    return upd.UpdLine(
        number=number,
        name=f"Техническая поддержка программ «МИКО» за {month}",
        okei_code=measure.okei_code,
        unit_name=measure.unit_name,
        quantity=measure.quantity,
        price=measure.price,
        amount=measure.amount,
    )


def make_document(lines=None, **changes):
    lines = (support_line(1, 198, "1700"),) if lines is None else tuple(lines)
    values = {
        "guid": GUID,
        "number": "УПД-2026-11-0042",
        "date": date(2026, 11, 30),
        "formed_at": datetime(2026, 11, 30, 18, 5, 7),
        "seller": make_seller(),
        "buyer": make_buyer(),
        "signer": make_signer(),
        "lines": lines,
        "total": sum((line.amount for line in lines), Decimal(0)),
        "period_start": date(2026, 11, 1),
        "period_end": date(2026, 11, 30),
        "contract_number": "ТП-15/2025",
        "contract_date": date(2025, 12, 15),
    }
    values.update(changes)
    return upd.UpdDocument(**values)


def parse(xml_bytes):
    return etree.fromstring(xml_bytes)


def mutate(xml_bytes, change):
    """Apply ``change(root)`` to a copy of the file and serialise it like the builder does."""
    root = parse(xml_bytes)
    change(root)
    return upd.XML_DECLARATION + etree.tostring(
        root, encoding="windows-1251", xml_declaration=False
    )


def refusal(callable_, *args, **kwargs):
    with pytest.raises(RuleError) as info:
        callable_(*args, **kwargs)
    return info.value


def problems_text(error):
    return " | ".join(str(problem) for problem in getattr(error, "problems", [error.message]))


def test_shared_folder_is_there():
    assert SAMPLES.is_dir(), f"UPD samples not found under {SHARED} (set MIKO_SHARED_DIR)"


def test_schemas_are_shipped_inside_the_addon():
    addon = Path(upd.__file__).resolve().parents[1]
    for path in (SELLER_XSD_503, BUYER_XSD_502, BUYER_XSD_501):
        assert path.is_file()
        assert path.resolve().is_relative_to(addon)
    # validation uses the shipped seller's title 5.03 when no schema is named
    upd.validate_xml(upd.build_xml(make_document()))
    broken = mutate(upd.build_xml(make_document()), _set(".", "ВерсФорм", "5.02"))
    error = refusal(upd.validate_xml, broken)
    assert SELLER_XSD_503.name in str(error)


# ------------------------------------------------------------------------------------------
# Minutes -> line values
# ------------------------------------------------------------------------------------------


def test_198_minutes_at_1700_per_hour_are_3_3_hours_for_5610():
    measure = upd.service_measure(198, Decimal("1700"))
    assert (measure.okei_code, measure.unit_name) == ("356", "ч")
    assert measure.quantity == Decimal("3.3")
    assert measure.price == Decimal("1700")
    assert measure.amount == Decimal("5610.00")


def test_minutes_that_are_no_finite_hours_are_stated_in_minutes():
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
def test_measure_always_multiplies_back_to_the_amount(minutes, cents):
    rate = Decimal(cents).scaleb(-2)
    measure = upd.service_measure(minutes, rate)
    assert measure.amount == minutes_amount(minutes, rate)
    product = (measure.quantity * measure.price).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert product == measure.amount
    assert -measure.quantity.normalize().as_tuple().exponent <= 11
    assert -measure.price.normalize().as_tuple().exponent <= 11


# ------------------------------------------------------------------------------------------
# File name and XML
# ------------------------------------------------------------------------------------------


def test_file_id_follows_the_fns_name_rule():
    doc = make_document()
    assert upd.file_id(doc) == (
        f"ON_NSCHFDOPPR_{BUYER_EDO}_{SELLER_EDO}_20261130_{GUID}_0_0_0_0_0_00"
    )
    assert upd.file_name(doc) == upd.file_id(doc) + ".xml"
    # The date is the day the file is formed, not the document date.
    later = make_document(formed_at=datetime(2026, 12, 1, 9, 0, 0))
    assert "_20261201_" in upd.file_id(later)


def test_built_upd_is_a_valid_5_03_dop_without_vat():
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
    assert (transfer.get("ДатаНачПер"), transfer.get("ДатаОконПер")) == ("01.11.2026", "30.11.2026")
    assert transfer.find("ОснПер").attrib == {
        "РеквНаимДок": "Договор",
        "РеквНомерДок": "ТП-15/2025",
        "РеквДатаДок": "15.12.2025",
    }
    signer = root.find("Документ/Подписант")
    assert signer.get("СпосПодтПолном") == "1"
    assert signer.find("ФИО").get("Фамилия") == "Иванов"


def test_individual_entrepreneur_seller_is_written_as_sved_ip():
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


def test_signer_with_a_machine_readable_power_of_attorney():
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


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
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
def test_any_valid_document_validates_and_keeps_its_text(name, minutes, cents):
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


# ------------------------------------------------------------------------------------------
# check_document
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
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
    ],
)
def test_check_document_names_the_requisite_and_its_owner(changes, expected):
    error = refusal(upd.check_document, make_document(**changes))
    for part in expected:
        assert part in str(error)
    with pytest.raises(RuleError):
        upd.build_xml(make_document(**changes))


def test_individual_entrepreneur_rules():
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
    assert "must have 12 digits" in str(refusal(upd.check_document, make_document(seller=seller)))


@pytest.mark.parametrize(
    ("line_changes", "expected"),
    [
        ({"amount": Decimal("-5610.00")}, "amount -5610.00 must be a positive"),
        ({"amount": Decimal("5610.001")}, "at most 2 decimal places"),
        ({"quantity": Decimal("0")}, "quantity 0 must be a positive"),
        ({"price": Decimal("1700.000000000001")}, "at most 11"),
        ({"amount": Decimal("5611.00")}, "rounds to 5610.00, not to the amount 5611.00"),
        ({"okei_code": "ч"}, "not an OKEI code"),
        ({"name": " \n "}, "“Service name” is empty"),
        ({"number": 2}, "line 1 has number 2"),
        ({"name": "bell\x07"}, "control characters"),
    ],
)
def test_check_document_refuses_bad_lines(line_changes, expected):
    line = replace(support_line(1, 198, "1700"), **line_changes)
    error = refusal(upd.check_document, make_document(lines=(line,), total=Decimal("5610.00")))
    assert expected in problems_text(error)
    assert "Line" in problems_text(error)


def test_check_document_collects_every_problem():
    doc = make_document(buyer=make_buyer(kpp=None, address=""), signer=None, total=Decimal("1.00"))
    error = refusal(upd.check_document, doc)
    assert len(error.problems) == 4
    assert str(error).startswith("Buyer: the KPP is missing")
    assert str(error).endswith("Further problems: 3.")


# ------------------------------------------------------------------------------------------
# XSD validation
# ------------------------------------------------------------------------------------------


def _set(path, attribute, value):
    def change(root):
        root.find(path).set(attribute, value)

    return change


def _remove(path):
    def change(root):
        element = root.find(path)
        element.getparent().remove(element)

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_remove("Документ/ТаблСчФакт/ВсегоОпл"), "ВсегоОпл"),
        (_remove("Документ/Подписант"), "Подписант"),
        (_set("Документ/ТаблСчФакт/СведТов", "НалСт", "6%"), "НалСт"),
        (_set(".", "ВерсФорм", "5.02"), "ВерсФорм"),
        (_set("Документ", "Функция", "АКТ"), "Функция"),
        (_set("Документ/СвСчФакт/СвПрод/ИдСв/СвЮЛУч", "КПП", "7708-0100"), "КПП"),
        (_set("Документ/ТаблСчФакт/СведТов", "СтТовБезНДС", "5610.001"), "СтТовБезНДС"),
        (_set("Документ/СвСчФакт", "ДатаДок", "31.11.2026"), "ДатаДок"),
    ],
)
def test_validation_rejects_broken_documents(change, expected):
    xml = mutate(upd.build_xml(make_document()), change)
    error = refusal(upd.validate_xml, xml, SELLER_XSD_503)
    assert "does not match the schema" in str(error)
    assert expected in str(error)


def test_validation_accepts_the_shared_samples():
    for sample in SAMPLES.glob("SYNTHETIC_*.xml"):
        upd.validate_xml(sample.read_bytes(), SELLER_XSD_503)
    upd.validate_xml(OTHER_VENDOR_503.read_bytes(), SELLER_XSD_503)
    upd.validate_xml(DIADOC_BUYER_TITLE.read_bytes(), BUYER_XSD_502)


def test_schema_is_compiled_once_and_validation_is_fast():
    xml = upd.build_xml(make_document())
    assert upd._schema(SELLER_XSD_503) is upd._schema(str(SELLER_XSD_503))
    upd.validate_xml(xml, SELLER_XSD_503)
    count = 500
    started = time.perf_counter()
    for _ in range(count):
        upd.validate_xml(xml, SELLER_XSD_503)
    rate = count / (time.perf_counter() - started)
    assert rate >= 1000, f"{rate:.0f} validations per second"


# ------------------------------------------------------------------------------------------
# Schematron rules
# ------------------------------------------------------------------------------------------


def _add_extra(circumstances):
    def change(root):
        invoice = root.find("Документ/СвСчФакт")
        extra = etree.SubElement(invoice, "ДопСвФХЖ1", circumstances)
        invoice.find("ДенИзм").addnext(extra)

    return change


def _append_signer_poa(root):
    etree.SubElement(
        root.find("Документ/Подписант"),
        "СвДоверБум",
        {"ДатаВыдДовер": "01.01.2026", "ВнНомДовер": "15"},
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_remove("Документ/СвПродПер"), "Документ: СвПродПер is required when Функция = ДОП"),
        (_add_extra({"СпОбстФСЧФ": "1"}), "@СпОбстФСЧФ is not allowed when Функция = ДОП"),
        (_add_extra({"СпОбстФСЧФДОП": "00005"}), "@СпОбстФДОП is required when Функция = ДОП"),
        (_set("Документ/Подписант", "СпосПодтПолном", "3"), "СвДоверЭл is required"),
        (_append_signer_poa, "СвДоверБум is not allowed when СпосПодтПолном = 1"),
        (_set("Документ/ТаблСчФакт/ВсегоОпл", "СтТовБезНДСВсего", "5600.00"), "lines sum"),
        (_set("Документ/ТаблСчФакт/СведТов", "СтТовУчНал", "5600.00"), "differs from"),
        (_set("Документ/ТаблСчФакт/СведТов", "КолТов", "3.4"), "КолТов × ЦенаТов = 5780.00"),
        (_set("Документ/ТаблСчФакт/СведТов", "НомСтр", "2"), "НомСтр must be 1"),
        (_set("Документ/СвПродПер/СвПер", "ДатаНачПер", "01.12.2026"), "is after ДатаОконПер"),
        (_set("Документ", "ДатаИнфПр", "01.12.2026"), "not ДатаИнфПр 01.12.2026"),
        (_set("Документ/СвСчФакт/СвПокуп/ИдСв/СвЮЛУч", "ИННЮЛ", "5003123450"), "check digits"),
        (_remove("Документ/ТаблСчФакт/СведТов/СумНал/БезНДС"), "СумНал/БезНДС"),
    ],
)
def test_schematron_rules_catch_what_the_xsd_lets_through(change, expected):
    xml = upd.build_xml(make_document())
    assert upd.schematron_violations(xml) == []
    broken = mutate(xml, change)
    error = refusal(upd.check_schematron_rules, broken)
    assert expected in problems_text(error)


def _drop_kpp(root):
    del root.find("Документ/СвСчФакт/СвПокуп/ИдСв/СвЮЛУч").attrib["КПП"]


def test_schematron_kpp_of_an_organisation():
    broken = mutate(upd.build_xml(make_document()), _drop_kpp)
    upd.validate_xml(broken, SELLER_XSD_503)  # optional in the XSD
    error = refusal(upd.check_schematron_rules, broken)
    assert "СвПокуп/ИдСв/СвЮЛУч: @КПП is required when it is an organisation." in str(error)


def test_schematron_file_name_rule():
    doc = make_document()
    xml = upd.build_xml(doc)
    upd.check_schematron_rules(xml, file_name=f"/tmp/outbox/{upd.file_name(doc)}")
    error = refusal(upd.check_schematron_rules, xml, file_name="upd_november.xml")
    assert "0400400007" in str(error)
    assert "upd_november" in str(error)


def test_schematron_on_the_synthetic_sample():
    """The sample breaks the file name rule on purpose; its buyer INN is not checksum-valid."""
    (sample,) = SAMPLES.glob("SYNTHETIC_*.xml")
    violations = [
        str(v) for v in upd.schematron_violations(sample.read_bytes(), file_name=sample.name)
    ]
    assert any("0400400007" in v for v in violations)
    assert any("INN 5000000013 has wrong check digits" in v for v in violations)
    assert len(violations) == 2


# ------------------------------------------------------------------------------------------
# Buyer's title
# ------------------------------------------------------------------------------------------


def test_parse_the_diadoc_buyer_title():
    title = upd.parse_buyer_title(DIADOC_BUYER_TITLE.read_bytes())
    assert title.format_version == "5.02"
    assert title.file_id.startswith("ON_NSCHFDOPPOK_2BM-9681265956")
    assert title.seller_file_id == (
        "ON_NSCHFDOPPR_2BM-9677800047-967701000-202207281004154081709_"
        "2BM-9681265956-968101000-202207281000014689156_20240710_"
        "2b9816b5-7858-4d0c-b264-60158cfb43b4_1_1_0_0_1_00"
    )
    assert title.seller_file_date == date(2024, 7, 10)
    assert (title.document_number, title.document_date) == ("444", date(2003, 2, 1))
    assert title.document_function == "СЧФДОП"
    assert title.acceptance_code == upd.ACCEPTED
    assert not title.is_refusal
    assert not title.has_discrepancies
    assert title.accepted_on == date(2024, 7, 6)
    assert title.formed_on == date(2024, 7, 13)
    assert (title.receiver_name, title.receiver_position) == ("Иванов Иван Иванович", "Покупатель")
    assert title.signer_name == "Подписант Иван Иванович"
    assert title.signer_position == "Сотрудник"


def buyer_title_502(seller_file_id, code="1", content="Услуги приняты без претензий"):
    return f"""<?xml version="1.0" encoding="windows-1251"?>
<Файл ИдФайл="ON_NSCHFDOPPOK_{SELLER_EDO}_{BUYER_EDO}_20261202_{GUID[::-1]}_0_0_0_0_0_00"
      ВерсФорм="5.02" ВерсПрог="Контур.Диадок">
  <Документ КНД="1115132" ДатаИнфПок="02.12.2026" ВремИнфПок="10.15.00"
            НаимЭконСубСост="АО &quot;Клиент&quot;, ИНН {BUYER_INN}">
    <ИдИнфПрод ИдФайлИнфПр="{seller_file_id}" ДатаФайлИнфПр="30.11.2026"
               ВремФайлИнфПр="18.05.07">
      <ЭП>MIIBfakeSignature==</ЭП>
    </ИдИнфПрод>
    <СодФХЖ4 НаимДокОпрПр="Документ об оказании услуг" Функция="ДОП"
             ПорНомДокИнфПр="УПД-2026-11-0042" ДатаДокИнфПр="30.11.2026">
      <СвПрин СодОпер="{content}" ДатаПрин="02.12.2026">
        <КодСодОпер КодИтога="{code}">
          <РеквДокРасх РеквНаимДок="Претензия" РеквНомерДок="П-7" РеквДатаДок="02.12.2026"/>
        </КодСодОпер>
        <СвЛицПрин>
          <РабОргПок Должность="Главный инженер">
            <ФИО Фамилия="Сидорова" Имя="Анна"/>
          </РабОргПок>
        </СвЛицПрин>
      </СвПрин>
    </СодФХЖ4>
    <Подписант Должн="Генеральный директор" СпосПодтПолном="1">
      <ФИО Фамилия="Кузнецов" Имя="Олег" Отчество="Павлович"/>
    </Подписант>
  </Документ>
</Файл>
""".encode("windows-1251")


def test_parse_a_refusal_answering_our_upd():
    doc = make_document()
    answer = buyer_title_502(upd.file_id(doc), code="3", content="Услуги не приняты")
    upd.validate_xml(answer, BUYER_XSD_502)
    title = upd.parse_buyer_title(answer)
    assert title.seller_file_id == upd.file_id(doc)
    assert title.is_refusal
    assert not title.has_discrepancies
    assert title.acceptance_content == "Услуги не приняты"
    assert title.discrepancy_document == "П-7"
    assert (title.document_number, title.document_date) == ("УПД-2026-11-0042", date(2026, 11, 30))
    assert title.signer_name == "Кузнецов Олег Павлович"
    assert title.receiver_name == "Сидорова Анна"
    discrepancies = upd.parse_buyer_title(buyer_title_502(upd.file_id(doc), code="2"))
    assert discrepancies.has_discrepancies
    assert not discrepancies.is_refusal


def test_parse_a_5_01_buyer_title():
    doc = make_document()
    answer = f"""<?xml version="1.0" encoding="windows-1251"?>
<Файл ИдФайл="ON_NSCHFDOPPOK_{SELLER_EDO}_{BUYER_EDO}_20261202_{GUID}" ВерсФорм="5.01"
      ВерсПрог="1С:Бухгалтерия">
  <СвУчДокОбор ИдОтпр="{BUYER_EDO}" ИдПол="{SELLER_EDO}"/>
  <ИнфПок КНД="1115132" ДатаИнфПок="03.12.2026" ВремИнфПок="09.00.00"
          НаимЭконСубСост="АО Клиент">
    <ИдИнфПрод ИдФайлИнфПр="{upd.file_id(doc)}" ДатаФайлИнфПр="30.11.2026"
               ВремФайлИнфПр="18.05.07">
      <ЭП>MIIBfake==</ЭП>
    </ИдИнфПрод>
    <СодФХЖ4 НаимДокОпрПр="Документ об оказании услуг" Функция="ДОП"
             НомСчФИнфПр="УПД-2026-11-0042" ДатаСчФИнфПр="30.11.2026">
      <СвПрин СодОпер="Услуги получены" ДатаПрин="03.12.2026">
        <КодСодОпер КодИтога="1"/>
      </СвПрин>
    </СодФХЖ4>
    <Подписант ОблПолн="2" Статус="3" ОснПолн="Должностные обязанности">
      <ЮЛ ИННЮЛ="{BUYER_INN}" Должн="Директор">
        <ФИО Фамилия="Кузнецов" Имя="Олег"/>
      </ЮЛ>
    </Подписант>
  </ИнфПок>
</Файл>
""".encode("windows-1251")
    upd.validate_xml(answer, BUYER_XSD_501)
    title = upd.parse_buyer_title(answer)
    assert title.format_version == "5.01"
    assert title.seller_file_id == upd.file_id(doc)
    assert (title.document_number, title.document_date) == ("УПД-2026-11-0042", date(2026, 11, 30))
    assert title.acceptance_code == upd.ACCEPTED
    assert title.accepted_on == date(2026, 12, 3)
    assert (title.signer_name, title.signer_position) == ("Кузнецов Олег", "Директор")


def test_parse_buyer_title_refuses_other_files():
    error = refusal(upd.parse_buyer_title, upd.build_xml(make_document()))
    assert "not a buyer's title" in str(error)
    notice = (
        '<?xml version="1.0" encoding="windows-1251"?>'
        '<Файл ИдФайл="DP_UVUTOCH_2BM-1_2BE-2_20261202_x" ВерсФорм="1.02"/>'
    ).encode("windows-1251")
    assert "clarification notice" in str(refusal(upd.parse_buyer_title, notice))
    no_link = re.sub(
        'ИдФайлИнфПр="[^"]*"', 'ИдФайлИнфПр=""', DIADOC_BUYER_TITLE.read_bytes().decode("cp1251")
    ).encode("cp1251")
    assert "ИдФайлИнфПр" in str(refusal(upd.parse_buyer_title, no_link))


# ------------------------------------------------------------------------------------------
# Hostile XML
# ------------------------------------------------------------------------------------------

SECRET = "TOP-SECRET-4f1c9e"


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def _hostile_payloads(secret_path):
    url = secret_path.as_uri()
    return {
        "external entity": (
            f'<?xml version="1.0"?><!DOCTYPE Файл [<!ENTITY xxe SYSTEM "{url}">]>'
            '<Файл ИдФайл="&xxe;"><Документ КНД="1115132">&xxe;</Документ></Файл>'
        ).encode(),
        "parameter entity": (
            f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "{url}"> %p;]><r/>'
        ).encode(),
        "external DTD": (f'<?xml version="1.0"?><!DOCTYPE r SYSTEM "{url}"><r>&x;</r>').encode(),
        "utf-16": (
            f'<?xml version="1.0" encoding="UTF-16"?>'
            f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{url}">]><r>&xxe;</r>'
        ).encode("utf-16"),
        "undeclared entity": b'<?xml version="1.0"?><r>&xxe;</r>',
    }


@pytest.mark.parametrize(
    "kind", ["external entity", "parameter entity", "external DTD", "utf-16", "undeclared entity"]
)
@pytest.mark.parametrize(
    "reader",
    [
        parse_xml_safely,
        upd.parse_buyer_title,
        upd.check_schematron_rules,
        lambda data: upd.validate_xml(data, SELLER_XSD_503),
    ],
)
def test_external_entities_are_refused_without_leaking(secret_file, kind, reader):
    payload = _hostile_payloads(secret_file)[kind]
    error = refusal(reader, payload)
    assert SECRET not in str(error)
    assert SECRET not in repr(error.args)
    assert "DOCTYPE" in str(error) or "not well-formed" in str(error)


def test_billion_laughs_is_refused_at_once():
    entities = "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' if i else '<!ENTITY lol0 "lol">'
        for i in range(10)
    )
    bomb = f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]><lolz>&lol9;</lolz>'.encode()
    started = time.perf_counter()
    error = refusal(upd.parse_buyer_title, bomb)
    assert time.perf_counter() - started < 1
    assert "DOCTYPE" in str(error)


def test_oversize_files_are_refused():
    sample = DIADOC_BUYER_TITLE.read_bytes()
    error = refusal(upd.parse_buyer_title, sample, max_bytes=len(sample) - 1)
    assert f"{len(sample)} bytes" in str(error)
    assert str(len(sample) - 1) in str(error)
    padded = b"<r>" + b" " * upd.MAX_BUYER_TITLE_BYTES + b"</r>"
    assert "too large" in str(refusal(upd.parse_buyer_title, padded))
    assert "empty" in str(refusal(parse_xml_safely, b"  "))


def test_malformed_xml_is_refused_with_its_position():
    error = refusal(parse_xml_safely, b'<?xml version="1.0"?>\n<a>\n<b></a>')
    assert "not well-formed XML (line 3" in str(error)
