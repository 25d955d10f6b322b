"""Values and helpers shared by the tests of the ``upd`` package (no database): documents
built from plain values, XML mutations, the samples' paths.

The FNS schemas are shipped in the addon (``data/xsd``); the other vendors' sample files live in
the shared folder beside the repository (``<repo>/../shared/upd``), or where ``MIKO_SHARED_DIR``
points.
"""

import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from lxml import etree

from odoo.addons.miko_support_contract import upd
from odoo.addons.miko_support_contract.rules import RuleError

SHARED = Path(
    os.environ.get("MIKO_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared"
)


SAMPLES = SHARED / "upd" / "samples"


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
    """The :class:`RuleError` that ``callable_(*args, **kwargs)`` raises (fails when none)."""
    try:
        callable_(*args, **kwargs)
    except RuleError as error:
        return error
    raise AssertionError(f"{getattr(callable_, '__name__', callable_)} did not refuse")


def message(error):
    """The text of a refusal. Rendered here, not in a test method: the lazy translation looks
    for a language in its caller's frame, and a ``BaseCase``'s ``self.env`` is None."""
    return str(error)


def problems_text(error):
    return " | ".join(str(problem) for problem in getattr(error, "problems", [error.message]))


def set_attribute(path, attribute, value):
    def change(root):
        root.find(path).set(attribute, value)

    return change


def remove_element(path):
    def change(root):
        element = root.find(path)
        element.getparent().remove(element)

    return change


def add_extra(circumstances):
    def change(root):
        invoice = root.find("Документ/СвСчФакт")
        extra = etree.SubElement(invoice, "ДопСвФХЖ1", circumstances)
        invoice.find("ДенИзм").addnext(extra)

    return change


def append_signer_poa(root):
    etree.SubElement(
        root.find("Документ/Подписант"),
        "СвДоверБум",
        {"ДатаВыдДовер": "01.01.2026", "ВнНомДовер": "15"},
    )


def drop_kpp(root):
    del root.find("Документ/СвСчФакт/СвПокуп/ИдСв/СвЮЛУч").attrib["КПП"]


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


SECRET = "TOP-SECRET-4f1c9e"


def hostile_payloads(secret_path):
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
