"""Safe parsing of XML that comes from outside: uploads, EDO operators, e-mail attachments.

:func:`parse_xml_safely` bounds the size, refuses any document type declaration (so no entity can
be defined: no XXE, no "billion laughs"), never loads a DTD, never touches the network and never
substitutes entities. A DOCTYPE is refused twice: by a scan of the raw bytes before parsing (in the
ASCII-compatible encodings of UPD files and in UTF-16) and by a look at the parsed document's
``docinfo`` after parsing, so an encoding the scan does not know cannot smuggle one in.
"""

import threading

from lxml import etree

from . import RuleError, _lt
from .source_files import check_size

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

_DECLARATIONS = ("<!DOCTYPE", "<!ENTITY")
_MARKERS = tuple(
    marker.encode(encoding)
    for marker in _DECLARATIONS
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)

_local = threading.local()


def _parser():
    """This thread's hardened parser (lxml parsers must not be shared between threads)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def parse_xml_safely(xml_bytes, max_bytes=DEFAULT_MAX_BYTES):
    """Parse ``xml_bytes`` and return the root element, or raise :class:`RuleError`.

    Refused: more than ``max_bytes`` bytes, an empty file, a DOCTYPE or ENTITY declaration, and
    anything that is not well-formed XML (including references to undefined entities). Comments
    and processing instructions are dropped.
    """
    if not isinstance(xml_bytes, bytes | bytearray | memoryview):
        raise TypeError(f"XML must be given as bytes, not {type(xml_bytes).__name__}")
    data = bytes(xml_bytes)
    check_size(len(data), max_bytes)
    if not data.strip():
        raise RuleError(_lt("The XML file is empty."))
    if any(marker in data for marker in _MARKERS):
        raise RuleError(
            _lt("The XML file declares a document type or entities (DOCTYPE), which is refused.")
        )
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as error:
        # The message names the position only: never echo file content back to the user.
        raise RuleError(
            _lt(
                "The file is not well-formed XML (line %(line)s, column %(column)s).",
                line=error.lineno or 0,
                column=error.offset or 0,
            )
        ) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise RuleError(
            _lt("The XML file declares a document type or entities (DOCTYPE), which is refused.")
        )
    return root
