"""The local PostgreSQL cluster of ``./miko`` (``.local/pgdata``, 127.0.0.1 only): created with
``initdb`` on first use, started on the port of the call, run as the unprivileged ``postgres``
system user when invoked as root (PostgreSQL refuses root); and the one-line messages the
commands print. Standard library only, like ``miko.py``."""

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCAL = REPO / ".local"
PGDATA = LOCAL / "pgdata"
PG_PORT = int(os.environ.get("MIKO_PG_PORT", "54329"))
PG_USER = "miko"


def log(msg):
    print(f"[miko] {msg}", flush=True)


def die(msg, code=2):
    print(f"[miko] ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


# ---------------------------------------------------------------------------------------------
# PostgreSQL cluster
# ---------------------------------------------------------------------------------------------
def pg_bindir():
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
        bindir = out.stdout.strip()
        if (Path(bindir) / "initdb").exists():
            return Path(bindir)
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    if shutil.which("initdb"):
        return Path(shutil.which("initdb")).parent
    die(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them, e.g.\n"
        "  apt-get install -y postgresql   (Debian/Ubuntu)"
    )


def pg_run_as():
    """The system user that owns and runs the cluster: never root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    die("running as root and no 'postgres' system user exists to run PostgreSQL.")


def run_pg(args, check=True, **kwargs):
    user = pg_run_as()
    if user:
        args = ["runuser", "-u", user.pw_name, "--", *args]
    return subprocess.run([str(a) for a in args], check=check, **kwargs)


def ensure_cluster():
    bindir = pg_bindir()
    LOCAL.mkdir(exist_ok=True)
    user = pg_run_as()
    if not (PGDATA / "PG_VERSION").exists():
        log(f"creating PostgreSQL cluster in {PGDATA}")
        PGDATA.mkdir(parents=True, exist_ok=True)
        if user:
            os.chown(PGDATA, user.pw_uid, user.pw_gid)
            # the unprivileged owner must be able to reach the data folder
            for parent in PGDATA.parents:
                if parent == Path("/"):
                    break
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)
        run_pg(
            [
                bindir / "initdb",
                "-D",
                PGDATA,
                "-U",
                PG_USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with open(PGDATA / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# miko dev cluster\n"
                f"listen_addresses = '127.0.0.1'\nport = {PG_PORT}\n"
                "unix_socket_directories = ''\nfsync = off\nsynchronous_commit = off\n"
                "full_page_writes = off\nmax_connections = 200\nshared_buffers = 512MB\n"
                "work_mem = 32MB\nmaintenance_work_mem = 256MB\n"
            )
    status = run_pg([bindir / "pg_ctl", "-D", PGDATA, "status"], capture_output=True, check=False)
    if status.returncode == 0 and running_port() != PG_PORT:
        # the cluster runs on another port (CI picks a free one for the same cluster): restart it
        log(f"PostgreSQL runs on port {running_port()}: restarting it on {PG_PORT}")
        run_pg([bindir / "pg_ctl", "-D", PGDATA, "-w", "stop", "-m", "fast"], check=False)
        status = subprocess.CompletedProcess([], 1)
    if status.returncode != 0:
        log(f"starting PostgreSQL on 127.0.0.1:{PG_PORT}")
        run_pg(
            [
                bindir / "pg_ctl",
                "-D",
                PGDATA,
                "-l",
                PGDATA / "server.log",
                "-o",
                f"-p {PG_PORT}",  # the port of this call, whatever the cluster was created with
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return bindir


def running_port():
    """The port of the running cluster (4th line of postmaster.pid), or None."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        return int((PGDATA / "postmaster.pid").read_text().splitlines()[3])
    return None


def psql(bindir, sql, db="postgres"):
    return subprocess.run(
        [
            str(bindir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(PG_PORT),
            "-U",
            PG_USER,
            "-d",
            db,
            "-tAc",
            sql,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def db_exists(bindir, name):
    return psql(bindir, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def drop_db(bindir, name):
    subprocess.run(
        [
            str(bindir / "dropdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(PG_PORT),
            "-U",
            PG_USER,
            "--if-exists",
            "--force",
            name,
        ],
        check=False,
    )
