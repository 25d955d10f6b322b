-- EXPLAIN of the two heaviest statements of the month, on a bench database kept with --keep-db:
--   psql -h 127.0.0.1 -p 54329 -U miko -d miko_bench_1000000 -f bench/explain.sql
-- 1. the union of a billing batch (every group of the month here): the window statement of
--    SupportContract._bill_groups (the CREATE TEMP TABLE miko_bill_day body, day totals only:
--    the activities' trails are computed when read, never written)
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
WITH g AS (
    SELECT DISTINCT contract_id, user_id, day FROM miko_support_activity
     WHERE day BETWEEN '2026-10-01' AND '2026-10-31'
), acts AS (
    SELECT a.id, a.contract_id, a.user_id, a.day, a.date_begin, a.date_end, a.raw_seconds,
           NOT COALESCE(a.is_vendor_bug, FALSE) AS billable
      FROM miko_support_activity a
      JOIN g ON a.contract_id = g.contract_id AND a.user_id = g.user_id AND a.day = g.day
     WHERE a.active
), ordered AS (
    SELECT contract_id, user_id, day, date_begin, date_end, id,
           MAX(date_end) OVER (PARTITION BY contract_id, user_id, day
                                   ORDER BY date_begin, date_end, id
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
      FROM acts
     WHERE billable
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
SELECT count(*) FROM (
    SELECT contract_id, user_id, day, SUM(minutes) FROM blocks GROUP BY contract_id, user_id, day
) day_totals;

-- 2. the day minutes of every (contract, month) to charge: SupportContract._post_consumption
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
WITH m AS (
    SELECT DISTINCT miko_contract_id AS contract_id, date_trunc('month', date)::date AS month_start
      FROM account_analytic_line WHERE miko_contract_id IS NOT NULL
)
SELECT l.miko_contract_id, l.date, SUM(l.miko_billed_minutes)
  FROM account_analytic_line l
  JOIN m ON l.miko_contract_id = m.contract_id
        AND l.date >= m.month_start AND l.date < m.month_start + interval '1 month'
 GROUP BY l.miko_contract_id, l.date;
