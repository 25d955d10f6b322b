"""The floors of the billing phase in ``bench/run.py``: what PostgreSQL alone needs.

* ``sql_floor``: one SELECT computing the same billed minutes (union of each engineer's day
  with window functions, each block rounded half-up);
* ``write_floor``: the same result *written*: ``INSERT … SELECT`` of the day lines and of the
  wallet's ledger rows (one per contract and day, minutes × the day's rate ÷ 60 rounded) into plain
  tables carrying the indexes of ``account_analytic_line`` and ``miko_support_wallet_entry``
  that the billing maintains (unique day, ledger by contract/date/kind, unique source key).
"""

FLOOR_SQL = """
WITH ordered AS (
    SELECT contract_id, user_id, day, date_begin, date_end, id,
           MAX(date_end) OVER (PARTITION BY contract_id, user_id, day
                                   ORDER BY date_begin, date_end, id
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
      FROM miko_support_activity
     WHERE active AND NOT is_vendor_bug AND day BETWEEN %s AND %s AND contract_id = ANY(%s)
), marked AS (
    SELECT contract_id, user_id, day, date_begin, date_end,
           COUNT(*) FILTER (WHERE prev_end IS NULL OR date_begin > prev_end)
               OVER (PARTITION BY contract_id, user_id, day
                         ORDER BY date_begin, date_end, id) AS block
      FROM ordered
), blocks AS (
    SELECT contract_id, user_id, day,
           (EXTRACT(EPOCH FROM MAX(date_end) - MIN(date_begin))::bigint + 30) / 60 AS minutes
      FROM marked
  GROUP BY contract_id, user_id, day, block
)
SELECT COUNT(DISTINCT (contract_id, user_id, day)), COUNT(*), COALESCE(SUM(minutes), 0)
  FROM blocks
"""


def sql_floor(env, first, last, contracts):
    from odoo.tools import SQL

    env.cr.execute(SQL(FLOOR_SQL, first, last, contracts.ids))  # pylint: disable=sql-injection
    groups, blocks, minutes = env.cr.fetchone()
    return {"groups": groups, "blocks": blocks, "minutes": int(minutes)}


WRITE_FLOOR_TABLES = """
DROP TABLE IF EXISTS bench_floor_ledger;
DROP TABLE IF EXISTS bench_floor_day_line;
CREATE TABLE bench_floor_day_line (
    id serial PRIMARY KEY, contract_id int NOT NULL, user_id int NOT NULL, date date NOT NULL,
    name varchar, unit_amount float8, amount numeric, billed_minutes int,
    create_uid int, create_date timestamp, write_uid int, write_date timestamp
);
CREATE UNIQUE INDEX ON bench_floor_day_line (contract_id, user_id, date);
CREATE TABLE bench_floor_ledger (
    id serial PRIMARY KEY, contract_id int NOT NULL, date date NOT NULL, work_date date,
    kind varchar NOT NULL, amount numeric NOT NULL, minutes int, name varchar NOT NULL,
    source_key varchar, create_uid int, create_date timestamp, write_uid int, write_date timestamp
);
CREATE INDEX ON bench_floor_ledger (contract_id, date, kind);
CREATE UNIQUE INDEX ON bench_floor_ledger (source_key) WHERE source_key IS NOT NULL;
"""

WRITE_FLOOR_SQL = (
    FLOOR_SQL.split("SELECT COUNT(DISTINCT", 1)[0]
    + """
, billed AS (
    SELECT contract_id, user_id, day, SUM(minutes)::int AS minutes
      FROM blocks GROUP BY contract_id, user_id, day
)
INSERT INTO bench_floor_day_line (contract_id, user_id, date, name, unit_amount, amount,
       billed_minutes, create_uid, create_date, write_uid, write_date)
SELECT b.contract_id, b.user_id, b.day, 'Technical support', b.minutes / 60.0,
       ROUND(-(b.minutes / 60.0) * COALESCE(e.hourly_cost, 0), 2), b.minutes,
       1, NOW() AT TIME ZONE 'UTC', 1, NOW() AT TIME ZONE 'UTC'
  FROM billed b
  LEFT JOIN LATERAL (SELECT hourly_cost FROM hr_employee WHERE user_id = b.user_id
                      ORDER BY active DESC, id LIMIT 1) e ON TRUE
"""
)

WRITE_LEDGER_SQL = """
INSERT INTO bench_floor_ledger (contract_id, date, work_date, kind, amount, minutes, name,
       source_key, create_uid, create_date, write_uid, write_date)
SELECT d.contract_id, d.date, d.date, 'consumption',
       -ROUND(SUM(d.billed_minutes) * r.hourly_rate / 60, 2), SUM(d.billed_minutes),
       'Technical support on ' || d.date || ': ' || SUM(d.billed_minutes) || ' min',
       'billing:' || d.contract_id || ':' || d.date || ':1',
       1, NOW() AT TIME ZONE 'UTC', 1, NOW() AT TIME ZONE 'UTC'
  FROM bench_floor_day_line d
  JOIN LATERAL (SELECT hourly_rate FROM miko_support_rate
                 WHERE contract_id = d.contract_id AND date_from <= d.date
              ORDER BY date_from DESC LIMIT 1) r ON TRUE
 GROUP BY d.contract_id, d.date, r.hourly_rate
"""


def prepare_write_floor(env):
    """Create the floor's empty tables (outside the timed phase)."""
    env.cr.execute(WRITE_FLOOR_TABLES)
    env.cr.commit()


def write_floor(env, first, last, contracts):
    """The billing result written by PostgreSQL alone: day lines, then ledger rows, committed."""
    from odoo.tools import SQL

    env.cr.execute(SQL(WRITE_FLOOR_SQL, first, last, contracts.ids))  # pylint: disable=sql-injection
    lines = env.cr.rowcount
    env.cr.execute(WRITE_LEDGER_SQL)
    entries = env.cr.rowcount
    env.cr.commit()
    return {"day_lines": lines, "ledger_rows": entries}


def drop_write_floor(env):
    env.cr.execute("SELECT COALESCE(SUM(billed_minutes), 0) FROM bench_floor_day_line")
    minutes = int(env.cr.fetchone()[0])
    env.cr.execute("DROP TABLE IF EXISTS bench_floor_ledger; DROP TABLE bench_floor_day_line")
    env.cr.commit()
    return minutes
