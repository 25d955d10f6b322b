"""The XML of the seller's title, format 5.03 (:func:`build_xml`): windows-1251 bytes,
built from checked :class:`~.document.UpdDocument` values.

Format 5.03 has no ``СвУчДокОбор`` any more: the EDO participant IDs and the operator appear only
in the file name (:mod:`.naming`), and ``Подписант`` has no INN attribute
(:attr:`~.document.UpdSigner.org_inn` is only checked against the seller's INN).

The tree is written with ``lxml`` directly: the format is attribute-based, which
``odoo.tools.xml_utils.create_xml_node`` (text nodes) does not cover.
"""

from lxml import etree

from .amounts import _money, _price, _quantity
from .checks import check_document
from .document import (
    AUTHORITY_ELECTRONIC_POA,
    AUTHORITY_PAPER_POA,
    CURRENCY_CODE,
    CURRENCY_NAME,
    DATE_FORMAT,
    EXCISE_FREE,
    FACT_NAME_DOP,
    FORMAT_VERSION,
    FUNCTION_DOP,
    ITEM_KIND_SERVICE,
    SELLER_KND,
    TIME_FORMAT,
    VAT_FREE,
    _clean,
    _format_date,
)
from .naming import file_id

XML_DECLARATION = b'<?xml version="1.0" encoding="windows-1251"?>\n'


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
