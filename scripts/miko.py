#!/usr/bin/env python3
"""Developer entry point: ``./miko run`` serves the demo, ``./miko test`` runs the suite.

Both commands:
* find Odoo 19.0 as an importable ``odoo`` package, or from ``ODOO_SRC=/path/to/odoo-source``,
  and stop with one clear message when neither is there;
* install the Python dependencies of the addon (``requirements*.txt``) when they are missing;
* start (or reuse) a PostgreSQL cluster kept in ``.local/pgdata`` of the repository, listening on
  127.0.0.1 only; when invoked as root the cluster runs as the unprivileged ``postgres`` system
  user (PostgreSQL refuses to run as root).

Only the standard library is used here, so the script works before anything is installed.
"""

import argparse
import contextlib
import getpass
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # miko_pg.py beside this file

import miko_pg  # noqa: F401  (the cluster module, for the tests)
from miko_pg import (  # noqa: F401  (bench/run.py and the tests use them from here)
    LOCAL,
    PG_PORT,
    PG_USER,
    PGDATA,
    REPO,
    db_exists,
    die,
    drop_db,
    ensure_cluster,
    log,
    pg_bindir,
    psql,
    run_pg,
    running_port,
)

ADDON = "miko_support_contract"
DEMO_DB = os.environ.get("MIKO_DEMO_DB", "miko_demo")
HTTP_PORT = int(os.environ.get("MIKO_HTTP_PORT", "8069"))

NO_ODOO = """\
Odoo 19.0 was not found.
Provide it in one of these ways, then run the command again:
  * install it into this Python (python3 -m pip install -e /path/to/odoo-19.0-source,
    or any Odoo 19.0 wheel/deb that makes `import odoo` work), or
  * point ODOO_SRC at an Odoo 19.0 source checkout: ODOO_SRC=/path/to/odoo ./miko {command}
    (its Python dependencies must be installed: python3 -m pip install -r $ODOO_SRC/requirements.txt).
The Odoo tests are never skipped: without Odoo there is nothing to run."""


# ---------------------------------------------------------------------------------------------
# Odoo discovery
# ---------------------------------------------------------------------------------------------
def odoo_env():
    """Environment in which ``python3 -m odoo`` / pytest import Odoo 19.0."""
    env = dict(os.environ)
    src = os.environ.get("ODOO_SRC")
    if src:
        src = str(Path(src).expanduser().resolve())
        if not (Path(src) / "odoo" / "release.py").is_file():
            die(f"ODOO_SRC={src} is not an Odoo source checkout (no odoo/release.py there).")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    return env


def probe_odoo(env, command):
    code = (
        "import odoo.release as r, os, odoo\n"
        "print(r.version_info[0], r.version_info[1])\n"
        "print(os.path.dirname(list(odoo.__path__)[0]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        die(NO_ODOO.format(command=command))
    version, root = proc.stdout.splitlines()[:2]
    major, minor = version.split()
    if (int(major), int(minor)) != (19, 0):
        die(
            f"Odoo {major}.{minor} found at {root}; this addon needs Odoo 19.0.\n"
            + NO_ODOO.format(command=command)
        )
    # Odoo's own dependencies must import too (a source checkout without them fails later, obscurely).
    check = subprocess.run(
        [sys.executable, "-c", "import odoo.service.server, odoo.tests"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0:
        missing = re.findall(r"No module named '([^']+)'", check.stderr)
        hint = f" (missing Python module: {missing[-1]})" if missing else ""
        die(
            f"Odoo 19.0 is at {root} but does not import{hint}.\n"
            f"Install its requirements: python3 -m pip install -r {root}/requirements.txt\n"
            + check.stderr[-2000:]
        )
    return Path(root)


def addons_path(odoo_root):
    paths = [str(REPO)]
    for candidate in (odoo_root / "addons", odoo_root / "odoo" / "addons"):
        if candidate.is_dir() and str(candidate) not in paths:
            paths.append(str(candidate))
    return ",".join(paths)


# ---------------------------------------------------------------------------------------------
# Python dependencies
# ---------------------------------------------------------------------------------------------
def ensure_requirements(files):
    """Install the requirement files when one of their distributions is missing (fast re-runs)."""
    from importlib import metadata

    wanted = []
    for name in files:
        for raw in (REPO / name).read_text().splitlines():
            requirement = raw.split("#", 1)[0].strip()
            if requirement and not requirement.startswith("-"):
                wanted.append(re.split(r"[<>=!~; \[]", requirement, maxsplit=1)[0])
    missing = []
    for dist in wanted:
        try:
            metadata.version(dist)
        except metadata.PackageNotFoundError:
            missing.append(dist)
    if not missing:
        return
    log(f"installing Python dependencies ({', '.join(missing)})")
    args = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    for name in files:
        args += ["-r", str(REPO / name)]
    subprocess.run(args, check=True)


# ---------------------------------------------------------------------------------------------
# Odoo configuration and commands
# ---------------------------------------------------------------------------------------------
def write_config(odoo_root, name="odoo.conf", **extra):
    LOCAL.mkdir(exist_ok=True)
    conf = LOCAL / name
    options = {
        "db_host": "127.0.0.1",
        "db_port": PG_PORT,
        "db_user": PG_USER,
        "addons_path": addons_path(odoo_root),
        "data_dir": LOCAL / "data",
        "admin_passwd": "admin",
        "http_interface": "127.0.0.1",
        "http_port": HTTP_PORT,
        "list_db": "False",
        "max_cron_threads": 1,
        **extra,
    }
    conf.write_text("[options]\n" + "".join(f"{k} = {v}\n" for k, v in options.items()))
    return conf


def odoo_cmd(conf, *args):
    return [sys.executable, "-m", "odoo", "-c", str(conf), *args]


class StepFailed(Exception):
    """A step failed; ``cause`` names it and ``log_file`` holds its details."""

    def __init__(self, cause, log_file=None):
        super().__init__(cause)
        self.cause = cause
        self.log_file = log_file


def first_error(log_file):
    """The cause of a failed Odoo run, from its log: the exception that started the traceback
    (with the one it ended in), else the first ERROR/CRITICAL line."""
    with contextlib.suppress(OSError):
        lines = Path(log_file).read_text(errors="replace").splitlines()
        raised = [line.strip() for line in lines if re.match(r"^[\w.]+(Error|Exception): ", line)]
        if raised:
            first, last = raised[0], raised[-1]
            return first if first == last else f"{first} (then {last})"
        for line in lines:
            if re.search(r" (ERROR|CRITICAL) ", line):
                return re.sub(r"^\S+ \S+ \d+ (ERROR|CRITICAL) \S+ [\w.]+: ", "", line).strip()[:300]
    return None


def install_addon(env, conf, db, with_demo=True, log_file=None, *, beside=()):
    modules = ",".join((ADDON, *beside))  # ``beside``: modules the addon must work with
    args = odoo_cmd(conf, "-d", db, "-i", modules, "--stop-after-init", "--load-language=ru_RU")
    if with_demo:
        args.append("--with-demo")
    log_file = log_file or LOCAL / f"install-{db}.log"
    args.append(f"--logfile={log_file}")
    log(
        f"installing {ADDON} into database {db}"
        + (" with demo data" if with_demo else "")
        + f" (log: {log_file})"
    )
    if subprocess.run(args, env=env, check=False).returncode:
        cause = first_error(log_file) or "Odoo stopped with an error"
        raise StepFailed(f"installing {ADDON} into {db} failed: {cause}", log_file)


def demo_db_problem(bindir, db):
    """Why the demo database cannot be served as it is (``None`` when it can): a database left
    without the addon, half-installed (an install that failed) or without its demo data."""
    try:
        row = psql(
            bindir,
            f"SELECT state || '|' || demo::text FROM ir_module_module WHERE name = '{ADDON}'",
            db=db,
        )
    except subprocess.CalledProcessError:
        return "it has no Odoo tables (an install stopped half-way)"
    if not row:
        return f"{ADDON} is not in it"
    state, demo = row.split("|")
    if state != "installed":
        return f"{ADDON} is {state.replace('_', ' ')}, not installed (an install stopped half-way)"
    if demo not in ("true", "t"):
        return "it has no demo data"
    if psql(bindir, "SELECT 1 FROM res_users WHERE login = 'volkov'", db=db) != "1":
        return "its demo users are missing"
    return None


def addon_problems(log_file):
    """ERROR/WARNING lines the addon logged while installing (acceptance: none)."""
    pattern = re.compile(r" (ERROR|WARNING|CRITICAL) \S+ [^ ]*miko_support_contract")
    return [
        line
        for line in Path(log_file).read_text(errors="replace").splitlines()
        if pattern.search(line)
    ]


def cmd_run(args):
    env = odoo_env()
    odoo_root = probe_odoo(env, "run")
    ensure_requirements(["requirements.txt"])
    bindir = ensure_cluster()
    conf = write_config(odoo_root)
    if db_exists(bindir, DEMO_DB):
        problem = demo_db_problem(bindir, DEMO_DB)
        if problem:
            log(f"database {DEMO_DB} cannot be served: {problem}; creating it again")
            drop_db(bindir, DEMO_DB)
    if not db_exists(bindir, DEMO_DB):
        install_addon(env, conf, DEMO_DB, with_demo=True)
    elif args.update:
        subprocess.run(
            odoo_cmd(conf, "-d", DEMO_DB, "-u", ADDON, "--stop-after-init"), env=env, check=True
        )
    log(f"serving Odoo on http://localhost:{HTTP_PORT} (database {DEMO_DB}, login admin / admin)")
    serve = odoo_cmd(conf, "-d", DEMO_DB, f"--db-filter=^{DEMO_DB}$")
    if args.detach:
        LOCAL.mkdir(exist_ok=True)
        with open(LOCAL / "odoo.log", "ab") as out:
            proc = subprocess.Popen(serve, env=env, stdout=out, stderr=out, start_new_session=True)
        (LOCAL / "odoo.pid").write_text(str(proc.pid))
        wait_http(HTTP_PORT)
        log(
            f"Odoo runs in the background (pid {proc.pid}, log .local/odoo.log); stop it with ./miko stop"
        )
        return 0
    os.execvpe(serve[0], serve, env)


def wait_http(port, timeout=180):
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/web/login", timeout=5) as resp,
        ):
            if resp.status == 200:
                return
        time.sleep(1)
    die(f"Odoo did not answer on :{port}/web/login within {timeout}s (see .local/odoo.log)")


def stop_odoo(timeout=30):
    """Stop the background Odoo and wait until it has exited (its crons use the database)."""
    pid_file = LOCAL / "odoo.pid"
    if not pid_file.exists():
        return
    with contextlib.suppress(ValueError):
        pid = int(pid_file.read_text())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
            deadline = time.time() + timeout
            while time.time() < deadline:
                os.killpg(pid, 0)  # ProcessLookupError once the whole group is gone
                time.sleep(0.2)
            log(f"Odoo (pid {pid}) did not stop within {timeout}s: killing it")
            os.killpg(pid, signal.SIGKILL)
    pid_file.unlink()


def cmd_stop(_args):
    stop_odoo()  # before PostgreSQL, or its crons die on a closed connection
    if (PGDATA / "PG_VERSION").exists():
        run_pg([pg_bindir() / "pg_ctl", "-D", PGDATA, "-m", "fast", "stop"], check=False)
    return 0


def cmd_reset(_args):
    """Drop the local demo database: the next ``./miko run`` creates it again."""
    stop_odoo()
    bindir = ensure_cluster()
    if db_exists(bindir, DEMO_DB):
        drop_db(bindir, DEMO_DB)
        log(f"database {DEMO_DB} dropped; ./miko run creates it again with the demo data")
    else:
        log(f"there is no database {DEMO_DB}; ./miko run creates it")
    return 0


def quality_gates():
    log("quality gates: ruff")
    subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=REPO, check=True)
    subprocess.run([sys.executable, "-m", "ruff", "format", "--check", "."], cwd=REPO, check=True)
    log("quality gates: pylint-odoo")
    subprocess.run(
        [sys.executable, "-m", "pylint", "--rcfile", str(REPO / ".pylintrc"), ADDON],
        cwd=REPO,
        check=True,
    )


def count_results(junit_file):
    root = ET.parse(junit_file).getroot()
    odoo_tests = pure_tests = failures = skipped = 0
    for case in root.iter("testcase"):
        classname = case.get("classname", "")
        is_failure = case.find("failure") is not None or case.find("error") is not None
        is_skip = case.find("skipped") is not None
        failures += is_failure
        skipped += is_skip
        if is_skip:
            continue
        if ".test_rules_" in classname or classname.rsplit(".", 1)[-1].startswith("test_rules_"):
            pure_tests += 1
        else:
            odoo_tests += 1
    return odoo_tests, pure_tests, failures, skipped


def check_reinstall(env, conf, db):
    """Acceptance: the addon uninstalls cleanly and installs again without warnings."""
    log(f"uninstalling {ADDON} and installing it again")
    subprocess.run(
        [sys.executable, "-m", "odoo", "module", "uninstall", "-c", str(conf), "-d", db, ADDON],
        env=env,
        check=True,
    )
    reinstall_log = LOCAL / f"reinstall-{db}.log"
    try:
        install_addon(env, conf, db, with_demo=False, log_file=reinstall_log)
        problems = addon_problems(reinstall_log)
    finally:
        with contextlib.suppress(OSError):
            reinstall_log.unlink()
    if problems:
        print("\n".join(problems))
        die("reinstalling the addon logged warnings or errors (listed above).", code=1)
    log("uninstall and reinstall: OK")


def cmd_test(args):
    env = odoo_env()
    odoo_root = probe_odoo(env, "test")
    ensure_requirements(["requirements.txt", "requirements-test.txt"])
    if not args.no_lint:
        quality_gates()
    bindir = ensure_cluster()
    db = f"miko_test_{os.getpid()}"
    conf = write_config(
        odoo_root, name="odoo-test.conf", http_port=args.http_port, max_cron_threads=0
    )
    install_log = LOCAL / f"install-{db}.log"
    try:
        install_addon(
            env, conf, db, with_demo=True, log_file=install_log, beside=("sale_timesheet",)
        )
        problems = addon_problems(install_log)
        if problems:
            print("\n".join(problems))
            die("installing the addon logged warnings or errors (listed above).", code=1)
        junit = Path(tempfile.mkdtemp()) / "junit.xml"
        pytest_args = [
            sys.executable,
            "-m",
            "pytest",
            f"--odoo-database={db}",
            f"--odoo-config={conf}",
            "--odoo-http",
            f"--junitxml={junit}",
            "-p",
            "no:cacheprovider",
            "-q",
            *(args.pytest_args or [ADDON]),
        ]
        log("running the suite: " + " ".join(pytest_args[2:]))
        result = subprocess.run(pytest_args, env=env, cwd=REPO, check=False)
        odoo_tests, pure_tests, failures, skipped = 0, 0, 0, 0
        if junit.exists():
            odoo_tests, pure_tests, failures, skipped = count_results(junit)
        print(
            f"Odoo tests ran: {odoo_tests} (plus {pure_tests} pure business-rule tests, "
            f"{skipped} skipped, {failures} failed)"
        )
        if result.returncode != 0:
            return result.returncode
        if odoo_tests == 0:
            die("no Odoo test ran: the suite must run against the database.", code=1)
        if not args.pytest_args and not args.no_reinstall:
            check_reinstall(env, conf, db)
        return 0
    finally:
        if not args.keep_db:
            drop_db(bindir, db)
            with contextlib.suppress(OSError):
                install_log.unlink()


def main():
    parser = argparse.ArgumentParser(prog="miko", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="serve Odoo with the addon and demo data on http://localhost:8069"
    )
    run.add_argument(
        "--update", action="store_true", help="update the addon in the demo database first"
    )
    run.add_argument("--detach", action="store_true", help="serve in the background")
    run.set_defaults(func=cmd_run)
    test = sub.add_parser("test", help="run the whole suite on a throwaway database")
    test.add_argument("--no-lint", action="store_true", help="skip ruff and pylint-odoo")
    test.add_argument("--keep-db", action="store_true", help="keep the throwaway database")
    test.add_argument(
        "--no-reinstall", action="store_true", help="skip the uninstall/reinstall check"
    )
    test.add_argument(
        "--http-port", type=int, default=int(os.environ.get("MIKO_TEST_HTTP_PORT", "8169"))
    )
    test.add_argument(
        "pytest_args", nargs=argparse.REMAINDER, help="pytest arguments (default: the whole addon)"
    )
    test.set_defaults(func=cmd_test)
    stop = sub.add_parser("stop", help="stop the background Odoo and the PostgreSQL cluster")
    stop.set_defaults(func=cmd_stop)
    reset = sub.add_parser("reset", help="drop the local demo database (./miko run recreates it)")
    reset.set_defaults(func=cmd_reset)
    args = parser.parse_args()
    if getpass.getuser() == "root" and args.command in ("run", "test", "reset"):
        log("running as root: PostgreSQL runs as the 'postgres' system user")
    try:
        code = args.func(args) or 0
    except StepFailed as error:
        die(f"{error.cause} (details: {error.log_file})" if error.log_file else error.cause, 1)
    except subprocess.CalledProcessError as error:
        command = " ".join(str(part) for part in error.cmd[:4])
        die(f"`{command} …` exited with status {error.returncode} (its output is above)", 1)
    except KeyboardInterrupt:
        die("interrupted", 130)
    sys.exit(code)


if __name__ == "__main__":
    main()
