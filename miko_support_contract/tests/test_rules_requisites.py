import contextlib
import csv
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from stdnum.ru import inn as stdnum_inn

from odoo.tests import BaseCase

from odoo.addons.miko_support_contract.rules import RuleError, requisites

# Published requisites of real companies and banks.
SBERBANK_INN = "7707083893"
SBERBANK_KPP = "773601001"
SBERBANK_OGRN = "1027700132195"
SBERBANK_OKPO = "00032537"
SBERBANK_BIK = "044525225"
SBERBANK_CORR = "30101810400000000225"
YANDEX_INN = "7736207543"
YANDEX_KPP = "770401001"
YANDEX_OGRN = "1027700229193"
BANKS = [
    ("044525225", "30101810400000000225"),  # Sberbank, Moscow
    ("044525187", "30101810700000000187"),  # VTB
    ("044525593", "30101810200000000593"),  # Alfa-Bank
    ("044525974", "30101810145250000974"),  # T-Bank
    ("044030653", "30101810500000000653"),  # Sberbank, Saint Petersburg
]
# Settlement accounts whose control key was computed for the BIK they are paired with.
VALID_ACCOUNTS = [
    ("40702810638000000000", "044525225"),
    ("40702810200000000001", "044525225"),
    ("40817810500001234567", "044525974"),
    ("40702810800000012345", "044525593"),
]

# The single tax payment's recipient as published by the FNS: Казначейство России (ФНС России),
# treasury body of the Tula region (BIK 01…), ЕКС and treasury account.
FNS_TREASURY_BIK = "017003983"
FNS_TREASURY_CORR = "40102810445370000059"
FNS_TREASURY_ACCOUNT = "03100643000000018500"
DATA = Path(__file__).parent / "data"
with (DATA / "treasury_requisites.csv").open(encoding="utf-8") as _file:
    TREASURY_CUSTOMERS = list(csv.DictReader(_file))

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def _message(excinfo):
    return excinfo.exception.message._translate("en_US")


def _with_key(skeleton, bik):
    """Return ``skeleton`` (20 digits) with its control digit (the 9th) set for ``bik``."""
    candidates = [skeleton[:8] + d + skeleton[9:] for d in "0123456789"]
    valid = [a for a in candidates if requisites._account_key_ok(bik[-3:] + a)]
    assert len(valid) == 1
    return valid[0]


class TestRulesRequisites(BaseCase):
    # INN

    def test_check_inn_accepts_published_numbers(self):
        for inn in [SBERBANK_INN, YANDEX_INN, "0274062111", "500100732259"]:
            with self.subTest(inn=inn):
                self.assertEqual(requisites.check_inn(inn), inn)

    def test_check_inn_strips_spaces(self):
        self.assertEqual(requisites.check_inn(" 7707 083 893\n"), SBERBANK_INN)

    def test_check_inn_rejects(self):
        for value, expected in [
            ("", "INN is empty"),
            (None, "INN is empty"),
            ("77070838X3", "digits only"),
            ("770708389", "10 digits (legal entity) or 12 digits"),
            ("77070838931", "has 11"),
            ("7707083894", "check digits do not match"),
            ("500100732258", "check digits do not match"),
            ("0000000000", "region code 00"),
        ]:
            with self.subTest(value=value, expected=expected):
                with self.assertRaises(RuleError) as excinfo:
                    requisites.check_inn(value)
                self.assertIn("INN", _message(excinfo))
                self.assertIn(expected, _message(excinfo))

    def test_check_inn_rejects_non_ascii_digits(self):
        with self.assertRaises(RuleError):
            requisites.check_inn("７７０７０８３８９３")  # full-width digits

    def test_partner_kind_from_inn(self):
        self.assertEqual(requisites.partner_kind_from_inn(SBERBANK_INN), "legal")
        self.assertEqual(requisites.partner_kind_from_inn("500100732259"), "individual")
        with self.assertRaises(RuleError):
            requisites.partner_kind_from_inn("123")

    @given(st.text(alphabet="0123456789", min_size=10, max_size=10))
    def test_check_inn_agrees_with_stdnum_legal(self, inn):
        expected = stdnum_inn.is_valid(inn) and not inn.startswith("00")
        try:
            requisites.check_inn(inn)
            valid = True
        except RuleError:
            valid = False
        self.assertEqual(valid, expected)

    @given(st.text(alphabet="0123456789", min_size=10, max_size=10).filter(lambda s: s[:2] != "00"))
    def test_completed_individual_inn_is_valid_and_stdnum_agrees(self, prefix):
        inn = prefix + requisites.inn_check_digits(prefix)
        self.assertEqual(requisites.check_inn(inn), inn)
        self.assertTrue(stdnum_inn.is_valid(inn))
        self.assertEqual(requisites.partner_kind_from_inn(inn), "individual")
        wrong = inn[:-1] + str((int(inn[-1]) + 1) % 10)
        with self.assertRaises(RuleError):
            requisites.check_inn(wrong)

    # KPP

    def test_check_kpp_accepts(self):
        for kpp in [SBERBANK_KPP, YANDEX_KPP, "7736AB001"]:
            with self.subTest(kpp=kpp):
                self.assertEqual(requisites.check_kpp(kpp), kpp)

    def test_check_kpp_normalises(self):
        self.assertEqual(requisites.check_kpp(" 7736 ab 001 "), "7736AB001")

    def test_check_kpp_rejects(self):
        for value, expected in [
            ("", "KPP is empty"),
            ("77360100", "9 characters"),
            ("7736010011", "9 characters"),
            ("77A601001", "4 digits, then 2 digits or capital Latin letters"),
            ("773601A01", "then 3 digits"),
            ("7736ЖЖ001", "capital Latin letters"),
            ("7736-1001", "then 3 digits"),
        ]:
            with self.subTest(value=value, expected=expected):
                with self.assertRaises(RuleError) as excinfo:
                    requisites.check_kpp(value)
                self.assertIn("KPP", _message(excinfo))
                self.assertIn(expected, _message(excinfo))

    # OGRN / OGRNIP

    def test_check_ogrn_accepts_published_numbers(self):
        for ogrn in [SBERBANK_OGRN, YANDEX_OGRN, "304500116000157"]:
            with self.subTest(ogrn=ogrn):
                self.assertEqual(requisites.check_ogrn(ogrn), ogrn)

    def test_check_ogrn_rejects(self):
        for value, expected in [
            ("", "OGRN is empty"),
            ("10277001321X5", "digits only"),
            ("102770013219", "13 digits"),
            ("1027700132196", "check digit does not match"),
            ("304500116000158", "check digit does not match"),
            ("2027700132194", "starts with 1 or 5"),
            ("104500116000157", "OGRNIP"),
        ]:
            with self.subTest(value=value, expected=expected):
                with self.assertRaises(RuleError) as excinfo:
                    requisites.check_ogrn(value)
                self.assertIn("OGRN", _message(excinfo))
                self.assertIn(expected, _message(excinfo))

    @given(
        st.sampled_from("15"),
        st.text(alphabet="0123456789", min_size=11, max_size=11),
    )
    def test_ogrn_exactly_one_check_digit(self, first, body):
        prefix = first + body
        valid = []
        for digit in "0123456789":
            with contextlib.suppress(RuleError):
                valid.append(requisites.check_ogrn(prefix + digit))
        self.assertEqual(valid, [prefix + str(int(prefix) % 11 % 10)])

    @given(st.text(alphabet="0123456789", min_size=13, max_size=13))
    def test_ogrnip_check_digit(self, body):
        prefix = "3" + body
        ogrnip = prefix + str(int(prefix) % 13 % 10)
        self.assertEqual(requisites.check_ogrn(ogrnip), ogrnip)

    # OKPO

    def test_check_okpo_accepts_published_numbers(self):
        for okpo in [SBERBANK_OKPO, "00040778"]:
            with self.subTest(okpo=okpo):
                self.assertEqual(requisites.check_okpo(okpo), okpo)

    def test_check_okpo_rejects(self):
        for value, expected in [
            ("", "OKPO is empty"),
            ("0003253", "8 digits"),
            ("00032538", "check digit"),
            ("0003x537", "digits only"),
        ]:
            with self.subTest(value=value, expected=expected):
                with self.assertRaises(RuleError) as excinfo:
                    requisites.check_okpo(value)
                self.assertIn(expected, _message(excinfo))

    @given(
        st.sampled_from([7, 9]).flatmap(
            lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)
        )
    )
    def test_okpo_completed_is_valid(self, body):
        okpo = body + str(requisites._okpo_check_digit(body))
        self.assertEqual(requisites.check_okpo(okpo), okpo)

    # BIK and accounts

    def test_check_bik_and_corr_account_of_real_banks(self):
        for bik, corr in BANKS:
            with self.subTest(bik=bik, corr=corr):
                self.assertEqual(requisites.check_bik(bik), bik)
                self.assertEqual(requisites.check_corr_account(corr, bik), corr)

    def test_check_bik_rejects(self):
        for value, expected in [
            ("", "BIK is empty"),
            ("04452522", "9 digits"),
            ("04452522X", "digits only"),
            ("144525225", "starts with 04"),
        ]:
            with self.subTest(value=value, expected=expected):
                with self.assertRaises(RuleError) as excinfo:
                    requisites.check_bik(value)
                self.assertIn(expected, _message(excinfo))

    def test_check_bank_account_accepts(self):
        for account, bik in VALID_ACCOUNTS:
            with self.subTest(account=account, bik=bik):
                self.assertEqual(requisites.check_bank_account(account, bik), account)

    def test_check_bank_account_normalises_spaces(self):
        self.assertEqual(
            requisites.check_bank_account("40702 810 6 3800 0000000", " 044 525 225 "),
            "40702810638000000000",
        )

    def test_check_bank_account_rejects(self):
        for account, bik, expected in [
            ("", SBERBANK_BIK, "Bank account number is empty"),
            ("4070281063800000000", SBERBANK_BIK, "20 digits"),
            ("4070281063800000000X", SBERBANK_BIK, "digits only"),
            ("40702810738000000000", SBERBANK_BIK, "does not match BIK 044525225"),
            # valid for Sberbank, not for Alfa-Bank
            ("40702810638000000000", "044525593", "control key is wrong"),
            ("40702810638000000000", "12345", "BIK must have 9 digits"),
        ]:
            with self.subTest(account=account, bik=bik, expected=expected):
                with self.assertRaises(RuleError) as excinfo:
                    requisites.check_bank_account(account, bik)
                self.assertIn(expected, _message(excinfo))

    def test_check_corr_account_rejects(self):
        for corr, bik, expected in [
            ("", SBERBANK_BIK, "Correspondent account is empty"),
            ("3010181040000000022", SBERBANK_BIK, "20 digits"),
            ("40101810400000000225", SBERBANK_BIK, "must start with 301"),
            ("30101810500000000225", SBERBANK_BIK, "does not match BIK"),
            # Sberbank's account, Alfa-Bank's BIK
            (SBERBANK_CORR, "044525593", "does not match BIK 044525593"),
        ]:
            with self.subTest(corr=corr, bik=bik, expected=expected):
                with self.assertRaises(RuleError) as excinfo:
                    requisites.check_corr_account(corr, bik)
                self.assertIn(expected, _message(excinfo))

    @given(
        st.sampled_from([bik for bik, _corr in BANKS]),
        st.text(alphabet="0123456789", min_size=20, max_size=20),
    )
    def test_account_exactly_one_key_digit(self, bik, skeleton):
        """The key digit (9th) of an account has weight 3, so exactly one value of it is valid."""
        if skeleton.startswith(requisites.TREASURY_ACCOUNT_PREFIX):
            return  # a treasury account carries no key
        account = _with_key(skeleton, bik)
        self.assertEqual(requisites.check_bank_account(account, bik), account)
        for digit in "0123456789":
            other = account[:8] + digit + account[9:]
            if other != account:
                with self.assertRaises(RuleError):
                    requisites.check_bank_account(other, bik)

    @given(st.text(alphabet="0123456789", min_size=20, max_size=20), st.integers(0, 19), digits)
    def test_account_single_digit_error_is_detected(self, skeleton, position, digit):
        account = _with_key(skeleton, SBERBANK_BIK)
        typo = account[:position] + digit + account[position + 1 :]
        # a treasury account (03…) carries no key: a typo making one is told by its structure only
        if typo != account and not typo.startswith(requisites.TREASURY_ACCOUNT_PREFIX):
            with self.assertRaises(RuleError):
                requisites.check_bank_account(typo, SBERBANK_BIK)

    # Treasury requisites

    def test_treasury_requisites_of_the_fns_are_accepted(self):
        self.assertEqual(requisites.check_bik(FNS_TREASURY_BIK), FNS_TREASURY_BIK)
        self.assertTrue(requisites.is_treasury_bik(FNS_TREASURY_BIK))
        self.assertFalse(requisites.is_treasury_bik(SBERBANK_BIK))
        self.assertEqual(
            requisites.check_corr_account(FNS_TREASURY_CORR, FNS_TREASURY_BIK), FNS_TREASURY_CORR
        )
        self.assertEqual(
            requisites.check_bank_account(FNS_TREASURY_ACCOUNT, FNS_TREASURY_BIK),
            FNS_TREASURY_ACCOUNT,
        )

    def test_treasury_requisites_of_a_budget_institution_are_accepted(self):
        for row in TREASURY_CUSTOMERS:
            with self.subTest(row=row):
                self.assertEqual(requisites.check_inn(row["inn"]), row["inn"])
                self.assertEqual(requisites.check_kpp(row["kpp"]), row["kpp"])
                self.assertEqual(requisites.check_bik(row["bik"]), row["bik"])
                self.assertEqual(
                    requisites.check_corr_account(row["corr_account"], row["bik"]),
                    row["corr_account"],
                )
                self.assertEqual(
                    requisites.check_bank_account(row["account"], row["bik"]), row["account"]
                )

    def test_single_treasury_account_rejects(self):
        for corr, bik, expected in [
            # one digit changed: the ЕКС keeps its control key
            ("40102810445370000058", FNS_TREASURY_BIK, "does not match BIK 017003983"),
            # the ЕКС of Tula with the BIK of another treasury body
            (FNS_TREASURY_CORR, "044371902", "does not match BIK 044371902"),
            # the treasury accounts of before 2021 are not correspondent accounts
            ("40101810700000010010", FNS_TREASURY_BIK, "or 40102"),
        ]:
            with self.subTest(corr=corr, bik=bik, expected=expected):
                with self.assertRaises(RuleError) as excinfo:
                    requisites.check_corr_account(corr, bik)
                self.assertIn(expected, _message(excinfo))

    def test_treasury_account_has_no_key_but_its_structure(self):
        # any 9th digit: a treasury account carries no control key
        for digit in "0123456789":
            account = FNS_TREASURY_ACCOUNT[:8] + digit + FNS_TREASURY_ACCOUNT[9:]
            self.assertEqual(requisites.check_bank_account(account, FNS_TREASURY_BIK), account)
        with self.assertRaises(RuleError) as excinfo:
            requisites.check_bank_account("03100810000000018500", FNS_TREASURY_BIK)
        self.assertIn("currency code 643", _message(excinfo))
        with self.assertRaises(RuleError) as excinfo:
            requisites.check_bank_account("0310064300000001850", FNS_TREASURY_BIK)
        self.assertIn("20 digits", _message(excinfo))

    def test_commercial_account_with_a_wrong_key_is_still_refused(self):
        for bik in [SBERBANK_BIK, FNS_TREASURY_BIK]:
            with self.subTest(bik=bik):
                account = _with_key("40702810000000012345", bik)
                wrong = account[:8] + str((int(account[8]) + 1) % 10) + account[9:]
                with self.assertRaises(RuleError) as excinfo:
                    requisites.check_bank_account(wrong, bik)
                self.assertIn("control key is wrong", _message(excinfo))

    def test_bik_of_no_bank_nor_treasury_body_is_refused(self):
        for bik in ["034525988", "144525225", "994525988"]:
            with self.subTest(bik=bik):
                with self.assertRaises(RuleError) as excinfo:
                    requisites.check_bik(bik)
                self.assertIn("treasury body", _message(excinfo))
