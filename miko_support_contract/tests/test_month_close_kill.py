"""Month close killed mid-batch (SIGKILL) and restarted = an uninterrupted month close.

The test copies the committed test database (``pg_dump | psql``: the test database itself has
open connections, so it cannot be a ``CREATE DATABASE … TEMPLATE``), prepares contracts in the
copy through a child process (``month_close_child.py``), then clones that copy twice with
``CREATE DATABASE … TEMPLATE``: one runs the month-close cron straight through, the other is
killed with SIGKILL once the first batch is committed and while the second is under way, then
restarted. Both must end with the same documents, entries and totals. Every database and
filestore made here is dropped at the end.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2

from odoo import sql_db
from odoo.tests import TransactionCase, tagged
from odoo.tools import config

CHILD = Path(__file__).with_name("month_close_child.py")
BATCH_SIZE = 2  # as in month_close_child.py
TIMEOUT = 120


@tagged("post_install", "-at_install")
class TestMonthCloseKill(TransactionCase):
    def connection_info(self, dbname):
        return sql_db.connection_info_for(dbname)[1]

    def admin_execute(self, query):
        connection = psycopg2.connect(**self.connection_info("postgres"))
        try:
            connection.autocommit = True
            with connection.cursor() as cr:
                cr.execute(query)
        finally:
            connection.close()

    def query(self, dbname, query):
        connection = psycopg2.connect(**self.connection_info(dbname))
        try:
            connection.autocommit = True
            with connection.cursor() as cr:
                cr.execute(query)
                return cr.fetchone()
        finally:
            connection.close()

    def pg_env(self):
        info = self.connection_info(self.env.cr.dbname)
        env = dict(os.environ)
        for key, variable in (
            ("host", "PGHOST"),
            ("port", "PGPORT"),
            ("user", "PGUSER"),
            ("password", "PGPASSWORD"),
        ):
            if info.get(key):
                env[variable] = str(info[key])
        return env

    def child_args(self, dbname, mode):
        return [sys.executable, str(CHILD), config.rcfile, dbname, mode]

    def run_child(self, dbname, mode):
        result = subprocess.run(
            self.child_args(dbname, mode),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        return result.stdout

    def drop_database(self, dbname):
        self.admin_execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        shutil.rmtree(config.filestore(dbname), ignore_errors=True)

    def test_killed_month_close_restarts_to_the_same_result(self):
        self.assertTrue(config.rcfile, "the child processes need the configuration file")
        base = self.env.cr.dbname[:40]
        template, straight, killed = (f"{base}_{name}" for name in ("tpl", "once", "kill"))
        try:
            for dbname in (template, straight, killed):
                self.drop_database(dbname)
            self.admin_execute(f'CREATE DATABASE "{template}"')
            dump = subprocess.Popen(
                ["pg_dump", "--no-owner", self.env.cr.dbname],
                stdout=subprocess.PIPE,
                env=self.pg_env(),
            )
            restore = subprocess.run(
                ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-o", os.devnull, template],
                stdin=dump.stdout,
                env=self.pg_env(),
                capture_output=True,
                timeout=TIMEOUT,
                check=False,
            )
            dump.stdout.close()
            self.assertEqual(dump.wait(TIMEOUT), 0)
            self.assertEqual(restore.returncode, 0, restore.stderr[-2000:])
            self.run_child(template, "setup")
            for dbname in (straight, killed):
                self.admin_execute(f'CREATE DATABASE "{dbname}" TEMPLATE "{template}"')
                source = Path(config.filestore(template))
                if source.is_dir():
                    shutil.copytree(source, config.filestore(dbname))

            self.run_child(straight, "close")

            victim = subprocess.Popen(
                self.child_args(killed, "slow"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + TIMEOUT
            done = 0
            while time.monotonic() < deadline and victim.poll() is None:
                row = self.query(killed, "SELECT COALESCE(MAX(done), 0) FROM ir_cron_progress")
                done = row[0]
                if done >= BATCH_SIZE:
                    break
                time.sleep(0.05)  # polling another process, not waiting for time to pass
            self.assertIsNone(victim.poll(), "the month close ended before it could be killed")
            self.assertGreaterEqual(done, BATCH_SIZE, "first batch committed")
            time.sleep(0.3)  # inside the second batch, whose work is not committed yet
            victim.send_signal(signal.SIGKILL)
            self.assertEqual(victim.wait(TIMEOUT), -signal.SIGKILL)
            upd_count_after_kill = self.query(
                killed, "SELECT COUNT(*) FROM miko_support_upd WHERE period_start = '2026-10-01'"
            )[0]
            interrupted = json.loads(self.run_child(killed, "summary"))
            expected = json.loads(self.run_child(straight, "summary"))
            self.assertLess(
                upd_count_after_kill, expected["upd_count"], "the kill left the month half closed"
            )
            self.assertEqual(interrupted["upd_count"], upd_count_after_kill)

            self.run_child(killed, "close")  # restart
            restarted = json.loads(self.run_child(killed, "summary"))
            self.assertGreaterEqual(expected["upd_count"], 7)
            self.assertEqual(restarted, expected)
            self.assertFalse(restarted["altered_upds"] or restarted["altered_entries"])
            self.assertEqual(restarted["upd_total"], expected["upd_total"])
            self.assertEqual(restarted["revenue_moves"], restarted["upd_count"])
        finally:
            for dbname in (template, straight, killed):
                self.drop_database(dbname)
