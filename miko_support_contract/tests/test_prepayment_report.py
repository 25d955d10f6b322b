from odoo import Command
from odoo.tests import tagged

from .common import VALID_ACCOUNT, VALID_BIK, VALID_CORR, MikoSupportCommon


@tagged("post_install", "-at_install")
class TestPrepaymentReport(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"vat": "7701150631", "miko_kpp": "770101001"})
        bank = cls.env["res.bank"].create(
            {"name": "АО «Банк Пример»", "bic": VALID_BIK, "miko_corr_account": VALID_CORR}
        )
        cls.company.partner_id.bank_ids = [
            Command.create(
                {"acc_number": VALID_ACCOUNT, "bank_id": bank.id, "allow_out_payment": True}
            )
        ]

    def test_payment_string_follows_gost(self):
        contract = self.create_contract()
        invoice = contract.create_prepayment_invoice(hours=4)
        invoice.action_post()
        payload = invoice._miko_payment_string()
        fields = dict(part.split("=", 1) for part in payload.split("|")[1:])
        self.assertTrue(payload.startswith("ST00012|Name="))
        self.assertEqual(fields["PersonalAcc"], VALID_ACCOUNT)
        self.assertEqual(fields["BIC"], VALID_BIK)
        self.assertEqual(fields["CorrespAcc"], VALID_CORR)
        self.assertEqual(fields["PayeeINN"], "7701150631")
        self.assertEqual(fields["Sum"], "680000", "6800.00 RUB in kopecks")
        self.assertIn(invoice.name, fields["Purpose"])

    def test_invoice_for_payment_renders_with_qr(self):
        contract = self.create_contract()
        invoice = contract.create_prepayment_invoice(hours=4)
        invoice.action_post()
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "miko_support_contract.action_report_prepayment_invoice", invoice.ids
        )
        html = html.decode()
        self.assertIn(invoice.name, html)
        self.assertIn(VALID_CORR, html)
        self.assertIn("data:image/png;base64,", html)
        self.assertRegex(html, r"6\W?800[.,]00", "the total is printed")
