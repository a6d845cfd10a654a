"""The schema, under versioned migrations: migrations/NNNN_name.sql, applied in order by
`cop migrate`, each in its own transaction with its row in schema_version. `cop run` checks
at start and refuses to run on a database that is behind (or ahead of) this version."""

from __future__ import annotations

from importlib import resources
from typing import Any

from mailer.edges.pg.connect import connect, redact
from mailer.errors import StoreError

MIGRATION_LOCK = 0x636F70_6D6967  # "copmig": one `cop migrate` at a time


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped, in order."""
    found = []
    for entry in resources.files("mailer.edges.pg").joinpath("migrations").iterdir():
        if entry.name.endswith(".sql"):
            number, _, name = entry.name.removesuffix(".sql").partition("_")
            found.append((int(number), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest() -> int:
    return migrations()[-1][0]


def current_version(conn: Any) -> int:
    exists = conn.execute("SELECT to_regclass('schema_version')").fetchone()[0]
    if exists is None:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(url: str) -> list[str]:
    """Apply what is missing; the names of the migrations applied."""
    conn = connect(url, "cop-migrate")
    applied = []
    try:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
                     "name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())")
        have = current_version(conn)
        for version, name, sql in migrations():
            if version <= have:
                continue
            with conn.transaction():
                conn.execute(sql)
                conn.execute("INSERT INTO schema_version (version, name) VALUES (%s, %s)",
                             (version, name))
            applied.append(f"{version:04d}_{name}")
    finally:
        conn.close()
    return applied


def check_migrated(conn: Any, url: str) -> None:
    """Refuse a database that `cop migrate` has not brought to this version."""
    have, want = current_version(conn), latest()
    if have < want:
        raise StoreError(
            f"the database {redact(url)} is at schema version {have}, this cop needs {want}: "
            "run `cop migrate` first / basis data belum siap (versi skema "
            f"{have}, perlu {want}): jalankan `cop migrate` dulu")
    if have > want:
        raise StoreError(
            f"the database {redact(url)} is at schema version {have}, newer than this cop "
            f"({want}): upgrade cop / basis data lebih baru dari cop ini (versi {have}, cop "
            f"mengenal {want}): perbarui cop")
