"""The SQL fragments of the billing rules (``models/billing_sql.py``) agree with the Python
oracle (``tests/oracle_intervals.py``) on random inputs, run on a real cursor."""

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from ..models.billing_sql import (
    day_pieces_sql,
    half_up_minutes_sql,
    numbered_blocks_sql,
    seconds_between_sql,
)
from . import oracle_intervals as oracle

BASE = datetime(2026, 11, 23, 7, 0)
DAY = date(2026, 11, 23)
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)

# (engineer, start offset, duration) in seconds: overlaps, touches, nesting and the rounding
# edges (29, 30, 89, 90 s) likely
activities = st.lists(
    st.tuples(
        st.sampled_from([1, 2]),
        st.integers(0, 3600),
        st.integers(1, 900) | st.sampled_from([1, 29, 30, 59, 60, 89, 90]),
    ),
    max_size=25,
)


@tagged("post_install", "-at_install")
class TestBillingSqlFragments(TransactionCase):
    def sql_blocks(self, rows):
        """``{engineer: [(begin, end, seconds, minutes, ids)]}`` from the SQL fragments."""
        ids = list(range(1, len(rows) + 1))
        source = SQL(
            """
            SELECT * FROM unnest(%s::int[], %s::int[], %s::int[], %s::date[],
                                 %s::timestamp[], %s::timestamp[])
                AS s(id, contract_id, user_id, day, date_begin, date_end)
            """,
            ids,
            [1] * len(rows),
            [engineer for engineer, _begin, _end in rows],
            [DAY] * len(rows),
            [begin for _engineer, begin, _end in rows],
            [end for _engineer, _begin, end in rows],
        )
        self.env.cr.execute(
            SQL(
                """
                WITH numbered AS (%(numbered)s)
                SELECT user_id, MIN(date_begin), MAX(date_end), %(seconds)s, %(minutes)s,
                       array_agg(id ORDER BY date_begin, date_end, id)
                  FROM numbered
              GROUP BY user_id, block_index
              ORDER BY user_id, block_index
                """,
                numbered=numbered_blocks_sql(source),
                seconds=seconds_between_sql(SQL("MIN(date_begin)"), SQL("MAX(date_end)")),
                minutes=half_up_minutes_sql(
                    seconds_between_sql(SQL("MIN(date_begin)"), SQL("MAX(date_end)"))
                ),
            )
        )
        blocks = {}
        for user_id, begin, end, seconds, minutes, block_ids in self.env.cr.fetchall():
            blocks.setdefault(user_id, []).append((begin, end, seconds, minutes, tuple(block_ids)))
        return blocks

    @SETTINGS
    @given(activities)
    def test_union_and_rounding_agree_with_the_oracle(self, drawn):
        rows = [
            (engineer, BASE + timedelta(seconds=start), BASE + timedelta(seconds=start + length))
            for engineer, start, length in drawn
        ]
        expected = {}
        for engineer in (1, 2):
            items = [
                (index, begin, end)
                for index, (who, begin, end) in enumerate(rows, start=1)
                if who == engineer
            ]
            blocks = oracle.merge_blocks(items)
            if blocks:
                expected[engineer] = [
                    (block.start, block.end, block.seconds, block.billed_minutes, block.keys)
                    for block in blocks
                ]
        self.assertEqual(self.sql_blocks(rows), expected)

    @SETTINGS
    @given(st.lists(st.integers(0, 10**7) | st.sampled_from([0, 29, 30, 89, 90]), max_size=50))
    def test_half_up_minutes_agree_with_the_oracle(self, seconds):
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM unnest(%s::bigint[]) WITH ORDINALITY AS s(seconds, n) ORDER BY n",
                half_up_minutes_sql(SQL("s.seconds")),
                seconds,
            )
        )
        self.assertEqual(
            [row[0] for row in self.env.cr.fetchall()],
            [oracle.round_half_up_minutes(value) for value in seconds],
        )

    def test_half_up_minutes_edges(self):
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM unnest(%s::int[]) WITH ORDINALITY AS s(seconds, n) ORDER BY n",
                half_up_minutes_sql(SQL("s.seconds")),
                [0, 29, 30, 59, 60, 89, 90, 1500],
            )
        )
        self.assertEqual([row[0] for row in self.env.cr.fetchall()], [0, 0, 1, 1, 1, 1, 2, 25])

    def test_touching_activities_form_one_block(self):
        """Touching intervals merge (a gap of one second does not), each block rounded once."""
        rows = [
            (1, BASE, BASE + timedelta(seconds=29)),
            (1, BASE + timedelta(seconds=29), BASE + timedelta(seconds=58)),
            (1, BASE + timedelta(seconds=59), BASE + timedelta(seconds=89)),
        ]
        blocks = self.sql_blocks(rows)[1]
        self.assertEqual(
            [(block[2], block[3], block[4]) for block in blocks], [(58, 1, (1, 2)), (30, 1, (3,))]
        )

    def sql_pieces(self, rows, zone):
        """``[[(day, begin, end)]]`` of ``rows`` (``(begin, end)``) cut by ``day_pieces_sql``."""
        source = SQL(
            "SELECT * FROM unnest(%s::int[], %s::timestamp[], %s::timestamp[], %s::text[])",
            list(range(len(rows))),
            [begin for begin, _end in rows],
            [end for _begin, end in rows],
            [zone] * len(rows),
        )
        self.env.cr.execute(
            SQL("SELECT * FROM (%s) p ORDER BY p.ref, p.part", day_pieces_sql(source))
        )
        pieces = [[] for _row in rows]
        for ref, part, day, begin, end in self.env.cr.fetchall():
            self.assertEqual(part, len(pieces[ref]))
            pieces[ref].append((day, begin, end))
        return pieces

    @SETTINGS
    @given(
        st.sampled_from(["Europe/Moscow", "Europe/Berlin", "America/New_York", "UTC"]),
        st.lists(
            st.tuples(
                # around the spring and autumn daylight-saving changes of 2026
                st.sampled_from([datetime(2026, 3, 27), datetime(2026, 10, 23)]),
                st.integers(0, 5 * 24 * 3600),
                st.integers(1, 24 * 3600) | st.sampled_from([1, 3600, 24 * 3600]),
            ),
            min_size=1,
            max_size=15,
        ),
    )
    def test_midnight_split_agrees_with_the_oracle(self, zone, drawn):
        rows = [
            (base + timedelta(seconds=start), base + timedelta(seconds=start + length))
            for base, start, length in drawn
        ]
        self.assertEqual(
            self.sql_pieces(rows, zone),
            [oracle.split_by_local_day(begin, end, zone) for begin, end in rows],
        )

    def test_midnight_split_edges(self):
        """Moscow midnight is 21:00 UTC: an interval ending there gives no empty piece, one
        across it two (a third only on a 23-hour daylight-saving day)."""
        midnight = datetime(2026, 11, 23, 21, 0)
        rows = [
            (midnight - timedelta(hours=1), midnight),
            (midnight - timedelta(minutes=10), midnight + timedelta(minutes=10)),
            (midnight - timedelta(hours=1), midnight + timedelta(hours=23)),
        ]
        self.assertEqual(
            self.sql_pieces(rows, "Europe/Moscow"),
            [
                [(date(2026, 11, 23), rows[0][0], midnight)],
                [
                    (date(2026, 11, 23), rows[1][0], midnight),
                    (date(2026, 11, 24), midnight, rows[1][1]),
                ],
                [
                    (date(2026, 11, 23), rows[2][0], midnight),
                    (date(2026, 11, 24), midnight, rows[2][1]),
                ],
            ],
        )
