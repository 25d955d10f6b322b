"""``scripts/miko.py``: what the setup commands say and do when the database or Odoo fails."""

import contextlib
import importlib.util
import io
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest.mock import patch

from odoo.tests import BaseCase

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "miko.py"


def _fake_psql(answers):
    """A ``psql`` answering the demo database checks with ``answers`` (``None``: no tables)."""

    def psql(_bindir, sql, db="postgres"):
        if answers is None:
            raise subprocess.CalledProcessError(1, ["psql"])
        return answers["module"] if "ir_module_module" in sql else answers["users"]

    return psql


class TestDevScript(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not SCRIPT.is_file():
            raise cls.skipException(f"{SCRIPT} is not beside the addon (an installed copy)")
        spec = importlib.util.spec_from_file_location("miko_script", SCRIPT)
        cls.miko = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(cls.miko)

    def setUp(self):
        super().setUp()
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp_path = Path(tmp.name)

    def test_first_error_names_the_root_cause(self):
        log_file = self.tmp_path / "install.log"
        log_file.write_text(
            "2026-11-30 08:49:51,647 13016 INFO db odoo.modules.loading: loading x.xml\n"
            "Traceback (most recent call last):\n"
            '  File "/odoo/tools/float_utils.py", line 139, in float_round\n'
            "TypeError: unsupported operand type(s) for -: 'float' and 'decimal.Decimal'\n"
            "\nThe above exception was the direct cause of the following exception:\n\n"
            "odoo.tools.convert.ParseError: while parsing demo/miko_demo.xml:212\n"
            "2026-11-30 08:49:58,417 13016 ERROR db odoo.sql_db: bad query: UPDATE res_users\n"
        )
        self.assertEqual(
            self.miko.first_error(log_file),
            "TypeError: unsupported operand type(s) for -: 'float' and 'decimal.Decimal' "
            "(then odoo.tools.convert.ParseError: while parsing demo/miko_demo.xml:212)",
        )
        only_error = self.tmp_path / "other.log"
        only_error.write_text("2026-11-30 08:49:58,417 1 ERROR db odoo.registry: Failed to load\n")
        self.assertEqual(self.miko.first_error(only_error), "Failed to load")

    def test_demo_database_left_without_demo_or_half_installed(self):
        for answers, problem in [
            ({"module": "installed|true", "users": "1"}, None),
            ({"module": "installed|false", "users": ""}, "it has no demo data"),
            ({"module": "to install|true", "users": ""}, "not installed"),
            ({"module": "", "users": ""}, "is not in it"),
            ({"module": "installed|true", "users": ""}, "demo users are missing"),
            (None, "no Odoo tables"),
        ]:
            with (
                self.subTest(answers=answers, problem=problem),
                patch.object(self.miko, "psql", _fake_psql(answers)),
            ):
                found = self.miko.demo_db_problem(Path("/usr/bin"), "miko_demo")
                if problem is None:
                    self.assertIsNone(found)
                else:
                    self.assertIn(problem, found)

    def test_stop_stops_odoo_before_postgresql(self):
        calls = []
        self.patch(self.miko, "stop_odoo", lambda: calls.append("odoo"))
        self.patch(self.miko, "run_pg", lambda args, check=True: calls.append("postgresql"))
        self.patch(self.miko, "pg_bindir", lambda: self.tmp_path)
        self.patch(self.miko, "PGDATA", self.tmp_path)
        (self.tmp_path / "PG_VERSION").write_text("15")
        self.miko.cmd_stop(None)
        self.assertEqual(calls, ["odoo", "postgresql"])

    def test_a_failed_step_ends_with_one_error_line(self):
        def failing(_args):
            raise self.miko.StepFailed(
                "installing miko_support_contract failed: TypeError", "/x/i.log"
            )

        self.patch(sys, "argv", ["miko", "stop"])
        self.patch(self.miko, "cmd_stop", failing)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as exit_info:
            self.miko.main()
        self.assertEqual(exit_info.exception.code, 1)
        lines = err.getvalue().strip().splitlines()
        self.assertEqual(
            lines,
            [
                "[miko] ERROR: installing miko_support_contract failed: TypeError "
                "(details: /x/i.log)"
            ],
        )

    def test_no_db_password_false_in_the_configuration(self):
        self.patch(self.miko, "LOCAL", self.tmp_path)
        self.patch(self.miko, "addons_path", lambda _root: "/addons")
        conf = self.miko.write_config(self.tmp_path).read_text()
        self.assertNotIn("db_password =", conf)

    def test_running_port_reads_the_pid_file(self):
        """A cluster started by CI on a free port is found on that port (and restarted on ours)."""
        self.patch(self.miko.miko_pg, "PGDATA", self.tmp_path)
        self.assertIsNone(self.miko.running_port())
        (self.tmp_path / "postmaster.pid").write_text("4242\n/data\n1700000000\n38779\n\n")
        self.assertEqual(self.miko.running_port(), 38779)
