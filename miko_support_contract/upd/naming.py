"""File naming of the exchange file (order ЕД-7-26/970@, «Имя файла обмена»)::

    ON_NSCHFDOPPR_A_O_GGGGMMDD_N_1_2_3_4_5_KK

``A`` is the recipient's (buyer's) and ``O`` the sender's (seller's) EDO participant ID,
``GGGGMMDD`` the date the file is formed (``ДатаИнфПр``), ``N`` the 36-character GUID. The five
one-digit flags say whether the file carries goods subject to traceability, marked goods, alcohol,
tobacco and nicotine products, oil products (``1``/``0``); a two-digit code closes the name, ``00``
in every known file without such goods. Technical support services carry none of them, so our
names always end in ``_0_0_0_0_0_00``, as the 5.03 files of other vendors for plain services do.
"""

import re

from .checks import _BUYER, _SELLER, _check_edo_id, _raise_problems
from .document import FILE_NAME_FLAGS, SELLER_FILE_PREFIX, _clean

_SELLER_FILE_ID = re.compile(
    r"ON_NSCHFDOPPR_(?P<recipient>[^_]+)_(?P<sender>[^_]+)_(?P<date>[0-9]{8})_"
    r"(?P<guid>[0-9A-Fa-f-]{36})_[01]_[01]_[01]_[01]_[01]_[0-9]{2}"
)


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
