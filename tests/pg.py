"""A throwaway PostgreSQL cluster for the tests: Debian's initdb and pg_ctl in a temp dir,
run as the unprivileged `postgres` user (PostgreSQL refuses to run as root).

    Postgres(folder).start()     initdb (once), then pg_ctl start: unix socket in the folder,
                                 TCP on 127.0.0.1:<a free port>
    .new_database()              a fresh database owned by the `cop` role; its URL

Local connections (the unix socket) are trusted, as on a Debian install; TCP asks for a
password (scram), so the URL the tests hand to cop.toml has none and PGPASSWORD gives it,
as in production. Notes: the folder must be reachable by `postgres` (pytest's 0700 temp
dirs are not), so it lives in a plain temp dir chowned to that user.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import subprocess
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ROLE, PASSWORD = "cop", "cop-test-password"


def pg_bin() -> Path | None:
    """Debian's PostgreSQL programs, any version, newest first; None when not installed."""
    if (PG_BIN / "initdb").exists():
        return PG_BIN
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return versions[0].parent if versions else None


def unavailable() -> str | None:
    """Why no throwaway cluster can be started here, or None."""
    if pg_bin() is None:
        return ("PostgreSQL is not installed (Debian: apt-get install postgresql; "
                "scripts/test installs it)")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no `postgres` system user to run the throwaway cluster as"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    return None


class Postgres:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = port
        self.bin = pg_bin() or PG_BIN
        self._serial = itertools.count(1)
        user = pwd.getpwnam("postgres")
        self.uid, self.gid = user.pw_uid, user.pw_gid

    def _as_postgres(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        def demote() -> None:
            os.setgid(self.gid)
            os.setuid(self.uid)

        preexec = demote if os.getuid() == 0 else None
        return subprocess.run(list(args), preexec_fn=preexec, check=check,
                              capture_output=True, text=True, cwd=self.folder,
                              env={**os.environ, "LC_ALL": "C.UTF-8", "TZ": "UTC"})

    def start(self) -> None:
        if os.getuid() == 0:
            os.chown(self.folder, self.uid, self.gid)
        os.chmod(self.folder, 0o700)
        if not self.data.exists():
            pwfile = self.folder / "pw"
            pwfile.write_text("postgres-throwaway\n")
            if os.getuid() == 0:
                os.chown(pwfile, self.uid, self.gid)
            self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                              "--auth-local=trust", "--auth-host=scram-sha-256",
                              f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8")
            with open(self.data / "postgresql.conf", "a") as conf:
                conf.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                           f"unix_socket_directories = '{self.folder}'\n"
                           "fsync = on\nmax_connections = 200\nlog_min_messages = warning\n")
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                          str(self.folder / "server.log"), "-w", "-t", "60", "start")
        self.sql(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') "
                 f"THEN CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'; END IF; END $$;")

    def stop(self) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "stop", check=False)

    def sql(self, statement: str, database: str = "postgres") -> str:
        done = self._as_postgres(str(self.bin / "psql"), "-h", str(self.folder), "-p",
                                 str(self.port), "-U", "postgres", "-d", database, "-Atq",
                                 "-v", "ON_ERROR_STOP=1", "-c", statement)
        return done.stdout

    def new_database(self) -> str:
        """A fresh, empty database owned by `cop`; its URL (no password: PGPASSWORD)."""
        name = f"cop_{os.getpid()}_{next(self._serial)}"
        self.sql(f"CREATE DATABASE {name} OWNER {ROLE}")
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql://{ROLE}@127.0.0.1:{self.port}/{database}"

    def terminate(self, application_name: str = "") -> None:
        """End every session of the `cop` role (as when its machine dies)."""
        where = f" AND application_name = '{application_name}'" if application_name else ""
        self.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 f"WHERE usename = '{ROLE}'{where}")


def remove(folder: Path) -> None:
    with contextlib.suppress(OSError):
        shutil.rmtree(folder)
