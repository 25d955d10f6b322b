import io
from decimal import Decimal

import segno
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from odoo.tests import BaseCase

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


def _message(raised):
    """The text of a caught RuleError. Outside any method: Odoo's lazy translation looks for the
    language through the caller's ``self.env``, which a BaseCase without a database has not."""
    return raised.exception.message._translate("en_US")


class TestRulesPaymentQr(BaseCase):
    def test_build_payment_string_exact(self):
        self.assertEqual(
            _build(kpp="773601001"),
            "ST00012|Name=ООО «Мико»|PersonalAcc=40702810638000000000|BankName=ПАО Сбербанк"
            "|BIC=044525225|CorrespAcc=30101810400000000225|PayeeINN=7707083893|KPP=773601001"
            "|Sum=1234550|Purpose=Оплата по счёту № 15 от 01.03.2026, НДС не облагается",
        )

    def test_build_payment_string_without_kpp_and_purpose(self):
        header, values, keys = _fields(_build(purpose=""))
        self.assertEqual(header, "ST00012")
        self.assertEqual(
            keys, ["Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc", "PayeeINN", "Sum"]
        )
        self.assertEqual(values["Sum"], "1234550")

    def test_build_payment_string_individual_payee(self):
        _header, values, keys = _fields(_build(payee_inn="500100732259"))
        self.assertEqual(values["PayeeINN"], "500100732259")
        self.assertNotIn("KPP", keys)

    def test_build_payment_string_normalises_requisites(self):
        _header, values, _keys = _fields(
            _build(
                personal_acc="40702 810 6 3800 0000000",
                bic=" 044525225",
                payee_inn="7707 083 893",
                kpp="7736 01 001",
            )
        )
        self.assertEqual(values["PersonalAcc"], "40702810638000000000")
        self.assertEqual(values["BIC"], "044525225")
        self.assertEqual(values["PayeeINN"], "7707083893")
        self.assertEqual(values["KPP"], "773601001")

    def test_build_payment_string_cleans_separators_and_newlines(self):
        payload = _build(name="ООО |Мико|\n", purpose="Оплата\r\nпо счёту | 15\t")
        self.assertTrue("\n" not in payload and "\r" not in payload and "\t" not in payload)
        _header, values, _keys = _fields(payload)
        self.assertEqual(values["Name"], "ООО Мико")
        self.assertEqual(values["Purpose"], "Оплата по счёту 15")

    def test_build_payment_string_cuts_long_texts(self):
        _header, values, _keys = _fields(
            _build(name="Я" * 300, bank_name="Б" * 100, purpose="П" * 500)
        )
        self.assertEqual(len(values["Name"]), 160)
        self.assertEqual(len(values["BankName"]), 45)
        self.assertEqual(len(values["Purpose"]), 210)

    def test_build_payment_string_rejects(self):
        for overrides, expected in [
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
        ]:
            with self.subTest(overrides=overrides, expected=expected):
                with self.assertRaises(RuleError) as excinfo:
                    _build(**overrides)
                self.assertIn(expected, _message(excinfo))

    def test_rubles_to_kopecks(self):
        for rubles, kopecks in [
            (Decimal("12345.50"), 1234550),
            (Decimal("0.005"), 1),
            (Decimal("0.004"), 0),
            (Decimal("1.015"), 102),
            (Decimal("1.025"), 103),
            (Decimal("-1.005"), -101),
            (Decimal("100"), 10000),
            (7, 700),
            ("99.99", 9999),
        ]:
            with self.subTest(rubles=rubles, kopecks=kopecks):
                self.assertEqual(payment_qr.rubles_to_kopecks(rubles), kopecks)

    def test_rubles_to_kopecks_rejects(self):
        for rubles in [1.5, "abc", None, True, Decimal("NaN"), Decimal("Infinity")]:
            with self.subTest(rubles=rubles):
                with self.assertRaises(RuleError) as excinfo:
                    payment_qr.rubles_to_kopecks(rubles)
                self.assertIn("Payment amount", _message(excinfo))

    @given(st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False))
    def test_rubles_to_kopecks_is_within_half_a_kopeck(self, rubles):
        kopecks = payment_qr.rubles_to_kopecks(rubles)
        self.assertLessEqual(abs(Decimal(kopecks) - rubles * 100), Decimal("0.5"))

    @given(st.text(min_size=1), st.text(), st.integers(min_value=1, max_value=10**17))
    def test_payment_string_fields_stay_parseable(self, name, purpose, kopecks):
        try:
            payload = _build(name=name, purpose=purpose, sum_kopecks=kopecks)
        except RuleError:
            # only a name without any printable character is refused
            self.assertFalse(" ".join(name.replace("|", " ").split()))
            return
        header, values, keys = _fields(payload)
        self.assertEqual(header, "ST00012")
        self.assertEqual(
            keys[:6], ["Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc", "PayeeINN"]
        )
        self.assertTrue("\n" not in payload and "\r" not in payload)
        self.assertEqual(values["Name"], " ".join(name.replace("|", " ").split())[:160].rstrip())
        self.assertEqual(values["Sum"], str(kopecks))

    def test_payment_qr_png(self):
        payload = _build(kpp="773601001")
        png = payment_qr.payment_qr_png(payload)
        self.assertTrue(png.startswith(b"\x89PNG\r\n\x1a\n"))
        expected = segno.make_qr(payload, error="M", encoding="utf-8", boost_error=False)
        self.assertEqual(expected.error, "M")
        self.assertEqual(
            _png_modules(png, scale=5, border=4), [list(row) for row in expected.matrix]
        )

    def test_payment_qr_png_scale(self):
        payload = _build()
        small = Image.open(io.BytesIO(payment_qr.payment_qr_png(payload, scale=2)))
        large = Image.open(io.BytesIO(payment_qr.payment_qr_png(payload, scale=8)))
        self.assertEqual(large.width, 4 * small.width)

    def test_payment_qr_png_rejects_empty_payload(self):
        with self.assertRaises(RuleError):
            payment_qr.payment_qr_png("")
