"""The XSD check of a UPD file (:func:`validate_xml`) and the schemas the addon ships.

The official schemas live in the addon's ``data/xsd`` (see its README for their origin) and are
the default; the company setting *UPD XSD Path* only overrides the seller's one. The shipped
files are located with Odoo's ``odoo.tools.file_path`` (the addons path, not the working
directory).

Odoo's ``odoo.tools.xml_utils._check_with_xsd`` compiles the schema on every call (≈ 5 ms for
the 5.03 seller's schema here: 25 s for a month of 5,000 UPDs, whose whole XML phase takes 3 s in
the benchmark) and raises one ``UserError`` carrying every libxml2 message. So the schema is
compiled here once per process and path, the file is parsed with
:func:`~..rules.xml_safety.parse_xml_safely`, and the refusal is a lazily translated
:class:`~..rules.RuleError` with the error count and the first errors with their lines.
"""

import threading
from pathlib import Path

from lxml import etree

from odoo.tools import file_path

from ..rules import RuleError, _lt
from ..rules.xml_safety import DEFAULT_MAX_BYTES, parse_xml_safely

XSD_DIR = Path(file_path("miko_support_contract/data/xsd"))
SELLER_XSD_503 = Path(
    file_path("miko_support_contract/data/xsd/ON_NSCHFDOPPR_1_997_01_05_03_05_transcribed.xsd")
)
BUYER_XSD = {
    "5.01": Path(file_path("miko_support_contract/data/xsd/ON_NSCHFDOPPOK_1_997_02_05_01_02.xsd")),
    "5.02": Path(file_path("miko_support_contract/data/xsd/ON_NSCHFDOPPOK_1_997_02_05_02_01.xsd")),
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
