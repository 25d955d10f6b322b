"""Committing the progress of a batch job: only inside a cron run."""


def commit_cron_progress(env, processed=0, remaining=None):
    """``ir.cron._commit_progress`` when running as a cron job; outside one (a user's call, a
    test, an RPC) the caller's transaction decides and nothing is committed here (Odoo's helper
    would commit). Returns the seconds left to the cron run (infinite outside one)."""
    if not env.context.get("ir_cron_progress_id"):
        return float("inf")
    return env["ir.cron"]._commit_progress(processed, remaining=remaining)
