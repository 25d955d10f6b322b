"""The statements of the bulk activity import (``register_activities``), run in this order by
``miko.support.activity._import_api_records``: the records parsed and validated
(``ROW_SQL``), cut into day pieces (``PIECE_SQL``), compared with what is stored
(``STATUS_SQL``). Parameters are bound by ``odoo.tools.SQL`` (``%(name)s``).
"""

# 1. the records validated and parsed: every field read as text but the contract (a number is an
# id, a string its number); ``refused`` rows were refused in Python. ``same``: stored exactly as
# sent (the re-import fast path: the fingerprint of the first piece, the same contract and
# engineer, no request to check again, the caller's right, the month open, every record of the
# call with this reference identical), nothing else is computed for it; ``error`` names what is
# wrong (NULL when valid); ``rn`` > 1 marks a repetition of the reference within the call
ROW_SQL = """
CREATE TEMP TABLE miko_import_row ON COMMIT DROP AS
WITH c AS (
    SELECT * FROM unnest(%(key_types)s::text[], %(keys)s::text[], %(key_contracts)s::int[])
        AS c(key_type, key, contract_id)
), u AS (
    SELECT * FROM unnest(%(logins)s::text[], %(login_users)s::int[]) AS u(login, user_id)
), raw AS MATERIALIZED (
    SELECT (r.ordinality - 1)::int AS idx,
           (r.ordinality - 1)::int = ANY(%(refused)s::int[]) AS refused,
           md5(concat_ws(chr(31), r.contract::text, r.engineer, r.kind, r.start, r."end",
                         r.subject, COALESCE(r.description, ''), r.source, r.source_ref,
                         COALESCE(r.request, ''))) AS raw_hash,
           json_typeof(r.contract) AS contract_type,
           btrim(r.contract #>> '{}', %(ws)s) AS contract_key,
           r.engineer, r.kind,
           btrim(r.start, %(ws)s) AS start_text, btrim(r."end", %(ws)s) AS end_text,
           r.subject AS subject_raw, COALESCE(r.description, '') AS description,
           r.source AS source_raw, r.source_ref AS source_ref_raw,
           btrim(r.source, %(ws)s) AS source, btrim(r.source_ref, %(ws)s) AS source_ref,
           r.request AS request_text
      FROM ROWS FROM (json_to_recordset(%(payload)s::json) AS (
               contract json, engineer text, kind text, start text, "end" text, subject text,
               description text, source text, source_ref text, request text))
           WITH ORDINALITY AS r(contract, engineer, kind, start, "end", subject, description,
                                source, source_ref, request, ordinality)
), r AS MATERIALIZED (
    SELECT r.*, c.contract_id, u.user_id,
           COALESCE(
               a.source_hash = r.raw_hash AND a.contract_id = c.contract_id
               AND a.user_id = u.user_id AND NOT r.refused
               AND NOT COALESCE(r.request_text ~ '^-?[0-9]+$' AND r.request_text <> '0', FALSE)
               AND (%(is_manager)s OR a.user_id = %(uid)s)
               AND (k.locked_until IS NULL OR a.day > k.locked_until)
               AND MIN(r.raw_hash) OVER ref = MAX(r.raw_hash) OVER ref,
               FALSE
           ) AS same
      FROM raw r
 LEFT JOIN c ON c.key_type = r.contract_type AND c.key = r.contract_key
 LEFT JOIN u ON u.login = r.engineer
 LEFT JOIN LATERAL (
           SELECT a.id, a.source_hash, a.contract_id, a.user_id, a.day
             FROM miko_support_activity a
            WHERE a.source = r.source AND a.source_ref = r.source_ref AND a.part = 0
       ) a ON TRUE
 LEFT JOIN miko_support_contract k ON k.id = a.contract_id
    WINDOW ref AS (PARTITION BY r.source, r.source_ref)
), p AS MATERIALIZED (
    SELECT r.idx, r.raw_hash, r.source, r.source_ref, r.kind, r.refused,
           r.contract_id, k.company_id, k.partner_id, k.locked_until,
           COALESCE(co.miko_support_tz, 'Europe/Moscow') AS tz, r.user_id,
           btrim(r.subject_raw, %(ws)s) AS subject,
           r.description, r.subject_raw, r.source_raw, r.source_ref_raw,
           COALESCE(r.request_text ~ '^-?[0-9]+$' AND r.request_text <> '0', FALSE)
               AS has_request,
           t.id AS request_id,
           %(date_begin)s AS date_begin,
           %(date_end)s AS date_end
      FROM r
 LEFT JOIN miko_support_contract k ON k.id = r.contract_id
 LEFT JOIN res_company co ON co.id = k.company_id
 LEFT JOIN project_task t
        ON t.id = CASE WHEN r.request_text ~ '^[0-9]{1,9}$'
                       THEN r.request_text::int END
       AND t.miko_contract_id = r.contract_id
     WHERE NOT r.same
), checked AS MATERIALIZED (
    SELECT p.*,
           %(day0)s AS day0,
           CASE
               WHEN p.refused THEN 'refused'
               WHEN p.contract_id IS NULL THEN 'contract'
               WHEN p.user_id IS NULL THEN 'engineer'
               WHEN p.kind <> ALL(%(kinds)s::text[]) THEN 'kind'
               WHEN p.date_begin IS NULL THEN 'start'
               WHEN p.date_end IS NULL THEN 'end'
               WHEN p.date_end <= p.date_begin
                    OR p.date_end - p.date_begin > interval '24 hours' THEN 'interval'
               WHEN p.subject = '' OR char_length(p.subject_raw) > %(subject_limit)s
                   THEN 'subject'
               WHEN p.source = '' OR char_length(p.source_raw) > %(source_limit)s THEN 'source'
               WHEN p.source_ref = '' OR char_length(p.source_ref_raw) > %(source_ref_limit)s
                   THEN 'source_ref'
               WHEN p.has_request AND p.request_id IS NULL THEN 'request'
               WHEN NOT %(is_manager)s AND p.user_id <> %(uid)s THEN 'permission'
           END AS error
      FROM p
)
SELECT checked.idx, checked.raw_hash, checked.source, checked.source_ref,
       checked.kind, checked.contract_id, checked.company_id, checked.partner_id, checked.tz,
       checked.user_id, checked.subject, checked.description, checked.request_id,
       checked.date_begin, checked.date_end, checked.day0, checked.error,
       row_number() OVER w AS rn,
       first_value(idx) OVER w AS first_idx,
       (contract_id, user_id, kind, date_begin, date_end, subject, description, request_id)
           IS DISTINCT FROM (first_value(contract_id) OVER w, first_value(user_id) OVER w,
                             first_value(kind) OVER w, first_value(date_begin) OVER w,
                             first_value(date_end) OVER w, first_value(subject) OVER w,
                             first_value(description) OVER w, first_value(request_id) OVER w)
           AS differs
  FROM checked
WINDOW w AS (PARTITION BY error IS NULL, source, source_ref ORDER BY idx)
"""

# 2. the day pieces of the valid first records (cut at the local midnights, an activity lasts
# at most 24 hours; ``billing_sql.day_pieces_sql``) beside the stored piece of the same number
PIECE_SQL = """
CREATE TEMP TABLE miko_import_piece ON COMMIT DROP AS
WITH pieces AS (
    SELECT r.*, d.part, d.day, d.piece_begin, d.piece_end
      FROM (%(pieces)s) d
      JOIN miko_import_row r ON r.idx = d.ref
)
SELECT p.idx, p.raw_hash, p.source, p.source_ref, p.part, p.day, p.piece_begin, p.piece_end,
       p.contract_id, p.company_id, p.partner_id, p.user_id, p.kind, p.subject, p.description,
       p.request_id,
       a.id AS old_id, a.contract_id AS old_contract_id, a.day AS old_day,
       a.source_hash AS old_hash,
       a.id IS NOT NULL
       AND (a.contract_id, a.user_id, a.kind, a.date_begin, a.date_end, a.subject,
            COALESCE(a.description, ''), a.request_id)
           IS NOT DISTINCT FROM (p.contract_id, p.user_id, p.kind, p.piece_begin, p.piece_end,
                                 p.subject, p.description, p.request_id) AS old_same
  FROM pieces p
  LEFT JOIN LATERAL (
       SELECT a.* FROM miko_support_activity a
        WHERE a.source = p.source AND a.source_ref = p.source_ref AND a.part = p.part
  ) a ON TRUE
"""

# 3. per record: new, same (stored as sent), changed, or locked (a change to a closed month)
STATUS_SQL = """
CREATE TEMP TABLE miko_import_status ON COMMIT DROP AS
WITH g AS (
    SELECT p.idx, p.source, p.source_ref, p.raw_hash, COUNT(*) AS pieces,
           bool_or(p.old_id IS NOT NULL) AS has_old, bool_and(p.old_same) AS all_same,
           bool_or(p.old_hash IS DISTINCT FROM p.raw_hash) AS rehash,
           MIN(p.old_day) AS old_day,
           (array_agg(p.old_contract_id ORDER BY p.part))[1] AS old_contract_id
      FROM miko_import_piece p
  GROUP BY p.idx, p.source, p.source_ref, p.raw_hash
), s AS (
    SELECT g.*,
           g.has_old AND EXISTS (
               SELECT 1 FROM miko_support_activity a
                WHERE a.source = g.source AND a.source_ref = g.source_ref
                  AND a.part >= g.pieces) AS surplus
      FROM g
)
SELECT s.*, k.locked_until,
       CASE WHEN NOT s.has_old THEN 'new'
            WHEN s.all_same AND NOT s.surplus THEN 'same'
            WHEN k.locked_until IS NOT NULL AND s.old_day <= k.locked_until THEN 'locked'
            ELSE 'changed'
       END AS status
  FROM s
  LEFT JOIN miko_support_contract k ON k.id = s.old_contract_id
"""
