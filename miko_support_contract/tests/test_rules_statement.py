from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from odoo.tests import BaseCase

from odoo.addons.miko_support_contract.rules import statement

amounts = st.decimals(min_value=-100000, max_value=100000, places=2)
entries = st.builds(
    statement.Entry,
    kind=st.sampled_from(["receipt", "consumption", "credit", "refund", "adjustment"]),
    amount=amounts,
    minutes=st.integers(-600, 600),
    is_late=st.booleans(),
    is_rounding=st.booleans(),
)


class TestRulesStatement(BaseCase):
    @given(amounts, st.lists(entries, max_size=30))
    def test_opening_plus_the_lines_is_the_closing_balance(self, opening, period_entries):
        block = statement.closing_block(opening, period_entries)
        self.assertEqual(block.total, opening + sum((e.amount for e in period_entries), Decimal(0)))
        signed = sum(
            (
                -block.printed_amount(line)
                if line in statement.CHARGES
                else block.printed_amount(line)
                for line in statement.LINES
            ),
            Decimal(0),
        )
        self.assertEqual(block.opening + signed, block.total)

    def test_each_entry_has_its_own_line(self):
        block = statement.closing_block(
            Decimal("100"),
            [
                statement.Entry("receipt", Decimal("6800")),
                statement.Entry("consumption", Decimal("-5610"), 198),
                statement.Entry("consumption", Decimal("-850"), 30, is_late=True),
                statement.Entry("consumption", Decimal("0.01"), 0, is_rounding=True),
                statement.Entry("credit", Decimal("170"), -6),
                statement.Entry("adjustment", Decimal("-100")),
                statement.Entry("refund", Decimal("-200")),
            ],
        )
        self.assertEqual(block.printed_amount("performed"), Decimal("5610"))
        self.assertEqual(block.minutes["performed"], 198)
        self.assertEqual(block.printed_amount("late"), Decimal("850"))
        self.assertEqual(block.printed_amount("rounding"), Decimal("-0.01"))
        self.assertEqual(block.printed_amount("credits"), Decimal("170"))
        self.assertEqual(block.printed_amount("adjustments"), Decimal("-100"))
        self.assertEqual(block.printed_amount("refunds"), Decimal("200"))
        self.assertEqual(
            block.total, Decimal("100") + 6800 - 5610 - 850 + Decimal("0.01") + 170 - 100 - 200
        )
