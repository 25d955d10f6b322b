#!/usr/bin/env python3
"""Benchmark: a month of a large vendor, side by side with the SQL floor and ``sale_timesheet``.

``python bench/run.py [--quick | --scale F] [--json FILE]`` creates a fresh database on the local
cluster of ``./miko`` (``.local/pgdata``), installs the addon with its demo company and Odoo's
``sale_timesheet`` (in this database only), builds a synthetic vendor (customers with contracts and
paid prepayments, engineers, a month of activities from three sources with overlaps, re-sent
duplicates and malformed rows) and times every phase of the month in this very process: import
through the Integration API, re-import, billing, month close, XML with schema validation, PDF of a
sample, statements of the largest customer; beside them the SQL floor of the billing and the
``sale_timesheet`` peer (timesheets on service order lines, then "create invoices").

It prints a table and writes ``--json FILE`` (``phases`` with ``seconds`` each, ``ratios``,
``goals``). Never part of ``./miko test``.
"""

import argparse
import cProfile
import json
import os
import pstats
import random
import resource
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import miko  # noqa: E402  (scripts/miko.py: the cluster and the Odoo configuration)
from floors import drop_write_floor, prepare_write_floor, sql_floor, write_floor  # noqa: E402
from report import evaluate, markdown, print_table  # noqa: E402

FULL = {"customers": 5000, "engineers": 200, "activities": 1_000_000}
QUICK_SCALE = 1 / 20
YEAR, MONTH = 2026, 10
SOURCES = ("pbx", "teamviewer", "crm")
KINDS = {"pbx": ("call_in", "call_out"), "teamviewer": ("remote",), "crm": ("email_out", "other")}
API_BATCH = 10_000
CLOSE_BATCH = 250
PDF_SAMPLE = 20
PREPAYMENT = 200_000.0
XSD = REPO.parent / "shared" / "upd" / "xsd" / "ON_NSCHFDOPPR_1_997_01_05_03_05_transcribed.xsd"
BUYER_INN, BUYER_KPP = "7702190122", "770201001"


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Phases:
    def __init__(self):
        self.rows = {}

    def run(self, name, cr, fn, rows=None, docs=None):
        queries = cr.sql_log_count
        profile = name in os.environ.get("MIKO_BENCH_PROFILE", "").split(",") and cProfile.Profile()
        start = time.perf_counter()
        result = profile.runcall(fn) if profile else fn()
        wall = time.perf_counter() - start
        if profile:  # MIKO_BENCH_PROFILE=billing_union,…: where a phase spends its time
            profile.dump_stats(f"/tmp/bench-{name}.prof")
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        # a phase fed by a client (the import) reports the time spent in the server's calls: the
        # client's own work (making the records) is not the product's
        seconds = result.get("server_seconds", wall) if isinstance(result, dict) else wall
        count = rows(result) if callable(rows) else rows
        ndocs = docs(result) if callable(docs) else docs
        queries = cr.sql_log_count - queries
        self.rows[name] = {
            "seconds": round(seconds, 3),
            "wall_seconds": round(wall, 3),
            "rows": count,
            "rows_per_second": round(count / seconds, 1) if count and seconds else None,
            "queries": queries,
            "queries_per_document": round(queries / ndocs, 1) if ndocs else None,
            "documents": ndocs,
            "peak_memory_mb": round(peak_mb(), 1),
        }
        miko.log(f"{name}: {seconds:.2f}s rows={count} queries={queries}")
        return result

    def combine(self, name, parts, rows):
        seconds = sum(self.rows[part]["seconds"] for part in parts)
        self.rows[name] = {
            "seconds": round(seconds, 3),
            "rows": rows,
            "rows_per_second": round(rows / seconds, 1) if seconds else None,
            "queries": sum(self.rows[part]["queries"] for part in parts),
            "queries_per_document": None,
            "documents": None,
            "peak_memory_mb": max(self.rows[part]["peak_memory_mb"] for part in parts),
        }


# ---------------------------------------------------------------------------------------------
# synthetic data
# ---------------------------------------------------------------------------------------------
def month_days():
    day = date(YEAR, MONTH, 1)
    while day.month == MONTH:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def moment(day, seconds):
    value = datetime(day.year, day.month, day.day) + timedelta(seconds=seconds)
    return value.strftime("%Y-%m-%dT%H:%M:%S+03:00")


def make_activities(size, contract_names, logins, seed=8):
    """Batches of records (one engineer's month each, generated lazily: the full million never
    sits in memory): about a third overlapping, 10 % exact duplicates re-sent, 1 % malformed.
    The same seed gives the same batches (the re-import sends exactly the same data)."""
    days = list(month_days())
    total = size["activities"]
    unique = int(total * 0.89)
    per_engineer_day = max(1, unique // (len(logins) * len(days)))
    largest = contract_names[0]

    def engineer_batch(number, login):
        rnd = random.Random(seed * 100_003 + number)
        customers = [
            contract_names[(number + k * len(logins)) % len(contract_names)] for k in range(25)
        ]
        records = []

        def record(contract, source, day, begin, end):
            kind = rnd.choice(KINDS[source])
            serial = f"{number}-{len(records)}"
            return {
                "contract": contract,
                "engineer": login,
                "kind": kind,
                "start": moment(day, begin),
                "end": moment(day, end),
                "subject": f"{kind} {serial}",
                "description": "",
                "source": source,
                "source_ref": f"{source}-{serial}",
            }

        for day in days:
            clock = 6 * 3600
            made = 0
            while made < per_engineer_day and clock < 23 * 3600:
                contract = largest if rnd.random() < 0.03 else rnd.choice(customers)
                source = rnd.choice(SOURCES)
                duration = rnd.randint(60, 420)
                records.append(record(contract, source, day, clock, clock + duration))
                made += 1
                end = clock + duration
                if made < per_engineer_day and rnd.random() < 0.5:  # an overlapping companion
                    other = rnd.choice([s for s in SOURCES if s != source])
                    begin = clock + rnd.randint(0, duration)
                    companion = begin + rnd.randint(30, 300)
                    records.append(record(contract, other, day, begin, companion))
                    made += 1
                    end = max(end, companion)
                clock = end + rnd.randint(10, 120)
        malformed = []
        for index in range(round(len(records) * 0.01 / 0.89)):
            bad = dict(rnd.choice(records))
            bad["source_ref"] = f"bad-{number}-{index}"
            flaw = index % 4
            if flaw == 0:
                bad["end"], bad["start"] = bad["start"], bad["end"]
            elif flaw == 1:
                bad["engineer"] = "nobody"
            elif flaw == 2:
                bad["kind"] = "telepathy"
            else:
                bad["start"] = "yesterday"
            malformed.append(bad)
        duplicates = [dict(rnd.choice(records)) for _ in range(round(len(records) * 0.10 / 0.89))]
        sent = records + malformed + duplicates
        rnd.shuffle(sent)
        return sent

    def batches():
        for number, login in enumerate(logins):
            yield engineer_batch(number, login)

    return batches


def build_vendor(env, size):
    """Engineers, customers with contracts, their paid prepayments (ORM, like a real vendor)."""
    from odoo.tools import SQL

    company = env.ref("miko_support_contract.company_miko_demo")
    admin = env.ref("base.user_admin")
    admin.write(
        {
            "company_ids": [(4, company.id)],
            "company_id": company.id,
            "group_ids": [(4, env.ref("miko_support_contract.group_manager").id)],
        }
    )
    company.write(
        {
            "miko_upd_xsd_path": str(XSD) if XSD.exists() else False,
            "street": company.street or "ул. Садовая-Кудринская, д. 11",
            "city": company.city or "Москва",
            "zip": company.zip or "123001",
        }
    )
    env.cr.execute(  # trust the demo bank account (a right the bench admin need not have)
        SQL(
            "UPDATE res_partner_bank SET allow_out_payment = TRUE WHERE partner_id = %s",
            company.partner_id.id,
        )
    )
    env["res.partner.bank"].invalidate_model()
    env = env(
        user=admin.id,
        context={"allowed_company_ids": [company.id], "tracking_disable": 1, "lang": "en_US"},
    )
    engineer_group = env.ref("miko_support_contract.group_engineer")
    users = (
        env["res.users"]
        .sudo()
        .with_context(no_reset_password=True)
        .create(
            [
                {
                    "name": f"Инженер {n:03d}",
                    "login": f"bench_eng_{n:03d}",
                    "company_id": company.id,
                    "company_ids": [(6, 0, company.ids)],
                    "group_ids": [(6, 0, engineer_group.ids)],
                }
                for n in range(size["engineers"])
            ]
        )
    )
    env["hr.employee"].sudo().create(
        [{"name": user.name, "user_id": user.id, "company_id": company.id} for user in users]
    )
    partners = env["res.partner"].create(
        [
            {
                "name": f"ООО «Клиент {n:05d}»",
                "is_company": True,
                "vat": BUYER_INN,
                "miko_kpp": BUYER_KPP,
                "street": "ул. Ленинградская, д. 25",
                "city": "Химки",
                "zip": "141400",
                "miko_edo_id": f"2BM-{BUYER_INN}-{BUYER_KPP}-{n:015d}",
                "email": f"client{n}@bench.example",
            }
            for n in range(size["customers"])
        ]
    )
    contracts = env["miko.support.contract"].create(
        [{"partner_id": partner.id, "company_id": company.id} for partner in partners]
    )
    invoices = env["account.move"]
    for contract in contracts:
        contract.set_hourly_rate(1700, date(2026, 1, 1))
        invoices |= contract.create_prepayment_invoice(amount=PREPAYMENT)
    invoices.action_post()
    env["account.payment.register"].with_context(
        active_model="account.move", active_ids=invoices.ids
    ).create({"payment_date": date(2026, 9, 25), "group_payment": False})._create_payments()
    env.cr.commit()
    return env, company, users, contracts


# ---------------------------------------------------------------------------------------------
# phases
# ---------------------------------------------------------------------------------------------
def api_import(env, batches):
    """One ``register_activities`` call (one transaction) per engineer's month of records."""
    Contract = env["miko.support.contract"]
    totals = {"sent": 0, "created": 0, "updated": 0, "skipped": 0, "errors": 0}
    server_seconds = 0.0
    for records in batches():
        for start in range(0, len(records), API_BATCH):
            chunk = records[start : start + API_BATCH]
            call_start = time.perf_counter()
            result = Contract.register_activities(chunk)
            env.cr.commit()
            server_seconds += time.perf_counter() - call_start
            env.invalidate_all()
            totals["sent"] += len(chunk)
            for key in ("created", "updated", "skipped"):
                totals[key] += result[key]
            totals["errors"] += len(result["errors"])
    totals["server_seconds"] = server_seconds
    return totals


def billing_union(env):
    """Union + rounding: trails and day lines of every pending (contract, engineer, day)."""
    groups = env["miko.support.contract"]._bill_pending_days()
    env.cr.commit()
    return groups


def billing_wallet(env):
    """Wallet consumption of the billed minutes (cumulative allocation per month)."""
    entries = env["miko.support.contract"]._post_consumption()
    env.cr.commit()
    return len(entries)


def billed_minutes(env, first, last, contracts):
    from odoo.tools import SQL

    env.cr.execute(
        SQL(
            "SELECT COALESCE(SUM(miko_billed_minutes), 0) FROM account_analytic_line "
            "WHERE date BETWEEN %s AND %s AND miko_contract_id = ANY(%s)",
            first,
            last,
            contracts.ids,
        )
    )
    return env.cr.fetchone()[0]


def month_close(env, contracts):
    Upd = env["miko.support.upd"]
    count = 0
    for start in range(0, len(contracts), CLOSE_BATCH):
        chunk = contracts[start : start + CLOSE_BATCH]
        count += len(Upd.generate_for_month(YEAR, MONTH, chunk.ids))
        env.cr.commit()  # each chunk commits: a crash resumes without duplicates
        env.invalidate_all()
    return count


def xml_all(env):
    from odoo.addons.miko_support_contract import upd as upd_xml

    upds = env["miko.support.upd"].search([("period_start", "=", date(YEAR, MONTH, 1))])
    xsd = env.ref("miko_support_contract.company_miko_demo").miko_upd_xsd_path
    for upd in upds:
        document = env["miko.support.upd.document"]._upd_document(upd)
        upd_xml.check_document(document)
        content = upd_xml.build_xml(document)
        if xsd:
            upd_xml.validate_xml(content, xsd)
        upd_xml.check_schematron_rules(content, file_name=upd_xml.file_id(document))
    return len(upds)


def pdf_sample(env):
    upds = env["miko.support.upd"].search(
        [("period_start", "=", date(YEAR, MONTH, 1))], limit=PDF_SAMPLE
    )
    pdf, _kind = env["ir.actions.report"]._render_qweb_pdf(
        "miko_support_contract.action_report_upd", upds.ids
    )
    return {"documents": len(upds), "bytes": len(pdf)}


def statements(env, contracts):
    from odoo.tools import SQL

    env.cr.execute(
        SQL(
            "SELECT contract_id FROM miko_support_activity WHERE contract_id = ANY(%s) "
            "GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1",
            contracts.ids,
        )
    )
    contract = env["miko.support.contract"].browse(env.cr.fetchone()[0])
    first, last = date(YEAR, MONTH, 1), date(YEAR, MONTH, 31)
    statement = contract.get_statement(first, last)
    contract.env["miko.support.statement"]._xlsx(contract, first, last)
    return sum(len(day["lines"]) for day in statement["days"])


def peer_setup(env, contracts, limit):
    """Odoo's own flow on the same work: one service order per customer, its day timesheets."""
    from odoo.tools import SQL

    product = env["product.product"].create(
        {
            "name": "Техподдержка (peer)",
            "type": "service",
            "list_price": 1700.0,
            "service_tracking": "project_only",
            "service_policy": "delivered_timesheet",
            "uom_id": env.ref("uom.product_uom_hour").id,
        }
    )
    peers = contracts[:limit]
    orders = env["sale.order"].create(
        [
            {
                "partner_id": contract.partner_id.id,
                "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})],
            }
            for contract in peers
        ]
    )
    orders.action_confirm()
    env.cr.execute(
        SQL(
            "SELECT miko_contract_id, employee_id, date, unit_amount FROM account_analytic_line "
            "WHERE miko_contract_id = ANY(%s)",
            peers.ids,
        )
    )
    project_of = {order.partner_id.id: order.project_ids[:1].id for order in orders}
    partner_of = {contract.id: contract.partner_id.id for contract in peers}
    vals = [
        {
            "name": "Техподдержка",
            "project_id": project_of[partner_of[contract_id]],
            "employee_id": employee_id,
            "date": day,
            "unit_amount": hours,
        }
        for contract_id, employee_id, day, hours in env.cr.fetchall()
    ]
    env.cr.commit()
    return orders, vals


def peer_timesheets(env, vals):
    env["account.analytic.line"].create(vals)
    env.cr.commit()
    return len(vals)


def peer_invoices(env, orders):
    wizard = env["sale.advance.payment.inv"].create(
        {"advance_payment_method": "delivered", "sale_order_ids": [(6, 0, orders.ids)]}
    )
    wizard.create_invoices()
    invoices = orders.invoice_ids
    invoices.action_post()
    env.cr.commit()
    return len(invoices)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"1/{int(1 / QUICK_SCALE)} size")
    parser.add_argument("--scale", type=float, help="fraction of the full size (default 1)")
    parser.add_argument("--json", help="write the result to this file")
    parser.add_argument("--db", help="database name (default miko_bench_<scale>)")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--template", help="copy this freshly installed database instead of installing (dev loop)"
    )
    parser.add_argument(
        "--peer-customers", type=int, default=500, help="largest sale_timesheet peer size"
    )
    args = parser.parse_args()
    scale = args.scale or (QUICK_SCALE if args.quick else 1.0)
    size = {key: max(1, round(value * scale)) for key, value in FULL.items()}

    env_vars = miko.odoo_env()
    odoo_root = miko.probe_odoo(env_vars, "bench")
    bindir = miko.ensure_cluster()
    conf = miko.write_config(odoo_root, name="odoo-bench.conf", max_cron_threads=0)
    db = args.db or f"miko_bench_{int(size['activities'])}"
    miko.drop_db(bindir, db)
    setup_start = time.perf_counter()
    import subprocess

    if args.template:
        miko.psql(bindir, f'CREATE DATABASE "{db}" TEMPLATE "{args.template}"')
    else:
        subprocess.run(
            miko.odoo_cmd(
                conf,
                "-d",
                db,
                "-i",
                f"{miko.ADDON},sale_timesheet",
                "--with-demo",
                "--load-language=ru_RU",  # the demo customers read Russian
                "--stop-after-init",
                "--log-level=warn",
            ),
            env=env_vars,
            check=True,
        )
    install_seconds = time.perf_counter() - setup_start

    import odoo
    from odoo import api
    from odoo.modules.registry import Registry
    from odoo.tools import SQL

    odoo.tools.config.parse_config(["-c", str(conf), "-d", db, "--log-level=warn"])
    registry = Registry(db)
    phases = Phases()
    first, last = date(YEAR, MONTH, 1), date(YEAR, MONTH, 31)
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {"lang": "en_US"})
            env, _company, users, contracts = phases.run(
                "setup_vendor", cr, lambda: build_vendor(env, size), rows=size["customers"]
            )
            batches = make_activities(size, contracts.mapped("name"), users.mapped("login"))
            imported = phases.run(
                "import", cr, lambda: api_import(env, batches), rows=lambda r: r["sent"]
            )
            unique = imported["created"]
            reimported = phases.run(
                "reimport", cr, lambda: api_import(env, batches), rows=lambda r: r["sent"]
            )
            env.cr.execute(SQL("ANALYZE miko_support_activity"))
            floor = phases.run(
                "sql_floor", cr, lambda: sql_floor(env, first, last, contracts), rows=unique
            )
            prepare_write_floor(env)
            written = phases.run(
                "write_floor", cr, lambda: write_floor(env, first, last, contracts), rows=unique
            )
            written["minutes"] = drop_write_floor(env)
            phases.run("billing_union", cr, lambda: billing_union(env), rows=unique)
            phases.run("billing_wallet", cr, lambda: billing_wallet(env), rows=lambda n: n)
            phases.combine("billing", ("billing_union", "billing_wallet"), rows=unique)
            billed = {"minutes": billed_minutes(env, first, last, contracts)}
            upds = phases.run(
                "month_close",
                cr,
                lambda: month_close(env, contracts),
                rows=len(contracts),
                docs=lambda n: n,
            )
            phases.run("xml", cr, lambda: xml_all(env), rows=lambda n: n)
            phases.run("pdf_sample", cr, lambda: pdf_sample(env), rows=lambda r: r["documents"])
            phases.run(
                "statement_largest", cr, lambda: statements(env, contracts), rows=lambda n: n
            )
            peer_limit = min(args.peer_customers, len(contracts))
            orders, vals = peer_setup(env, contracts, peer_limit)
            phases.run("peer_timesheets", cr, lambda: peer_timesheets(env, vals), rows=len(vals))
            phases.run(
                "peer_invoices",
                cr,
                lambda: peer_invoices(env, orders),
                rows=lambda n: n,
                docs=lambda n: n,
            )
        ratios, goals = evaluate(phases, size, scale)
        result = {
            "size": size,
            "scale": scale,
            "database": db,
            "install_seconds": round(install_seconds, 1),
            "machine": f"{__import__('os').cpu_count()} CPU",
            "phases": phases.rows,
            "ratios": ratios,
            "goals": goals,
            "checks": {
                "import": imported,
                "reimport": reimported,
                "floor": floor,
                "write_floor": written,
                "billing": billed,
                "floor_equals_billing": floor["minutes"] == billed["minutes"],
                "upds": upds,
                "peer_customers": peer_limit,
                "peer_extrapolated_seconds_full": round(
                    phases.rows["peer_invoices"]["seconds"]
                    / max(peer_limit, 1)
                    * FULL["customers"],
                    1,
                ),
            },
        }
        print_table(result)
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2, default=str))
            Path(args.json).with_suffix(".md").write_text(markdown(result))
        return 0
    finally:
        Registry.delete(db)
        if not args.keep_db:
            miko.drop_db(bindir, db)


if __name__ == "__main__":
    sys.exit(main())
