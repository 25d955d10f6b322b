"""Validation of Russian company requisites: INN, KPP, OGRN/OGRNIP, OKPO, BIK and bank accounts.

Every ``check_*`` function takes the value as typed by a user, removes all whitespace and returns
the normalised string, or raises :class:`RuleError` naming the requisite and what is wrong with it.
The checksum algorithms are the ones published by the FNS (INN, OGRN), Rosstat (OKPO) and the Bank
of Russia (the control key of account numbers).

Treasury requisites (since 2021): a treasury body (ТОФК) has a BIK of its own, most of them
starting with 01 (a few Moscow ones with 00 or 02, those of new regions with 04); its
correspondent account is the single treasury account (ЕКС, 401 02…) keyed like an account of a
Bank of Russia division; the accounts it keeps for budget institutions are treasury accounts
(03…, currency 643) which carry no control key.
"""

import re

from . import RuleError, _lt

INN_LEGAL_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN_PERSON_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN_PERSON_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
ACCOUNT_KEY_WEIGHTS = (7, 1, 3)
BANK_BIK_PREFIX = "04"
TREASURY_BIK_PREFIXES = ("00", "01", "02")
SINGLE_TREASURY_ACCOUNT_PREFIX = "40102"
TREASURY_ACCOUNT_PREFIX = "03"
TREASURY_ACCOUNT_CURRENCY = "643"

KPP_PATTERN = re.compile(r"\d{4}[\dA-Z][\dA-Z]\d{3}")

PARTNER_KIND_LEGAL = "legal"
PARTNER_KIND_INDIVIDUAL = "individual"


def _compact(value):
    """Return ``value`` as a string without any whitespace ('' for ``None`` / ``False``)."""
    if value is None or value is False:
        return ""
    return "".join(str(value).split())


def _weighted_check_digit(digits, weights):
    """Check digit used by INN: weighted sum mod 11 mod 10."""
    return sum(int(digit) * weight for digit, weight in zip(digits, weights, strict=True)) % 11 % 10


def _account_key_ok(digits):
    """Bank of Russia control key: weights 7, 1, 3 repeated over 23 digits, sum mod 10 is 0."""
    total = sum(
        (int(digit) * ACCOUNT_KEY_WEIGHTS[index % 3]) % 10 for index, digit in enumerate(digits)
    )
    return total % 10 == 0


def inn_check_digits(inn_prefix):
    """Return the check digit(s) that complete the prefix of an INN.

    ``inn_prefix`` is the first 9 digits of a legal entity INN (one check digit returned) or the
    first 10 digits of an individual INN (two check digits returned).
    """
    if len(inn_prefix) == 9:
        return str(_weighted_check_digit(inn_prefix, INN_LEGAL_WEIGHTS))
    first = str(_weighted_check_digit(inn_prefix, INN_PERSON_WEIGHTS_11))
    second = str(_weighted_check_digit(inn_prefix + first, INN_PERSON_WEIGHTS_12))
    return first + second


def check_inn(value):
    """Validate an INN: 10 digits for a legal entity, 12 for an individual, with check digits."""
    inn = _compact(value)
    if not inn:
        raise RuleError(_lt("INN is empty."))
    if not inn.isdecimal() or not inn.isascii():
        raise RuleError(_lt("INN %(inn)s must contain digits only.", inn=inn))
    if len(inn) not in (10, 12):
        raise RuleError(
            _lt(
                "INN must have 10 digits (legal entity) or 12 digits (individual), "
                "%(inn)s has %(count)s.",
                inn=inn,
                count=len(inn),
            )
        )
    if inn.startswith("00"):
        raise RuleError(
            _lt("INN %(inn)s is invalid: it cannot start with the region code 00.", inn=inn)
        )
    body = inn[:9] if len(inn) == 10 else inn[:10]
    if inn_check_digits(body) != inn[len(body) :]:
        raise RuleError(_lt("INN %(inn)s is invalid: its check digits do not match.", inn=inn))
    return inn


def partner_kind_from_inn(inn):
    """Return ``'legal'`` for a 10-digit INN, ``'individual'`` for a 12-digit one."""
    inn = check_inn(inn)
    return PARTNER_KIND_LEGAL if len(inn) == 10 else PARTNER_KIND_INDIVIDUAL


def check_kpp(value):
    """Validate a KPP: 4 digits, 2 digits or capital Latin letters, 3 digits (upper-cased)."""
    kpp = _compact(value).upper()
    if not kpp:
        raise RuleError(_lt("KPP is empty."))
    if len(kpp) != 9:
        raise RuleError(
            _lt("KPP must have 9 characters, %(kpp)s has %(count)s.", kpp=kpp, count=len(kpp))
        )
    if not kpp.isascii() or not KPP_PATTERN.fullmatch(kpp):
        raise RuleError(
            _lt(
                "KPP %(kpp)s is invalid: it must be 4 digits, then 2 digits or capital Latin "
                "letters, then 3 digits.",
                kpp=kpp,
            )
        )
    return kpp


def check_ogrn(value):
    """Validate an OGRN (13 digits, legal entity) or an OGRNIP (15 digits, sole proprietor).

    OGRN: starts with 1 or 5, check digit = (first 12 digits as a number mod 11) mod 10.
    OGRNIP: starts with 3, check digit = (first 14 digits as a number mod 13) mod 10.
    """
    ogrn = _compact(value)
    if not ogrn:
        raise RuleError(_lt("OGRN is empty."))
    if not ogrn.isdecimal() or not ogrn.isascii():
        raise RuleError(_lt("OGRN %(ogrn)s must contain digits only.", ogrn=ogrn))
    if len(ogrn) == 13:
        if ogrn[0] not in "15":
            raise RuleError(
                _lt("OGRN %(ogrn)s is invalid: a 13-digit OGRN starts with 1 or 5.", ogrn=ogrn)
            )
        modulus = 11
    elif len(ogrn) == 15:
        if ogrn[0] != "3":
            raise RuleError(
                _lt("OGRNIP %(ogrn)s is invalid: a 15-digit OGRNIP starts with 3.", ogrn=ogrn)
            )
        modulus = 13
    else:
        raise RuleError(
            _lt(
                "OGRN must have 13 digits (OGRN of a legal entity) or 15 digits (OGRNIP of a "
                "sole proprietor), %(ogrn)s has %(count)s.",
                ogrn=ogrn,
                count=len(ogrn),
            )
        )
    if int(ogrn[:-1]) % modulus % 10 != int(ogrn[-1]):
        raise RuleError(_lt("OGRN %(ogrn)s is invalid: its check digit does not match.", ogrn=ogrn))
    return ogrn


def _okpo_check_digit(body):
    """Rosstat check digit: weights 1..n mod 11; if 10, weights 3..n+2 mod 11; if still 10, 0."""
    for start in (1, 3):
        remainder = sum(int(d) * ((i + start - 1) % 10 + 1) for i, d in enumerate(body)) % 11
        if remainder < 10:
            return remainder
    return 0


def check_okpo(value):
    """Validate an OKPO code: 8 digits (legal entity) or 10 digits (sole proprietor)."""
    okpo = _compact(value)
    if not okpo:
        raise RuleError(_lt("OKPO is empty."))
    if not okpo.isdecimal() or not okpo.isascii():
        raise RuleError(_lt("OKPO %(okpo)s must contain digits only.", okpo=okpo))
    if len(okpo) not in (8, 10):
        raise RuleError(
            _lt(
                "OKPO must have 8 digits (legal entity) or 10 digits (sole proprietor), "
                "%(okpo)s has %(count)s.",
                okpo=okpo,
                count=len(okpo),
            )
        )
    if _okpo_check_digit(okpo[:-1]) != int(okpo[-1]):
        raise RuleError(_lt("OKPO %(okpo)s is invalid: its check digit does not match.", okpo=okpo))
    return okpo


def is_treasury_bik(bik):
    """True for the BIK of a treasury body (00…, 01…, 02…; those starting with 04 are not told)."""
    return _compact(bik)[:2] in TREASURY_BIK_PREFIXES


def check_bik(value):
    """Validate a BIK: 9 digits, 04… for a bank, 00…, 01… or 02… for a treasury body (ТОФК)."""
    bik = _compact(value)
    if not bik:
        raise RuleError(_lt("BIK is empty."))
    if not bik.isdecimal() or not bik.isascii():
        raise RuleError(_lt("BIK %(bik)s must contain digits only.", bik=bik))
    if len(bik) != 9:
        raise RuleError(
            _lt("BIK must have 9 digits, %(bik)s has %(count)s.", bik=bik, count=len(bik))
        )
    if not bik.startswith(BANK_BIK_PREFIX) and not is_treasury_bik(bik):
        raise RuleError(
            _lt(
                "BIK %(bik)s is invalid: a Russian bank BIK starts with 04, the BIK of a "
                "treasury body with 00, 01 or 02.",
                bik=bik,
            )
        )
    return bik


def check_bank_account(account, bik):
    """Validate a settlement account (20 digits) against the BIK of its bank.

    The control key runs over the last 3 digits of the BIK followed by the 20 account digits. A
    treasury account (03…) has no control key: its currency (digits 6 to 8) must be 643.
    """
    bik = check_bik(bik)
    account = _compact(account)
    if not account:
        raise RuleError(_lt("Bank account number is empty."))
    if not account.isdecimal() or not account.isascii():
        raise RuleError(
            _lt("Bank account number %(account)s must contain digits only.", account=account)
        )
    if len(account) != 20:
        raise RuleError(
            _lt(
                "Bank account number must have 20 digits, %(account)s has %(count)s.",
                account=account,
                count=len(account),
            )
        )
    if account.startswith(TREASURY_ACCOUNT_PREFIX):
        if account[5:8] != TREASURY_ACCOUNT_CURRENCY:
            raise RuleError(
                _lt(
                    "Treasury account %(account)s is invalid: its digits 6 to 8 must be the "
                    "currency code 643.",
                    account=account,
                )
            )
        return account
    if not _account_key_ok(bik[-3:] + account):
        raise RuleError(
            _lt(
                "Bank account number %(account)s does not match BIK %(bik)s: "
                "the control key is wrong.",
                account=account,
                bik=bik,
            )
        )
    return account


def check_corr_account(corr, bik):
    """Validate a correspondent account (20 digits) against the BIK of its bank.

    A bank's account starts with 301 and ends with the last 3 digits of the BIK; the single
    treasury account of a treasury body (ЕКС) starts with 40102. The control key of both runs over
    ``"0"``, the 5th and 6th digits of the BIK and the 20 account digits.
    """
    bik = check_bik(bik)
    corr = _compact(corr)
    if not corr:
        raise RuleError(_lt("Correspondent account is empty."))
    if not corr.isdecimal() or not corr.isascii():
        raise RuleError(
            _lt("Correspondent account %(account)s must contain digits only.", account=corr)
        )
    if len(corr) != 20:
        raise RuleError(
            _lt(
                "Correspondent account must have 20 digits, %(account)s has %(count)s.",
                account=corr,
                count=len(corr),
            )
        )
    single_treasury = corr.startswith(SINGLE_TREASURY_ACCOUNT_PREFIX)
    if not corr.startswith("301") and not single_treasury:
        raise RuleError(
            _lt(
                "Correspondent account %(account)s is invalid: it must start with 301 (a bank's "
                "account) or 40102 (the single treasury account).",
                account=corr,
            )
        )
    if (not single_treasury and corr[-3:] != bik[-3:]) or not _account_key_ok(
        "0" + bik[4:6] + corr
    ):
        raise RuleError(
            _lt(
                "Correspondent account %(account)s does not match BIK %(bik)s.",
                account=corr,
                bik=bik,
            )
        )
    return corr
