"""Child process of test_month_close_kill.py (not a test module): runs against a committed copy
of the test database, in its own process, so that it can be killed with SIGKILL.

    python3 month_close_child.py CONFIG DB setup     # requisites, contracts, October consumption
    python3 month_close_child.py CONFIG DB close     # the month-close cron of 1 November 2026
    python3 month_close_child.py CONFIG DB slow      # the same, lingering inside each batch
    python3 month_close_child.py CONFIG DB summary   # JSON of the October UPDs and totals

Run as a script (``__main__``), not imported as part of the addon: hence the absolute imports.
"""

# pylint: disable=odoo-addons-relative-import

import json
import sys
import time
from datetime import date

from freezegun import freeze_time

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

CONTRACTS = 7
BATCH_SIZE = 2
CLOSE_AT = "2026-11-01 02:00:00"  # 05:00 Moscow on the 1st
FIRST = date(2026, 10, 1)


def setup(env):
    from odoo.addons.miko_support_contract.tests.common import VALID_INN, VALID_KPP
    from odoo.addons.miko_support_contract.tests.common_upd import (
        BUYER_EDO,
        SELLER_DIRECTOR,
        SELLER_REQUISITES,
    )

    company = env.ref("base.main_company")
    director = env["res.partner"].create(SELLER_DIRECTOR)
    company.write({**SELLER_REQUISITES, "miko_director_id": director.id})
    company._miko_setup_support_accounting()
    for index in range(CONTRACTS):
        customer = env["res.partner"].create(
            {
                "name": f"ООО «Клиент {index}»",
                "is_company": True,
                "vat": VALID_INN,
                "miko_kpp": VALID_KPP,
                "street": "ул. Ленинградская, д. 25",
                "city": "Химки",
                "zip": "141400",
                "miko_edo_id": BUYER_EDO,
            }
        )
        contract = env["miko.support.contract"].create(
            {"partner_id": customer.id, "company_id": company.id, "name": f"KILL-{index}"}
        )
        contract.set_hourly_rate(1700, date(2026, 1, 1))
        minutes = 30 * (index + 1)
        contract._wallet_post(
            [
                {
                    "contract_id": contract.id,
                    "date": date(2026, 9, 25),
                    "kind": "credit",
                    "amount": 10000.0,
                    "name": "Opening credit",
                },
                {
                    "contract_id": contract.id,
                    "date": date(2026, 10, 14),
                    "kind": "consumption",
                    "amount": -round(minutes * 1700 / 60, 2),
                    "minutes": minutes,
                    "name": "Support 2026-10-14",
                    "source_key": f"kill:{contract.id}",
                },
            ]
        )


def close(env, slow=False):
    from odoo.addons.miko_support_contract.models.support_upd_closing import (
        SupportUpdClosing as SupportUpd,
    )

    if slow:
        generate = SupportUpd._generate_one

        def lingering_generate_one(self, *args, **kwargs):
            upd = generate(self, *args, **kwargs)
            self.env.flush_all()
            time.sleep(0.5)  # the window in which the parent kills this process
            return upd

        SupportUpd._generate_one = lingering_generate_one
        generate_batch = SupportUpd._generate_batch

        def lingering_generate_batch(self, *args, **kwargs):
            upds = generate_batch(self, *args, **kwargs)
            self.env.flush_all()
            time.sleep(0.5)  # the window in which the parent kills this process
            return upds

        SupportUpd._generate_batch = lingering_generate_batch
    cron = env.ref("miko_support_contract.ir_cron_upd_close_month")
    progress = env["ir.cron.progress"].create({"cron_id": cron.id, "remaining": 0, "done": 0})
    env.cr.commit()
    Upd = env["miko.support.upd"].with_context(ir_cron_progress_id=progress.id, cron_id=cron.id)
    with freeze_time(CLOSE_AT):
        Upd._cron_close_previous_month(batch_size=BATCH_SIZE)


def summary(env):
    upds = env["miko.support.upd"].search([("period_start", "=", FIRST)])
    contracts = env["miko.support.contract"].search([])
    documents = sorted(
        [
            upd.contract_id.name,
            str(upd.period_start),
            upd.revision,
            upd.amount_total,
            upd.minutes,
            upd.line_quantity,
            upd.line_price,
            upd.state,
            upd.move_id.amount_total,
            upd.move_id.state,
            bool(upd.xml_attachment_id.raw),
        ]
        for upd in upds
    )
    entries = contracts.entry_ids
    return {
        "documents": documents,
        "upd_count": len(upds),
        "upd_total": round(sum(upds.mapped("amount_total")), 2),
        "revenue_moves": len(upds.move_id),
        "linked_consumption": round(sum(entries.filtered("move_id").mapped("amount")), 2),
        "balances": sorted([c.name, c.balance, str(c.locked_until)] for c in contracts),
        "reconciliation": sorted(
            [c.name, c._wallet_reconciliation()["difference"]] for c in contracts
        ),
        "altered_upds": env["miko.support.upd"]._chain_altered(contracts.ids).ids,
        "altered_entries": env["miko.support.wallet.entry"]._chain_altered(contracts.ids).ids,
    }


def main():
    config_file, dbname, mode = sys.argv[1:4]
    odoo.tools.config.parse_config(["-c", config_file, "-d", dbname, "--log-level=warn"])
    registry = Registry(dbname)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if mode == "setup":
            setup(env)
        elif mode in ("close", "slow"):
            close(env, slow=mode == "slow")
        elif mode == "summary":
            sys.stdout.write(json.dumps(summary(env)) + "\n")
        else:
            raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
