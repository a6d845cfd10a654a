"""Sent marks: batched delivery with the duplicate window of one copy per killed worker.

A worker delivers a batch of outbox rows claimed FOR UPDATE SKIP LOCKED in one transaction
(workers.py claim_outgoing); the batch's outbox-state records commit together at its end.
Right after each copy's 250 the worker marks it in `outbox_sent` (migration 0003) on a
connection of its own, in autocommit with `synchronous_commit = off`: one round trip and
no fsync wait per copy. A worker killed mid-batch leaves its rows to another, whose claim
reads their marks with them (one query) and writes the very record the first worker would
have committed (attempts, time) instead of sending the copy again. The transaction that
commits a batch's records deletes their marks.

The window left: a copy between its 250 and its mark, so at most one per kill (the file
store's is between the 250 and the fsync). A mark committed is visible to the other workers
at once and survives the worker's death; with `synchronous_commit = off` only a crash of
the PostgreSQL server itself (or its machine) can lose the marks of its last fraction of a
second (up to three times wal_writer_delay, 200 ms by default): those copies go again.
A mark that cannot be written (the connection is gone) makes the worker commit its batch's
records at once instead: durable, only slower.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from mailer.edges.pg.connect import connect
from mailer.state import Record

log = logging.getLogger(__name__)


class SentMarks:
    """The worker's connection for marks, opened at its first copy sent."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name
        self._conn: Any = None

    def mark(self, record: Record) -> bool:
        """Mark one copy sent (its outbox-state record kept); False if it could not be."""
        from psycopg.types.json import Jsonb

        try:
            if self._conn is None:
                self._conn = connect(self.url, f"{self.name}-sent")
                self._conn.execute("SET synchronous_commit = off")
            self._conn.execute("INSERT INTO outbox_sent (id, record) VALUES (%s, %s) "
                               "ON CONFLICT (id) DO NOTHING", (record["id"], Jsonb(record)))
            return True
        except Exception as exc:  # the database is away: the caller commits instead
            log.warning("sent mark failed outbox=%s error=%s", record["id"],
                        " ".join(str(exc).split())[:300])
            self.close()
            return False

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


def forget(conn: Any, ids: list[str]) -> None:
    """In the transaction that commits these copies' records: their marks go."""
    if ids:
        conn.execute("DELETE FROM outbox_sent WHERE id = ANY(%s)", (ids,))


def pending(conn: Any) -> list[Record]:
    """The records kept in marks not yet folded into a batch (`cop store copy`)."""
    rows = conn.execute("SELECT record FROM outbox_sent ORDER BY at, id").fetchall()
    return [r[0] for r in rows]
