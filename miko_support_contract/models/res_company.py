import random
from datetime import datetime, timedelta

from odoo import api, fields, models

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
        help="Path of the FNS seller's title schema 5.03 on the server: when set, every generated "
        "UPD XML is validated against it.",
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

    @api.model
    def _tz_get(self):
        return self.env["res.partner"]._fields["tz"].selection(self.env["res.partner"])

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
                ) or scoped.create(
                    {
                        "code": "620200",
                        "name": self.env._("Advances received for technical support"),
                        "account_type": "liability_current",
                        "company_ids": [fields.Command.set(company.ids)],
                    }
                )
            if not company.miko_revenue_account_id:
                company.miko_revenue_account_id = scoped.search(
                    [("code", "=", "900100"), ("company_ids", "in", company.id)], limit=1
                ) or scoped.create(
                    {
                        "code": "900100",
                        "name": self.env._("Revenue from technical support"),
                        "account_type": "income",
                        "company_ids": [fields.Command.set(company.ids)],
                    }
                )
            if not company.miko_prepayment_product_id:
                company.miko_prepayment_product_id = (
                    self.env["product.product"]
                    .sudo()
                    .create(
                        {
                            "name": self.env._("Prepaid technical support"),
                            "type": "service",
                            "company_id": company.id,
                            "list_price": 0.0,
                            "taxes_id": [fields.Command.clear()],
                            "property_account_income_id": company.miko_advance_account_id.id,
                        }
                    )
                )

    @api.model
    def _miko_demo_populate(self, company_ids):
        """Demo: the vendor's chart, bank account, engineers' employees and contracts in every
        state, with paid and unpaid prepayment invoices (dates relative to today)."""
        company = self.browse(company_ids)
        env = self.env(context=dict(self.env.context, allowed_company_ids=company.ids))
        company = company.with_env(env)
        if not env["account.journal"].search_count([("company_id", "=", company.id)], limit=1):
            env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        rub = env.ref("base.RUB")
        if company.currency_id != rub:  # the generic chart brings its own currency (USD)
            company.currency_id = rub
        company._miko_setup_support_accounting()
        ref = env.ref
        bank_account = env["res.partner.bank"].search(
            [("partner_id", "=", company.partner_id.id)], limit=1
        ) or env["res.partner.bank"].create(
            {
                "acc_number": "40702810500000012345",
                "bank_id": ref("miko_support_contract.bank_demo").id,
                "partner_id": company.partner_id.id,
                "company_id": company.id,
                "allow_out_payment": True,
            }
        )
        env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "bank")], limit=1
        ).bank_account_id = bank_account
        admin = ref("base.user_admin")
        admin.write({"company_ids": [fields.Command.link(company.id)], "company_id": company.id})
        for xmlid in ("volkov", "lebedeva", "zaitsev"):
            user = ref(f"miko_support_contract.user_engineer_{xmlid}_demo")
            if not user.employee_ids:
                env["hr.employee"].create(
                    {"name": user.name, "user_id": user.id, "company_id": company.id}
                )
        if not admin.employee_ids.filtered(lambda e: e.company_id == company):
            env["hr.employee"].create(
                {"name": admin.name, "user_id": admin.id, "company_id": company.id}
            )
        today = fields.Date.context_today(self)
        Contract = env["miko.support.contract"]

        def contract(partner_xmlid, rate, licences, **extra):
            partner = ref(f"miko_support_contract.{partner_xmlid}")
            record = Contract.create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "contact_ids": [fields.Command.set((partner | partner.child_ids).ids)],
                    "registration_email": partner.child_ids[:1].email or partner.email,
                    "licence_ids": [
                        fields.Command.create(
                            {"registration_number": number, "product_name": product}
                        )
                        for number, product in licences
                    ],
                    **extra,
                }
            )
            record.set_hourly_rate(rate, today - timedelta(days=365))
            return record

        def pay(invoice, amount, days_ago):
            invoice.action_post()
            env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create(
                {"payment_date": today - timedelta(days=days_ago), "amount": amount}
            )._create_payments()

        romashka = contract(
            "partner_romashka_demo",
            1700,
            [("PT-100234", "panel_1c"), ("CL-220871", "call_log_1c")],
            low_balance_amount=3400,
        )
        pay(romashka.create_prepayment_invoice(hours=10), 17000, 40)
        pay(romashka.create_prepayment_invoice(hours=4), 5000, 10)  # partly paid

        vector = contract(
            "partner_vector_demo",
            2000,
            [("SR-310045", "smart_routing_1c")],
            low_balance_type="minutes",
            low_balance_minutes=120,
        )
        pay(vector.create_prepayment_invoice(amount=20000), 20000, 25)

        technostroy = contract("partner_technostroy_demo", 1700, [("AS-400017", "askozia_1c")])
        technostroy.create_prepayment_invoice(hours=8).action_post()  # unpaid: still draft

        nordwind = contract(
            "partner_nordwind_demo", 1800, [("PT-100777", "panel_1c")], upd_channel="post"
        )
        pay(nordwind.create_prepayment_invoice(hours=2), 3600, 60)
        env["miko.support.wallet.entry"]._post_adjustment(
            nordwind,
            -5400,
            env._("Support performed before the wallet module was introduced (3 h)"),
            ref("miko_support_contract.user_finance_demo"),
            on_date=today - timedelta(days=20),
        )
        nordwind.action_suspend()

        uralprom = contract("partner_uralprom_demo", 1500, [("CL-220999", "call_log_1c")])
        pay(uralprom.create_prepayment_invoice(hours=6), 9000, 90)
        uralprom.action_give_notice(today - timedelta(days=5))
        company._miko_demo_activities(romashka | vector | uralprom, today)
        return True

    def _miko_demo_activities(self, contracts, today):
        """Demo: five weeks of calls, e-mails and remote sessions (overlaps, a vendor bug, a
        session across midnight), billed and charged; one imported call waits to be assigned."""
        env = self.env
        engineers = [
            env.ref(f"miko_support_contract.user_engineer_{name}_demo")
            for name in ("volkov", "lebedeva", "zaitsev")
        ]
        for user, extension in zip(engineers, ("101", "102", "103"), strict=True):
            user.write({"miko_pbx_extension": extension, "miko_teamviewer_ref": user.name})
        romashka = contracts[0]
        env["miko.support.remote.device"].create(
            {"name": "BUH-01", "device_ref": "264488246", "contract_id": romashka.id}
        )
        rng = random.Random(20261125)  # reproducible demo data
        subjects = {
            "call_out": "Исходящий звонок на 7985{:07d}",
            "call_in": "Входящий звонок с 7495{:07d}",
            "remote": "Удалённое подключение [264488246]",
            "email_out": "Исходящее письмо №2026{:08d}",
            "analysis": "Анализ технического задания",
            "instructions": "Написание инструкции по настройке",
        }
        records = []
        for contract, intensity in zip(contracts, (0.3, 0.7, 0.2), strict=False):
            for days_ago in range(35, 0, -1):
                day = today - timedelta(days=days_ago)
                if day.weekday() >= 5 or rng.random() > intensity:
                    continue
                for number in range(rng.randint(1, 2)):
                    kind = rng.choice(list(subjects))
                    hour, minute = rng.randint(9, 17), rng.randint(0, 59)
                    minutes = rng.randint(3, 25)
                    start = datetime(day.year, day.month, day.day, hour, minute)
                    end = start + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
                    records.append(
                        {
                            "contract": contract.id,
                            "engineer": rng.choice(engineers).login,
                            "kind": kind,
                            "start": start.isoformat() + "+03:00",
                            "end": end.isoformat() + "+03:00",
                            "subject": subjects[kind].format(rng.randint(0, 9999999)),
                            "description": "",
                            "source": "demo",
                            "source_ref": f"{contract.name}-{day.isoformat()}-{number}",
                        }
                    )
        day = today - timedelta(days=3)
        session = datetime(day.year, day.month, day.day, 14, 0)
        records += [
            {
                "contract": romashka.id,
                "engineer": engineers[0].login,
                "kind": "remote",
                "start": session.isoformat() + "+03:00",
                "end": (session + timedelta(minutes=40)).isoformat() + "+03:00",
                "subject": "Удалённое подключение [264488246]",
                "description": "Настройка интеграции телефонии с 1С",
                "source": "demo",
                "source_ref": "overlap-session",
            },
            {
                "contract": romashka.id,
                "engineer": engineers[0].login,
                "kind": "call_out",
                "start": (session + timedelta(minutes=10)).isoformat() + "+03:00",
                "end": (session + timedelta(minutes=15)).isoformat() + "+03:00",
                "subject": "Исходящий звонок на 79851234567",
                "description": "Звонок во время сеанса: не оплачивается дважды",
                "source": "demo",
                "source_ref": "overlap-call",
            },
            {
                "contract": romashka.id,
                "engineer": engineers[1].login,
                "kind": "db_analysis",
                "start": (session + timedelta(hours=9, minutes=30)).isoformat() + "+03:00",
                "end": (session + timedelta(hours=10, minutes=20)).isoformat() + "+03:00",
                "subject": "Анализ базы данных клиента",
                "description": "Работа после полуночи делится на два дня",
                "source": "demo",
                "source_ref": "midnight",
            },
        ]
        env["miko.support.contract"].register_activities(records)
        env["miko.support.contract"]._cron_post_consumption()
        descriptions = [
            "Настроили всплывающую карточку звонка в 1С, проверили на двух рабочих местах",
            "Разобрали журнал звонков: пропущенные вызовы не попадали в 1С из-за фильтра",
            "Обновили модуль интеграции до 2026.3, проверили маршрутизацию",
        ]
        day_lines = env["account.analytic.line"].search(
            [("miko_contract_id", "in", contracts.ids)], order="date desc", limit=9
        )
        for line, description in zip(day_lines, descriptions * 3, strict=False):
            line.name = description
        env["miko.support.activity"].search(
            [("contract_id", "=", contracts[1].id)], limit=1
        ).action_mark_vendor_bug("BUG-1042", "2026.3")
        unknown_call = (
            '"","101","84957778899","from-internal","""Волков"" <101>","SIP/101-1",'
            '"SIP/trunk-2","Dial","SIP/trunk/84957778899","{day} 12:00:00","{day} 12:00:05",'
            '"{day} 12:07:05",425,420,"ANSWERED","DOCUMENTATION","1790000000.1",""\n'
        ).format(day=(today - timedelta(days=1)).isoformat())
        env["miko.support.activity"].import_pbx_cdr(unknown_call.encode())
        self._miko_demo_upds(contracts, today)

    def _miko_demo_upds(self, contracts, today):
        """Demo: last month closed; one UPD deemed accepted after 7 days, one sent, one draft."""
        env = self.env
        previous = today.replace(day=1) - timedelta(days=1)
        upds = env["miko.support.upd"].generate_for_month(
            previous.year, previous.month, contracts.ids
        )
        for index, upd in enumerate(upds.sorted(lambda u: u.contract_id.id)):
            if index == 0:
                upd.action_send()
                upd.mark_delivered(today - timedelta(days=10))
            elif index == 1:
                upd.action_send()
        upds._cron_deem_accepted()
