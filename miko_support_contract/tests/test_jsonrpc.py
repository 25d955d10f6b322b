"""Every fixed Integration API call through real JSON-RPC on the running Odoo HTTP server.

Each call is a new ``requests.post`` to ``/jsonrpc`` (``object.execute_kw``) as the user an
integrator would use: the server builds a new environment for it (nothing of the test's cache).
In Odoo 19 the HTTP worker of an ``HttpCase`` works on the test's cursor and takes only the requests
the test allows (``allow_requests`` and its cookie), so the test flushes its writes before a call
and invalidates its cache after one to read what the server wrote.
"""

import base64
import logging
from datetime import date

import requests
from freezegun import freeze_time

from odoo.tests import HttpCase, tagged
from odoo.tests.common import TEST_CURSOR_COOKIE_NAME

from .common_upd import MikoUpdCommon

# the /jsonrpc endpoint warns on each call that it is deprecated (removal planned in Odoo 22)
RPC_LOGGER = "odoo.addons.rpc.controllers.jsonrpc"
TODAY = "2026-11-16 09:00:00"  # October 2026 has ended in Moscow


class RpcError(Exception):
    def __init__(self, error):
        data = error.get("data") or {}
        self.name = data.get("name", "")
        self.message = data.get("message", "") or error.get("message", "")
        super().__init__(f"{self.name}: {self.message}")


@tagged("post_install", "-at_install")
class TestJsonRpc(HttpCase, MikoUpdCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.new_user("miko_manager", "miko_support_contract.group_manager")
        cls.contract = cls.prepaid_contract(amount=10000.0, upd_channel="post")
        rpc_logger = logging.getLogger(RPC_LOGGER)
        level = rpc_logger.level
        rpc_logger.setLevel(logging.ERROR)
        cls.addClassCleanup(rpc_logger.setLevel, level)

    def rpc(self, user, model, method, *args, **kwargs):
        """One ``execute_kw`` in a fresh HTTP request; returns its result or raises RpcError."""
        self.env.flush_all()
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                # new_test_user's password is the login (padded to 8 characters)
                "args": [
                    self.env.cr.dbname,
                    user.id,
                    user.login.ljust(8, "x"),
                    model,
                    method,
                    list(args),
                    kwargs,
                ],
            },
        }
        # a new HTTP request (no client session) carrying the key with which the test server
        # accepts a request while the test lets it run
        with self.allow_requests():
            response = requests.post(
                f"{self.base_url()}/jsonrpc",
                json=payload,
                cookies={TEST_CURSOR_COOKIE_NAME: self.http_request_key},
                timeout=60,
            )
        self.assertEqual(response.status_code, 200, response.text[:500])
        self.env.invalidate_all()
        body = response.json()
        if "error" in body:
            raise RpcError(body["error"])
        return body["result"]

    def assertRpcRefused(self, error_name, user, model, method, *args, **kwargs):
        with self.assertRaises(RpcError) as caught:
            self.rpc(user, model, method, *args, **kwargs)
        self.assertEqual(caught.exception.name, error_name, caught.exception.message)
        return caught.exception.message

    def activity(self, day, begin, end, ref, **values):
        return {
            "contract": self.contract.name,
            "engineer": self.engineer.login,
            "kind": "remote",
            "start": f"2026-10-{day:02d}T{begin}+03:00",
            "end": f"2026-10-{day:02d}T{end}+03:00",
            "subject": f"Удалённое подключение {ref}",
            "description": "",
            "source": "rpc",
            "source_ref": ref,
            **values,
        }

    # ------------------------------------------------------------------------------ contract
    def test_prepayment_invoice_and_rates(self):
        Contract, contract_id = "miko.support.contract", self.contract.id
        with freeze_time(TODAY, tick=True):
            move_ids = self.rpc(
                self.sales, Contract, "create_prepayment_invoice", [contract_id], amount=5000
            )
            by_hours = self.rpc(
                self.sales, Contract, "create_prepayment_invoice", [contract_id], hours=2
            )
            message = self.assertRpcRefused(
                "odoo.exceptions.UserError",
                self.sales,
                Contract,
                "create_prepayment_invoice",
                [contract_id],
            )
        self.assertIn(self.contract.display_name, message)
        moves = self.env["account.move"].browse(move_ids + by_hours)
        self.assertEqual(moves.mapped("move_type"), ["out_invoice", "out_invoice"])
        self.assertEqual(moves.mapped("state"), ["draft", "draft"])
        self.assertEqual(moves.mapped("amount_total"), [5000.0, 3400.0])  # 2 h × 1,700
        self.assertEqual(moves.journal_id, self.company._miko_prepayment_journal())

        rate_ids = self.rpc(
            self.sales, Contract, "set_hourly_rate", [contract_id], 2000, "2026-12-01"
        )
        rate = self.env["miko.support.rate"].browse(rate_ids)
        self.assertEqual((rate.hourly_rate, rate.date_from), (2000.0, date(2026, 12, 1)))
        self.assertRpcRefused(
            "odoo.exceptions.AccessError",
            self.engineer,
            Contract,
            "set_hourly_rate",
            [contract_id],
            2500,
            "2027-01-01",
        )

    def test_balance_and_balance_at(self):
        Contract, contract_id = "miko.support.contract", self.contract.id
        [values] = self.rpc(self.finance, Contract, "read", [contract_id], fields=["balance"])
        self.assertEqual(values["balance"], 10000.0)
        self.assertEqual(
            self.rpc(self.finance, Contract, "wallet_balance_at", [contract_id], "2026-09-24"), 0
        )
        self.assertEqual(
            self.rpc(self.finance, Contract, "wallet_balance_at", [contract_id], "2026-09-25"),
            10000.0,
        )

    def test_response_deadline(self):
        arrival = "2026-10-16 07:00:00"  # Friday 10:00 Moscow
        deadline = self.rpc(
            self.engineer, "miko.support.contract", "compute_response_deadline", arrival
        )
        expected = self.env["miko.support.contract"].compute_response_deadline(arrival)
        self.assertEqual(deadline, expected.strftime("%Y-%m-%d %H:%M:%S"))
        self.assertGreater(deadline, arrival)

    def test_notice_of_termination(self):
        Contract, contract_id = "miko.support.contract", self.contract.id
        message = self.assertRpcRefused(
            "odoo.exceptions.UserError",
            self.sales,
            Contract,
            "action_give_notice",
            [contract_id],
            "2026-11-16",
            given_by="nobody",
        )
        self.assertIn("given_by", message)
        self.assertTrue(
            self.rpc(
                self.sales, Contract, "action_give_notice", [contract_id], "2026-11-16", "customer"
            )
        )
        self.assertEqual(self.contract.state, "terminating")
        self.assertEqual(self.contract.notice_given_by, "customer")
        self.assertEqual(self.contract.date_end, date(2026, 12, 16))

    # --------------------------------------------------------------------------- money flow
    def test_activities_to_upd_over_rpc(self):
        """register → post_consumption → statement → month close → UPD fields, XML, delivery."""
        Contract, Upd, contract_id = "miko.support.contract", "miko.support.upd", self.contract.id
        records = [
            self.activity(6, "10:00:00", "11:00:00", "rpc-1"),  # 60
            self.activity(6, "10:30:00", "11:30:00", "rpc-2"),  # overlaps: +30
            self.activity(7, "10:00:00", "10:40:00", "rpc-3", kind="bogus"),
        ]
        result = self.rpc(self.engineer, Contract, "register_activities", records)
        self.assertEqual((result["created"], result["updated"], result["skipped"]), (2, 0, 0))
        [error] = result["errors"]
        self.assertEqual(error["index"], 2)
        self.assertIn("kind", error["message"])
        again = self.rpc(self.engineer, Contract, "register_activities", records[:2])
        self.assertEqual((again["created"], again["skipped"]), (0, 2))

        self.assertRpcRefused(
            "odoo.exceptions.AccessError", self.engineer, Contract, "post_consumption"
        )
        posted = self.rpc(self.finance, Contract, "post_consumption")
        self.assertGreaterEqual(posted["billed_groups"], 1)
        self.assertGreaterEqual(posted["ledger_entries"], 1)
        self.assertEqual(
            self.rpc(self.finance, Contract, "post_consumption"),
            {"billed_groups": 0, "ledger_entries": 0},
            "a second run charges nothing twice",
        )
        [values] = self.rpc(self.finance, Contract, "read", [contract_id], fields=["balance"])
        self.assertEqual(values["balance"], 7450.0)  # 10,000 − 90 min × 1,700 / 60

        statement = self.rpc(
            self.finance, Contract, "get_statement", [contract_id], "2026-10-01", "2026-10-31"
        )
        self.assertEqual(statement["billed_minutes"], 90)
        self.assertEqual(statement["performed_amount"], 2550.0)
        self.assertEqual((statement["balance_start"], statement["balance_end"]), (10000.0, 7450.0))
        [day] = statement["days"]
        self.assertEqual(
            (day["date"], day["billed_minutes"], day["amount"]), ("2026-10-06", 90, 2550.0)
        )
        self.assertEqual(len(day["lines"]), 2)

        with freeze_time(TODAY, tick=True):
            upd_ids = self.rpc(self.finance, Upd, "generate_for_month", 2026, 10, [contract_id])
            self.assertEqual(len(upd_ids), 1)
            self.assertEqual(
                self.rpc(self.finance, Upd, "generate_for_month", 2026, 10, [contract_id]),
                upd_ids,
                "idempotent: the existing UPD is returned",
            )
            [upd] = self.rpc(
                self.finance,
                Upd,
                "read",
                upd_ids,
                fields=["state", "amount_total", "delivery_date"],
            )
            self.assertEqual(
                (upd["state"], upd["amount_total"], upd["delivery_date"]), ("draft", 2550.0, False)
            )
            xml = self.rpc(self.finance, Upd, "get_xml", upd_ids)
            record = self.env["miko.support.upd"].browse(upd_ids)
            content = base64.b64decode(xml)
            self.assertEqual(content, base64.b64decode(record.xml_attachment_id.datas))
            self.assertIn('encoding="windows-1251"', content[:100].decode("cp1251"))
            self.assertIn(self.customer.name, content.decode("cp1251"))

            record.tracking_number = "14571285012345"
            record.action_mark_posted()
            message = self.assertRpcRefused(
                "odoo.exceptions.UserError",
                self.finance,
                Upd,
                "mark_delivered",
                upd_ids,
                "2026-11-17",
            )
            self.assertIn(record.display_name, message)
            self.assertTrue(self.rpc(self.finance, Upd, "mark_delivered", upd_ids, "2026-11-10"))
            [upd] = self.rpc(self.finance, Upd, "read", upd_ids, fields=["state", "delivery_date"])
            self.assertEqual((upd["state"], upd["delivery_date"]), ("delivered", "2026-11-10"))

    def test_crons_are_not_callable_over_rpc(self):
        for model, method in (
            ("miko.support.contract", "_cron_post_consumption"),
            ("miko.support.upd", "_cron_deem_accepted"),
            ("miko.support.contract", "_bill_pending_days"),
        ):
            message = self.assertRpcRefused(
                "odoo.exceptions.AccessError", self.manager, model, method
            )
            self.assertIn("cannot be called remotely", message)
