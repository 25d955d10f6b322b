"""Settings / Support Contracts: the company's support parameters and the system parameters."""

from lxml import etree

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools.safe_eval import safe_eval


@tagged("post_install", "-at_install")
class TestSupportSettings(TransactionCase):
    def params(self):
        return self.env["ir.config_parameter"].sudo()

    def test_settings_write_the_company_and_the_system_parameters(self):
        company = self.env.company
        settings = self.env["res.config.settings"].create(
            {
                "miko_support_tz": "Asia/Yekaterinburg",
                "miko_auto_suspend": True,
                "miko_suspend_grace_days": 21,
                "miko_edi_provider": "diadoc",
                "miko_diadoc_client_secret": "secret-key",
                "miko_upd_xsd_path": "/srv/xsd/ON_NSCHFDOPPR_1_997_01_05_03_01.xsd",
                "miko_request_rate_limit": 3,
                "miko_request_rate_minutes": 15,
                "miko_request_max_upload_mb": 25,
                "miko_email_minutes": 7,
                "miko_import_max_upload_mb": 50,
            }
        )
        settings.execute()
        self.assertEqual(company.miko_support_tz, "Asia/Yekaterinburg")
        self.assertTrue(company.miko_auto_suspend)
        self.assertEqual(company.miko_suspend_grace_days, 21)
        self.assertEqual(company.miko_edi_provider, "diadoc")
        self.assertEqual(company.miko_diadoc_client_secret, "secret-key")
        self.assertTrue(company.miko_upd_xsd_path.endswith("05_03_01.xsd"))
        params = self.params()
        prefix = "miko_support_contract."
        self.assertEqual(params.get_param(prefix + "request_rate_limit"), "3")
        self.assertEqual(params.get_param(prefix + "request_rate_minutes"), "15")
        self.assertEqual(params.get_param(prefix + "request_max_upload_mb"), "25")
        self.assertEqual(params.get_param(prefix + "email_minutes"), "7")
        self.assertEqual(params.get_param(prefix + "import_max_upload_mb"), "50")
        # the readers see the new values
        self.assertEqual(self.env["miko.support.capture"]._max_upload_bytes(), 50 * 1024 * 1024)
        # a new settings page shows what was saved
        again = self.env["res.config.settings"].create({})
        self.assertEqual(again.miko_email_minutes, 7)
        self.assertEqual(again.miko_request_rate_limit, 3)

    def test_defaults_are_the_ones_the_code_uses(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.miko_request_rate_limit, 5)
        self.assertEqual(settings.miko_request_rate_minutes, 10)
        self.assertEqual(settings.miko_request_max_upload_mb, 10)
        self.assertEqual(settings.miko_email_minutes, 5)
        self.assertEqual(settings.miko_import_max_upload_mb, 20)

    def test_a_limit_of_zero_is_refused_naming_the_field(self):
        before = self.params().get_param("miko_support_contract.request_rate_limit")
        with self.assertRaisesRegex(ValidationError, "Requests per Address.*0"):
            self.env["res.config.settings"].create({"miko_request_rate_limit": 0})
        with self.assertRaisesRegex(ValidationError, "Minutes per E-mail.*-1"):
            self.env["res.config.settings"].create({"miko_email_minutes": -1})
        self.assertEqual(
            self.params().get_param("miko_support_contract.request_rate_limit"), before
        )

    def test_errors_sending_to_the_settings_find_their_fields_there(self):
        # "configure them in Settings / Support Contracts": the accounts, the product, the
        # director and the EDI operator are on that page
        arch = etree.fromstring(
            self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        )
        app = arch.xpath("//*[@name='miko_support_contract']")
        self.assertTrue(app)
        self.assertEqual(app[0].get("string"), "Support Contracts")
        shown = set(app[0].xpath(".//field/@name"))
        for name in (
            "miko_support_tz",
            "miko_advance_account_id",
            "miko_revenue_account_id",
            "miko_prepayment_product_id",
            "miko_director_id",
            "miko_edi_provider",
            "miko_diadoc_client_secret",
            "miko_diadoc_refresh_token",
            "miko_upd_xsd_path",
            "miko_auto_suspend",
            "miko_suspend_grace_days",
            "miko_request_rate_limit",
            "miko_request_max_upload_mb",
        ):
            self.assertIn(name, shown)
        action = self.env.ref("miko_support_contract.miko_support_config_settings_action")
        self.assertEqual(safe_eval(action.context)["module"], "miko_support_contract")
