"""The demo as it would stand on a given day.

:func:`populate` builds the vendor's accounting, five customers with contracts in every state,
five weeks of activities and last month's UPDs, all dated relative to ``today``, so that the demo
installs on any day of the year: every activity lies inside its contract's effective period (from
the first payment on), last month's UPDs are issued after that month ended and delivered after
their date. ``tests/test_demo_dates.py`` runs it for every day of a month, leap days and year ends.
"""

import random
from datetime import datetime, timedelta

from odoo import fields

ENGINEERS = ("volkov", "lebedeva", "zaitsev")
SUBJECTS = {
    "call_out": "Исходящий звонок на 7985{:07d}",
    "call_in": "Входящий звонок с 7495{:07d}",
    "remote": "Удалённое подключение [264488246]",
    "email_out": "Исходящее письмо №2026{:08d}",
    "analysis": "Анализ технического задания",
    "instructions": "Написание инструкции по настройке",
}
DESCRIPTIONS = (
    "Настроили всплывающую карточку звонка в 1С, проверили на двух рабочих местах",
    "Разобрали журнал звонков: пропущенные вызовы не попадали в 1С из-за фильтра",
    "Обновили модуль интеграции до 2026.3, проверили маршрутизацию",
)


def populate(env, company, today=None, licence_prefix=""):
    """Demo of ``company`` on ``today`` (a date; default: the user's today).

    ``licence_prefix`` makes the registration numbers unique when the demo is generated again
    beside an existing one (the date-sweep test does so in a second company).
    """
    today = fields.Date.to_date(today) or fields.Date.context_today(env["res.company"])
    env = env(context=dict(env.context, allowed_company_ids=company.ids))
    company = company.with_env(env)
    _setup_accounting(env, company)
    contracts = _contracts(env, company, today, licence_prefix)
    _activities(env, contracts, today)
    _upds(env, contracts, today)
    return True


def _setup_accounting(env, company):
    if not env["account.journal"].search_count([("company_id", "=", company.id)], limit=1):
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    rub = env.ref("base.RUB")
    if company.currency_id != rub:  # the generic chart brings its own currency (USD)
        company.currency_id = rub
    company._miko_setup_support_accounting()
    bank_account = env["res.partner.bank"].search(
        [("partner_id", "=", company.partner_id.id)], limit=1
    ) or env["res.partner.bank"].create(
        {
            "acc_number": "40702810500000012345",
            "bank_id": env.ref("miko_support_contract.bank_demo").id,
            "partner_id": company.partner_id.id,
            "company_id": company.id,
            "allow_out_payment": True,
        }
    )
    env["account.journal"].search(
        [("company_id", "=", company.id), ("type", "=", "bank")], limit=1
    ).bank_account_id = bank_account
    admin = env.ref("base.user_admin")
    admin.write({"company_ids": [fields.Command.link(company.id)], "company_id": company.id})
    users = [env.ref(f"miko_support_contract.user_engineer_{name}_demo") for name in ENGINEERS]
    for user in [*users, admin]:
        if not user.employee_ids.filtered(lambda e: e.company_id == company):
            env["hr.employee"].create(
                {"name": user.name, "user_id": user.id, "company_id": company.id}
            )


def _contracts(env, company, today, licence_prefix):
    ref = env.ref
    Contract = env["miko.support.contract"]
    salesperson = ref("miko_support_contract.user_sales_demo")

    def contract(partner_xmlid, rate, licences, **extra):
        partner = ref(f"miko_support_contract.{partner_xmlid}")
        record = Contract.create(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "user_id": salesperson.id,
                "contact_ids": [fields.Command.set((partner | partner.child_ids).ids)],
                "registration_email": partner.child_ids[:1].email or partner.email,
                "licence_ids": [
                    fields.Command.create(
                        {"registration_number": licence_prefix + number, "product_name": product}
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
    return romashka | vector | uralprom


def _effective(contract, day):
    """Whether the demo may log work on ``day`` for ``contract`` (its effective period)."""
    return (
        contract.date_start
        and contract.date_start <= day
        and (not contract.date_end or day <= contract.date_end)
    )


def _activities(env, contracts, today):
    """Five weeks of calls, e-mails and remote sessions (overlaps, a vendor bug, a session across
    midnight) inside each contract's effective period, billed and charged; one imported call
    waits to be assigned."""
    engineers = [env.ref(f"miko_support_contract.user_engineer_{name}_demo") for name in ENGINEERS]
    for user, extension in zip(engineers, ("101", "102", "103"), strict=True):
        user.write({"miko_pbx_extension": extension, "miko_teamviewer_ref": user.name})
    romashka, vector = contracts[0], contracts[1]
    device = env["miko.support.remote.device"].search([("device_ref", "=", "264488246")], limit=1)
    if not device:
        env["miko.support.remote.device"].create(
            {"name": "BUH-01", "device_ref": "264488246", "contract_id": romashka.id}
        )
    rng = random.Random(20261125)  # reproducible demo data
    records = []
    for contract, intensity in zip(contracts, (0.3, 0.7, 0.2), strict=False):
        for days_ago in range(35, 0, -1):
            day = today - timedelta(days=days_ago)
            if day.weekday() >= 5 or rng.random() > intensity or not _effective(contract, day):
                continue
            for number in range(rng.randint(1, 2)):
                kind = rng.choice(list(SUBJECTS))
                hour, minute = rng.randint(9, 17), rng.randint(0, 59)
                minutes = rng.randint(3, 25)
                start = datetime(day.year, day.month, day.day, hour, minute)
                end = start + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
                records.append(
                    _record(
                        contract,
                        rng.choice(engineers),
                        kind,
                        start,
                        end,
                        subject=SUBJECTS[kind].format(rng.randint(0, 9999999)),
                        source_ref=f"{contract.company_id.id}-{contract.name}-{day.isoformat()}-{number}",
                    )
                )
    day = today - timedelta(days=3)
    session = datetime(day.year, day.month, day.day, 14, 0)
    records += [
        _record(
            romashka,
            engineers[0],
            "remote",
            session,
            session + timedelta(minutes=40),
            subject="Удалённое подключение [264488246]",
            description="Настройка интеграции телефонии с 1С",
            source_ref=f"{romashka.company_id.id}-{romashka.name}-overlap-session",
        ),
        _record(
            romashka,
            engineers[0],
            "call_out",
            session + timedelta(minutes=10),
            session + timedelta(minutes=15),
            subject="Исходящий звонок на 79851234567",
            description="Звонок во время сеанса: не оплачивается дважды",
            source_ref=f"{romashka.company_id.id}-{romashka.name}-overlap-call",
        ),
        _record(
            romashka,
            engineers[1],
            "db_analysis",
            session + timedelta(hours=9, minutes=30),
            session + timedelta(hours=10, minutes=20),
            subject="Анализ базы данных клиента",
            description="Работа после полуночи делится на два дня",
            source_ref=f"{romashka.company_id.id}-{romashka.name}-midnight",
        ),
    ]
    result = env["miko.support.contract"].register_activities(records)
    if result["errors"]:
        raise ValueError(f"demo activities refused: {result['errors']}")
    env["miko.support.contract"]._cron_post_consumption()
    day_lines = env["account.analytic.line"].search(
        [("miko_contract_id", "in", contracts.ids)], order="date desc", limit=9
    )
    for line, description in zip(day_lines, DESCRIPTIONS * 3, strict=False):
        line.name = description
    env["miko.support.activity"].search(
        [("contract_id", "=", vector.id)], limit=1
    ).action_mark_vendor_bug("BUG-1042", "2026.3")
    unknown_call = (
        '"","101","84957778899","from-internal","""Волков"" <101>","SIP/101-1",'
        '"SIP/trunk-2","Dial","SIP/trunk/84957778899","{day} 12:00:00","{day} 12:00:05",'
        '"{day} 12:07:05",425,420,"ANSWERED","DOCUMENTATION","1790000000.1",""\n'
    ).format(day=(today - timedelta(days=1)).isoformat())
    env["miko.support.activity"].import_pbx_cdr(
        unknown_call.encode(), pbx_tz=contracts.company_id._miko_support_zone().key
    )


def _record(contract, engineer, kind, start, end, *, subject, description="", source_ref=""):
    return {
        "contract": contract.id,
        "engineer": engineer.login,
        "kind": kind,
        "start": start.isoformat() + "+03:00",
        "end": end.isoformat() + "+03:00",
        "subject": subject,
        "description": description,
        "source": "demo",
        "source_ref": source_ref,
    }


def _upds(env, contracts, today):
    """Last month closed: one UPD deemed accepted after 7 days, one sent, one draft (as many as
    last month's consumption gives: a customer who started this month has none)."""
    first_of_month = today.replace(day=1)
    previous = first_of_month - timedelta(days=1)
    upds = env["miko.support.upd"].generate_for_month(previous.year, previous.month, contracts.ids)
    delivered = max(first_of_month, today - timedelta(days=10))
    for index, upd in enumerate(upds.sorted(lambda u: u.contract_id.id)):
        if index == 0:
            upd.action_send()
            upd.mark_delivered(delivered)
        elif index == 1:
            upd.action_send()
    upds._cron_deem_accepted()
