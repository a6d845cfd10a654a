"""Connections to PostgreSQL: the URL from cop.toml, the password from the environment
(PGPASSWORD, read by libpq, or "${VAR}" in the URL as other secrets), and TCP keepalives so
that the server ends the session of a worker whose machine died within seconds, which
releases its locks (the leader's above all)."""

from __future__ import annotations

from typing import Any

from mailer.errors import StoreError

KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
             "keepalives_count": 3}


def psycopg_module() -> Any:
    try:
        import psycopg
    except ImportError:
        raise StoreError("[service] database needs psycopg: pip install 'cop-mailer[postgresql]'"
                         " / butuh psycopg: pip install 'cop-mailer[postgresql]'") from None
    return psycopg


def connect(url: str, name: str = "cop") -> Any:
    """An autocommit connection; transactions are opened explicitly where they are needed."""
    psycopg = psycopg_module()
    try:
        return psycopg.connect(url, autocommit=True, application_name=name, connect_timeout=10,
                               **KEEPALIVE)
    except psycopg.OperationalError as exc:
        raise StoreError(f"cannot connect to the database {redact(url)}: "
                         f"{' '.join(str(exc).split())}") from None


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    head, at, tail = url.rpartition("@")
    if not at or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, user = head.partition("//")
    return f"{scheme}//{user.split(':', 1)[0]}:***@{tail}"


def is_database(where: str) -> bool:
    return where.startswith(("postgresql://", "postgres://"))
