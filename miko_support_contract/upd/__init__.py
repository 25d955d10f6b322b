"""The seller's title of the monthly UPD: FNS format 5.03 (order ЕД-7-26/970@), status 2.

A software vendor on the simplified tax system issues one UPD per customer per month for technical
support: ``Функция="ДОП"`` (transfer document only, no invoice), every line ``НалСт="без НДС"``.
Pure Python, no ORM: the model ``miko.support.upd`` fills the values and stores the result.

Flow: build the plain values (:class:`~.document.UpdDocument` and its parts, :mod:`.document`;
line amounts with :func:`~.amounts.service_measure`), :func:`~.checks.check_document` (our own
business rules, messages name the requisite and whose it is), :func:`~.builder.build_xml`
(windows-1251 bytes named :func:`~.naming.file_name`), :func:`~.schema.validate_xml` against the
FNS XSD shipped in ``data/xsd`` and :func:`~.schematron.check_schematron_rules` (the FNS
Schematron rules and control ratios the XSD cannot express). The buyer's answer (title
ON_NSCHFDOPPOK) is read with :func:`~.buyer_title.parse_buyer_title`. The sub-package
:mod:`.edi` delivers the file to the customer through the company's EDI operator (one
``UpdProvider`` interface; Kontur.Diadoc and the manual channel); it uses the ORM and is
imported by the models, not from here.

The names below are the package's public interface; callers import them from here.
"""

from .amounts import MAX_FRACTION_DIGITS, service_measure
from .builder import XML_DECLARATION, build_xml
from .buyer_title import MAX_BUYER_TITLE_BYTES, UpdBuyerTitle, parse_buyer_title
from .checks import check_document
from .document import (
    ACCEPTED,
    ACCEPTED_WITH_DISCREPANCIES,
    DEFAULT_CONTRACT_NAME,
    FACT_NAME_DOP,
    OKEI_HOUR,
    OKEI_MINUTE,
    REJECTED,
    UNIT_HOUR,
    UNIT_MINUTE,
    UpdBankAccount,
    UpdDocument,
    UpdLine,
    UpdLineMeasure,
    UpdParty,
    UpdSigner,
)
from .naming import file_id, file_name
from .schema import BUYER_XSD, SELLER_XSD_503, XSD_DIR, _schema, validate_xml
from .schematron import check_schematron_rules, schematron_violations

__all__ = [
    "ACCEPTED",
    "ACCEPTED_WITH_DISCREPANCIES",
    "BUYER_XSD",
    "DEFAULT_CONTRACT_NAME",
    "FACT_NAME_DOP",
    "MAX_BUYER_TITLE_BYTES",
    "MAX_FRACTION_DIGITS",
    "OKEI_HOUR",
    "OKEI_MINUTE",
    "REJECTED",
    "SELLER_XSD_503",
    "UNIT_HOUR",
    "UNIT_MINUTE",
    "XML_DECLARATION",
    "XSD_DIR",
    "UpdBankAccount",
    "UpdBuyerTitle",
    "UpdDocument",
    "UpdLine",
    "UpdLineMeasure",
    "UpdParty",
    "UpdSigner",
    "_schema",
    "build_xml",
    "check_document",
    "check_schematron_rules",
    "file_id",
    "file_name",
    "parse_buyer_title",
    "schematron_violations",
    "service_measure",
    "validate_xml",
]
