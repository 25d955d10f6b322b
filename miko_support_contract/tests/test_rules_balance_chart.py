from datetime import date

from odoo.tests import BaseCase

from odoo.addons.miko_support_contract.rules.balance_chart import (
    BOTTOM,
    LEFT,
    RIGHT,
    TOP,
    balance_chart,
)


class TestRulesBalanceChart(BaseCase):
    def test_axes_are_dated_and_amounts_labelled(self):
        balances = [1700.0 - 100.0 * day for day in range(91)]  # 1700 down to -7300
        chart = balance_chart(balances, date(2026, 8, 1))
        dates = [day for _x, day in chart["x_ticks"]]
        self.assertEqual(dates[0], date(2026, 8, 1))
        self.assertEqual(dates[-1], date(2026, 10, 30))
        self.assertEqual(len(dates), 5)
        xs = [x for x, _day in chart["x_ticks"]]
        self.assertEqual((xs[0], xs[-1]), (LEFT, RIGHT))
        amounts = [amount for _y, amount in chart["y_ticks"]]
        self.assertEqual(amounts, [-7300.0, 0.0, 1700.0])
        self.assertEqual(chart["y_ticks"][0][0], BOTTOM)
        self.assertEqual(chart["y_ticks"][-1][0], TOP)
        self.assertTrue(TOP < chart["zero"] < BOTTOM)
        first_point = chart["points"].split()[0]
        self.assertEqual(first_point, f"{LEFT:.1f},{TOP:.1f}")

    def test_flat_and_empty_balances(self):
        flat = balance_chart([500.0] * 3, date(2026, 8, 1))
        self.assertEqual([amount for _y, amount in flat["y_ticks"]], [500.0])
        self.assertIsNone(flat["zero"])
        self.assertEqual(balance_chart([], date(2026, 8, 1))["points"], "")
