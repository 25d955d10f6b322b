"""The payment QR code of ГОСТ Р 56042-2014 (the "ST00012" string scanned by Russian bank apps).

The string starts with the format identifier ``ST0001`` and the encoding flag ``2`` (UTF-8), then
``Key=Value`` pairs separated by ``|``: the mandatory Name, PersonalAcc, BankName, BIC,
CorrespAcc in this order, then the optional PayeeINN, KPP, Sum (kopecks) and Purpose.
"""

import io
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import segno

from . import RuleError, _lt
from .requisites import check_bank_account, check_bik, check_corr_account, check_inn, check_kpp

FORMAT_HEADER = "ST0001"
ENCODING_UTF8 = "2"
SEPARATOR = "|"
QR_ERROR_CORRECTION = "M"

# Maximum lengths of the free-text values (ГОСТ Р 56042-2014, table 1).
NAME_MAX_LENGTH = 160
BANK_NAME_MAX_LENGTH = 45
PURPOSE_MAX_LENGTH = 210
SUM_MAX_DIGITS = 18


def _clean(value, max_length=None):
    """Make ``value`` safe for a payment string: no separator, no line breaks, single spaces."""
    text = " ".join(str(value or "").replace(SEPARATOR, " ").split())
    if max_length:
        text = text[:max_length].rstrip()
    return text


def rubles_to_kopecks(amount):
    """Convert an amount in roubles (``Decimal``, ``int`` or ``str``) to whole kopecks, half-up."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int | str):
        raise RuleError(
            _lt("Payment amount %(amount)s must be a decimal number of roubles.", amount=amount)
        )
    try:
        rubles = Decimal(amount)
    except InvalidOperation:
        rubles = None
    if rubles is None or not rubles.is_finite():
        raise RuleError(
            _lt("Payment amount %(amount)s must be a decimal number of roubles.", amount=amount)
        )
    return int((rubles * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def build_payment_string(  # noqa: PLR0917 - the fields in the order of the standard
    name,
    personal_acc,
    bank_name,
    bic,
    corresp_acc,
    payee_inn,
    sum_kopecks,
    purpose,
    kpp=None,
):
    """Return the ГОСТ Р 56042-2014 payment string for a payment to the given payee.

    The requisites are validated (and normalised) with :mod:`.requisites`; free-text values lose
    ``|`` and line breaks and are cut to the maximum lengths of the standard. ``sum_kopecks`` is
    a positive integer number of kopecks (see :func:`rubles_to_kopecks`).
    """
    payee_name = _clean(name, NAME_MAX_LENGTH)
    if not payee_name:
        raise RuleError(_lt("Payee name is required for the payment QR code."))
    bank = _clean(bank_name, BANK_NAME_MAX_LENGTH)
    if not bank:
        raise RuleError(_lt("Bank name is required for the payment QR code."))
    bic = check_bik(bic)
    account = check_bank_account(personal_acc, bic)
    corr = check_corr_account(corresp_acc, bic)
    inn = check_inn(payee_inn)
    if isinstance(sum_kopecks, bool) or not isinstance(sum_kopecks, int):
        raise RuleError(
            _lt(
                "Payment amount %(amount)s must be a whole number of kopecks.",
                amount=sum_kopecks,
            )
        )
    if sum_kopecks <= 0 or len(str(sum_kopecks)) > SUM_MAX_DIGITS:
        raise RuleError(
            _lt(
                "Payment amount must be greater than zero and have at most 18 digits, "
                "got %(amount)s kopecks.",
                amount=sum_kopecks,
            )
        )
    fields = [
        ("Name", payee_name),
        ("PersonalAcc", account),
        ("BankName", bank),
        ("BIC", bic),
        ("CorrespAcc", corr),
        ("PayeeINN", inn),
    ]
    if kpp:
        fields.append(("KPP", check_kpp(kpp)))
    fields.append(("Sum", str(sum_kopecks)))
    payment_purpose = _clean(purpose, PURPOSE_MAX_LENGTH)
    if payment_purpose:
        fields.append(("Purpose", payment_purpose))
    return SEPARATOR.join(
        [FORMAT_HEADER + ENCODING_UTF8, *(f"{key}={value}" for key, value in fields)]
    )


def payment_qr_png(payload, scale=5, border=4):
    """Return the PNG image (bytes) of a QR code holding ``payload`` in UTF-8, error level M."""
    if not payload:
        raise RuleError(_lt("Payment QR code content is empty."))
    qr = segno.make_qr(payload, error=QR_ERROR_CORRECTION, encoding="utf-8", boost_error=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()
