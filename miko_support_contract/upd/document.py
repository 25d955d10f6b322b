"""The plain values of a UPD seller's title, format 5.03: constants of the format and the
frozen dataclasses the models fill (:class:`UpdDocument` and its parts), with the text and date
formatting every other module of the package uses.

No ORM: the model ``miko.support.upd`` builds these values from its records.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

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
DATE_FORMAT = "%d.%m.%Y"
TIME_FORMAT = "%H.%M.%S"


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


def _clean(value):
    """``value`` as one line of text: whitespace runs collapsed, ends stripped, '' for None."""
    if value is None or value is False:
        return ""
    return " ".join(str(value).split())


def _format_date(value):
    return value.strftime(DATE_FORMAT)


def _parse_date(value):
    try:
        return datetime.strptime(value, DATE_FORMAT).date()
    except (TypeError, ValueError):
        return None
