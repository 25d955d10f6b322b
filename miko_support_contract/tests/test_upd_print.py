"""The printed UPD is the recommended form: status box, lines (1)–(8), the table with columns
А, Б, 1–13, the lower part [8]–[19] with its signers; the счёт-фактура parts marked «—» for a
status-2 UPD («ДОП»)."""

import io
import re
from datetime import date

from odoo.tests import HttpCase, tagged
from odoo.tools.pdf import PdfReader

from .common_upd import MikoUpdCommon

COLUMNS = "А Б 1 1а 1б 2 2а 3 4 5 6 7 8 9 10 10а 11 12 12а 13"


@tagged("post_install", "-at_install")
class TestUpdPrint(HttpCase, MikoUpdCommon):
    def upd(self):
        self.customer.lang = "ru_RU"
        contract = self.prepaid_contract()
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        return self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)

    def test_recommended_form_layout(self):
        upd = self.upd()
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "miko_support_contract.action_report_upd", upd.ids
        )
        html = html.decode().replace("\u00a0", " ")
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
        self.assertRegex(html, r"o_miko_upd_status[^>]*>2<")
        header = re.search(r'<tr class="o_miko_upd_columns">(.*?)</tr>', html, re.S).group(1)
        self.assertEqual(" ".join(re.findall(r"<th>([^<]*)</th>", header)), COLUMNS)
        for marker in ("(1)", "(1а)", "(2)", "(2а)", "(2б)", "(3)", "(4)", "(5)", "(5а)", "(6)"):
            self.assertIn(marker, text)
        for marker in ("(6а)", "(6б)", "(7)", "(8)", "Всего к оплате (9)"):
            self.assertIn(marker, text)
        for number in range(8, 20):
            self.assertEqual(text.count(f"[{number}]"), 1, f"[{number}]")
        # status 2: the счёт-фактура lines are not applicable
        for label in (
            "Грузоотправитель и его адрес:",
            "Грузополучатель и его адрес:",
            "К платежно-расчетному документу №",
            "договора (соглашения) (при наличии):",
        ):
            self.assertRegex(text, re.escape(label) + r" — \(\d\)", label)
        self.assertIn("Исправление № — от — (1а)", text)
        self.assertIn(f"№ п/п 1 № {upd.name} от {upd.date.strftime('%d.%m.%Y')} (5а)", text)
        self.assertIn("Российский рубль, 643 (7)", text)
        for amount in ("1 700,00", "5 610,00", "3,3"):
            self.assertIn(f" {amount} ", text)
        self.assertIn("Смирнов Андрей Петрович", text)  # signs as head and [10], [13]
        self.assertEqual(text.count("Смирнов Андрей Петрович"), 3)

    def test_recommended_form_renders_as_a_pdf(self):
        upd = self.upd()
        pdf, _kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("miko_support_contract.action_report_upd", upd.ids)
        )
        reader = PdfReader(io.BytesIO(pdf))
        self.assertEqual(len(reader.pages), 1, "the form fits one landscape page")
        text = re.sub(r"\s+", " ", reader.pages[0].extract_text())
        for marker in ("(1)", "(8)", "[8]", "[19]", "Всего к оплате (9)"):
            self.assertIn(marker, text)
        self.assertIn("5 610,00", text)
