"""The seller's title of the monthly UPD: FNS format 5.03 (order ЕД-7-26/970@), status 2.

A software vendor on the simplified tax system issues one UPD per customer per month for technical
support: ``Функция="ДОП"`` (transfer document only, no invoice), every line ``НалСт="без НДС"``.

Flow: build the plain values (:class:`UpdDocument` and its parts), :func:`check_document` (our own
business rules, messages name the requisite and whose it is), :func:`build_xml` (windows-1251
bytes named :func:`file_name`), :func:`validate_xml` against the FNS XSD and
:func:`check_schematron_rules` (the FNS Schematron rules and control ratios the XSD cannot express).
The buyer's answer (title ON_NSCHFDOPPOK) is read with :func:`parse_buyer_title`.

File name (order ЕД-7-26/970@, "Имя файла обмена")::

    ON_NSCHFDOPPR_A_O_GGGGMMDD_N_1_2_3_4_5_KK

``A`` is the recipient's (buyer's) and ``O`` the sender's (seller's) EDO participant ID,
``GGGGMMDD`` the date the file is formed (``ДатаИнфПр``), ``N`` the 36-character GUID. The five
one-digit flags say whether the file carries goods subject to traceability, marked goods, alcohol,
tobacco and nicotine products, oil products (``1``/``0``); a two-digit code closes the name, ``00``
in every known file without such goods. Technical support services carry none of them, so our
names always end in ``_0_0_0_0_0_00``, as the 5.03 files of other vendors for plain services do.

Format 5.03 has no ``СвУчДокОбор`` any more: the EDO participant IDs and the operator appear only
in the file name, and ``Подписант`` has no INN attribute (:attr:`UpdSigner.org_inn` is only
checked against the seller's INN).
"""

import re
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

from lxml import etree

from . import RuleError, _lt, requisites
from .money import minutes_amount
from .xml_safety import DEFAULT_MAX_BYTES, parse_xml_safely

FORMAT_VERSION = "5.03"
SELLER_KND = "1115131"
BUYER_KND = "1115132"
FUNCTION_DOP = "ДОП"
SELLER_FILE_PREFIX = "ON_NSCHFDOPPR"
BUYER_FILE_PREFIX = "ON_NSCHFDOPPOK"
CLARIFICATION_FILE_PREFIX = "DP_UVUTOCH"
FILE_NAME_FLAGS = "0_0_0_0_0_00"
PROGRAM_VERSION = "MIKO Support Contract 19.0"
FACT_NAME_DOP = (
    "Документ об отгрузке товаров (выполнении работ), передаче имущественных прав "
    "(документ об оказании услуг)"
)
DEFAULT_PRIMARY_DOCUMENT_NAME = "Документ об оказании услуг"
DEFAULT_TRANSFER_CONTENT = "Услуги оказаны в полном объеме"
DEFAULT_CONTRACT_NAME = "Договор"
VAT_FREE = "без НДС"
EXCISE_FREE = "без акциза"
CURRENCY_CODE = "643"
CURRENCY_NAME = "Российский рубль"
COUNTRY_CODE_RUSSIA = "643"
COUNTRY_NAME_RUSSIA = "Россия"
ITEM_KIND_SERVICE = "3"  # ДопСведТов/@ПрТовРаб: 1 goods, 2 work, 3 service, 4 right, 5 other
OKEI_MINUTE = "355"
OKEI_HOUR = "356"
UNIT_MINUTE = "мин"
UNIT_HOUR = "ч"
AUTHORITY_METHODS = ("1", "2", "3", "4", "5", "6")
AUTHORITY_ELECTRONIC_POA = "3"
AUTHORITY_PAPER_POA = "5"
SIGNATURE_TYPES = ("1", "2", "3")
INVOICE_FUNCTIONS = ("СЧФ", "СЧФДОП")
TRANSFER_FUNCTIONS = ("ДОП", "СЧФДОП")
ACCEPTED = "1"
ACCEPTED_WITH_DISCREPANCIES = "2"
REJECTED = "3"
MAX_BUYER_TITLE_BYTES = 2 * 1024 * 1024

XML_DECLARATION = b'<?xml version="1.0" encoding="windows-1251"?>\n'
DATE_FORMAT = "%d.%m.%Y"
TIME_FORMAT = "%H.%M.%S"
CENT = Decimal("0.01")
MAX_FRACTION_DIGITS = 11  # КолТов, ЦенаТов: xs:decimal totalDigits 26, fractionDigits 11
MAX_QUANTITY_DIGITS = 26
MAX_AMOUNT_DIGITS = 19  # СтТовБезНДС & co: totalDigits 19, fractionDigits 2

_INN_LEGAL = re.compile(r"([0-9][1-9]|[1-9][0-9])[0-9]{8}")
_INN_PERSON = re.compile(r"([0-9][1-9]|[1-9][0-9])[0-9]{10}")
_KPP = re.compile(r"([0-9][1-9]|[1-9][0-9])[0-9]{2}[0-9A-Z]{2}[0-9]{3}")
_OKEI = re.compile(r"[0-9]{3,4}")
_EDO_ID = re.compile(r"[0-9A-Z]{3}[0-9A-Za-z-]{1,43}")
_DIGITS = re.compile(r"[0-9]+")
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SELLER_FILE_ID = re.compile(
    r"ON_NSCHFDOPPR_(?P<recipient>[^_]+)_(?P<sender>[^_]+)_(?P<date>[0-9]{8})_"
    r"(?P<guid>[0-9A-Fa-f-]{36})_[01]_[01]_[01]_[01]_[01]_[0-9]{2}"
)

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


# --------------------------------------------------------------------------------------------
# Input values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UpdBankAccount:
    """``БанкРекв``: settlement account and bank."""

    account_number: str
    bik: str | None = None
    bank_name: str | None = None
    corr_account: str | None = None


@dataclass(frozen=True, kw_only=True)
class UpdParty:
    """Seller or buyer (``СвПрод`` / ``СвПокуп``).

    An organisation is written as ``СвЮЛУч`` (``name``, 10-digit ``inn``, ``kpp``); an individual
    entrepreneur (``is_individual_entrepreneur``) as ``СвИП`` (12-digit ``inn``, no ``kpp``, the
    person's name parts, ``ogrn`` = OGRNIP). ``name`` is used for an entrepreneur only in
    ``НаимЭконСубСост`` ("ИП Иванов Иван Иванович"). The OGRN of an organisation has no place in
    the 5.03 file and is only checked. ``address`` is free text written as ``АдрИнф`` with the
    country code (the 5.03 schema allows it for Russian addresses, as the ЕГРЮЛ text).
    ``edo_id`` is the participant ID at the EDO operator (``2BM-…``), used in the file name.
    """

    name: str
    inn: str
    address: str
    kpp: str | None = None
    ogrn: str | None = None
    edo_id: str | None = None
    bank: UpdBankAccount | None = None
    is_individual_entrepreneur: bool = False
    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    country_code: str = COUNTRY_CODE_RUSSIA
    country_name: str = COUNTRY_NAME_RUSSIA


@dataclass(frozen=True, kw_only=True)
class UpdSigner:
    """``Подписант`` of the seller's title.

    ``authority_method`` is ``СпосПодтПолном``: 1 – per the data of the electronic signature (a
    director signing with the organisation's certificate); 3 – machine-readable power of attorney
    (``poa_number`` = its 36-character registration number, ``poa_date``, ``poa_system`` = the
    system storing it; written as ``СвДоверЭл``); 5 – paper power of attorney
    (``poa_internal_number``, ``poa_date``; written as ``СвДоверБум``); 2, 4, 6 – the other ways
    of the format, which carry no power of attorney here. ``signature_type`` is ``ТипПодпис``
    (1 qualified, 2 simple, 3 unqualified; left out when ``None``). ``org_inn`` is the INN of the
    signer's organisation (from the certificate): it must be the seller's.
    """

    last_name: str
    first_name: str
    position: str
    middle_name: str | None = None
    org_inn: str | None = None
    authority_method: str = "1"
    signature_type: str | None = None
    poa_number: str | None = None
    poa_date: date | None = None
    poa_system: str | None = None
    poa_internal_number: str | None = None


@dataclass(frozen=True, kw_only=True)
class UpdLine:
    """One ``СведТов``: a service with its OKEI unit (355 «мин», 356 «ч»)."""

    number: int
    name: str
    okei_code: str
    unit_name: str
    quantity: Decimal
    price: Decimal
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class UpdDocument:
    """The monthly UPD of one customer.

    ``date`` is ``ДатаДок``; ``formed_at`` is when the file is formed (``ДатаИнфПр`` /
    ``ВремИнфПр`` and the date in the file name). ``transfer_date`` (``ДатаПер``) defaults to
    ``date``. The contract (``contract_name`` / ``contract_number`` / ``contract_date``) is the
    basis of the transfer (``ОснПер``). ``sender_edo_id`` / ``recipient_edo_id`` default to the
    seller's / buyer's ``edo_id``.
    """

    guid: str
    number: str
    date: date
    formed_at: datetime
    seller: UpdParty
    buyer: UpdParty
    signer: UpdSigner | None
    lines: tuple[UpdLine, ...]
    total: Decimal
    period_start: date
    period_end: date
    contract_number: str
    contract_date: date
    contract_name: str = DEFAULT_CONTRACT_NAME
    transfer_content: str = DEFAULT_TRANSFER_CONTENT
    transfer_date: date | None = None
    sender_edo_id: str | None = None
    recipient_edo_id: str | None = None
    primary_document_name: str = DEFAULT_PRIMARY_DOCUMENT_NAME
    program_version: str = PROGRAM_VERSION

    @property
    def sender_id(self):
        """EDO participant ID of the sender (the seller)."""
        return self.sender_edo_id or (self.seller.edo_id if self.seller else None)

    @property
    def recipient_id(self):
        """EDO participant ID of the recipient (the buyer)."""
        return self.recipient_edo_id or (self.buyer.edo_id if self.buyer else None)


@dataclass(frozen=True, kw_only=True)
class UpdLineMeasure:
    """Unit, quantity, price and amount of billed minutes (see :func:`service_measure`)."""

    okei_code: str
    unit_name: str
    quantity: Decimal
    price: Decimal
    amount: Decimal


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


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _clean(value):
    """``value`` as one line of text: whitespace runs collapsed, ends stripped, '' for None."""
    if value is None or value is False:
        return ""
    return " ".join(str(value).split())


def _format_date(value):
    return value.strftime(DATE_FORMAT)


def _money(value):
    return f"{Decimal(value).quantize(CENT):f}"


def _quantity(value):
    return format(Decimal(value).normalize(), "f")


def _price(value):
    value = Decimal(value).normalize()
    if value.as_tuple().exponent > -2:
        value = value.quantize(CENT)
    return format(value, "f")


def _round_cents(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _fraction_digits(value):
    exponent = Decimal(value).normalize().as_tuple().exponent
    return max(0, -exponent)


def _total_digits(value):
    digits = Decimal(value).normalize().as_tuple()
    if digits.exponent >= 0:
        return len(digits.digits) + digits.exponent
    return max(len(digits.digits), -digits.exponent)


def _decimal_ok(value, max_fraction, max_total, positive=True):
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    if positive and value <= 0:
        return False
    return _fraction_digits(value) <= max_fraction and _total_digits(value) <= max_total


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


# --------------------------------------------------------------------------------------------
# Lines of billed minutes
# --------------------------------------------------------------------------------------------


def service_measure(minutes, hourly_rate):
    """Unit, quantity and price that state ``minutes`` at ``hourly_rate`` per hour exactly.

    ``ЦенаТов`` and ``КолТов`` have at most 11 decimal places, so 1700/60 per minute cannot be
    written. The amount is ``minutes × rate ÷ 60`` rounded half-up to kopecks; the line is stated
    in hours (356 «ч») when ``minutes ÷ 60`` is a finite decimal (198 min = 3.3 h × 1700 =
    5610.00), otherwise in minutes (355 «мин») at ``rate ÷ 60`` per minute, exact when finite,
    else rounded to 11 places: ``quantity × price`` then still rounds to the amount (the exact
    amount is never within 1/60 kopeck of a half kopeck in that case).
    """
    amount = minutes_amount(minutes, hourly_rate)
    rate = Decimal(hourly_rate)
    hours = Fraction(minutes, 60)
    if _finite_decimal(hours):
        return UpdLineMeasure(
            okei_code=OKEI_HOUR,
            unit_name=UNIT_HOUR,
            quantity=_fraction_to_decimal(hours),
            price=rate,
            amount=amount,
        )
    per_minute = Fraction(rate) / 60
    if _finite_decimal(per_minute):
        price = _fraction_to_decimal(per_minute)
    else:
        price = (Decimal(per_minute.numerator) / Decimal(per_minute.denominator)).quantize(
            Decimal(1).scaleb(-MAX_FRACTION_DIGITS), rounding=ROUND_HALF_UP
        )
    return UpdLineMeasure(
        okei_code=OKEI_MINUTE,
        unit_name=UNIT_MINUTE,
        quantity=Decimal(minutes),
        price=price,
        amount=amount,
    )


def _finite_decimal(value):
    """Whether a fraction has at most 11 decimal places."""
    return (10**MAX_FRACTION_DIGITS * value).denominator == 1


def _fraction_to_decimal(value):
    return (Decimal(value.numerator) / Decimal(value.denominator)).normalize()


# --------------------------------------------------------------------------------------------
# Business rules before building
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# File name and XML
# --------------------------------------------------------------------------------------------


def file_id(doc):
    """``ON_NSCHFDOPPR_<recipient>_<sender>_<YYYYMMDD of forming>_<GUID>_0_0_0_0_0_00``.

    This is ``Файл/@ИдФайл``; the file is named ``file_id(doc) + ".xml"`` (:func:`file_name`).
    """
    problems = []
    _check_edo_id(problems, _SELLER, doc.sender_id, doc.seller.edo_id if doc.seller else None)
    _check_edo_id(problems, _BUYER, doc.recipient_id, doc.buyer.edo_id if doc.buyer else None)
    _raise_problems(problems)
    return "_".join(
        (
            SELLER_FILE_PREFIX,
            _clean(doc.recipient_id),
            _clean(doc.sender_id),
            doc.formed_at.strftime("%Y%m%d"),
            doc.guid.lower(),
            FILE_NAME_FLAGS,
        )
    )


def file_name(doc):
    """Name of the exchange file: :func:`file_id` with ``.xml``."""
    return file_id(doc) + ".xml"


def _sub(parent, tag, attrs=None):
    element = etree.SubElement(parent, tag)
    for key, value in (attrs or {}).items():
        if value is not None and value != "":
            element.set(key, value)
    return element


def _composer_name(party):
    if party.is_individual_entrepreneur:
        name = _clean(party.name) or " ".join(
            _clean(part) for part in (party.last_name, party.first_name, party.middle_name) if part
        )
    else:
        name = _clean(party.name)
    return f"{name}, ИНН {_clean(party.inn)}"


def _party_xml(parent, tag, party):
    element = _sub(parent, tag)
    identity = _sub(element, "ИдСв")
    if party.is_individual_entrepreneur:
        entrepreneur = _sub(
            identity,
            "СвИП",
            {"ИННФЛ": _clean(party.inn), "ОГРНИП": _clean(party.ogrn) or None},
        )
        _sub(
            entrepreneur,
            "ФИО",
            {
                "Фамилия": _clean(party.last_name),
                "Имя": _clean(party.first_name),
                "Отчество": _clean(party.middle_name) or None,
            },
        )
    else:
        _sub(
            identity,
            "СвЮЛУч",
            {"НаимОрг": _clean(party.name), "ИННЮЛ": _clean(party.inn), "КПП": _clean(party.kpp)},
        )
    address = _sub(element, "Адрес")
    _sub(
        address,
        "АдрИнф",
        {
            "КодСтр": _clean(party.country_code),
            "НаимСтран": _clean(party.country_name),
            "АдрТекст": _clean(party.address),
        },
    )
    if party.bank is not None:
        bank = _sub(element, "БанкРекв", {"НомерСчета": _clean(party.bank.account_number)})
        if party.bank.bik or party.bank.bank_name or party.bank.corr_account:
            _sub(
                bank,
                "СвБанк",
                {
                    "НаимБанк": _clean(party.bank.bank_name) or None,
                    "БИК": _clean(party.bank.bik) or None,
                    "КорСчет": _clean(party.bank.corr_account) or None,
                },
            )
    return element


def _signer_xml(parent, signer):
    method = _clean(signer.authority_method)
    element = _sub(
        parent,
        "Подписант",
        {
            "Должн": _clean(signer.position),
            "ТипПодпис": signer.signature_type,
            "СпосПодтПолном": method,
        },
    )
    _sub(
        element,
        "ФИО",
        {
            "Фамилия": _clean(signer.last_name),
            "Имя": _clean(signer.first_name),
            "Отчество": _clean(signer.middle_name) or None,
        },
    )
    if method == AUTHORITY_ELECTRONIC_POA:
        _sub(
            element,
            "СвДоверЭл",
            {
                "НомДовер": _clean(signer.poa_number),
                "ДатаВыдДовер": _format_date(signer.poa_date),
                "ВнНомДовер": _clean(signer.poa_internal_number) or None,
                "ИдСистХран": _clean(signer.poa_system),
            },
        )
    elif method == AUTHORITY_PAPER_POA:
        _sub(
            element,
            "СвДоверБум",
            {
                "ДатаВыдДовер": _format_date(signer.poa_date),
                "ВнНомДовер": _clean(signer.poa_internal_number),
            },
        )
    return element


def build_xml(doc):
    """The seller's title of ``doc`` as windows-1251 bytes (checked by :func:`check_document`).

    ``Функция="ДОП"`` with ``ПоФактХЖ``/``НаимДокОпр``, the seller and buyer with their
    addresses, currency 643, one ``СведТов`` per line (service, ``без акциза``, ``НалСт="без НДС"``,
    ``СумНал/БезНДС``, ``СтТовУчНал`` = ``СтТовБезНДС`` = the line amount), ``ВсегоОпл``, the
    transfer (``СвПродПер/СвПер`` with the content, ``ДатаПер``, the service period and the
    contract as ``ОснПер``) and the ``Подписант``.
    """
    check_document(doc)
    formed_at = doc.formed_at
    root = etree.Element(
        "Файл",
        {
            "ИдФайл": file_id(doc),
            "ВерсФорм": FORMAT_VERSION,
            "ВерсПрог": _clean(doc.program_version),
        },
    )
    document = _sub(
        root,
        "Документ",
        {
            "КНД": SELLER_KND,
            "Функция": FUNCTION_DOP,
            "ПоФактХЖ": FACT_NAME_DOP,
            "НаимДокОпр": _clean(doc.primary_document_name),
            "ДатаИнфПр": formed_at.strftime(DATE_FORMAT),
            "ВремИнфПр": formed_at.strftime(TIME_FORMAT),
            "НаимЭконСубСост": _composer_name(doc.seller)[:1000],
        },
    )
    invoice = _sub(
        document,
        "СвСчФакт",
        {"НомерДок": _clean(doc.number), "ДатаДок": _format_date(doc.date)},
    )
    _party_xml(invoice, "СвПрод", doc.seller)
    _party_xml(invoice, "СвПокуп", doc.buyer)
    _sub(invoice, "ДенИзм", {"КодОКВ": CURRENCY_CODE, "НаимОКВ": CURRENCY_NAME})

    table = _sub(document, "ТаблСчФакт")
    for line in doc.lines:
        amount = _money(line.amount)
        item = _sub(
            table,
            "СведТов",
            {
                "НомСтр": str(line.number),
                "НаимТов": _clean(line.name),
                "ОКЕИ_Тов": _clean(line.okei_code),
                "НаимЕдИзм": _clean(line.unit_name),
                "КолТов": _quantity(line.quantity),
                "ЦенаТов": _price(line.price),
                "СтТовБезНДС": amount,
                "НалСт": VAT_FREE,
                "СтТовУчНал": amount,
            },
        )
        _sub(item, "ДопСведТов", {"ПрТовРаб": ITEM_KIND_SERVICE})
        excise = _sub(item, "Акциз")
        _sub(excise, "БезАкциз").text = EXCISE_FREE
        vat = _sub(item, "СумНал")
        _sub(vat, "БезНДС").text = VAT_FREE
    total = _money(doc.total)
    totals = _sub(table, "ВсегоОпл", {"СтТовБезНДСВсего": total, "СтТовУчНалВсего": total})
    _sub(_sub(totals, "СумНалВсего"), "БезНДС").text = VAT_FREE

    transfer = _sub(
        _sub(document, "СвПродПер"),
        "СвПер",
        {
            "СодОпер": _clean(doc.transfer_content),
            "ДатаПер": _format_date(doc.transfer_date or doc.date),
            "ДатаНачПер": _format_date(doc.period_start),
            "ДатаОконПер": _format_date(doc.period_end),
        },
    )
    _sub(
        transfer,
        "ОснПер",
        {
            "РеквНаимДок": _clean(doc.contract_name),
            "РеквНомерДок": _clean(doc.contract_number),
            "РеквДатаДок": _format_date(doc.contract_date),
        },
    )
    _signer_xml(document, doc.signer)
    return XML_DECLARATION + etree.tostring(
        root, encoding="windows-1251", xml_declaration=False, pretty_print=True
    )


# --------------------------------------------------------------------------------------------
# XSD validation
# --------------------------------------------------------------------------------------------

XSD_DIR = Path(__file__).resolve().parent.parent / "data" / "xsd"
SELLER_XSD_503 = XSD_DIR / "ON_NSCHFDOPPR_1_997_01_05_03_05_transcribed.xsd"
BUYER_XSD = {
    "5.01": XSD_DIR / "ON_NSCHFDOPPOK_1_997_02_05_01_02.xsd",
    "5.02": XSD_DIR / "ON_NSCHFDOPPOK_1_997_02_05_02_01.xsd",
}

_schemas = {}
_schemas_lock = threading.Lock()


def _schema(xsd_path):
    """The compiled schema at ``xsd_path`` and its lock, compiled once per process."""
    key = str(Path(xsd_path).resolve())
    cached = _schemas.get(key)
    if cached is None:
        with _schemas_lock:
            cached = _schemas.get(key)
            if cached is None:
                parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
                schema = etree.XMLSchema(etree.parse(key, parser))
                cached = _schemas[key] = (schema, threading.Lock())
    return cached


def validate_xml(xml_bytes, xsd_path=None, max_errors=5, max_bytes=DEFAULT_MAX_BYTES):
    """Validate ``xml_bytes`` against the XSD at ``xsd_path`` (by default the seller's title 5.03
    shipped in ``data/xsd``); raise :class:`RuleError` listing the first ``max_errors`` schema
    errors (line and libxml2 message each).

    The XSD is compiled once per process and path; the parse of ``xml_bytes`` is the safe one of
    :func:`~.xml_safety.parse_xml_safely`.
    """
    xsd_path = xsd_path or SELLER_XSD_503
    root = parse_xml_safely(xml_bytes, max_bytes=max_bytes)
    schema, lock = _schema(xsd_path)
    with lock:  # ``error_log`` belongs to the schema object: keep validate + read together
        if schema.validate(root):
            return
        errors = [f"line {error.line}: {error.message}" for error in schema.error_log]
    shown = "; ".join(errors[:max_errors])
    raise RuleError(
        _lt(
            "The XML does not match the schema %(schema)s (%(count)s errors): %(errors)s",
            schema=Path(xsd_path).name,
            count=len(errors),
            errors=shown,
        )
    )


# --------------------------------------------------------------------------------------------
# Schematron rules and control ratios
# --------------------------------------------------------------------------------------------


def _xpath_number(value):
    """XPath ``number()`` of an attribute value (NaN when not a number)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _attr_not_number(element, path, number):
    """XPath ``path != number``: true only when the attribute exists and differs."""
    if element is None:
        return False
    values = element.xpath(path)
    return any(_xpath_number(value) != number for value in values)


def _attr_equals_number(element, path, number):
    if element is None:
        return False
    return any(_xpath_number(value) == number for value in element.xpath(path))


def _when_function(function):
    return f"Функция = {function}"


def _require(violations, present, context, item, condition):
    """Rule ``iif(condition, count(item) != 0, …)``: ``present`` is the item (or None)."""
    if present is None or present is False:
        violations.append(
            _lt(
                "%(context)s: %(item)s is required when %(condition)s.",
                context=context,
                item=item,
                condition=condition,
            )
        )


def _forbid(violations, present, context, item, condition):
    """Rule ``iif(…, …, count(item) = 0)``: ``present`` is the item (or None)."""
    if present is not None and present is not False:
        violations.append(
            _lt(
                "%(context)s: %(item)s is not allowed when %(condition)s.",
                context=context,
                item=item,
                condition=condition,
            )
        )


def _parse_date(value):
    try:
        return datetime.strptime(value, DATE_FORMAT).date()
    except (TypeError, ValueError):
        return None


def _decimal_attr(element, name):
    value = element.get(name)
    if value is None:
        return None
    try:
        result = Decimal(value)
    except ArithmeticError:
        return None
    return result if result.is_finite() else None


def _check_file_id(violations, root, document, file_name_):
    file_ident = root.get("ИдФайл", "")
    if file_name_ is not None:
        stem = Path(file_name_).name
        if stem.lower().endswith(".xml"):
            stem = stem[:-4]
        if stem != file_ident:
            violations.append(
                _lt(
                    "Rule 0400400007: the file name %(name)s differs from ИдФайл %(file_id)s.",
                    name=stem,
                    file_id=file_ident,
                )
            )
    match = _SELLER_FILE_ID.fullmatch(file_ident)
    if match is None:
        violations.append(
            _lt(
                "ИдФайл %(file_id)s does not follow "
                "ON_NSCHFDOPPR_<recipient>_<sender>_<YYYYMMDD>_<GUID>_<flags>.",
                file_id=file_ident,
            )
        )
        return
    formed_on = _parse_date(document.get("ДатаИнфПр")) if document is not None else None
    if formed_on is not None and match["date"] != formed_on.strftime("%Y%m%d"):
        violations.append(
            _lt(
                "ИдФайл %(file_id)s carries the date %(name_date)s, not ДатаИнфПр %(date)s.",
                file_id=file_ident,
                name_date=match["date"],
                date=document.get("ДатаИнфПр"),
            )
        )
    try:
        uuid.UUID(match["guid"])
    except ValueError:
        violations.append(
            _lt("ИдФайл %(file_id)s does not carry a valid GUID.", file_id=file_ident)
        )


def _check_participants(violations, invoice):
    for tag in ("СвПрод", "СвПокуп"):
        for identity in invoice.iterfind(f"{tag}/ИдСв/*"):
            context = f"{tag}/ИдСв/{identity.tag}"
            if identity.tag == "СвЮЛУч":
                inn = identity.get("ИННЮЛ", "")
                if len(inn) == 10 and inn.isdigit() and not _inn_checksum_ok(inn):
                    violations.append(
                        _lt(
                            "%(context)s: INN %(inn)s has wrong check digits.",
                            context=context,
                            inn=inn,
                        )
                    )
                _require(
                    violations, identity.get("КПП"), context, "@КПП", _lt("it is an organisation")
                )
            elif identity.tag in ("СвИП", "СвФЛУч"):
                inn = identity.get("ИННФЛ", "")
                if len(inn) == 12 and inn.isdigit() and not _inn_checksum_ok(inn):
                    violations.append(
                        _lt(
                            "%(context)s: INN %(inn)s has wrong check digits.",
                            context=context,
                            inn=inn,
                        )
                    )


def _check_dates(violations, document):
    for element in document.iter():
        for name, value in element.attrib.items():
            if name.startswith("Дата") and _parse_date(value) is None:
                violations.append(
                    _lt(
                        "%(element)s/@%(attribute)s = %(value)s is not a date DD.MM.YYYY.",
                        element=element.tag,
                        attribute=name,
                        value=value,
                    )
                )
    time = document.get("ВремИнфПр", "")
    try:
        datetime.strptime(time, TIME_FORMAT)
    except ValueError:
        violations.append(
            _lt("Документ/@ВремИнфПр = %(value)s is not a time HH.MM.SS.", value=time)
        )


def _check_line_ratios(violations, item, context):
    quantity = _decimal_attr(item, "КолТов")
    price = _decimal_attr(item, "ЦенаТов")
    without_vat = _decimal_attr(item, "СтТовБезНДС")
    with_vat = _decimal_attr(item, "СтТовУчНал")
    if None not in (quantity, price, without_vat) and _round_cents(quantity * price) != without_vat:
        violations.append(
            _lt(
                "%(context)s: КолТов × ЦенаТов = %(product)s, not СтТовБезНДС %(amount)s.",
                context=context,
                product=_money(_round_cents(quantity * price)),
                amount=item.get("СтТовБезНДС"),
            )
        )
    if item.get("НалСт") == VAT_FREE:
        _require(
            violations,
            item.find("СумНал/БезНДС") is not None,
            context,
            "СумНал/БезНДС",
            "НалСт = без НДС",
        )
        if None not in (without_vat, with_vat) and without_vat != with_vat:
            violations.append(
                _lt(
                    "%(context)s: СтТовУчНал %(with_vat)s differs from СтТовБезНДС %(amount)s "
                    "at НалСт = без НДС.",
                    context=context,
                    with_vat=item.get("СтТовУчНал"),
                    amount=item.get("СтТовБезНДС"),
                )
            )


def _check_totals(violations, totals, items):
    """``ВсегоОпл`` equals the sums of the lines; ``СумНалВсего/БезНДС`` when no line has VAT."""
    for line_attr, total_attr in (
        ("СтТовБезНДС", "СтТовБезНДСВсего"),
        ("СтТовУчНал", "СтТовУчНалВсего"),
    ):
        total = _decimal_attr(totals, total_attr)
        values = [_decimal_attr(item, line_attr) for item in items]
        if total is None or not values or None in values:
            continue
        lines_sum = sum(values, Decimal(0))
        if lines_sum != total:
            violations.append(
                _lt(
                    "ВсегоОпл/@%(attribute)s = %(total)s, but the lines sum to %(sum)s.",
                    attribute=total_attr,
                    total=totals.get(total_attr),
                    sum=_money(lines_sum),
                )
            )
    if items and all(item.get("НалСт") == VAT_FREE for item in items):
        _require(
            violations,
            totals.find("СумНалВсего/БезНДС") is not None,
            "ВсегоОпл",
            "СумНалВсего/БезНДС",
            _lt("every line has НалСт = без НДС"),
        )


def _rules_document(violations, document, function):
    """Rules 1, 2, 3, 4, 7, 8, 9, 10 and the participants' INN/KPP."""
    when = _when_function(function)
    is_invoice = function in INVOICE_FUNCTIONS
    invoice = document.find("СвСчФакт")
    if is_invoice:  # rule 1
        _require(violations, document.find("ТаблСчФакт"), "Документ", "ТаблСчФакт", when)
    if function in TRANSFER_FUNCTIONS:  # rule 2
        _require(violations, document.find("СвПродПер"), "Документ", "СвПродПер", when)
    if invoice is None:
        return
    extra = invoice.find("ДопСвФХЖ1")
    if function == "СЧФ" and _attr_not_number(extra, "@СпОбстФСЧФ", 2):  # rule 3
        _require(
            violations,
            invoice.find("ДокПодтвОтгрНом"),
            "СвСчФакт",
            "ДокПодтвОтгрНом",
            _lt("%(when)s, СпОбстФСЧФ ≠ 2", when=when),
        )
    if is_invoice:  # rules 4, 7
        for party in invoice.xpath("СвПрод | СвПокуп"):
            _require(violations, party.find("Адрес"), party.tag, "Адрес", when)
    if extra is not None:  # rules 8, 9, 10: only the circumstance attribute of the function
        for attribute, owner_function in (
            ("СпОбстФСЧФ", "СЧФ"),
            ("СпОбстФСЧФДОП", "СЧФДОП"),
            ("СпОбстФДОП", "ДОП"),
        ):
            check = _require if function == owner_function else _forbid
            check(violations, extra.get(attribute), "ДопСвФХЖ1", f"@{attribute}", when)
    _check_participants(violations, invoice)


def _rules_line(violations, item, function, extra):
    """Rules 12–21 and 25–28 on one ``СведТов``."""
    context = f"СведТов {item.get('НомСтр', '?')}"
    when = _when_function(function)
    is_invoice = function in INVOICE_FUNCTIONS
    extra_item = item.find("ДопСведТов")
    if is_invoice:  # rules 12, 19
        _require(violations, item.get("НаимТов"), context, "@НаимТов", when)
        _require(violations, item.get("СтТовУчНал"), context, "@СтТовУчНал", when)
    if function == FUNCTION_DOP:  # rules 13, 25, 26, 27: something must name the service
        named = item.get("НаимТов") is not None or (
            extra_item is not None
            and any(
                extra_item.get(name) is not None for name in ("ХарактерТов", "АртикулТов", "КодТов")
            )
        )
        _require(
            violations,
            named,
            context,
            "@НаимТов | ДопСведТов/@ХарактерТов | @АртикулТов | @КодТов",
            when,
        )
    if item.get("ОКЕИ_Тов") is not None:  # rules 14, 15
        given = _lt("@ОКЕИ_Тов is given")
        _require(violations, item.get("НаимЕдИзм"), context, "@НаимЕдИзм", given)
        _require(violations, item.get("КолТов"), context, "@КолТов", given)
    if is_invoice and _attr_not_number(extra, "@СпОбстФСЧФ", 2):  # rules 16, 17
        for attribute in ("КолТов", "СтТовБезНДС"):
            _require(
                violations,
                item.get(attribute),
                context,
                f"@{attribute}",
                _lt("%(when)s, СпОбстФСЧФ ≠ 2", when=when),
            )
    if function == FUNCTION_DOP and (extra is None or extra.get("СпОбстФДОП") is None):
        _require(  # rules 18, 20
            violations,
            item.get("СтТовБезНДС") or item.get("СтТовУчНал"),
            context,
            "@СтТовБезНДС | @СтТовУчНал",
            _lt("%(when)s without СпОбстФДОП", when=when),
        )
    if extra_item is not None:
        if extra_item.get("КодВидПр") is not None:  # rule 21
            _require(violations, item.find("Акциз"), context, "Акциз", _lt("@КодВидПр is given"))
        if _attr_equals_number(extra, "@СпОбстФДОП", 10000):  # rule 28
            _require(
                violations,
                extra_item.get("ДопИнфПВидО"),
                context,
                "ДопСведТов/@ДопИнфПВидО",
                "СпОбстФДОП = 10000",
            )
    _check_line_ratios(violations, item, context)


def _rules_totals(violations, totals, function, extra):
    """Rules 33–36 on ``ВсегоОпл``."""
    when = _when_function(function)
    if function in INVOICE_FUNCTIONS:
        if _attr_not_number(extra, "@СпОбстФСЧФ", 2):  # rule 33 (its FNS context says СведТов)
            _require(
                violations,
                totals.get("СтТовБезНДСВсего"),
                "ВсегоОпл",
                "@СтТовБезНДСВсего",
                _lt("%(when)s, СпОбстФСЧФ ≠ 2", when=when),
            )
        _require(violations, totals.get("СтТовУчНалВсего"), "ВсегоОпл", "@СтТовУчНалВсего", when)
    if function == FUNCTION_DOP and (extra is None or extra.get("СпОбстФДОП") is None):
        _require(  # rules 34, 36
            violations,
            totals.get("СтТовБезНДСВсего") or totals.get("СтТовУчНалВсего"),
            "ВсегоОпл",
            "@СтТовБезНДСВсего | @СтТовУчНалВсего",
            _lt("%(when)s without СпОбстФДОП", when=when),
        )


def _rules_transfer(violations, transfer, function):
    """Rules 37, 38, 39 and the order of the period's dates."""
    when = _when_function(function)
    has_date = transfer.get("ДатаПер") is not None
    if function in TRANSFER_FUNCTIONS:
        if transfer.get("ДатаНачПер") is None and transfer.get("ДатаОконПер") is None:
            _require(
                violations,
                has_date,
                "СвПер",
                "@ДатаПер",
                _lt("%(when)s without @ДатаНачПер and @ДатаОконПер", when=when),
            )
        if not has_date:
            for attribute in ("ДатаНачПер", "ДатаОконПер"):
                _require(
                    violations,
                    transfer.get(attribute),
                    "СвПер",
                    f"@{attribute}",
                    _lt("%(when)s without @ДатаПер", when=when),
                )
    start = _parse_date(transfer.get("ДатаНачПер"))
    end = _parse_date(transfer.get("ДатаОконПер"))
    if start and end and start > end:
        violations.append(
            _lt(
                "СвПер: ДатаНачПер %(start)s is after ДатаОконПер %(end)s.",
                start=transfer.get("ДатаНачПер"),
                end=transfer.get("ДатаОконПер"),
            )
        )


def _rules_signer(violations, signer):
    """Rules 44, 45: the power of attorney matches ``СпосПодтПолном``."""
    method = signer.get("СпосПодтПолном")
    condition = f"СпосПодтПолном = {method}"
    for number, tag in ((3, "СвДоверЭл"), (5, "СвДоверБум")):
        check = _require if _xpath_number(method) == number else _forbid
        check(violations, signer.find(tag), "Подписант", tag, condition)


def schematron_violations(xml_bytes, file_name=None, max_bytes=DEFAULT_MAX_BYTES):
    """All violations (lazy messages) of the rules listed in :func:`check_schematron_rules`."""
    root = parse_xml_safely(xml_bytes, max_bytes=max_bytes)
    document = root.find("Документ")
    if root.tag != "Файл" or document is None:
        return [_lt("The file is not a UPD seller's title: no Файл/Документ.")]
    violations = []
    _check_file_id(violations, root, document, file_name)
    function = document.get("Функция", "")
    extra = document.find("СвСчФакт/ДопСвФХЖ1")
    _rules_document(violations, document, function)
    table = document.find("ТаблСчФакт")
    if table is not None:
        items = table.findall("СведТов")
        for position, item in enumerate(items, start=1):
            if item.get("НомСтр") != str(position):
                violations.append(
                    _lt(
                        "СведТов %(number)s: НомСтр must be %(position)s (lines numbered 1, 2, "
                        "3…).",
                        number=item.get("НомСтр", "?"),
                        position=position,
                    )
                )
            _rules_line(violations, item, function, extra)
        totals = table.find("ВсегоОпл")
        if totals is not None:
            _rules_totals(violations, totals, function, extra)
            _check_totals(violations, totals, items)
    for transfer in document.iterfind("СвПродПер/СвПер"):
        _rules_transfer(violations, transfer, function)
    for signer in document.iterfind("Подписант"):
        _rules_signer(violations, signer)
    _check_dates(violations, document)
    return violations


def check_schematron_rules(xml_bytes, file_name=None, max_bytes=DEFAULT_MAX_BYTES):
    """Check the FNS Schematron rules and control ratios that the XSD cannot express.

    The 5.03 schema we have is a transcription without its ``xs:appinfo``; the rules are those of
    the 5.02 seller schema (``ON_NSCHFDOPPR_1_997_01_05_02_01.xsd``, numbered here in their order
    there, 0–53), written in Python with XPath semantics (``@a != 2`` is false when ``@a`` is
    absent), adapted to 5.03 element names.

    Implemented (they concern what a ДОП service document carries or must not carry):

    * 0 (0400400007) – the file name equals ``@ИдФайл`` (only when ``file_name`` is given);
    * 1 – ``ТаблСчФакт`` for СЧФ/СЧФДОП; 2 – ``СвПродПер`` for ДОП/СЧФДОП;
    * 3 – ``ДокПодтвОтгрНом`` for СЧФ with ``СпОбстФСЧФ`` ≠ 2;
    * 4, 7 – seller's and buyer's ``Адрес`` for СЧФ/СЧФДОП;
    * 8, 9, 10 – in ``ДопСвФХЖ1`` the circumstance attribute of the function is required and the
      other two are forbidden (ДОП: ``СпОбстФДОП`` only, never ``СпОбстФСЧФ``/``СпОбстФСЧФДОП``);
    * 12 – ``НаимТов`` for СЧФ/СЧФДОП; 13, 25, 26, 27 – for ДОП one of ``НаимТов``,
      ``ХарактерТов``, ``АртикулТов``, ``КодТов``;
    * 14, 15 – ``НаимЕдИзм`` and ``КолТов`` when ``ОКЕИ_Тов`` is given;
    * 16, 17, 19 – ``КолТов``, ``СтТовБезНДС``, ``СтТовУчНал`` for invoices; 18, 20 – ДОП without
      ``СпОбстФДОП`` needs ``СтТовБезНДС`` or ``СтТовУчНал`` (and 34, 36 the same for
      ``ВсегоОпл``); 33, 35 – ``ВсегоОпл`` totals for invoices (rule 33 names ``СведТов`` as its
      context in the FNS file but sits on ``ВсегоОпл``: applied there);
    * 21 – ``Акциз`` when ``КодВидПр`` is given; 28 – ``ДопИнфПВидО`` when ``СпОбстФДОП`` = 10000;
    * 37, 38, 39 – ``ДатаПер`` or ``ДатаНачПер`` + ``ДатаОконПер`` for ДОП/СЧФДОП;
    * 44, 45 – ``СвДоверЭл`` exactly when ``СпосПодтПолном`` = 3, ``СвДоверБум`` exactly when 5.

    Not implemented, as a ДОП service document never carries their context: 5, 6 (shipper's and
    consignee's address: no ``ГрузОт``/``ГрузПолуч`` for services), 11 (factor's address: no
    ``СвФактор``), 22, 23 (customs declaration ``СвДТ``), 24 (``КрНаимСтрПр`` for an origin
    country; also an element since 5.03), 29–32 (marking codes ``НомСредИдентТов``), 40–43
    (transfer through another organisation or person ``ИнЛицо``), 46, 47, 51, 52 (foreign
    participants ``СвИнНеУч``/``ДаннИно``), 48–50 (natural persons ``СвФЛУч``), 53 (``АдрГАР``:
    addresses are written as ``АдрИнф``).

    Control ratios added (not Schematron; from the format text and arithmetic): ``@ИдФайл``
    follows the file name rule and its date is ``ДатаИнфПр``, with a valid GUID; INN check digits
    of seller and buyer and a ``КПП`` for an organisation; every ``Дата…`` a real DD.MM.YYYY date
    and ``ВремИнфПр`` a time; ``ДатаНачПер`` ≤ ``ДатаОконПер``; ``НомСтр`` 1, 2, 3…;
    ``round(КолТов × ЦенаТов, 2)`` = ``СтТовБезНДС``; at ``без НДС`` ``СумНал/БезНДС`` and
    ``СтТовУчНал`` = ``СтТовБезНДС``; the totals equal the sums of the lines and
    ``СумНалВсего/БезНДС`` when no line has VAT.

    Raises :class:`RuleError` with the first violation and their count (``error.problems`` lists
    them all); :func:`schematron_violations` returns the list.
    """
    _raise_problems(schematron_violations(xml_bytes, file_name=file_name, max_bytes=max_bytes))


# --------------------------------------------------------------------------------------------
# Buyer's title
# --------------------------------------------------------------------------------------------


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
