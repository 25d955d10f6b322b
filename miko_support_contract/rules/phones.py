"""Phone numbers as captured from a PBX or typed by a person, reduced to one comparable form.

``normalize_phone`` returns:

* a number of the Russian/Kazakh numbering zone (+7) as 11 digits starting with ``7``
  (``"+7 (985) 123-45-67"``, ``"8 985 123 45 67"``, ``"9851234567"`` → ``"79851234567"``);
* a short internal extension (2–6 digits) as its digits (``"101"``);
* a number of another country, written internationally (``+``, ``00`` or the Russian ``810``
  exit code), as ``"+"`` and its 8–15 digits (``"+49 30 1234567"`` → ``"+49301234567"``);
* ``None`` for anything else (empty, ``anonymous``, letters, SIP URIs, wrong lengths).

The result is idempotent: ``normalize_phone(normalize_phone(x)) == normalize_phone(x)``.
The ``phonenumbers`` library is not a dependency: these few rules are all the product needs.
"""

import re

# Separators people and PBXes put inside numbers; anything else makes the value garbage.
_SEPARATORS_RE = re.compile(r"[\s()\-.\u00a0\u2010-\u2015/]")
_DIGITS_RE = re.compile(r"[0-9]+")
# First digit of a 10-digit national significant number in zone 7: Russian geographic codes
# (3xx, 4xx, 8xx) and mobile (9xx), Kazakhstan (6xx, 7xx).
_ZONE7_FIRST_DIGITS = frozenset("346789")


def _zone7(national):
    if len(national) == 10 and national[0] in _ZONE7_FIRST_DIGITS:
        return "7" + national
    return None


def _international(digits):
    if digits.startswith("7"):
        return _zone7(digits[1:])
    if 8 <= len(digits) <= 15 and digits[0] != "0":
        return "+" + digits
    return None


def normalize_phone(value):
    """Return the comparable form of a phone number or extension, or ``None`` (see module doc)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        value = str(value) if value > 0 else ""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    text = _SEPARATORS_RE.sub("", text)
    plus = text.startswith("+")
    if plus:
        text = text[1:]
    if not text or not _DIGITS_RE.fullmatch(text):
        return None
    if plus:
        return _international(text)
    if text.startswith("810") and len(text) > 11:
        return _international(text[3:])
    if text.startswith("00") and len(text) > 10:
        return _international(text[2:])
    if len(text) == 11 and text[0] in "78":
        return _zone7(text[1:])
    if len(text) == 10:
        return _zone7(text)
    if 2 <= len(text) <= 6:
        return text
    return None


def complete_local_number(value, city_code, extension_length=None):
    """Return a city number dialled without its code as the full +7 number, else ``value``.

    A PBX records a call to or from a city number as dialled locally: 5 to 7 digits (``"214943"``
    in Ulan-Ude, city code ``3012``). With the source's ``city_code`` the number is completed to
    the 10 national digits (``"73012214943"``); numbers no longer than ``extension_length`` are
    internal extensions and stay as they are, as does anything that does not add up to 10 digits.
    """
    digits = (value or "").strip()
    code = (city_code or "").strip()
    if not (digits.isdigit() and code.isdigit() and 5 <= len(digits) <= 7):
        return value
    if extension_length and len(digits) <= extension_length:
        return value
    return _zone7(code + digits) or value


def normalize_subscriber_phone(value):
    """The comparable form of a number a person can be called back on from outside, or
    ``None``: a full number of zone 7 or an international one; a short internal extension
    (``"123"``) is refused."""
    number = normalize_phone(value)
    if number and (number.startswith("+") or len(number) == 11):
        return number
    return None
