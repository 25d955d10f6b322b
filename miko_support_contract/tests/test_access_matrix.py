"""No one where they don't belong: every model × group, per company, portal A vs B."""

from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common_upd import MikoUpdCommon

PRODUCT = "panel_1c"
ROLES = ("engineer", "sales", "finance", "manager", "portal", "public")
OPERATIONS = {"r": "read", "w": "write", "c": "create", "u": "unlink"}

# model → access per role, cumulative through the group ladder
# (engineer < sales < finance < manager); "" = nothing
EXPECTED = {
    "miko.support.contract": ("r", "rwc", "rwc", "rwcu", "r", ""),
    "miko.support.licence": ("r", "rwcu", "rwcu", "rwcu", "r", ""),
    "miko.support.rate": ("", "rwc", "rwcu", "rwcu", "", ""),
    "miko.support.wallet.entry": ("", "r", "rc", "rc", "r", ""),
    "miko.support.overrun.consent": ("", "rc", "rwc", "rwc", "r", ""),
    "miko.prepayment.invoice.wizard": ("", "rwcu", "rwcu", "rwcu", "", ""),
    "miko.support.activity": ("rwcu", "rwcu", "rwcu", "rwcu", "r", ""),
    "miko.support.billing.queue": ("", "", "", "", "", ""),
    "miko.support.charge.queue": ("", "", "", "", "", ""),
    "miko.support.suspension": ("r", "r", "r", "r", "", ""),
    "miko.support.activity.unmatched": ("rw", "rw", "rw", "rwcu", "", ""),
    "miko.support.remote.device": ("r", "rwcu", "rwcu", "rwcu", "", ""),
    "miko.support.activity.import.wizard": ("", "", "", "rwcu", "", ""),
    "miko.support.statement.wizard": ("", "rwcu", "rwcu", "rwcu", "", ""),
    "miko.support.vendor.bug.wizard": ("rwcu", "rwcu", "rwcu", "rwcu", "", ""),
    "miko.support.request.compliance": ("r", "r", "r", "r", "", ""),
    "miko.support.upd": ("", "r", "rwc", "rwcu", "r", ""),
    "miko.support.upd.month.close": ("", "", "rwcu", "rwcu", "", ""),
    "miko.support.upd.month.close.line": ("", "", "rwcu", "rwcu", "", ""),
    "miko.support.upd.answer.wizard": ("", "", "rwcu", "rwcu", "", ""),
    "miko.support.capture.source": ("", "", "r", "rwcu", "", ""),
    "miko.support.capture.job": ("r", "r", "r", "rwcu", "", ""),
    "miko.support.upd.delivery.wizard": ("", "", "rwcu", "rwcu", "", ""),
    "miko.support.offer.edition": ("r", "r", "r", "rwcu", "r", ""),
    "miko.support.force.majeure": ("r", "r", "r", "rwcu", "", ""),
    "miko.support.request.pause": ("r", "r", "r", "rwcu", "", ""),
}


class AccessCommon(MikoUpdCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.new_user("miko_manager", "miko_support_contract.group_manager")
        cls.users = {
            "engineer": cls.engineer,
            "sales": cls.sales,
            "finance": cls.finance,
            "manager": cls.manager,
            "portal": cls.portal_user,
            "public": cls.env.ref("base.public_user"),
        }


@tagged("post_install", "-at_install")
class TestAccessMatrix(AccessCommon):
    def test_every_model_of_the_addon_is_in_the_matrix(self):
        models = {
            name
            for name, model in self.env.registry.items()
            if model._module == "miko_support_contract"
            and not model._abstract
            and name.startswith("miko.")
        }
        self.assertEqual(models, set(EXPECTED), "a new model needs its row in EXPECTED")

    def test_model_access_matrix(self):
        mismatches = []
        for model, expected in EXPECTED.items():
            for role, allowed in zip(ROLES, expected, strict=True):
                records = self.env[model].with_user(self.users[role])
                for letter, operation in OPERATIONS.items():
                    if records.has_access(operation) != (letter in allowed):
                        mismatches.append(
                            f"{model} {role} {operation}: expected {letter in allowed}"
                        )
        self.assertEqual(mismatches, [])

    def test_public_user_reads_nothing(self):
        contract = self.prepaid_contract(amount=500.0)
        public = self.users["public"]
        for model in EXPECTED:
            with self.assertRaises(AccessError, msg=model):
                self.env[model].with_user(public).search([])
        with self.assertRaises(AccessError):
            contract.with_user(public).read(["name", "balance"])


@tagged("post_install", "-at_install")
class TestCompanyIsolation(AccessCommon):
    def test_users_of_company_a_see_nothing_of_company_b(self):
        other_company = self.setup_other_company()["company"]
        other_company._miko_setup_support_accounting()
        partner_b = self.env["res.partner"].create(
            {"name": "ООО «Бета»", "is_company": True, "company_id": other_company.id}
        )
        contract_b = (
            self.env["miko.support.contract"]
            .with_company(other_company)
            .create({"partner_id": partner_b.id, "company_id": other_company.id})
        )
        contract_b.set_hourly_rate(1700, date(2026, 1, 1))
        self.consume(contract_b, date(2026, 10, 14), 30, 850.0)
        licence_b = self.env["miko.support.licence"].create(
            {"contract_id": contract_b.id, "registration_number": "B-0001", "product_name": PRODUCT}
        )
        records_b = {
            "miko.support.contract": contract_b,
            "miko.support.wallet.entry": contract_b.entry_ids,
            "miko.support.rate": contract_b.rate_ids,
            "miko.support.licence": licence_b,
        }
        for role in ("engineer", "sales", "finance", "manager"):
            user = self.users[role]
            for model, records in records_b.items():
                self.assertTrue(records, model)
                Model = self.env[model].with_user(user)
                if not Model.has_access("read"):
                    continue
                self.assertFalse(Model.search([("id", "in", records.ids)]), f"{role} {model}")
                with self.assertRaises(AccessError, msg=f"{role} {model}"):
                    records.with_user(user).read(["id"])


@tagged("post_install", "-at_install")
class TestPortalIsolation(HttpCase, AccessCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user.password = "miko_portal_pw"
        cls.contract_a = cls.prepaid_contract(amount=10000.0)
        cls.contract_b = cls.prepaid_contract(partner=cls.other_customer, amount=7000.0)
        cls.other_customer.write(
            {
                "vat": "7707083893",
                "miko_kpp": "773601001",
                "street": "ул. Вавилова, д. 19",
                "city": "Москва",
                "zip": "117312",
                "miko_edo_id": "2BE-7707083893-773601001-20200101000000000009",
            }
        )
        cls.consume(cls.contract_b, date(2026, 10, 14), 198, 5610.0)
        cls.upd_b = cls.env["miko.support.upd"].generate_for_month(2026, 10, cls.contract_b.ids)

    @staticmethod
    def search_or_nothing(model, domain):
        try:
            return model.search(domain)
        except AccessError:
            return model.browse()

    def test_portal_rpc_gets_nothing_of_b(self):
        self.assertTrue(self.upd_b.xml_attachment_id)
        env_a = self.env(user=self.portal_user)
        for model, records in (
            ("miko.support.contract", self.contract_b),
            ("miko.support.wallet.entry", self.contract_b.entry_ids),
            ("miko.support.upd", self.upd_b),
            ("ir.attachment", self.upd_b.xml_attachment_id),
        ):
            self.assertFalse(self.search_or_nothing(env_a[model], [("id", "in", records.ids)]))
            with self.assertRaises(AccessError, msg=model):
                records.with_user(self.portal_user).read(["display_name"])
        self.assertFalse(
            self.search_or_nothing(
                env_a["ir.attachment"], [("res_model", "=", "miko.support.upd")]
            ),
            "portal users read UPD files only through the checked portal routes",
        )
        self.assertEqual(env_a["miko.support.contract"].search([]), self.contract_a)

    def test_portal_urls_and_tokens_get_nothing_of_b(self):
        self.authenticate(self.portal_user.login, "miko_portal_pw")
        attachment = self.upd_b.xml_attachment_id
        token_a = self.contract_a._portal_ensure_token()
        for url in (
            f"/web/content/{attachment.id}",
            f"/web/content/{attachment.id}?download=true",
            f"/web/content/miko.support.upd/{self.upd_b.id}/xml_attachment_id",
            f"/my/support/{self.contract_b.id}/upd/{self.upd_b.id}/xml",
            f"/my/support/{self.contract_b.id}/upd/{self.upd_b.id}/pdf",
            f"/my/support/{self.contract_a.id}/upd/{self.upd_b.id}/xml",
            f"/my/support/{self.contract_a.id}/upd/{self.upd_b.id}/pdf",
            f"/my/support/{self.contract_b.id}?access_token={token_a}",
            f"/my/support/{self.contract_b.id}/statement?date_from=2026-10-01"
            f"&date_to=2026-10-31&access_token={token_a}",
        ):
            response = self.url_open(url)
            self.assertIn(response.status_code, (403, 404), url)
            self.assertNotIn(self.contract_b.name.encode(), response.content, url)
            self.assertNotIn(self.upd_b.name.encode(), response.content, url)
            self.assertNotIn(b"<?xml", response.content[:64], url)
        page = self.url_open("/my/support")
        self.assertIn(self.contract_a.name, page.text)
        self.assertNotIn(self.contract_b.name, page.text)

    def test_public_request_form_reveals_nothing(self):
        self.authenticate(None, None)
        licence_b = self.env["miko.support.licence"].create(
            {
                "contract_id": self.contract_b.id,
                "registration_number": "SECRET-42",
                "product_name": PRODUCT,
            }
        )
        page = self.url_open("/support/request")
        self.assertEqual(page.status_code, 200)
        for secret in (
            self.contract_b.name,
            self.contract_a.name,
            licence_b.registration_number,
            self.other_customer.name,
        ):
            self.assertNotIn(secret, page.text)
        for url in (
            f"/my/support/{self.contract_b.id}",
            f"/my/support/{self.contract_b.id}/upd/{self.upd_b.id}/xml",
            f"/web/content/{self.upd_b.xml_attachment_id.id}",
        ):
            response = self.url_open(url)
            self.assertNotIn(self.contract_b.name.encode(), response.content, url)
            self.assertNotIn(b"<?xml", response.content[:64], url)
        user = self.env.ref("base.public_user")
        with self.assertRaises(AccessError):
            self.env["miko.support.licence"].with_user(user).search_read(
                [], ["registration_number"]
            )
        with self.assertRaises(AccessError):
            self.env["project.task"].with_user(user).search_read(
                [("project_id.name", "ilike", "support")], ["name"]
            )
