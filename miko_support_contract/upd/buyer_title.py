"""The buyer's title ON_NSCHFDOPPOK (5.01, 5.02, 5.03): :func:`parse_buyer_title` reads it
safely into :class:`UpdBuyerTitle` (``КодИтога``: accepted, with discrepancies, refused).
"""

from dataclasses import dataclass
from datetime import date

from ..rules import RuleError, _lt
from ..rules.xml_safety import parse_xml_safely
from .document import (
    ACCEPTED_WITH_DISCREPANCIES,
    BUYER_KND,
    CLARIFICATION_FILE_PREFIX,
    REJECTED,
    _parse_date,
)

MAX_BUYER_TITLE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class UpdBuyerTitle:
    """What the buyer's title (ON_NSCHFDOPPOK 5.01/5.02/5.03) says about our file.

    ``seller_file_id`` is ``ИдИнфПрод/@ИдФайлИнфПр``: the ``ИдФайл`` of the seller's file it
    answers. ``acceptance_code`` is ``КодИтога``: 1 accepted, 2 accepted with discrepancies
    (a claim), 3 not accepted; empty when a 5.01 file leaves it out.
    """

    file_id: str
    format_version: str
    seller_file_id: str
    seller_file_date: date | None
    document_function: str | None
    document_number: str | None
    document_date: date | None
    acceptance_code: str
    acceptance_content: str | None
    accepted_on: date | None
    formed_on: date | None
    discrepancy_document: str | None
    receiver_name: str | None
    receiver_position: str | None
    signer_last_name: str | None
    signer_first_name: str | None
    signer_middle_name: str | None
    signer_position: str | None

    @property
    def signer_name(self):
        """``Фамилия Имя Отчество`` of the signer."""
        parts = (self.signer_last_name, self.signer_first_name, self.signer_middle_name)
        return " ".join(part for part in parts if part)

    @property
    def is_refusal(self):
        """The buyer did not accept the services (``КодИтога`` 3)."""
        return self.acceptance_code == REJECTED

    @property
    def has_discrepancies(self):
        """The buyer accepted with discrepancies, a claim to clarify (``КодИтога`` 2)."""
        return self.acceptance_code == ACCEPTED_WITH_DISCREPANCIES


def _title_date(value, attribute):
    if value is None:
        return None
    parsed = _parse_date(value)
    if parsed is None:
        raise RuleError(
            _lt(
                "The buyer's title has an invalid date %(value)s in %(attribute)s.",
                value=value,
                attribute=attribute,
            )
        )
    return parsed


def _person(element):
    """(last, first, middle) of the ``ФИО`` child of ``element``."""
    fio = element.find("ФИО") if element is not None else None
    if fio is None:
        return None, None, None
    return fio.get("Фамилия"), fio.get("Имя"), fio.get("Отчество")


def parse_buyer_title(xml_bytes, max_bytes=MAX_BUYER_TITLE_BYTES):
    """Read a buyer's title ON_NSCHFDOPPOK (5.01, 5.02 or 5.03) safely into :class:`UpdBuyerTitle`.

    The parse is the one of :func:`~.xml_safety.parse_xml_safely` (size bound, no DOCTYPE, no
    entities, no DTD, no network). A clarification notice (``DP_UVUTOCH``) or any other file is
    refused with a message saying what it is.
    """
    root = parse_xml_safely(xml_bytes, max_bytes=max_bytes)
    file_ident = root.get("ИдФайл", "") if root.tag == "Файл" else ""
    if file_ident.startswith(CLARIFICATION_FILE_PREFIX):
        raise RuleError(
            _lt(
                "This file is a clarification notice (%(prefix)s), not a buyer's title: the "
                "buyer asks to correct the document.",
                prefix=CLARIFICATION_FILE_PREFIX,
            )
        )
    version = root.get("ВерсФорм", "")
    body = root.find("ИнфПок") if version == "5.01" else root.find("Документ")
    if root.tag != "Файл" or body is None or body.get("КНД") != BUYER_KND:
        raise RuleError(
            _lt(
                "The file is not a buyer's title of a UPD (КНД %(knd)s, format 5.01–5.03).",
                knd=BUYER_KND,
            )
        )
    if version not in ("5.01", "5.02", "5.03"):
        raise RuleError(
            _lt(
                "The buyer's title has the unsupported format version %(version)s.", version=version
            )
        )
    seller_file = body.find("ИдИнфПрод")
    seller_file_id = seller_file.get("ИдФайлИнфПр") if seller_file is not None else None
    if not seller_file_id:
        raise RuleError(
            _lt("The buyer's title does not name the seller's file (ИдИнфПрод/@ИдФайлИнфПр).")
        )
    facts = body.find("СодФХЖ4")
    acceptance = facts.find("СвПрин") if facts is not None else None
    outcome = acceptance.find("КодСодОпер") if acceptance is not None else None
    facts_get = facts.get if facts is not None else (lambda _name: None)

    if version == "5.01":
        number = facts_get("НомСчФИнфПр")
        document_date = _title_date(facts_get("ДатаСчФИнфПр"), "ДатаСчФИнфПр")
        discrepancy = outcome.get("НомДокРасх") if outcome is not None else None
    else:
        number = facts_get("ПорНомДокИнфПр")
        document_date = _title_date(facts_get("ДатаДокИнфПр"), "ДатаДокИнфПр")
        discrepancy_element = outcome.find("РеквДокРасх") if outcome is not None else None
        discrepancy = (
            discrepancy_element.get("РеквНомерДок") if discrepancy_element is not None else None
        )

    receiver = None
    if acceptance is not None:
        receiver = next(iter(acceptance.xpath("СвЛицПрин/РабОргПок | СвЛицПрин/ИнЛицо/*")), None)
    receiver_name = " ".join(part for part in _person(receiver) if part) or None

    signer = body.find("Подписант")
    if version == "5.01" and signer is not None:
        person = next(iter(signer), None)  # ЮЛ, ИП or ФЛ
        last, first, middle = _person(person)
        position = person.get("Должн") if person is not None else None
    else:
        last, first, middle = _person(signer)
        position = signer.get("Должн") if signer is not None else None

    return UpdBuyerTitle(
        file_id=file_ident,
        format_version=version,
        seller_file_id=seller_file_id,
        seller_file_date=_title_date(seller_file.get("ДатаФайлИнфПр"), "ДатаФайлИнфПр"),
        document_function=facts_get("Функция"),
        document_number=number,
        document_date=document_date,
        acceptance_code=outcome.get("КодИтога", "") if outcome is not None else "",
        acceptance_content=acceptance.get("СодОпер") if acceptance is not None else None,
        accepted_on=_title_date(
            acceptance.get("ДатаПрин") if acceptance is not None else None, "ДатаПрин"
        ),
        formed_on=_title_date(body.get("ДатаИнфПок"), "ДатаИнфПок"),
        discrepancy_document=discrepancy,
        receiver_name=receiver_name,
        receiver_position=receiver.get("Должность") if receiver is not None else None,
        signer_last_name=last,
        signer_first_name=first,
        signer_middle_name=middle,
        signer_position=position,
    )
