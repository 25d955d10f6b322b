"""The report of ``bench/run.py``: goals, ratios, the printed table and its Markdown."""

GOALS = {
    "import": ("rows_per_second", ">=", 60_000, "activities/s through register_activities"),
    "reimport": ("seconds_full_size", "<=", 5.0, "s for the same 1M (0 new rows)"),
    "billing_vs_floor": ("ratio", "<=", 2.0, "× the SQL floor"),
    "close": ("seconds_full_size", "<=", 180.0, "s for 5,000 customers without PDF"),
    "close_vs_peer_per_doc": ("ratio", "<=", 0.33, "× sale_timesheet per document"),
    "queries_per_upd": ("value", "<=", 30, "SQL queries per UPD"),
    "xml": ("rows_per_second", ">=", 1000, "UPDs/s built and validated"),
    "peak_memory": ("value", "<=", 1024, "MB peak RSS of the Odoo process"),
}


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
def evaluate(phases, size, scale):
    ph = phases.rows
    full = 1 / scale
    ratios = {
        "billing_vs_floor": round(
            ph["billing"]["seconds"] / max(ph["sql_floor"]["seconds"], 1e-6), 2
        ),
        "billing_vs_write_floor": round(
            ph["billing"]["seconds"] / max(ph["write_floor"]["seconds"], 1e-6), 2
        ),
        "close_vs_peer_per_doc": round(
            (ph["month_close"]["seconds"] / max(ph["month_close"]["documents"] or 1, 1))
            / max(
                ph["peer_invoices"]["seconds"] / max(ph["peer_invoices"]["documents"] or 1, 1), 1e-9
            ),
            3,
        ),
    }
    values = {
        "import": ph["import"]["rows_per_second"] or 0,
        "reimport": ph["reimport"]["seconds"] * full,
        "billing_vs_floor": ratios["billing_vs_floor"],
        "close": ph["month_close"]["seconds"] * full,
        "close_vs_peer_per_doc": ratios["close_vs_peer_per_doc"],
        "queries_per_upd": ph["month_close"]["queries_per_document"] or 0,
        "xml": ph["xml"]["rows_per_second"] or 0,
        "peak_memory": max(row["peak_memory_mb"] for row in ph.values()),
    }
    goals = {}
    for name, (_kind, op, target, unit) in GOALS.items():
        value = values[name]
        met = value >= target if op == ">=" else value <= target
        goals[name] = {"value": round(value, 3), "target": f"{op} {target} {unit}", "met": met}
    return ratios, goals


def print_table(result):
    print()
    print(f"size: {result['size']}  (scale {result['scale']})")
    head = (
        f"{'phase':<18}{'seconds':>10}{'rows':>10}{'rows/s':>12}{'queries':>10}{'q/doc':>8}"
        f"{'peak MB':>9}"
    )
    print(head)
    print("-" * len(head))
    for name, row in result["phases"].items():
        print(
            f"{name:<18}{row['seconds']:>10.2f}{row['rows'] or '':>10}"
            f"{row['rows_per_second'] or '':>12}{row['queries']:>10}"
            f"{row['queries_per_document'] or '':>8}{row['peak_memory_mb']:>9.0f}"
        )
    print()
    print(f"{'goal':<24}{'value':>12}  target / met")
    for name, goal in result["goals"].items():
        mark = "met" if goal["met"] else "NOT met"
        print(f"{name:<24}{goal['value']:>12}  {goal['target']}: {mark}")
    print(f"ratios: {result['ratios']}")
    print(f"checks: {result['checks']}")


def markdown(result):
    """The table of phases and the goals, as Markdown (for the README)."""
    lines = [
        f"Size {result['size']} (scale {result['scale']}), {result['machine']}, "
        f"install {result['install_seconds']} s.",
        "",
        "| phase | seconds | rows | rows/s | SQL queries | queries/doc | peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in result["phases"].items():
        lines.append(
            f"| {name} | {row['seconds']:.2f} | {row['rows'] or ''} | "
            f"{row['rows_per_second'] or ''} | {row['queries']} | "
            f"{row['queries_per_document'] or ''} | {row['peak_memory_mb']:.0f} |"
        )
    lines += ["", "| goal | value | target | met |", "|---|---:|---|---|"]
    for name, goal in result["goals"].items():
        met = "met" if goal["met"] else "NOT met"
        lines.append(f"| {name} | {goal['value']} | {goal['target']} | {met} |")
    return "\n".join(lines) + "\n"
