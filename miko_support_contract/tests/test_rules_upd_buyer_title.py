"""The buyer's title of the ``upd`` package and hostile XML. Plain ``BaseCase`` classes: no
database, run by pytest and by Odoo's runner.
"""

import re
import tempfile
import time
from datetime import date
from pathlib import Path

from odoo.tests import BaseCase

from odoo.addons.miko_support_contract import upd
from odoo.addons.miko_support_contract.rules.xml_safety import parse_xml_safely

from .common_upd_xml import (
    BUYER_EDO,
    BUYER_INN,
    BUYER_XSD_501,
    BUYER_XSD_502,
    DIADOC_BUYER_TITLE,
    GUID,
    SECRET,
    SELLER_EDO,
    SELLER_XSD_503,
    buyer_title_502,
    hostile_payloads,
    make_document,
    message,
    refusal,
)

HOSTILE_KINDS = [
    "external entity",
    "parameter entity",
    "external DTD",
    "utf-16",
    "undeclared entity",
]

HOSTILE_READERS = [
    parse_xml_safely,
    upd.parse_buyer_title,
    upd.check_schematron_rules,
    lambda data: upd.validate_xml(data, SELLER_XSD_503),
]


class TestUpdBuyerTitle(BaseCase):
    """Reading the buyer's title (КодИтога)."""

    def test_parse_the_diadoc_buyer_title(self):
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
        assert (title.receiver_name, title.receiver_position) == (
            "Иванов Иван Иванович",
            "Покупатель",
        )
        assert title.signer_name == "Подписант Иван Иванович"
        assert title.signer_position == "Сотрудник"

    def test_parse_a_refusal_answering_our_upd(self):
        doc = make_document()
        answer = buyer_title_502(upd.file_id(doc), code="3", content="Услуги не приняты")
        upd.validate_xml(answer, BUYER_XSD_502)
        title = upd.parse_buyer_title(answer)
        assert title.seller_file_id == upd.file_id(doc)
        assert title.is_refusal
        assert not title.has_discrepancies
        assert title.acceptance_content == "Услуги не приняты"
        assert title.discrepancy_document == "П-7"
        assert (title.document_number, title.document_date) == (
            "УПД-2026-11-0042",
            date(2026, 11, 30),
        )
        assert title.signer_name == "Кузнецов Олег Павлович"
        assert title.receiver_name == "Сидорова Анна"
        discrepancies = upd.parse_buyer_title(buyer_title_502(upd.file_id(doc), code="2"))
        assert discrepancies.has_discrepancies
        assert not discrepancies.is_refusal

    def test_parse_a_5_01_buyer_title(self):
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
        assert (title.document_number, title.document_date) == (
            "УПД-2026-11-0042",
            date(2026, 11, 30),
        )
        assert title.acceptance_code == upd.ACCEPTED
        assert title.accepted_on == date(2026, 12, 3)
        assert (title.signer_name, title.signer_position) == ("Кузнецов Олег", "Директор")

    def test_parse_buyer_title_refuses_other_files(self):
        error = refusal(upd.parse_buyer_title, upd.build_xml(make_document()))
        assert "not a buyer's title" in message(error)
        notice = (
            '<?xml version="1.0" encoding="windows-1251"?>'
            '<Файл ИдФайл="DP_UVUTOCH_2BM-1_2BE-2_20261202_x" ВерсФорм="1.02"/>'
        ).encode("windows-1251")
        assert "clarification notice" in message(refusal(upd.parse_buyer_title, notice))
        no_link = re.sub(
            'ИдФайлИнфПр="[^"]*"',
            'ИдФайлИнфПр=""',
            DIADOC_BUYER_TITLE.read_bytes().decode("cp1251"),
        ).encode("cp1251")
        assert "ИдФайлИнфПр" in message(refusal(upd.parse_buyer_title, no_link))


class TestUpdHostileXml(BaseCase):
    """Hostile XML is refused without leaking a byte."""

    def secret_file(self):
        """A file holding :data:`SECRET`, removed after the test."""
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        path = Path(folder.name) / "secret.txt"
        path.write_text(SECRET)
        return path

    def test_external_entities_are_refused_without_leaking(self):
        secret_file = self.secret_file()
        for kind in HOSTILE_KINDS:
            for reader in HOSTILE_READERS:
                with self.subTest(kind=kind, reader=reader):
                    payload = hostile_payloads(secret_file)[kind]
                    error = refusal(reader, payload)
                    assert SECRET not in message(error)
                    assert SECRET not in repr(error.args)
                    assert "DOCTYPE" in message(error) or "not well-formed" in message(error)

    def test_billion_laughs_is_refused_at_once(self):
        entities = "".join(
            f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' if i else '<!ENTITY lol0 "lol">'
            for i in range(10)
        )
        bomb = f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]><lolz>&lol9;</lolz>'.encode()
        started = time.perf_counter()
        error = refusal(upd.parse_buyer_title, bomb)
        assert time.perf_counter() - started < 1
        assert "DOCTYPE" in message(error)

    def test_oversize_files_are_refused(self):
        sample = DIADOC_BUYER_TITLE.read_bytes()
        error = refusal(upd.parse_buyer_title, sample, max_bytes=len(sample) - 1)
        assert f"{len(sample)} bytes" in message(error)
        assert str(len(sample) - 1) in message(error)
        padded = b"<r>" + b" " * upd.MAX_BUYER_TITLE_BYTES + b"</r>"
        assert "too large" in message(refusal(upd.parse_buyer_title, padded))
        assert "empty" in message(refusal(parse_xml_safely, b"  "))

    def test_malformed_xml_is_refused_with_its_position(self):
        error = refusal(parse_xml_safely, b'<?xml version="1.0"?>\n<a>\n<b></a>')
        assert "not well-formed XML (line 3" in message(error)
