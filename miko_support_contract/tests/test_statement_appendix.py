"""The statement is Appendix 2 of the contract: lines in whole minutes, the day's total after the
union, and the closing block «Выполнено / Поступления / Итого / остаток» that always balances."""

import re
from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import format_date

from .common_upd import MikoUpdCommon

# the seed's Appendix-2 case: 24 lines on two days, 59 and 139 minutes after the union
DAY_ONE = [(f"10:{6 * i:02d}:00", f"10:{6 * i + 6:02d}:00") for i in range(9)] + [
    ("10:50:20", "10:59:00")  # 8 min 40 s: prints 9 whole minutes, inside the union
]
DAY_TWO = [
    (
        f"{14 + (10 * i) // 60}:{(10 * i) % 60:02d}:00",
        f"{14 + (10 * i + 10) // 60}:{(10 * i + 10) % 60:02d}:00",
    )
    for i in range(13)
] + [("16:05:00", "16:19:00")]


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()).replace("\u00a0", " "))


@tagged("post_install", "-at_install")
class TestStatementAppendix(MikoUpdCommon):
    def register(self, contract, day, spans, prefix):
        records = [
            {
                "contract": contract.name,
                "engineer": self.engineer.login,
                "kind": "remote",
                "start": f"{day}T{begin}+03:00",
                "end": f"{day}T{end}+03:00",
                "subject": f"Консультация {prefix}-{index}",
                "description": "Настройка обмена",
                "source": "appendix",
                "source_ref": f"{prefix}-{index}",
            }
            for index, (begin, end) in enumerate(spans)
        ]
        result = self.env["miko.support.contract"].register_activities(records)
        self.assertFalse(result["errors"], result)

    def seed_contract(self):
        contract = self.prepaid_contract(amount=6800.0, paid_on=date(2026, 10, 1))
        self.register(contract, "2026-10-06", DAY_ONE, "d1")
        self.register(contract, "2026-10-07", DAY_TWO, "d2")
        self.env["miko.support.contract"].post_consumption()
        return contract

    def render(self, contract, date_from, date_to):
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "miko_support_contract.action_report_support_statement",
            contract.ids,
            data={"date_from": str(date_from), "date_to": str(date_to)},
        )
        # the amounts without the test company's currency symbol (the layout is the point here)
        return text_of(html).replace(f"{contract.currency_id.symbol} ", "")

    def test_seed_case_prints_as_appendix_two(self):
        self.customer.lang = "ru_RU"
        contract = self.seed_contract()
        statement = contract.get_statement(date(2026, 10, 1), date(2026, 10, 31))
        lines = [line for day in statement["days"] for line in day["lines"]]
        self.assertEqual(len(lines), 24)
        self.assertEqual([day["billed_minutes"] for day in statement["days"]], [59, 139])
        self.assertEqual(sum(line["minutes"] for line in lines), 6 * 9 + 9 + 10 * 13 + 14)
        self.assertTrue(all(isinstance(line["minutes"], int) for line in lines))
        closing = {line["key"]: line for line in statement["closing"]}
        self.assertEqual(list(closing), ["performed", "receipts", "total", "closing"])
        self.assertEqual(
            [closing[key]["amount"] for key in closing], [5610.0, 6800.0, 1190.0, 1190.0]
        )
        self.assertEqual(closing["performed"]["minutes"], 198)
        text = self.render(contract, date(2026, 10, 1), date(2026, 10, 31))
        self.assertIn("Приложение № 2 к договору", text)
        self.assertIn("Выполнено за период с 01.10.2026 по 31.10.2026 5 610,00", text)
        self.assertIn("Поступления за период с 01.10.2026 по 31.10.2026 6 800,00", text)
        self.assertIn("Итого 1 190,00", text)
        self.assertIn(
            f"{self.company.partner_id.display_name} остаток на дату 31.10.2026 1 190,00", text
        )
        for header in ("Дата", "Тема", "Начало", "Окончание", "Длительность", "Партнер"):
            self.assertIn(header, text)
        # day totals after the union, whole minutes on the lines (8 min 40 s prints 9)
        self.assertRegex(text, r"Итого за день \(объединение интервалов\), мин 59 ")
        self.assertRegex(text, r"Итого за день \(объединение интервалов\), мин 139 ")
        self.assertIn("10:50 10:59 9 ", text)
        self.assertNotIn("8.67", text, "no fractional minutes")

    def test_english_labels_for_an_english_speaking_customer(self):
        self.customer.lang = "en_US"
        contract = self.seed_contract()
        text = self.render(contract, date(2026, 10, 1), date(2026, 10, 31))
        self.assertIn("Appendix No. 2 to contract", text)
        env = self.env(context=dict(self.env.context, lang="en_US"))
        period = (
            f"from {format_date(env, date(2026, 10, 1))} to {format_date(env, date(2026, 10, 31))}"
        )
        self.assertIn(f"Performed in the period {period}", text)
        self.assertIn(f"Received in the period {period}", text)
        self.assertIn("Total for the period", text)
        vendor = self.company.partner_id.display_name
        self.assertIn(f"{vendor} balance on {format_date(env, date(2026, 10, 31))}", text)
        self.assertIn("Duration, min", text)
        self.assertNotIn("Выполнено", text)

    def test_closing_block_balances_with_adjustment_late_work_and_opening(self):
        contract = self.seed_contract()
        with freeze_time("2026-11-20 12:00:00"):
            self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
            # late work of 31 October arrives in November, a manager adjusts the balance
            self.register(contract, "2026-10-31", [("10:00:00", "10:30:00")], "late")
            self.register(contract, "2026-11-03", [("10:00:00", "11:00:00")], "nov")
            self.env["miko.support.contract"].post_consumption()
            self.env["miko.support.wallet.entry"]._post_adjustment(
                contract, -100.0, "Ошибка в платеже", self.finance, on_date=date(2026, 11, 10)
            )
        statement = contract.get_statement(date(2026, 11, 1), date(2026, 11, 30))
        closing = {line["key"]: line for line in statement["closing"]}
        self.assertEqual(
            list(closing),
            ["opening", "performed", "late", "adjustments", "receipts", "total", "closing"],
        )
        self.assertEqual(closing["opening"]["amount"], 1190.0)
        self.assertEqual(closing["performed"]["amount"], 1700.0)
        self.assertEqual(closing["late"]["amount"], 850.0)
        self.assertEqual(closing["adjustments"]["amount"], -100.0)
        self.assertEqual(closing["receipts"]["amount"], 0.0)
        effects = sum(line["effect"] for line in statement["closing"] if line["effect"] is not None)
        self.assertAlmostEqual(effects, closing["total"]["amount"], places=2)
        self.assertAlmostEqual(closing["total"]["amount"], 1190.0 - 1700 - 850 - 100, places=2)
        self.assertEqual(closing["total"]["amount"], closing["closing"]["amount"])
        self.assertEqual(
            closing["closing"]["amount"], contract.wallet_balance_at(date(2026, 11, 30))
        )
        # every period: the block adds up to the ledger's balance
        for first, last in (
            (date(2026, 10, 1), date(2026, 11, 30)),
            (date(2026, 10, 7), date(2026, 11, 5)),
        ):
            block = contract.get_statement(first, last)["closing"]
            total = sum(line["effect"] for line in block if line["effect"] is not None)
            self.assertAlmostEqual(total, contract.wallet_balance_at(last), places=2)
            self.assertAlmostEqual(block[-2]["amount"], contract.wallet_balance_at(last), places=2)
        # the XLSX carries the same closing block
        xlsx = self.env["miko.support.statement"]._xlsx(
            contract, date(2026, 11, 1), date(2026, 11, 30)
        )
        self.assertTrue(xlsx.startswith(b"PK"))
