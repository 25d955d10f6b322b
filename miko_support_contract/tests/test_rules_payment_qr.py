import io
from decimal import Decimal

import pytest
import segno
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from odoo.addons.miko_support_contract.rules import RuleError, payment_qr

PAYEE = {
    "name": "ООО «Мико»",
    "personal_acc": "40702810638000000000",
    "bank_name": "ПАО Сбербанк",
    "bic": "044525225",
    "corresp_acc": "30101810400000000225",
    "payee_inn": "7707083893",
    "sum_kopecks": 1234550,
    "purpose": "Оплата по счёту № 15 от 01.03.2026, НДС не облагается",
}


def _build(**overrides):
    return payment_qr.build_payment_string(**{**PAYEE, **overrides})


def _fields(payload):
    header, *pairs = payload.split("|")
    return header, dict(pair.split("=", 1) for pair in pairs), [p.split("=", 1)[0] for p in pairs]


def test_build_payment_string_exact():
    assert _build(kpp="773601001") == (
        "ST00012|Name=ООО «Мико»|PersonalAcc=40702810638000000000|BankName=ПАО Сбербанк"
        "|BIC=044525225|CorrespAcc=30101810400000000225|PayeeINN=7707083893|KPP=773601001"
        "|Sum=1234550|Purpose=Оплата по счёту № 15 от 01.03.2026, НДС не облагается"
    )


def test_build_payment_string_without_kpp_and_purpose():
    header, values, keys = _fields(_build(purpose=""))
    assert header == "ST00012"
    assert keys == ["Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc", "PayeeINN", "Sum"]
    assert values["Sum"] == "1234550"


def test_build_payment_string_individual_payee():
    _header, values, keys = _fields(_build(payee_inn="500100732259"))
    assert values["PayeeINN"] == "500100732259"
    assert "KPP" not in keys


def test_build_payment_string_normalises_requisites():
    _header, values, _keys = _fields(
        _build(
            personal_acc="40702 810 6 3800 0000000",
            bic=" 044525225",
            payee_inn="7707 083 893",
            kpp="7736 01 001",
        )
    )
    assert values["PersonalAcc"] == "40702810638000000000"
    assert values["BIC"] == "044525225"
    assert values["PayeeINN"] == "7707083893"
    assert values["KPP"] == "773601001"


def test_build_payment_string_cleans_separators_and_newlines():
    payload = _build(name="ООО |Мико|\n", purpose="Оплата\r\nпо счёту | 15\t")
    assert "\n" not in payload and "\r" not in payload and "\t" not in payload
    _header, values, _keys = _fields(payload)
    assert values["Name"] == "ООО Мико"
    assert values["Purpose"] == "Оплата по счёту 15"


def test_build_payment_string_cuts_long_texts():
    _header, values, _keys = _fields(_build(name="Я" * 300, bank_name="Б" * 100, purpose="П" * 500))
    assert len(values["Name"]) == 160
    assert len(values["BankName"]) == 45
    assert len(values["Purpose"]) == 210


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"personal_acc": "40702810738000000000"}, "Bank account number"),
        ({"corresp_acc": "30101810400000000226"}, "Correspondent account"),
        ({"bic": "144525225"}, "BIK"),
        ({"payee_inn": "7707083894"}, "INN"),
        ({"kpp": "77360100"}, "KPP"),
        ({"name": " | \n"}, "Payee name"),
        ({"bank_name": ""}, "Bank name"),
        ({"sum_kopecks": 0}, "greater than zero"),
        ({"sum_kopecks": -100}, "greater than zero"),
        ({"sum_kopecks": 10**18}, "at most 18 digits"),
        ({"sum_kopecks": 12.5}, "whole number of kopecks"),
        ({"sum_kopecks": Decimal("12")}, "whole number of kopecks"),
        ({"sum_kopecks": True}, "whole number of kopecks"),
    ],
)
def test_build_payment_string_rejects(overrides, expected):
    with pytest.raises(RuleError) as excinfo:
        _build(**overrides)
    assert expected in str(excinfo.value.message)


@pytest.mark.parametrize(
    ("rubles", "kopecks"),
    [
        (Decimal("12345.50"), 1234550),
        (Decimal("0.005"), 1),
        (Decimal("0.004"), 0),
        (Decimal("1.015"), 102),
        (Decimal("1.025"), 103),
        (Decimal("-1.005"), -101),
        (Decimal("100"), 10000),
        (7, 700),
        ("99.99", 9999),
    ],
)
def test_rubles_to_kopecks(rubles, kopecks):
    assert payment_qr.rubles_to_kopecks(rubles) == kopecks


@pytest.mark.parametrize("rubles", [1.5, "abc", None, True, Decimal("NaN"), Decimal("Infinity")])
def test_rubles_to_kopecks_rejects(rubles):
    with pytest.raises(RuleError) as excinfo:
        payment_qr.rubles_to_kopecks(rubles)
    assert "Payment amount" in str(excinfo.value.message)


@given(st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False))
def test_rubles_to_kopecks_is_within_half_a_kopeck(rubles):
    kopecks = payment_qr.rubles_to_kopecks(rubles)
    assert abs(Decimal(kopecks) - rubles * 100) <= Decimal("0.5")


@given(st.text(min_size=1), st.text(), st.integers(min_value=1, max_value=10**17))
def test_payment_string_fields_stay_parseable(name, purpose, kopecks):
    try:
        payload = _build(name=name, purpose=purpose, sum_kopecks=kopecks)
    except RuleError:
        # only a name without any printable character is refused
        assert not " ".join(name.replace("|", " ").split())
        return
    header, values, keys = _fields(payload)
    assert header == "ST00012"
    assert keys[:6] == ["Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc", "PayeeINN"]
    assert "\n" not in payload and "\r" not in payload
    assert values["Name"] == " ".join(name.replace("|", " ").split())[:160].rstrip()
    assert values["Sum"] == str(kopecks)


def _png_modules(png, scale, border):
    """Read back the dark modules of a QR code PNG as a matrix of 0/1 rows."""
    image = Image.open(io.BytesIO(png)).convert("L")
    size = image.width // scale - 2 * border
    return [
        [
            int(
                image.getpixel(
                    ((border + x) * scale + scale // 2, (border + y) * scale + scale // 2)
                )
                < 128
            )
            for x in range(size)
        ]
        for y in range(size)
    ]


def test_payment_qr_png():
    payload = _build(kpp="773601001")
    png = payment_qr.payment_qr_png(payload)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    expected = segno.make_qr(payload, error="M", encoding="utf-8", boost_error=False)
    assert expected.error == "M"
    assert _png_modules(png, scale=5, border=4) == [list(row) for row in expected.matrix]


def test_payment_qr_png_scale():
    payload = _build()
    small = Image.open(io.BytesIO(payment_qr.payment_qr_png(payload, scale=2)))
    large = Image.open(io.BytesIO(payment_qr.payment_qr_png(payload, scale=8)))
    assert large.width == 4 * small.width


def test_payment_qr_png_rejects_empty_payload():
    with pytest.raises(RuleError):
        payment_qr.payment_qr_png("")
