"""The demo reads right in Russian and English and looks like a real vendor."""

from odoo.tests import TransactionCase, tagged

DEMO_LOGINS = ("volkov", "lebedeva", "zaitsev", "orlova", "osipova", "romashka")


@tagged("post_install", "-at_install")
class TestDemoVendor(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("miko_support_contract.company_miko_demo")

    def test_demo_in_russian_and_english(self):
        installed = dict(self.env["res.lang"].get_installed())
        self.assertIn("en_US", installed, "users can switch to English")
        self.assertIn("ru_RU", installed)
        self.assertEqual(self.company.partner_id.lang, "ru_RU", "staff notes in Russian")
        users = self.env["res.users"].search([("login", "in", DEMO_LOGINS)])
        self.assertEqual(set(users.mapped("lang")), {"ru_RU"})
        product = self.company.miko_prepayment_product_id
        self.assertEqual(product.with_context(lang="en_US").name, "Prepaid technical support")
        self.assertEqual(
            product.with_context(lang="ru_RU").name, "Предоплаченная техническая поддержка"
        )
        project = self.env["project.project"]._miko_support_project(self.company)
        self.assertEqual(project.with_context(lang="en_US").name, "Support")
        self.assertEqual(project.with_context(lang="ru_RU").name, "Поддержка")

    def test_demo_company_has_logo_and_footer_and_is_the_only_one(self):
        self.assertTrue(self.company.logo)
        self.assertIn("7701150631", str(self.company.report_footer))
        admin = self.env.ref("base.user_admin")
        self.assertEqual(admin.company_ids, self.company, "no demo company in the switcher")
        self.assertEqual(admin.company_id, self.company)
        users = self.env["res.users"].search([("login", "in", DEMO_LOGINS)])
        self.assertEqual(len(users), len(DEMO_LOGINS))
        for user in users:
            self.assertEqual(user.company_ids, self.company, user.login)

    def test_activity_pivot_measures_minutes(self):
        Activity = self.env["miko.support.activity"]
        domain = [("company_id", "=", self.company.id)]
        [(minutes, seconds)] = Activity._read_group(
            domain, [], ["raw_minutes:sum", "raw_seconds:sum"]
        )
        self.assertTrue(seconds)
        self.assertAlmostEqual(minutes, seconds / 60.0, places=6)
        self.assertAlmostEqual(minutes, sum(Activity.search(domain).mapped("raw_seconds")) / 60)
        fields = Activity.fields_get(["raw_minutes", "raw_seconds"], ["aggregator"])
        self.assertEqual(fields["raw_minutes"].get("aggregator"), "sum")
        self.assertFalse(fields["raw_seconds"].get("aggregator"), "seconds are not a measure")
        arch = Activity.get_views([(False, "pivot")])["views"]["pivot"]["arch"]
        self.assertIn('name="raw_minutes" type="measure"', arch)
        self.assertNotIn("raw_seconds", arch)
