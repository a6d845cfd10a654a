"""What the PostgreSQL store is made of besides records: the raw-mail archive, requests
from `cop`, and the keys that make a record exist once.

The archive is written on its own autocommit connection (the SMTP receiver's thread adds to
it while the tick runs), so a message is committed before the receiver answers 250."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

from mailer.edges.pg.wakeups import CHANNEL
from mailer.state import Record, State


def record_key(state: State, record: Record) -> str | None:
    """What may exist once, as a unique key: a second worker writing the same (a thread id
    taken by two at once, an outbox copy queued twice) fails its transaction instead."""
    kind = record.get("t")
    if kind == "outbox":
        return f"outbox:{record['id']}"
    known: dict[str, Mapping[str, Any]] = {"thread": state.threads, "hold": state.holds,
                                        "quarantine": state.quarantine}
    if kind in known and record["id"] not in known[str(kind)]:
        return f"{kind}:{record['id']}"  # a new one; its later records change it
    return None


class Side:
    """An autocommit connection shared by threads, one statement at a time."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.lock = threading.Lock()

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[Any]:
        with self.lock:
            cur = self.conn.execute(sql, params)
            return list(cur.fetchall()) if cur.description else []

    def close(self) -> None:
        self.conn.close()


class PgArchive:
    """Raw inbound mail in the archive table: pending until its outcome is committed."""

    def __init__(self, side: Side) -> None:
        self.side = side
        self._counter = 0
        self._host = socket.gethostname()

    def add(self, raw: bytes, sync: bool = True) -> str:
        """Committed when this returns, whatever `sync` says (one row, one commit)."""
        self._counter += 1
        key = f"{time.time_ns()}.P{os.getpid()}Q{self._counter}.{self._host}"
        self.side.execute("WITH i AS (INSERT INTO archive (key, data) VALUES (%s, %s) "
                          "RETURNING 1) SELECT pg_notify(%s, 'archive') FROM i",
                          (key, raw, CHANNEL))  # the workers: edges/pg/wakeups.py
        return key

    def add_as(self, key: str, raw: bytes, done: bool) -> None:
        """Keep a message under its existing key (`cop store copy`)."""
        self.side.execute("INSERT INTO archive (key, data, state) VALUES (%s, %s, %s) "
                          "ON CONFLICT (key) DO NOTHING",
                          (key, raw, "done" if done else "pending"))

    def sync(self) -> None:
        pass

    def pending(self) -> list[str]:
        rows = self.side.execute("SELECT key FROM archive WHERE state = 'pending' ORDER BY key")
        return [r[0] for r in rows]

    def done_keys(self) -> list[str]:
        rows = self.side.execute("SELECT key FROM archive WHERE state = 'done' ORDER BY key")
        return [r[0] for r in rows]

    def read(self, key: str) -> bytes:
        rows = self.side.execute("SELECT data FROM archive WHERE key = %s", (key,))
        if not rows:
            raise KeyError(key)
        return bytes(rows[0][0])

    def mark_done(self, keys: list[str]) -> None:
        if keys:
            self.side.execute("UPDATE archive SET state = 'done' WHERE key = ANY(%s) "
                              "AND state = 'pending'", (keys,))

    def count(self) -> int:
        return int(self.side.execute("SELECT count(*) FROM archive")[0][0])


class PgRequests:
    """Changes asked for with `cop` while workers run, carried out by the leader. Its
    answer (what the verb prints) stays in the row (answer, answered: migration 0002) for
    the waiting `cop`, which takes it; one nobody came for goes after a day."""

    ALLOWED = frozenset({"attendance", "hold-decision", "quarantine-release",
                         "quarantine-state", "digest-send", "web"})
    KEEP_ANSWERS = "1 day"

    def __init__(self, side: Side) -> None:
        self.side = side

    def submit(self, records: list[Record]) -> str:
        from psycopg.types.json import Jsonb

        rows = self.side.execute("WITH i AS (INSERT INTO requests (records) VALUES (%s) "
                                 "RETURNING id) SELECT id, pg_notify(%s, 'request') FROM i",
                                 (Jsonb(records), CHANNEL))
        return str(rows[0][0])

    def pending(self) -> list[tuple[str, list[Record]]]:
        rows = self.side.execute("SELECT id, records FROM requests WHERE answer IS NULL "
                                 "ORDER BY id")
        return [(str(i), [r for r in records if r.get("t") in self.ALLOWED])
                for i, records in rows]

    def done(self, request: str) -> None:
        self.side.execute("DELETE FROM requests WHERE id = %s", (int(request),))

    def answer(self, request: str, answer: dict[str, Any]) -> None:
        """Leave the answer for the `cop` that asked; the request is no longer pending."""
        from psycopg.types.json import Jsonb

        self.side.execute("UPDATE requests SET answer = %s, answered = now() WHERE id = %s",
                          (Jsonb(answer), int(request)))
        self.side.execute("DELETE FROM requests WHERE answered < now() - %s::interval",
                          (self.KEEP_ANSWERS,))

    def answer_of(self, request: str) -> dict[str, Any] | None:
        """The answer to a request, once there is one (taken: read once)."""
        rows = self.side.execute("DELETE FROM requests WHERE id = %s AND answer IS NOT NULL "
                                 "RETURNING answer", (int(request),))
        return dict(rows[0][0]) if rows else None

    def waiting(self, request: str) -> bool:
        rows = self.side.execute("SELECT 1 FROM requests WHERE id = %s AND answer IS NULL",
                                 (int(request),))
        return bool(rows)
