"""Month close: SQL queries per UPD stay constant whatever the batch size."""

from datetime import date

from odoo.tests import tagged

from .common_upd import BUYER_EDO, MikoUpdCommon

# queries of generate_for_month: a fixed part plus this many per UPD (the goal: at most 30)
# fixed: the batch's hash chain, the pending billing and charges claimed, the earlier unclosed
# months looked up, the rounding settled, the charged day lines linked to their ledger entries
QUERIES_FIXED = 63
QUERIES_PER_UPD = 13
QUERIES_PER_UPD_GOAL = 30


@tagged("post_install", "-at_install")
class TestUpdQueries(MikoUpdCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contracts = cls.env["miko.support.contract"]
        for index in range(10):
            partner = cls.customer.copy({"name": f"ООО «Клиент {index}»", "miko_edo_id": BUYER_EDO})
            contract = cls.prepaid_contract(partner=partner, amount=10000.0)
            cls.consume(contract, date(2026, 10, 14), 60, 1700.0)
            cls.contracts |= contract

    def count_queries(self, contracts):
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        upds = self.env["miko.support.upd"].generate_for_month(2026, 10, contracts.ids)
        self.assertEqual(len(upds), len(contracts))
        return self.env.cr.sql_log_count - before

    def test_queries_per_upd_are_constant(self):
        self.count_queries(self.contracts[:1])  # warms the caches a first run fills
        two = self.count_queries(self.contracts[1:3])
        three = self.count_queries(self.contracts[3:6])
        four = self.count_queries(self.contracts[6:10])
        self.assertEqual(four - three, three - two, (two, three, four))
        self.assertEqual(four - three, QUERIES_PER_UPD)
        self.assertLessEqual(QUERIES_PER_UPD, QUERIES_PER_UPD_GOAL)

    def test_query_count_is_pinned(self):
        self.count_queries(self.contracts[:1])
        self.env.invalidate_all()
        with self.assertQueryCount(QUERIES_FIXED + 3 * QUERIES_PER_UPD):
            self.env["miko.support.upd"].generate_for_month(2026, 10, self.contracts[1:4].ids)
