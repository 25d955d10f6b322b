from zoneinfo import ZoneInfo

from odoo import api, fields, models

from odoo.addons.base.models.res_partner import _tz_get

from .i18n_terms import store_in_all_languages

MOSCOW_TZ = "Europe/Moscow"


class ResCompany(models.Model):
    _inherit = "res.company"

    miko_kpp = fields.Char(related="partner_id.miko_kpp", readonly=False, string="KPP")
    miko_ogrn = fields.Char(related="partner_id.miko_ogrn", readonly=False, string="OGRN/OGRNIP")
    miko_postal_address = fields.Text(
        related="partner_id.miko_postal_address", readonly=False, string="Postal Address"
    )
    miko_edo_id = fields.Char(
        related="partner_id.miko_edo_id", readonly=False, string="EDI Participant ID"
    )
    miko_director_id = fields.Many2one(
        "res.partner",
        string="Director",
        help="Signs documents as the head of the organisation; the job position is printed.",
    )
    miko_chief_accountant_id = fields.Many2one("res.partner", string="Chief Accountant")
    miko_support_tz = fields.Selection(
        "_tz_get",
        string="Support Time Zone",
        default=MOSCOW_TZ,
        help="Calendar days of billing and support hours are counted in this time zone.",
    )
    miko_advance_account_id = fields.Many2one(
        "account.account",
        string="Advances Received Account",
        check_company=True,
        help="Income account of prepayment invoices: the advance until a UPD consumes it.",
    )
    miko_revenue_account_id = fields.Many2one(
        "account.account",
        string="Support Revenue Account",
        check_company=True,
        help="Revenue posted by the monthly UPD.",
    )
    miko_prepayment_product_id = fields.Many2one(
        "product.product",
        string="Prepaid Support Product",
        check_company=True,
        help="Service product of prepayment invoices.",
    )
    miko_prepayment_journal_id = fields.Many2one(
        "account.journal",
        string="Prepayment Invoice Journal",
        check_company=True,
        domain=[("type", "=", "sale")],
        help="Sales journal of the prepayment invoices («счёт на оплату»), numbered apart from "
        "the tax invoices of the default sales journal.",
    )
    miko_auto_suspend = fields.Boolean(
        string="Suspend Debtors Automatically",
        help="Every day, suspend the active contracts whose balance has been negative, or whose "
        "invoice has been unpaid after its due date, for longer than the grace period.",
    )
    miko_suspend_grace_days = fields.Integer(
        string="Suspension Grace Days",
        default=14,
        help="Days a debt may last before the contract is suspended automatically.",
    )

    _miko_suspend_grace_days_positive = models.Constraint(
        "CHECK(miko_suspend_grace_days >= 0)",
        "The suspension grace period cannot be negative.",
    )
    miko_upd_xsd_path = fields.Char(
        string="UPD XSD Path",
        help="Path on the server of an FNS seller's title schema 5.03 to validate every generated "
        "UPD XML against instead of the one shipped with the module (data/xsd).",
    )
    miko_edi_provider = fields.Selection(
        [("manual", "Manual (download and upload)"), ("diadoc", "Kontur.Diadoc API")],
        string="EDI Operator",
        default="manual",
    )
    miko_diadoc_url = fields.Char(string="Diadoc API URL", default="https://diadoc-api.kontur.ru")
    miko_diadoc_client_id = fields.Char(string="Diadoc API Client ID", groups="base.group_system")
    miko_diadoc_login = fields.Char(string="Diadoc Login", groups="base.group_system")
    miko_diadoc_password = fields.Char(string="Diadoc Password", groups="base.group_system")
    miko_diadoc_box_id = fields.Char(string="Diadoc Box ID")

    def _miko_support_today(self):
        """Today's date in the company's support time zone."""
        self.ensure_one()
        return fields.Datetime.context_timestamp(
            self.with_context(tz=self.miko_support_tz or MOSCOW_TZ), fields.Datetime.now()
        ).date()

    def _miko_support_zone(self):
        """The company's support time zone as a ``ZoneInfo`` (Moscow when unset)."""
        self.ensure_one()
        return ZoneInfo(self.miko_support_tz or MOSCOW_TZ)

    @api.model
    def _tz_get(self):
        return _tz_get(self)

    def _miko_setup_support_accounting(self):
        """Create the advance/revenue accounts and the prepaid product where they are missing."""
        Account = self.env["account.account"].sudo()
        for company in self:
            if (
                not self.env["account.journal"]
                .sudo()
                .search_count([("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
            ):
                continue  # no chart of accounts yet: configured when one is installed
            scoped = Account.with_company(company)
            if not company.miko_advance_account_id:
                company.miko_advance_account_id = scoped.search(
                    [("code", "=", "620200"), ("company_ids", "in", company.id)], limit=1
                ) or store_in_all_languages(
                    scoped.create(
                        {
                            "code": "620200",
                            "name": "Advances received for technical support",
                            "account_type": "liability_current",
                            "company_ids": [fields.Command.set(company.ids)],
                        }
                    ),
                    "name",
                    lambda env: env._("Advances received for technical support"),
                )
            if not company.miko_revenue_account_id:
                company.miko_revenue_account_id = scoped.search(
                    [("code", "=", "900100"), ("company_ids", "in", company.id)], limit=1
                ) or store_in_all_languages(
                    scoped.create(
                        {
                            "code": "900100",
                            "name": "Revenue from technical support",
                            "account_type": "income",
                            "company_ids": [fields.Command.set(company.ids)],
                        }
                    ),
                    "name",
                    lambda env: env._("Revenue from technical support"),
                )
            if not company.miko_prepayment_product_id:
                company.miko_prepayment_product_id = store_in_all_languages(
                    self.env["product.product"]
                    .sudo()
                    .create(
                        {
                            "name": "Prepaid technical support",
                            "type": "service",
                            "company_id": company.id,
                            "list_price": 0.0,
                            "taxes_id": [fields.Command.clear()],
                            "property_account_income_id": company.miko_advance_account_id.id,
                        }
                    ),
                    "name",
                    lambda env: env._("Prepaid technical support"),
                )

    def _miko_prepayment_journal(self):
        """The sales journal of prepayment invoices, created on first use.

        A prepayment invoice is a «счёт на оплату», not a «счёт-фактура»: it gets a journal of its
        own whose code (``Счёт`` in Russian) makes its numbers, not the «СЧФ» of the default sales
        journal.
        """
        self.ensure_one()
        journal = self.sudo().miko_prepayment_journal_id
        if journal:
            return journal
        Journal = self.env["account.journal"].sudo().with_company(self)
        env = self.with_context(lang=self.partner_id.lang or self.env.lang).env
        code = env._("PINV")
        taken = set(Journal.search([("company_id", "=", self.id)]).mapped("code"))
        suffix = 1
        while code in taken:
            code = f"{env._('PINV')[:4]}{suffix}"
            suffix += 1
        journal = Journal.create(
            {
                "name": "Invoices for Payment",
                "code": code,
                "type": "sale",
                "company_id": self.id,
                "sequence": 50,
            }
        )
        store_in_all_languages(journal, "name", lambda env: env._("Invoices for Payment"))
        self.sudo().miko_prepayment_journal_id = journal
        return journal

    def _miko_demo_trust_bank_accounts(self):
        """Trust the demo company's own bank accounts, as its administrator would.

        The demo is generated by a ``<function>`` of a data file, outside Odoo's install mode, so
        the accounts it creates stay untrusted and posting a prepayment invoice would fail for
        every user who may not trust a bank account (sales, finance).
        """
        accounts = (
            self.env["res.partner.bank"]
            .sudo()
            .search([("partner_id", "in", self.partner_id.ids), ("allow_out_payment", "=", False)])
        )
        accounts.with_context(install_mode=True).allow_out_payment = True

    @api.model
    def _miko_demo_populate(self, company_ids, today=None):
        """Demo data of ``company_ids`` as it would stand on ``today`` (default: the user's
        today); see :mod:`..demo.generator`."""
        from ..demo import generator

        companies = self.browse(company_ids)
        result = generator.populate(self.env, companies, today)
        companies._miko_demo_trust_bank_accounts()
        companies._miko_demo_only_company()
        return result

    @api.model
    def _miko_demo_languages(self):
        """The demo reads in Russian and in English whichever language the database was created
        with: both are installed (Russian with the terms of the installed modules), so that each
        user can switch in their preferences."""
        Lang = self.env["res.lang"]
        for code in ("en_US", "ru_RU"):
            if code in dict(Lang.get_installed()):
                continue
            Lang._activate_lang(code)
            if code != "en_US":
                installed = self.env["ir.module.module"].search([("state", "=", "installed")])
                installed._update_translations(code)
        return True

    def _miko_demo_only_company(self):
        """The demo company is the only one of the administrator, as it is of the demo users:
        the companies of Odoo's own demo stay (the base data and the crons' user belong to
        them, archiving them is not safe) but leave the company switcher. The company writes
        its chatter notes in Russian."""
        admin = self.env.ref("base.user_admin")
        admin.write({"company_id": self[:1].id, "company_ids": [fields.Command.set(self.ids)]})
        self.partner_id.lang = "ru_RU"
