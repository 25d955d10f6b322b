"""Our business checks of the values before the XML is built (:func:`check_document`):
each message is translated lazily and names the requisite and whose it is (seller, buyer,
signer, document). ``error.problems`` of the raised :class:`~..rules.RuleError` lists them all.
"""

import re
import uuid
from datetime import datetime
from decimal import Decimal

from ..rules import RuleError, _lt, requisites
from .amounts import (
    MAX_AMOUNT_DIGITS,
    MAX_FRACTION_DIGITS,
    MAX_QUANTITY_DIGITS,
    _decimal_ok,
    _money,
    _price,
    _quantity,
    _round_cents,
)
from .document import (
    AUTHORITY_ELECTRONIC_POA,
    AUTHORITY_METHODS,
    AUTHORITY_PAPER_POA,
    SIGNATURE_TYPES,
    _clean,
    _format_date,
)

_INN_LEGAL = re.compile(r"([0-9][1-9]|[1-9][0-9])[0-9]{8}")
_INN_PERSON = re.compile(r"([0-9][1-9]|[1-9][0-9])[0-9]{10}")
_KPP = re.compile(r"([0-9][1-9]|[1-9][0-9])[0-9]{2}[0-9A-Z]{2}[0-9]{3}")
_OKEI = re.compile(r"[0-9]{3,4}")
_EDO_ID = re.compile(r"[0-9A-Z]{3}[0-9A-Za-z-]{1,43}")
_DIGITS = re.compile(r"[0-9]+")
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Who a message is about.
_SELLER = _lt("Seller")
_BUYER = _lt("Buyer")
_SIGNER = _lt("Signer")
_DOCUMENT = _lt("Document")
# Requisites named in messages.
_F_ORG_NAME = _lt("Organisation name")
_F_INN = _lt("INN")
_F_ADDRESS = _lt("Address")
_F_COUNTRY_NAME = _lt("Country name")
_F_EDO_ID = _lt("EDO participant ID")
_F_LAST_NAME = _lt("Last name")
_F_FIRST_NAME = _lt("First name")
_F_MIDDLE_NAME = _lt("Middle name")
_F_POSITION = _lt("Position")
_F_BANK_NAME = _lt("Bank name")
_F_NUMBER = _lt("Number")
_F_POA_NUMBER = _lt("Power of attorney number")
_F_POA_SYSTEM = _lt("Power of attorney storage system")
_F_SERVICE_NAME = _lt("Service name")
_F_UNIT_NAME = _lt("Unit name")
_F_CONTRACT_NAME = _lt("Contract document name")
_F_CONTRACT_NUMBER = _lt("Contract number")
_F_TRANSFER_CONTENT = _lt("Transfer content")
_F_PRIMARY_DOCUMENT_NAME = _lt("Primary document name")
_F_PROGRAM_VERSION = _lt("Program version")


def _inn_checksum_ok(inn):
    """Check digits of a 10- or 12-digit INN (shape checked by the caller)."""
    body = inn[:9] if len(inn) == 10 else inn[:10]
    return requisites.inn_check_digits(body) == inn[len(body) :]


def _ogrn_ok(ogrn, length):
    if len(ogrn) != length:
        return False
    try:
        requisites.check_ogrn(ogrn)
    except RuleError:
        return False
    return True


def _raise_problems(problems):
    """Raise the first problem (and their count); ``error.problems`` holds them all."""
    if not problems:
        return
    if len(problems) == 1:
        error = RuleError(problems[0])
    else:
        error = RuleError(
            _lt(
                "%(first)s Further problems: %(count)s.",
                first=problems[0],
                count=len(problems) - 1,
            )
        )
    error.problems = list(problems)
    raise error


def _check_text(problems, owner, field, value, limit, *, required=True):
    """Append a problem when a text requisite is empty, too long or not XML-safe."""
    text = _clean(value)
    if not text:
        if required:
            problems.append(_lt("%(owner)s: “%(field)s” is empty.", owner=owner, field=field))
        return
    if len(text) > limit:
        problems.append(
            _lt(
                "%(owner)s: “%(field)s” is longer than %(limit)s characters.",
                owner=owner,
                field=field,
                limit=limit,
            )
        )
    if _NOT_XML_CHAR.search(text):
        problems.append(
            _lt(
                "%(owner)s: “%(field)s” contains control characters.",
                owner=owner,
                field=field,
            )
        )


def _check_year(problems, value, field):
    if not 1900 <= value.year <= 2099:
        problems.append(
            _lt(
                "The date %(date)s (%(field)s) is outside the years 1900–2099 allowed by the "
                "format.",
                date=_format_date(value),
                field=field,
            )
        )


def _check_party(problems, party, owner):
    if party is None:
        problems.append(_lt("%(owner)s: the participant is missing.", owner=owner))
        return
    _check_text(
        problems,
        owner,
        _F_ORG_NAME,
        party.name,
        1000,
        required=not party.is_individual_entrepreneur,
    )
    inn = _clean(party.inn)
    kpp = _clean(party.kpp)
    ogrn = _clean(party.ogrn)
    if not inn:
        problems.append(_lt("%(owner)s: “%(field)s” is empty.", owner=owner, field=_F_INN))
    entrepreneur = party.is_individual_entrepreneur
    if inn and not (_INN_PERSON if entrepreneur else _INN_LEGAL).fullmatch(inn):
        problems.append(
            _lt(
                "%(owner)s: INN %(inn)s of an individual entrepreneur must have 12 digits.",
                owner=owner,
                inn=inn,
            )
            if entrepreneur
            else _lt(
                "%(owner)s: INN %(inn)s of an organisation must have 10 digits "
                "(12 digits only for an individual entrepreneur).",
                owner=owner,
                inn=inn,
            )
        )
    elif inn and not _inn_checksum_ok(inn):
        problems.append(
            _lt(
                "%(owner)s: INN %(inn)s is invalid: its check digits do not match.",
                owner=owner,
                inn=inn,
            )
        )
    if entrepreneur:
        if kpp:
            problems.append(
                _lt(
                    "%(owner)s: an individual entrepreneur has no KPP; remove %(kpp)s.",
                    owner=owner,
                    kpp=kpp,
                )
            )
        _check_text(problems, owner, _F_LAST_NAME, party.last_name, 60)
        _check_text(problems, owner, _F_FIRST_NAME, party.first_name, 60)
        _check_text(problems, owner, _F_MIDDLE_NAME, party.middle_name, 60, required=False)
        if ogrn and not _ogrn_ok(ogrn, 15):
            problems.append(
                _lt(
                    "%(owner)s: OGRNIP %(ogrn)s must have 15 digits with a valid check digit.",
                    owner=owner,
                    ogrn=ogrn,
                )
            )
    else:
        if not kpp:
            problems.append(
                _lt(
                    "%(owner)s: the KPP is missing; an organisation with a 10-digit INN must "
                    "have one.",
                    owner=owner,
                )
            )
        elif not _KPP.fullmatch(kpp):
            problems.append(
                _lt(
                    "%(owner)s: KPP %(kpp)s is invalid: it must be 4 digits, then 2 digits or "
                    "capital Latin letters, then 3 digits.",
                    owner=owner,
                    kpp=kpp,
                )
            )
        if ogrn and not _ogrn_ok(ogrn, 13):
            problems.append(
                _lt(
                    "%(owner)s: OGRN %(ogrn)s must have 13 digits with a valid check digit.",
                    owner=owner,
                    ogrn=ogrn,
                )
            )
    _check_text(problems, owner, _F_ADDRESS, party.address, 1000)
    if not re.fullmatch(r"[0-9]{3}", _clean(party.country_code)):
        problems.append(
            _lt(
                "%(owner)s: the country code %(code)s must be 3 digits (OKSM, 643 for Russia).",
                owner=owner,
                code=_clean(party.country_code),
            )
        )
    _check_text(problems, owner, _F_COUNTRY_NAME, party.country_name, 255)
    if party.bank is not None:
        _check_bank(problems, party.bank, owner)


def _check_bank(problems, bank, owner):
    account = _clean(bank.account_number)
    if not _DIGITS.fullmatch(account) or len(account) > 34:
        problems.append(
            _lt(
                "%(owner)s: the bank account number %(account)s must be 1 to 34 digits.",
                owner=owner,
                account=account,
            )
        )
    bik = _clean(bank.bik)
    if bik and not re.fullmatch(r"[0-9]{9}", bik):
        problems.append(_lt("%(owner)s: BIK %(bik)s must have 9 digits.", owner=owner, bik=bik))
    corr = _clean(bank.corr_account)
    if corr and (not _DIGITS.fullmatch(corr) or len(corr) > 34):
        problems.append(
            _lt(
                "%(owner)s: the correspondent account %(account)s must be 1 to 34 digits.",
                owner=owner,
                account=corr,
            )
        )
    _check_text(problems, owner, _F_BANK_NAME, bank.bank_name, 1000, required=False)


def _check_edo_id(problems, owner, edo_id, party_edo_id):
    edo_id = _clean(edo_id)
    if not edo_id:
        problems.append(_lt("%(owner)s: “%(field)s” is empty.", owner=owner, field=_F_EDO_ID))
        return
    if len(edo_id) > 46 or not _EDO_ID.fullmatch(edo_id):
        problems.append(
            _lt(
                "%(owner)s: EDO participant ID %(edo_id)s is invalid: it must have 4 to 46 "
                "characters, the 3-character operator code first, then Latin letters, digits "
                "and hyphens only.",
                owner=owner,
                edo_id=edo_id,
            )
        )
    party_edo_id = _clean(party_edo_id)
    if party_edo_id and party_edo_id != edo_id:
        problems.append(
            _lt(
                "%(owner)s: the document's EDO participant ID %(edo_id)s differs from the "
                "participant's %(party_edo_id)s.",
                owner=owner,
                edo_id=edo_id,
                party_edo_id=party_edo_id,
            )
        )


def _check_signer(problems, signer, seller):
    owner = _SIGNER
    if signer is None:
        problems.append(_lt("The signer is missing: the seller's title must name who signs it."))
        return
    _check_text(problems, owner, _F_LAST_NAME, signer.last_name, 60)
    _check_text(problems, owner, _F_FIRST_NAME, signer.first_name, 60)
    _check_text(problems, owner, _F_MIDDLE_NAME, signer.middle_name, 60, required=False)
    _check_text(problems, owner, _F_POSITION, signer.position, 255)
    method = _clean(signer.authority_method)
    if method not in AUTHORITY_METHODS:
        problems.append(
            _lt(
                "%(owner)s: the authority confirmation method %(method)s is unknown; use 1 to 6.",
                owner=owner,
                method=method,
            )
        )
    poa_given = any(
        (signer.poa_number, signer.poa_date, signer.poa_system, signer.poa_internal_number)
    )
    if method == AUTHORITY_ELECTRONIC_POA:
        if (
            len(_clean(signer.poa_number)) != 36
            or signer.poa_date is None
            or not _clean(signer.poa_system)
        ):
            problems.append(
                _lt(
                    "%(owner)s: a machine-readable power of attorney (method 3) needs its "
                    "36-character registration number, its date and the system storing it.",
                    owner=owner,
                )
            )
        _check_text(problems, owner, _F_POA_SYSTEM, signer.poa_system, 500, required=False)
    elif method == AUTHORITY_PAPER_POA:
        if not _clean(signer.poa_internal_number) or signer.poa_date is None:
            problems.append(
                _lt(
                    "%(owner)s: a paper power of attorney (method 5) needs its number and date.",
                    owner=owner,
                )
            )
    elif poa_given:
        problems.append(
            _lt(
                "%(owner)s: power of attorney details are only allowed with method 3 "
                "(machine-readable) or 5 (paper), not with method %(method)s.",
                owner=owner,
                method=method,
            )
        )
    _check_text(problems, owner, _F_POA_NUMBER, signer.poa_internal_number, 50, required=False)
    if signer.poa_date is not None:
        _check_year(problems, signer.poa_date, owner)
    if signer.signature_type is not None and signer.signature_type not in SIGNATURE_TYPES:
        problems.append(
            _lt(
                "%(owner)s: the signature type %(type)s is unknown; use 1 (qualified), "
                "2 (simple) or 3 (unqualified).",
                owner=owner,
                type=signer.signature_type,
            )
        )
    org_inn = _clean(signer.org_inn)
    seller_inn = _clean(seller.inn) if seller else ""
    if org_inn and seller_inn and org_inn != seller_inn:
        problems.append(
            _lt(
                "%(owner)s: the signer's organisation INN %(inn)s differs from the seller's "
                "INN %(seller_inn)s.",
                owner=owner,
                inn=org_inn,
                seller_inn=seller_inn,
            )
        )


def _check_line(problems, position, line):
    owner = _lt("Line %(number)s", number=line.number)
    if line.number != position:
        problems.append(
            _lt(
                "Line numbers must run 1, 2, 3… without gaps: line %(position)s has number "
                "%(number)s.",
                position=position,
                number=line.number,
            )
        )
    _check_text(problems, owner, _F_SERVICE_NAME, line.name, 2000)
    if not _OKEI.fullmatch(_clean(line.okei_code)):
        problems.append(
            _lt(
                "%(owner)s: the unit code %(code)s is not an OKEI code of 3 or 4 digits.",
                owner=owner,
                code=_clean(line.okei_code),
            )
        )
    _check_text(problems, owner, _F_UNIT_NAME, line.unit_name, 255)
    quantity_ok = _decimal_ok(line.quantity, MAX_FRACTION_DIGITS, MAX_QUANTITY_DIGITS)
    if not quantity_ok:
        problems.append(
            _lt(
                "%(owner)s: the quantity %(value)s must be a positive number with at most 11 "
                "decimal places.",
                owner=owner,
                value=str(line.quantity),
            )
        )
    price_ok = _decimal_ok(line.price, MAX_FRACTION_DIGITS, MAX_QUANTITY_DIGITS)
    if not price_ok:
        problems.append(
            _lt(
                "%(owner)s: the price %(value)s must be a positive number with at most 11 "
                "decimal places.",
                owner=owner,
                value=str(line.price),
            )
        )
    amount_ok = _decimal_ok(line.amount, 2, MAX_AMOUNT_DIGITS)
    if not amount_ok:
        problems.append(
            _lt(
                "%(owner)s: the amount %(value)s must be a positive number with at most 2 "
                "decimal places.",
                owner=owner,
                value=str(line.amount),
            )
        )
    if quantity_ok and price_ok and amount_ok:
        product = _round_cents(line.quantity * line.price)
        if product != line.amount:
            problems.append(
                _lt(
                    "%(owner)s: quantity %(quantity)s × price %(price)s rounds to %(product)s, "
                    "not to the amount %(amount)s.",
                    owner=owner,
                    quantity=_quantity(line.quantity),
                    price=_price(line.price),
                    product=_money(product),
                    amount=_money(line.amount),
                )
            )
    return amount_ok


def check_document(doc):
    """Refuse a document that must not be built; the message names the requisite and its owner.

    Checked: participants (name, INN pattern and check digits, KPP of an organisation, none for an
    individual entrepreneur, entrepreneur's name, OGRN/OGRNIP check digit when given, address,
    bank details when given), EDO participant IDs of both sides (for the file name), the signer
    (name, position, authority method and its power of attorney, organisation INN = seller's INN),
    lines (numbering, name, OKEI code, positive quantity/price/amount within the schema's decimal
    places, ``round(quantity × price, 2) == amount``), their sum equal to the total, the service
    period (start ≤ end), the contract, the GUID, lengths against the 5.03 schema and dates within
    1900–2099. All problems are collected; the error shows the first, ``error.problems`` has all.
    """
    problems = []
    _check_text(problems, _DOCUMENT, _F_NUMBER, doc.number, 1000)
    try:
        guid_ok = len(doc.guid) == 36 and str(uuid.UUID(doc.guid)) == doc.guid.lower()
    except (TypeError, ValueError, AttributeError):
        guid_ok = False
    if not guid_ok:
        problems.append(
            _lt(
                "%(owner)s: GUID %(guid)s is not a GUID of 36 characters.",
                owner=_DOCUMENT,
                guid=str(doc.guid),
            )
        )
    if not isinstance(doc.formed_at, datetime):
        raise TypeError(f"formed_at must be a datetime, not {doc.formed_at!r}")
    _check_party(problems, doc.seller, _SELLER)
    _check_party(problems, doc.buyer, _BUYER)
    _check_edo_id(problems, _SELLER, doc.sender_id, doc.seller.edo_id if doc.seller else None)
    _check_edo_id(problems, _BUYER, doc.recipient_id, doc.buyer.edo_id if doc.buyer else None)
    _check_signer(problems, doc.signer, doc.seller)

    if not doc.lines:
        problems.append(_lt("The document has no lines."))
    all_amounts_ok = True
    for position, line in enumerate(doc.lines, start=1):
        all_amounts_ok = _check_line(problems, position, line) and all_amounts_ok
    if not _decimal_ok(doc.total, 2, MAX_AMOUNT_DIGITS):
        problems.append(
            _lt(
                "%(owner)s: the total %(value)s must be a positive number with at most 2 "
                "decimal places.",
                owner=_DOCUMENT,
                value=str(doc.total),
            )
        )
    elif doc.lines and all_amounts_ok:
        lines_sum = sum((line.amount for line in doc.lines), Decimal(0))
        if lines_sum != doc.total:
            problems.append(
                _lt(
                    "The total %(total)s differs from the sum of the lines %(sum)s.",
                    total=_money(doc.total),
                    sum=_money(lines_sum),
                )
            )

    if doc.period_start > doc.period_end:
        problems.append(
            _lt(
                "The service period starts on %(start)s, after its end on %(end)s.",
                start=_format_date(doc.period_start),
                end=_format_date(doc.period_end),
            )
        )
    _check_text(problems, _DOCUMENT, _F_CONTRACT_NAME, doc.contract_name, 255)
    _check_text(problems, _DOCUMENT, _F_CONTRACT_NUMBER, doc.contract_number, 255)
    if doc.contract_date > doc.date:
        problems.append(
            _lt(
                "The contract date %(contract_date)s is after the document date %(date)s.",
                contract_date=_format_date(doc.contract_date),
                date=_format_date(doc.date),
            )
        )
    _check_text(problems, _DOCUMENT, _F_TRANSFER_CONTENT, doc.transfer_content, 255)
    _check_text(problems, _DOCUMENT, _F_PRIMARY_DOCUMENT_NAME, doc.primary_document_name, 255)
    _check_text(problems, _DOCUMENT, _F_PROGRAM_VERSION, doc.program_version, 40)
    for value in (
        doc.date,
        doc.formed_at,
        doc.period_start,
        doc.period_end,
        doc.contract_date,
        doc.transfer_date or doc.date,
    ):
        _check_year(problems, value, _DOCUMENT)
    _raise_problems(problems)
