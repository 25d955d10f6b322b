"""Offer editions: the edition a customer accepts by paying, named on its invoices and UPDs."""

import base64
from datetime import date

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common_upd import MikoUpdCommon

OFFER = "Договор-оферта на оказание услуг технической поддержки"


@tagged("post_install", "-at_install")
class TestOfferEdition(MikoUpdCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Edition = cls.env["miko.support.offer.edition"]
        cls.edition_2018 = Edition.create(
            {
                "name": OFFER,
                "edition_date": date(2018, 3, 27),
                "in_force_from": date(2018, 3, 27),
                "text_pdf": base64.b64encode(b"%PDF-1.4 offer 2018"),
                "text_pdf_name": "offer_2018.pdf",
                "company_id": cls.company.id,
            }
        )
        cls.edition_2018.action_publish()
        cls.edition_2026 = Edition.create(
            {
                "name": OFFER,
                "edition_date": date(2026, 10, 20),
                "in_force_from": date(2026, 11, 1),
                "text_pdf": base64.b64encode(b"%PDF-1.4 offer 2026"),
                "text_pdf_name": "offer_2026.pdf",
                "company_id": cls.company.id,
            }
        )

    def test_first_payment_records_the_edition_in_force(self):
        contract = self.prepaid_contract(paid_on=date(2026, 9, 25))
        self.assertEqual(contract.offer_edition_id, self.edition_2018)
        self.assertEqual(
            contract.offer_edition_id.display_name,
            f"{OFFER} в редакции от 27.03.2018",
        )

    def test_publishing_notifies_and_the_next_payment_accepts(self):
        contract = self.prepaid_contract(paid_on=date(2026, 9, 25))
        draft = self.create_contract()  # never paid: not an active customer
        with freeze_time("2026-10-25 10:00:00"):
            self.edition_2026.action_publish()
        self.assertEqual(self.edition_2026.state, "published")
        mails = self.env["mail.mail"].search(
            [("model", "=", "miko.support.contract"), ("res_id", "in", (contract | draft).ids)]
        )
        self.assertEqual(mails.mapped("res_id"), contract.ids, "active customers only")
        self.assertIn("27.03.2018", str(mails.body_html), "the customer keeps its edition")
        self.assertEqual(mails.attachment_ids.raw, b"%PDF-1.4 offer 2026")
        self.assertEqual(contract.offer_edition_id, self.edition_2018, "kept until it pays")
        # a payment before the new edition is in force still accepts the old one
        invoice = contract.create_prepayment_invoice(amount=1000.0)
        invoice.action_post()
        self.pay(invoice, 1000.0, date(2026, 10, 30))
        self.assertEqual(contract.offer_edition_id, self.edition_2018)
        invoice = contract.create_prepayment_invoice(amount=1000.0)
        invoice.action_post()
        self.pay(invoice, 1000.0, date(2026, 11, 5))
        self.assertEqual(contract.offer_edition_id, self.edition_2026)

    def test_invoice_and_upd_name_the_edition(self):
        contract = self.prepaid_contract(paid_on=date(2026, 9, 25))
        invoice = contract.create_prepayment_invoice(amount=1000.0)
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "miko_support_contract.report_prepayment_invoice", invoice.ids
        )
        self.assertIn(f"{OFFER} в редакции от 27.03.2018", html.decode())
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        upd = self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        basis = etree.fromstring(upd._xml_content()).find("Документ/СвПродПер/СвПер/ОснПер")
        self.assertEqual(basis.get("РеквНаимДок"), f"{OFFER} в редакции от 27.03.2018")
        self.assertEqual(basis.get("РеквНомерДок"), contract.name)
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "miko_support_contract.action_report_upd", upd.ids
        )
        self.assertIn(f"{OFFER} в редакции от 27.03.2018 № {contract.name}", html.decode())

    def test_in_force_before_the_edition_date_is_refused(self):
        with self.assertRaises(UserError) as caught:
            self.env["miko.support.offer.edition"].create(
                {
                    "name": OFFER,
                    "edition_date": date(2027, 1, 10),
                    "in_force_from": date(2027, 1, 1),
                    "company_id": self.company.id,
                }
            )
        self.assertIn("In Force From", str(caught.exception))
        self.assertIn("10.01.2027", str(caught.exception))

    def test_demo_edition_of_27_march_2018(self):
        edition = self.env.ref("miko_support_contract.offer_edition_2018_demo").sudo()
        self.assertEqual(edition.edition_date, date(2018, 3, 27))
        self.assertEqual(edition.state, "published")
