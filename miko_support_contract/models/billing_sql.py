"""The SQL fragments of the billing rules: the one implementation production runs.

SQL is the engine of the union billing (window functions over a day's activities, whatever the
number of groups); every statement that unions intervals, rounds seconds to minutes or cuts an
activity at local midnight builds on these fragments: the billing run
(``miko.support.contract._bill_groups``), the activity trail
(``miko.support.activity._billing_trails``), the statement's per-activity minutes
(``miko.support.activity._rounded_minutes``) and the midnight split of the activity form
(``miko.support.activity._day_pieces``) and of ``register_activities`` (``PIECE_SQL``).
``tests/test_billing_sql_fragments.py`` checks them against the Python oracle
``tests/oracle_intervals.py`` on random inputs, on a real cursor.
"""

from odoo.tools import SQL


def half_up_minutes_sql(seconds):
    """SQL: the whole minutes of ``seconds`` (an ``SQL`` integer expression), rounded half-up:
    29 s → 0, 30 s → 1, 89 s → 1, 90 s → 2 (non-negative integer division by 60 after adding
    30 seconds). The rounding of a block, of a day's raw minutes and of an activity."""
    return SQL("((%s)::bigint + 30) / 60", seconds)


def seconds_between_sql(begin, end):
    """SQL: the whole seconds from ``begin`` to ``end`` (``SQL`` timestamp expressions, stored
    to the second)."""
    return SQL("EXTRACT(EPOCH FROM (%s) - (%s))::bigint", end, begin)


def numbered_blocks_sql(activities):
    """SQL: the rows ``(id, contract_id, user_id, day, date_begin, date_end)`` of ``activities``
    (an SQL query giving the billable activities of whole groups), each with ``block_index``, the
    number (from 1) of the merged block it belongs to within its (contract, engineer, day): the
    union rule. Ordered by begin, end and id, an activity opens a new block when it starts after
    every earlier end (so overlapping and touching intervals merge). The billing run and the
    trails read both use it; a block's extent is ``MIN(date_begin)`` to ``MAX(date_end)`` of its
    rows, its billed minutes :func:`half_up_minutes_sql` of that extent."""
    return SQL(
        """
        SELECT o.*,
               COUNT(*) FILTER (WHERE o.prev_end IS NULL OR o.date_begin > o.prev_end)
                   OVER (PARTITION BY o.contract_id, o.user_id, o.day
                             ORDER BY o.date_begin, o.date_end, o.id) AS block_index
          FROM (
              SELECT s.id, s.contract_id, s.user_id, s.day, s.date_begin, s.date_end,
                     MAX(s.date_end) OVER (
                         PARTITION BY s.contract_id, s.user_id, s.day
                             ORDER BY s.date_begin, s.date_end, s.id
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                     ) AS prev_end
                FROM (%s) s
          ) o
        """,
        activities,
    )


def local_day_sql(moment, zone):
    """SQL: the calendar day of the naive-UTC ``moment`` in the time zone named by ``zone``
    (``SQL`` expressions): the day an activity (piece) is billed on."""
    return SQL("((%s) AT TIME ZONE 'UTC' AT TIME ZONE (%s))::date", moment, zone)


def day_pieces_sql(rows):
    """SQL: ``rows`` (an SQL query of ``(ref, date_begin, date_end, tz)``: naive-UTC moments of an
    interval of at most 24 hours and the name of its time zone) cut at the local midnights, as
    ``(ref, part, day, piece_begin, piece_end)``: part 0 from the begin, 1 and 2 after the first
    and the second midnight, each on its local ``day``. An interval within one day gives one
    piece; one ending exactly at midnight gives no empty piece; daylight-saving days (23 or 25
    hours) are cut at their real midnights. The midnight split of the activity form
    (``miko.support.activity._day_pieces``) and of ``register_activities`` (``PIECE_SQL``)."""
    return SQL(
        """
        WITH r AS (
            SELECT * FROM (%s) AS r(ref, date_begin, date_end, tz)
        ), f AS (
            SELECT r.ref, r.date_begin, r.date_end, d.day0,
                   ((d.day0 + 1)::timestamp AT TIME ZONE r.tz) AT TIME ZONE 'UTC' AS midnight1,
                   ((d.day0 + 2)::timestamp AT TIME ZONE r.tz) AT TIME ZONE 'UTC' AS midnight2
              FROM r CROSS JOIN LATERAL (SELECT %s AS day0) d
        )
        SELECT f.ref, 0 AS part, f.day0 AS day, f.date_begin AS piece_begin,
               LEAST(f.date_end, f.midnight1) AS piece_end
          FROM f
         UNION ALL
        SELECT f.ref, 1, f.day0 + 1, f.midnight1, LEAST(f.date_end, f.midnight2)
          FROM f WHERE f.date_end > f.midnight1
         UNION ALL
        SELECT f.ref, 2, f.day0 + 2, f.midnight2, f.date_end
          FROM f WHERE f.date_end > f.midnight2
        """,
        rows,
        local_day_sql(SQL("r.date_begin"), SQL("r.tz")),
    )
