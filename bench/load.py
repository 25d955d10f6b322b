#!/usr/bin/env python3
"""Load benchmark: concurrent JSON-RPC clients against a running Odoo, checked against SQL.

``python bench/load.py [--clients 4] [--batches 5] [--batch-size 500] [--max-seconds 600]``

N client threads send ``register_activities`` batches (``object.execute_kw`` on ``/jsonrpc``, a new
HTTP request per call) to an Odoo already serving the demo database (``./miko run``; with workers
to exercise real concurrency, see ``bench/README.md``) while another thread calls
``post_consumption()`` every ``--post-interval`` seconds, as finance's integration and the cron
would. When the clients are done, ``post_consumption()`` is called until it has nothing left.
Then the billed minutes of every (contract, engineer, day) the run touched are compared, in
PostgreSQL, with the SQL floor (the union of the day's intervals recomputed by one window
statement, as in ``bench/run.py``), and the wallet charges of those days with their day lines.

Bounded: at most ``--clients`` × ``--batches`` calls of ``--batch-size`` records, a wall-time
limit, and only a loopback server. Prints the figures; ``--json FILE`` writes them. Exit code 1
when a day's billed minutes differ from the floor, a day line is doubled, a charge is missing or
doubled, or a call failed. Never part of ``./miko test``.
"""

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.request
from datetime import date, datetime, timedelta
from urllib.parse import urlparse

import psycopg2

SOURCE = "bench-load"
KINDS = ("call_in", "call_out", "email_out", "remote", "analysis", "other")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

FLOOR_SQL = """
WITH touched AS (
    SELECT DISTINCT contract_id, user_id, day FROM miko_support_activity
     WHERE source = %(source)s AND source_ref LIKE %(run)s
), ordered AS (
    SELECT a.contract_id, a.user_id, a.day, a.date_begin, a.date_end, a.id,
           MAX(a.date_end) OVER (PARTITION BY a.contract_id, a.user_id, a.day
                                     ORDER BY a.date_begin, a.date_end, a.id
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
      FROM miko_support_activity a
      JOIN touched t USING (contract_id, user_id, day)
     WHERE a.active AND NOT COALESCE(a.is_vendor_bug, FALSE)
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
), floor AS (
    SELECT contract_id, user_id, day, SUM(minutes)::int AS minutes
      FROM blocks GROUP BY contract_id, user_id, day
), lines AS (
    SELECT l.miko_contract_id AS contract_id, l.user_id, l.date AS day,
           SUM(l.miko_billed_minutes)::int AS minutes, COUNT(*) AS count
      FROM account_analytic_line l
      JOIN touched t ON t.contract_id = l.miko_contract_id AND t.user_id = l.user_id
                    AND t.day = l.date
  GROUP BY 1, 2, 3
)
SELECT COUNT(*),
       COALESCE(SUM(COALESCE(f.minutes, 0)), 0),
       COALESCE(SUM(COALESCE(l.minutes, 0)), 0),
       COUNT(*) FILTER (WHERE COALESCE(f.minutes, 0) <> COALESCE(l.minutes, 0)),
       COUNT(*) FILTER (WHERE l.count > 1)
  FROM touched t
  LEFT JOIN floor f USING (contract_id, user_id, day)
  LEFT JOIN lines l USING (contract_id, user_id, day)
"""

# per (contract, work day) of the touched days inside the contract's period: the minutes of the
# day lines against the minutes of the billing entries of the wallet (one entry per day and its
# corrections, whatever month they were booked in)
CHARGE_SQL = """
WITH days AS (
    SELECT DISTINCT a.contract_id, a.day FROM miko_support_activity a
      JOIN miko_support_contract k ON k.id = a.contract_id
     WHERE a.source = %(source)s AND a.source_ref LIKE %(run)s
       AND k.date_start IS NOT NULL AND a.day >= k.date_start
       AND (k.date_end IS NULL OR a.day <= k.date_end)
), billed AS (
    SELECT d.contract_id, d.day, COALESCE(SUM(l.miko_billed_minutes), 0)::int AS minutes
      FROM days d
      LEFT JOIN account_analytic_line l ON l.miko_contract_id = d.contract_id AND l.date = d.day
  GROUP BY 1, 2
), charged AS (
    SELECT d.contract_id, d.day, COALESCE(SUM(e.minutes), 0)::int AS minutes
      FROM days d
      LEFT JOIN miko_support_wallet_entry e
             ON e.contract_id = d.contract_id AND COALESCE(e.work_date, e.date) = d.day
            AND e.source_key LIKE 'billing:%%'
  GROUP BY 1, 2
)
SELECT COUNT(*), COUNT(*) FILTER (WHERE b.minutes <> c.minutes)
  FROM billed b JOIN charged c USING (contract_id, day)
"""


class RpcError(Exception):
    pass


class Client:
    """JSON-RPC ``execute_kw``, one new HTTP request per call (no session, no keep-alive)."""

    def __init__(self, url, db, uid, password, timeout):
        self.url, self.db, self.uid, self.password, self.timeout = url, db, uid, password, timeout

    @staticmethod
    def call(url, service, method, args, timeout):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"service": service, "method": method, "args": args},
        }
        request = urllib.request.Request(
            f"{url}/jsonrpc",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.load(response)
        if "error" in body:
            data = body["error"].get("data") or {}
            raise RpcError(f"{data.get('name')}: {data.get('message') or body['error']}")
        return body["result"]

    def execute(self, model, method, *args, **kwargs):
        return self.call(
            self.url,
            "object",
            "execute_kw",
            [self.db, self.uid, self.password, model, method, list(args), kwargs],
            self.timeout,
        )


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    port = os.environ.get("MIKO_HTTP_PORT", "8069")
    parser.add_argument("--url", default=f"http://127.0.0.1:{port}")
    parser.add_argument("--db", default=os.environ.get("MIKO_DEMO_DB", "miko_demo"))
    parser.add_argument("--login", default="admin", help="a support manager (admin in the demo)")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--pg-port", type=int, default=int(os.environ.get("MIKO_PG_PORT", "54329")))
    parser.add_argument("--pg-user", default="miko")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batches", type=int, default=5, help="calls per client")
    parser.add_argument("--batch-size", type=int, default=500, help="records per call")
    parser.add_argument("--post-interval", type=float, default=2.0, help="seconds between runs")
    parser.add_argument("--month", help="YYYY-MM of the work (default: this month)")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="wall-time limit")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    if urlparse(args.url).hostname not in LOOPBACK:
        parser.error("--url must be a loopback address: the benchmark loads only a local server")
    if not (
        1 <= args.clients <= 64 and 1 <= args.batches <= 1000 and 1 <= args.batch_size <= 10000
    ):
        parser.error("bounds: 1-64 clients, 1-1000 batches, 1-10000 records per batch")
    return args


def work_days(month):
    """The days of ``month`` up to yesterday (work of the future is not logged)."""
    first = datetime.strptime(month, "%Y-%m").date() if month else date.today().replace(day=1)
    days, day = [], first
    while day.month == first.month and day < date.today():
        days.append(day)
        day += timedelta(days=1)
    if not days:
        sys.exit(f"[load] no past day in {first:%Y-%m}: give --month")
    return days


def make_batch(rng, key, size, pool):
    """``size`` records of the (contracts, engineers, days) ``pool``, a third overlapping the
    previous one; ``key`` = (run id, client number, batch number) names them."""
    run_id, client_no, batch_no = key
    contracts, engineers, days = pool
    records, previous = [], None
    for index in range(size):
        if previous and rng.random() < 1 / 3:  # an overlapping record of the same group
            contract, engineer, day, begin = previous
            begin += timedelta(minutes=rng.randint(-20, 20))
        else:
            contract, engineer, day = rng.choice(contracts), rng.choice(engineers), rng.choice(days)
            begin = datetime(day.year, day.month, day.day, rng.randint(7, 19), rng.randint(0, 59))
        end = begin + timedelta(minutes=rng.randint(1, 90))
        previous = (contract, engineer, day, begin)
        records.append(
            {
                "contract": contract,
                "engineer": engineer,
                "kind": rng.choice(KINDS),
                "start": begin.isoformat() + "+03:00",
                "end": end.isoformat() + "+03:00",
                "subject": f"load {client_no}/{batch_no}/{index}",
                "description": "",
                "source": SOURCE,
                "source_ref": f"{run_id}-{client_no}-{batch_no}-{index}",
            }
        )
    return records


def main():
    args = parse_args()
    started = time.monotonic()
    deadline = started + args.max_seconds
    uid = Client.call(args.url, "common", "login", [args.db, args.login, args.password], 60)
    if not uid:
        sys.exit(f"[load] {args.login} cannot log in to {args.db} on {args.url}")
    client = Client(args.url, args.db, uid, args.password, timeout=max(60, args.max_seconds))
    contracts = [
        row["name"]
        for row in client.execute(
            "miko.support.contract",
            "search_read",
            [("state", "in", ["active", "suspended"])],
            fields=["name"],
        )
    ]
    group = client.execute(
        "ir.model.data",
        "search_read",
        [("module", "=", "miko_support_contract"), ("name", "=", "group_engineer")],
        fields=["res_id"],
    )
    engineers = [
        row["login"]
        for row in client.execute(
            "res.users",
            "search_read",
            [("group_ids", "in", [group[0]["res_id"]])],
            fields=["login"],
        )
    ]
    if not contracts or not engineers:
        sys.exit("[load] the database has no active contract or no engineer")
    days = work_days(args.month)
    run_id = f"{SOURCE}-{int(time.time())}"
    rng = random.Random(args.seed)
    plan = [
        [
            make_batch(rng, (run_id, c, b), args.batch_size, (contracts, engineers, days))
            for b in range(args.batches)
        ]
        for c in range(args.clients)
    ]
    lock = threading.Lock()
    figures = {
        "latencies": [],
        "created": 0,
        "updated": 0,
        "skipped": 0,
        "errors": [],
        "record_errors": 0,
        "post_calls": 0,
        "post_latencies": [],
        "billed_groups": 0,
        "ledger_entries": 0,
    }
    done = threading.Event()

    def send(batches):
        for batch in batches:
            if time.monotonic() > deadline:
                break
            begin = time.monotonic()
            try:
                result = client.execute("miko.support.contract", "register_activities", batch)
            except Exception as exc:  # a failed call is a figure of the run
                with lock:
                    figures["errors"].append(f"register_activities: {exc}")
                continue
            with lock:
                figures["latencies"].append(time.monotonic() - begin)
                for key in ("created", "updated", "skipped"):
                    figures[key] += result[key]
                figures["record_errors"] += len(result["errors"])

    def post_once():
        begin = time.monotonic()
        try:
            result = client.execute("miko.support.contract", "post_consumption")
        except Exception as exc:  # «already in the wallet ledger» would land here
            with lock:
                figures["errors"].append(f"post_consumption: {exc}")
            return None
        with lock:
            figures["post_calls"] += 1
            figures["post_latencies"].append(time.monotonic() - begin)
            figures["billed_groups"] += result["billed_groups"]
            figures["ledger_entries"] += result["ledger_entries"]
        return result

    def poster():
        while not done.wait(args.post_interval) and time.monotonic() < deadline:
            post_once()

    threads = [threading.Thread(target=send, args=(batches,)) for batches in plan]
    post_thread = threading.Thread(target=poster)
    load_started = time.monotonic()
    for thread in [*threads, post_thread]:
        thread.start()
    for thread in threads:
        thread.join()
    load_seconds = time.monotonic() - load_started
    done.set()
    post_thread.join()
    for _run in range(20):  # drain: what the concurrent runs left
        result = post_once()
        if result == {"billed_groups": 0, "ledger_entries": 0} or time.monotonic() > deadline:
            break

    with (
        psycopg2.connect(
            host="127.0.0.1", port=args.pg_port, user=args.pg_user, dbname=args.db
        ) as conn,
        conn.cursor() as cr,
    ):
        params = {"source": SOURCE, "run": f"{run_id}-%"}
        floor_started = time.monotonic()
        cr.execute(FLOOR_SQL, params)
        groups, floor_minutes, billed_minutes, mismatched, doubled = cr.fetchone()
        floor_seconds = time.monotonic() - floor_started
        cr.execute(CHARGE_SQL, params)
        charged_days, charge_mismatches = cr.fetchone()
        cr.execute(
            "SELECT COUNT(*) FROM miko_support_billing_queue q JOIN miko_support_activity a "
            "ON a.contract_id = q.contract_id AND a.user_id = q.user_id AND a.day = q.day "
            "WHERE a.source = %(source)s AND a.source_ref LIKE %(run)s",
            params,
        )
        still_queued = cr.fetchone()[0]

    sent = sum(len(batch) for batches in plan for batch in batches)
    latencies = sorted(figures["latencies"]) or [0.0]
    report = {
        "run_id": run_id,
        "clients": args.clients,
        "calls": len(figures["latencies"]),
        "records_sent": sent,
        "created": figures["created"],
        "updated": figures["updated"],
        "skipped": figures["skipped"],
        "record_errors": figures["record_errors"],
        "load_seconds": round(load_seconds, 2),
        "records_per_second": round(sent / load_seconds, 1) if load_seconds else None,
        "call_seconds_p50": round(statistics.median(latencies), 3),
        "call_seconds_p95": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
        "post_consumption_calls": figures["post_calls"],
        "post_consumption_seconds_max": round(max(figures["post_latencies"] or [0.0]), 3),
        "billed_groups": figures["billed_groups"],
        "ledger_entries": figures["ledger_entries"],
        "groups_touched": groups,
        "floor_minutes": floor_minutes,
        "billed_minutes": billed_minutes,
        "groups_billed_differently": mismatched,
        "groups_with_doubled_line": doubled,
        "groups_still_queued": still_queued,
        "charged_days": charged_days,
        "days_charged_differently": charge_mismatches,
        "floor_seconds": round(floor_seconds, 3),
        "failed_calls": figures["errors"][:20],
        "wall_seconds": round(time.monotonic() - started, 2),
    }
    width = max(len(key) for key in report)
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(report, out, indent=2)
    ok = not (mismatched or doubled or still_queued or charge_mismatches or figures["errors"])
    print("[load] OK: every day billed as the SQL floor, charged once" if ok else "[load] FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
