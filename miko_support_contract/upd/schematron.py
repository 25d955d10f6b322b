"""The FNS Schematron rules and control ratios the XSD cannot express
(:func:`check_schematron_rules`, :func:`schematron_violations`), checked on the built XML with
XPath semantics.
"""

import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from ..rules import _lt
from ..rules.xml_safety import DEFAULT_MAX_BYTES, parse_xml_safely
from .amounts import _money, _round_cents
from .checks import _inn_checksum_ok, _raise_problems
from .document import (
    FUNCTION_DOP,
    INVOICE_FUNCTIONS,
    TIME_FORMAT,
    TRANSFER_FUNCTIONS,
    VAT_FREE,
    _parse_date,
)
from .naming import _SELLER_FILE_ID


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
