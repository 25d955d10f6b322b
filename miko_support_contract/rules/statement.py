"""The closing block of the statement (Appendix 2 of the contract).

The wallet entries booked in a period are sorted into the lines of the closing block, each with
its signed effect on the balance, so that

    opening + receipts − performed − late work + credits − rounding ± adjustments − refunds
    = closing

holds for any set of entries: every entry lands in exactly one line.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

# the lines of the closing block, in print order (``opening`` first, ``total`` last)
LINES = ("performed", "late", "credits", "rounding", "adjustments", "refunds", "receipts")
# lines whose printed amount is a charge (the balance goes down when it is positive)
CHARGES = frozenset({"performed", "late", "rounding", "refunds"})


@dataclass(frozen=True)
class Entry:
    """A wallet entry as the statement sees it: ``amount`` credits the wallet when positive."""

    kind: str  # receipt, consumption, credit, refund, adjustment
    amount: Decimal
    minutes: int = 0
    is_late: bool = False
    is_rounding: bool = False


@dataclass
class ClosingBlock:
    opening: Decimal
    effects: dict = field(default_factory=lambda: dict.fromkeys(LINES, Decimal(0)))
    minutes: dict = field(default_factory=lambda: dict.fromkeys(LINES, 0))

    @property
    def total(self) -> Decimal:
        """Opening balance plus the effect of every line: the closing balance."""
        return self.opening + sum(self.effects.values(), Decimal(0))

    def printed_amount(self, line) -> Decimal:
        """The amount printed on a line: charges as positive sums, the others as their effect."""
        effect = self.effects[line]
        return -effect if line in CHARGES else effect


def line_of(entry: Entry) -> str:
    """The closing-block line of a wallet entry."""
    if entry.kind == "receipt":
        return "receipts"
    if entry.kind == "refund":
        return "refunds"
    if entry.kind == "adjustment":
        return "adjustments"
    if entry.kind == "credit":
        return "credits"
    if entry.is_rounding:
        return "rounding"
    if entry.is_late:
        return "late"
    return "performed"


def closing_block(opening: Decimal, entries: Iterable[Entry]) -> ClosingBlock:
    """Sort a period's wallet entries into the closing block opened by ``opening``."""
    block = ClosingBlock(opening=Decimal(opening))
    for entry in entries:
        line = line_of(entry)
        block.effects[line] += Decimal(entry.amount)
        block.minutes[line] += int(entry.minutes or 0)
    return block
