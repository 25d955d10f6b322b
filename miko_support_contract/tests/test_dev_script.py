"""``scripts/miko.py``: what the setup commands say and do when the database or Odoo fails."""

import importlib.util
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "miko.py"


@pytest.fixture(scope="module")
def miko():
    spec = importlib.util.spec_from_file_location("miko_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_first_error_names_the_root_cause(miko, tmp_path):
    log_file = tmp_path / "install.log"
    log_file.write_text(
        "2026-11-30 08:49:51,647 13016 INFO db odoo.modules.loading: loading x.xml\n"
        "Traceback (most recent call last):\n"
        '  File "/odoo/tools/float_utils.py", line 139, in float_round\n'
        "TypeError: unsupported operand type(s) for -: 'float' and 'decimal.Decimal'\n"
        "\nThe above exception was the direct cause of the following exception:\n\n"
        "odoo.tools.convert.ParseError: while parsing demo/miko_demo.xml:212\n"
        "2026-11-30 08:49:58,417 13016 ERROR db odoo.sql_db: bad query: UPDATE res_users\n"
    )
    assert miko.first_error(log_file) == (
        "TypeError: unsupported operand type(s) for -: 'float' and 'decimal.Decimal' "
        "(then odoo.tools.convert.ParseError: while parsing demo/miko_demo.xml:212)"
    )
    only_error = tmp_path / "other.log"
    only_error.write_text("2026-11-30 08:49:58,417 1 ERROR db odoo.registry: Failed to load\n")
    assert miko.first_error(only_error) == "Failed to load"


@pytest.mark.parametrize(
    ("answers", "problem"),
    [
        ({"module": "installed|true", "users": "1"}, None),
        ({"module": "installed|false", "users": ""}, "it has no demo data"),
        ({"module": "to install|true", "users": ""}, "not installed"),
        ({"module": "", "users": ""}, "is not in it"),
        ({"module": "installed|true", "users": ""}, "demo users are missing"),
        (None, "no Odoo tables"),
    ],
)
def test_demo_database_left_without_demo_or_half_installed(miko, monkeypatch, answers, problem):
    def psql(_bindir, sql, db="postgres"):
        if answers is None:
            raise subprocess.CalledProcessError(1, ["psql"])
        return answers["module"] if "ir_module_module" in sql else answers["users"]

    monkeypatch.setattr(miko, "psql", psql)
    found = miko.demo_db_problem(Path("/usr/bin"), "miko_demo")
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_stop_stops_odoo_before_postgresql(miko, monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(miko, "stop_odoo", lambda: calls.append("odoo"))
    monkeypatch.setattr(miko, "run_pg", lambda args, check=True: calls.append("postgresql"))
    monkeypatch.setattr(miko, "pg_bindir", lambda: tmp_path)
    monkeypatch.setattr(miko, "PGDATA", tmp_path)
    (tmp_path / "PG_VERSION").write_text("15")
    miko.cmd_stop(None)
    assert calls == ["odoo", "postgresql"]


def test_a_failed_step_ends_with_one_error_line(miko, monkeypatch, capsys):
    def failing(_args):
        raise miko.StepFailed("installing miko_support_contract failed: TypeError", "/x/i.log")

    monkeypatch.setattr("sys.argv", ["miko", "stop"])
    monkeypatch.setattr(miko, "cmd_stop", failing)
    with pytest.raises(SystemExit) as exit_info:
        miko.main()
    assert exit_info.value.code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "[miko] ERROR: installing miko_support_contract failed: TypeError (details: /x/i.log)"
    ]


def test_no_db_password_false_in_the_configuration(miko, monkeypatch, tmp_path):
    monkeypatch.setattr(miko, "LOCAL", tmp_path)
    monkeypatch.setattr(miko, "addons_path", lambda _root: "/addons")
    conf = miko.write_config(tmp_path).read_text()
    assert "db_password =" not in conf


def test_running_port_reads_the_pid_file(miko, tmp_path, monkeypatch):
    """A cluster started by CI on a free port is found on that port (and restarted on ours)."""
    monkeypatch.setattr(miko, "PGDATA", tmp_path)
    assert miko.running_port() is None
    (tmp_path / "postmaster.pid").write_text("4242\n/data\n1700000000\n38779\n\n")
    assert miko.running_port() == 38779
