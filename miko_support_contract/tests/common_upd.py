"""A vendor and a customer with full requisites, and a month with consumption."""

from datetime import UTC, date, datetime

from odoo.addons.miko_support_contract import upd as upd_xml

from . import fake_diadoc
from .common import VALID_INN, VALID_KPP, MikoSupportCommon

SELLER_XSD_503 = upd_xml.SELLER_XSD_503  # shipped in data/xsd, used when no path is set
SELLER_INN = "7701150631"
SELLER_KPP = "770101001"
SELLER_EDO = f"2BM-{SELLER_INN}-{SELLER_KPP}-20190101000000000001"
BUYER_EDO = f"2BE-{VALID_INN}-{VALID_KPP}-20200101000000000007"
SELLER_DIRECTOR = {"name": "Смирнов Андрей Петрович", "function": "Генеральный директор"}
SELLER_REQUISITES = {
    "vat": SELLER_INN,
    "miko_kpp": SELLER_KPP,
    "miko_edo_id": SELLER_EDO,
    "street": "ул. Садовая-Кудринская, д. 11",
    "city": "Москва",
    "zip": "123001",
    "miko_support_tz": "Europe/Moscow",
}


class MikoUpdCommon(MikoSupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        director = cls.env["res.partner"].create(SELLER_DIRECTOR)
        cls.company.write(
            {
                **SELLER_REQUISITES,
                "miko_director_id": director.id,
            }
        )
        cls.customer.write(
            {
                "street": "ул. Ленинградская, д. 25",
                "city": "Химки",
                "zip": "141400",
                "miko_edo_id": BUYER_EDO,
            }
        )

    @classmethod
    def consume(cls, contract, on_date, minutes, amount, key=None):
        return contract._wallet_post(
            [
                {
                    "contract_id": contract.id,
                    "date": on_date,
                    "kind": "consumption",
                    "amount": -amount,
                    "minutes": minutes,
                    "name": f"Support {on_date}",
                    "source_key": key or f"test:{contract.id}:{on_date}:{minutes}",
                }
            ]
        )

    @classmethod
    def prepaid_contract(cls, amount=10000.0, paid_on=date(2026, 9, 25), **vals):
        contract = cls.create_contract(**vals)
        contract.set_hourly_rate(1700, date(2026, 1, 1))
        invoice = contract.create_prepayment_invoice(amount=amount)
        invoice.action_post()
        cls.pay(invoice, amount, paid_on)
        return contract


def ticks(moment):
    """.NET ticks of an aware datetime."""
    delta = moment - datetime(1, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 10**7 + delta.microseconds * 10


class MikoDiadocCommon(MikoUpdCommon):
    """A company on Kontur.Diadoc — a fake operator speaking the protocol on 127.0.0.1 — and a
    signed UPD of October ready to send."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.operator = fake_diadoc.FakeDiadoc()
        cls.addClassCleanup(cls.operator.stop)
        cls.company.write(
            {
                "miko_edi_provider": "diadoc",
                "miko_diadoc_url": cls.operator.url,
                "miko_diadoc_token_url": cls.operator.token_url,
                "miko_diadoc_client_id": fake_diadoc.CLIENT_ID,
                "miko_diadoc_client_secret": fake_diadoc.CLIENT_SECRET,
                "miko_diadoc_refresh_token": fake_diadoc.REFRESH_TOKEN,
                "miko_diadoc_box_id": fake_diadoc.SELLER_BOX,
            }
        )
        cls.env["ir.config_parameter"].sudo().set_param(
            "miko_support_contract.diadoc_timeout", "0.5"
        )

    def setUp(self):
        super().setUp()
        self.operator.reset()
        contract = self.prepaid_contract()
        self.consume(contract, date(2026, 10, 14), 198, 5610.0)
        self.upd = self.env["miko.support.upd"].generate_for_month(2026, 10, contract.ids)
        self.upd.signature_attachment_id = self.env["ir.attachment"].create(
            {"name": "upd.xml.sig", "raw": b"detached CMS signature made with a token"}
        )
        self.Upd = self.env["miko.support.upd"]
