"""The billing trail of an activity, read from the rows: the merged block it belongs to, that
block's billed minutes and its day line (SQL fragments of billing_sql.py); the billing queue of
the (contract, engineer, day) groups it changes.
"""

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL, Query

from .billing_sql import half_up_minutes_sql, numbered_blocks_sql, seconds_between_sql


class SupportActivityTrail(models.AbstractModel):
    _name = "miko.support.activity.trail"
    _description = "Support Activity: Billing Trail"

    @api.depends(
        "contract_id", "user_id", "day", "date_begin", "date_end", "active", "is_vendor_bug"
    )
    def _compute_billing_trail(self):
        """The block of each activity within its (contract, engineer, day), read from the rows.

        One window query for the groups of the whole recordset, the rule of the billing run
        (``billing_sql.numbered_blocks_sql``: running maximum of the ends ordered by begin, end,
        id; each block rounded half-up to whole minutes by ``billing_sql.half_up_minutes_sql``).
        An inactive or vendor-bug activity has no block; an inactive one has no day line either.
        """
        trails = self._billing_trails()
        Line = self.env["account.analytic.line"]
        for activity in self:
            trail = trails.get(activity._origin.id)
            if trail is None:
                activity.update(
                    {
                        "block_index": 0,
                        "block_begin": False,
                        "block_end": False,
                        "block_billed_minutes": 0,
                        "timesheet_id": False,
                    }
                )
                continue
            block_index, block_begin, block_end, minutes, line_id = trail
            activity.update(
                {
                    "block_index": block_index or 0,
                    "block_begin": block_begin or False,
                    "block_end": block_end or False,
                    "block_billed_minutes": minutes or 0,
                    "timesheet_id": Line.browse(line_id),
                }
            )

    def _billing_trails(self):
        """``{id: (block_index, block_begin, block_end, block_billed_minutes, line_id)}``."""
        ids = [id_ for id_ in self._origin.ids if id_]
        if not ids:
            return {}
        self.flush_model(
            ["contract_id", "user_id", "day", "date_begin", "date_end", "active", "is_vendor_bug"]
        )
        self.env["account.analytic.line"].flush_model(["miko_contract_id", "user_id", "date"])
        self.env.cr.execute(
            SQL(
                """
                WITH g AS (
                    SELECT DISTINCT contract_id, user_id, day
                      FROM miko_support_activity WHERE id = ANY(%(ids)s)
                ), numbered AS (%(numbered)s
                ), blocks AS (
                    SELECT id, block_index,
                           MIN(date_begin) OVER b AS block_begin,
                           MAX(date_end) OVER b AS block_end
                      FROM numbered
                    WINDOW b AS (PARTITION BY contract_id, user_id, day, block_index)
                )
                SELECT b.id, b.block_index, b.block_begin, b.block_end, %(minutes)s
                  FROM blocks b
                 WHERE b.id = ANY(%(ids)s)
                """,
                ids=ids,
                minutes=half_up_minutes_sql(
                    seconds_between_sql(SQL("b.block_begin"), SQL("b.block_end"))
                ),
                numbered=numbered_blocks_sql(
                    SQL(
                        """
                        SELECT a.id, a.contract_id, a.user_id, a.day, a.date_begin, a.date_end
                          FROM miko_support_activity a
                          JOIN g ON a.contract_id = g.contract_id AND a.user_id = g.user_id
                                AND a.day = g.day
                         WHERE a.active AND NOT COALESCE(a.is_vendor_bug, FALSE)
                        """
                    )
                ),
            )
        )
        blocks = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        # the day line of each active activity (its unique index: contract, engineer, date)
        self.env.cr.execute(
            SQL(
                """
                SELECT a.id, l.id
                  FROM miko_support_activity a
                  JOIN account_analytic_line l
                    ON l.miko_contract_id = a.contract_id AND l.user_id = a.user_id
                   AND l.date = a.day AND l.miko_contract_id IS NOT NULL
                 WHERE a.id = ANY(%s) AND a.active
                """,
                ids,
            )
        )
        lines = dict(self.env.cr.fetchall())
        return {
            id_: (*blocks.get(id_, (None, None, None, None)), lines.get(id_))
            for id_ in set(blocks) | set(lines)
        }

    def _rounded_minutes(self):
        """``{id: whole minutes}`` of each activity's raw seconds, rounded half-up by the one
        rounding rule (``billing_sql.half_up_minutes_sql``): the statement's ``minutes``."""
        ids = [id_ for id_ in self._origin.ids if id_]
        if not ids:
            return {}
        self.flush_model(["raw_seconds"])
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM miko_support_activity WHERE id = ANY(%s)",
                half_up_minutes_sql(SQL("COALESCE(raw_seconds, 0)")),
                ids,
            )
        )
        return dict(self.env.cr.fetchall())

    def _compute_needs_billing(self):
        ids = [id_ for id_ in self._origin.ids if id_]
        queued = set()
        if ids:
            self.flush_model(["contract_id", "user_id", "day"])
            self.env.cr.execute(
                SQL(
                    """
                    SELECT a.id FROM miko_support_activity a
                      JOIN miko_support_billing_queue q
                        ON q.contract_id = a.contract_id AND q.user_id = a.user_id
                       AND q.day = a.day
                     WHERE a.id = ANY(%s)
                    """,
                    ids,
                )
            )
            queued = {row[0] for row in self.env.cr.fetchall()}
        for activity in self:
            activity.needs_billing = activity._origin.id in queued

    def _search_timesheet_id(self, operator, value):
        if operator not in ("in", "any"):
            return NotImplemented
        if operator == "any":
            Line = self.env["account.analytic.line"].with_context(active_test=False)
            query = value if isinstance(value, Query) else Line._search(value)
            return Domain("id", "in", _activities_of_lines(query.subselect()))
        line_ids = [id_ for id_ in value if id_]
        domain = Domain.FALSE
        if line_ids:
            domain = Domain("id", "in", _activities_of_lines(SQL("%s", tuple(line_ids))))
        if False in value or None in value:
            domain |= Domain("id", "not in", _activities_of_lines(None))
        return domain

    def _search_needs_billing(self, operator, value):
        if operator != "in":
            return NotImplemented
        queued = Domain(
            "id",
            "in",
            SQL(
                """(SELECT a.id FROM miko_support_activity a
                      JOIN miko_support_billing_queue q
                        ON q.contract_id = a.contract_id AND q.user_id = a.user_id
                       AND q.day = a.day)"""
            ),
        )
        wanted = {bool(item) for item in value}
        if wanted == {True, False}:
            return Domain.TRUE
        return queued if True in wanted else ~queued

    def _queue_own_billing_groups(self):
        """Queue the (contract, engineer, day) of these activities, as stored, for billing."""
        if self.ids:
            self._queue_billing_groups(
                SQL(
                    "SELECT contract_id, user_id, day FROM miko_support_activity "
                    "WHERE id = ANY(%s)",
                    self.ids,
                )
            )

    @api.model
    def _queue_billing_groups(self, query):
        """Queue for billing the ``(contract_id, user_id, day)`` rows of ``query`` (an ``SQL``
        SELECT). A group already queued stays queued once, its ``version`` bumped: the billing
        run deletes a queue row only at the version it billed, so a change committed while it
        ran is billed by the next run. ``ON CONFLICT DO UPDATE`` waits for a run that claimed
        the row (``DO NOTHING`` did not, and the change was lost); at Odoo's REPEATABLE READ the
        waiting writer then fails once with a serialization error and its transaction is
        retried (Odoo retries RPC calls and crons), which queues the group again
        (``tests/test_billing_race.py``). Code that writes activities without such a retry
        must retry on ``SerializationFailure`` itself."""
        self.flush_model(["contract_id", "user_id", "day"])
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO miko_support_billing_queue (contract_id, user_id, day, version)
                SELECT DISTINCT g.contract_id, g.user_id, g.day, 0
                  FROM (%s) AS g(contract_id, user_id, day)
                 WHERE g.contract_id IS NOT NULL AND g.user_id IS NOT NULL AND g.day IS NOT NULL
              ORDER BY 1, 2, 3
                    ON CONFLICT (contract_id, user_id, day)
                    DO UPDATE SET version = COALESCE(miko_support_billing_queue.version, 0) + 1
                """,
                query,
            )
        )
        self.env["miko.support.billing.queue"].invalidate_model()
        self._invalidate_billing_trails()

    @api.model
    def _invalidate_billing_trails(self):
        """The trails and day lines read from the rows of a group change with any of its rows."""
        self.env["miko.support.activity"].invalidate_model(
            [
                "block_index",
                "block_begin",
                "block_end",
                "block_billed_minutes",
                "timesheet_id",
                "needs_billing",
            ]
        )
        self.env["account.analytic.line"].invalidate_model(["miko_activity_ids"])


def _activities_of_lines(line_ids):
    """SQL subquery: the active activities of the day lines ``line_ids`` (an SQL ``IN`` operand,
    a tuple or a subselect), or of any day line when ``None``."""
    line_filter = SQL("AND l.id IN %s", line_ids) if line_ids is not None else SQL()
    return SQL(
        """(SELECT a.id FROM miko_support_activity a
              JOIN account_analytic_line l
                ON l.miko_contract_id = a.contract_id AND l.user_id = a.user_id AND l.date = a.day
             WHERE a.active %s)""",
        line_filter,
    )
