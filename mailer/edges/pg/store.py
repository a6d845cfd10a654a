"""PgStore: the Store interface (mailer/store.py) over PostgreSQL.

State is folded from the records table at open, then kept current by reading the rows past
the last id seen (`catch_up`). Record ids are taken under a transaction-level advisory lock
held until commit (COMMIT_LOCK), so ids are in commit order: a reader that has seen id n
has seen every record committed before it, and never skips one committed later.

`flush()` is one transaction, in the file store's order: outgoing bytes, then records (and
the outbox rows that deliveries claim), then metadata; raw mail is committed as it arrives.
A unique key broken by another worker (records.key: a thread id taken by two at once, an
outbox copy queued twice) rolls the transaction back: the State is read again from the
table and the work is done again at the next tick, seeing what the other worker did.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

from mailer.edges.pg.connect import connect, psycopg_module
from mailer.edges.pg.marks import forget
from mailer.edges.pg.migrate import check_migrated
from mailer.edges.pg.parts import PgArchive, PgRequests, Side, record_key
from mailer.edges.pg.wakeups import CHANNEL
from mailer.edges.pg.workers import OUTBOX_BATCH, Workers
from mailer.errors import StoreConflict, StoreError
from mailer.state import Record, State
from mailer.store import OutgoingRef

log = logging.getLogger(__name__)

COMMIT_LOCK = 0x636F70_636F6D  # "copcom": record ids in commit order
BATCH = 5000  # records read per query while catching up


class PgStore(Workers):
    def __init__(self, url: str, read_only: bool = False, name: str = "cop") -> None:
        self.url = url
        self.read_only = read_only
        self.name = name
        self.conn = connect(url, name)
        try:
            check_migrated(self.conn, url)
        except BaseException:
            self.conn.close()
            raise
        self.side = Side(connect(url, f"{name}-archive"))
        self.archive = PgArchive(self.side)
        self.requests = PgRequests(self.side)
        self.state = State()
        self.seen = 0  # the last record id folded into state
        self._own: set[int] = set()  # ids we wrote, already in state, past `seen`
        self._records: list[tuple[str | None, Record]] = []
        self._outgoing: list[tuple[str, int, bytes]] = []
        self._meta: dict[tuple[str, str], dict[str, Any]] = {}
        self._dirty: dict[tuple[str, str], None] = {}
        self._segment, self._part = self._new_segment(), 0
        self._tx: str | None = None  # "processing", "exclusive", "delivery" while one is open
        self._fetched: dict[tuple[str, int], bytes] = {}  # outgoing bytes read ahead
        Workers.__init__(self)
        self.catch_up()
        self.refresh_meta()

    # -- records and state -------------------------------------------------------------

    def catch_up(self) -> int:
        """Fold the records other workers (or `cop`) committed since the last look."""
        folded = 0
        while True:
            rows = self.conn.execute("SELECT id, record FROM records WHERE id > %s "
                                     "ORDER BY id LIMIT %s", (self.seen, BATCH)).fetchall()
            for row_id, record in rows:
                if row_id in self._own:
                    self._own.discard(row_id)
                else:
                    self.state.apply(record)
                    folded += 1
                self.seen = row_id
            if len(rows) < BATCH:
                return folded

    def reload(self) -> None:
        """Forget what is in memory and fold every record again (after a rollback)."""
        self.state = State()
        self.seen = 0
        self._own.clear()
        self._records.clear()
        self._outgoing.clear()
        self._dirty.clear()
        self.catch_up()
        self.refresh_meta()

    def record(self, record: Record) -> None:
        key = record_key(self.state, record)
        self.state.apply(record)
        self._records.append((key, record))

    def flush(self) -> None:
        """Commit what is pending in one transaction; inside a claim, the claim commits."""
        if self.read_only:
            return
        if self._tx in ("processing", "exclusive"):
            return
        if self._tx is None and not (self._records or self._outgoing or self._dirty):
            return
        if self._tx is None:
            self._begin(None)
        self._commit()

    def flush_records(self, behind: bool = False) -> None:
        # a claimed batch's records commit together (workers.py claim_outgoing); the copy
        # just sent is marked at once (marks.py), or the batch commits if it cannot be
        if behind and self._tx == "delivery" and self.mark_sent(
                [r for _, r in self._records[-OUTBOX_BATCH:]]):
            return
        self.flush()

    def close(self) -> None:
        if self._tx is not None:
            self._rollback()
        else:
            self.flush()
        Workers.close(self)
        self.conn.close()
        self.side.close()

    def _begin(self, kind: str | None) -> None:
        self.conn.execute("BEGIN")
        self._tx = kind or "flush"

    def _commit(self) -> None:
        psycopg = psycopg_module()
        try:
            self._write()
            self.conn.execute("COMMIT")
        except psycopg.errors.UniqueViolation as exc:
            self._rollback()
            self.reload()
            raise StoreConflict("another worker wrote the same thing first "
                             f"({' '.join(str(exc).split())[:200]}); read the records again, "
                             "done again at the next tick") from None
        except BaseException:
            self._rollback()
            self.reload()
            raise
        finally:
            self._tx = None

    def _rollback(self) -> None:
        try:
            self.conn.execute("ROLLBACK")
        except Exception:  # the connection is gone: nothing to roll back
            log.warning("rollback failed; the connection is gone", exc_info=True)
        self._tx = None
        self._marked.clear()  # their records were not committed: the marks stay

    def _write(self) -> None:
        """In the open transaction: outgoing bytes, records and outbox rows, metadata."""
        from psycopg.types.json import Jsonb

        if self._outgoing:
            segments, parts, data = zip(*self._outgoing, strict=True)
            self.conn.execute(
                "INSERT INTO outgoing (segment, part, data) SELECT * FROM "
                "unnest(%s::text[], %s::int[], %s::bytea[])",
                (list(segments), list(parts), list(data)))
            self._outgoing.clear()
            self._segment, self._part = self._new_segment(), 0
        if self._records:
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (COMMIT_LOCK,))
            keys = [k for k, _ in self._records]
            values = [Jsonb(r) for _, r in self._records]
            rows = self.conn.execute(
                "INSERT INTO records (key, record) SELECT k, r FROM "
                "unnest(%s::text[], %s::jsonb[]) WITH ORDINALITY AS x(k, r, n) "
                "ORDER BY n RETURNING id", (keys, values)).fetchall()
            self._own.update(r[0] for r in rows)
            self._write_outbox([r for _, r in self._records])
            self._records.clear()
        if self._marked:  # their records are in this transaction: the marks go with it
            forget(self.conn, sorted(self._marked))
            self._marked.clear()
        if self._dirty:
            with self.conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO metadata (tbl, key, value) VALUES (%s, %s, %s) "
                    "ON CONFLICT (tbl, key) DO UPDATE SET value = EXCLUDED.value",
                    [(t, k, Jsonb(self._meta[(t, k)])) for t, k in self._dirty])
            self._dirty.clear()

    def _write_outbox(self, records: list[Record]) -> None:
        queued = [(r["id"], r.get("queued")) for r in records if r["t"] == "outbox"]
        if queued:
            ids, due = zip(*queued, strict=True)
            self.conn.execute(  # the other workers woken at COMMIT (edges/pg/wakeups.py)
                "WITH q AS (INSERT INTO outbox (id, state, due) SELECT i, 'queued', d FROM "
                "unnest(%s::text[], %s::timestamptz[]) AS x(i, d) ON CONFLICT (id) DO NOTHING "
                "RETURNING 1) SELECT pg_notify(%s, 'outbox') FROM (SELECT 1 FROM q LIMIT 1) n",
                (list(ids), list(due), CHANNEL))
        with self.conn.cursor() as cur:
            changed = [(r["state"], r.get("next_try"), r["id"]) for r in records
                       if r["t"] == "outbox-state"]
            if changed:
                cur.executemany("UPDATE outbox SET state = %s, due = %s WHERE id = %s", changed)

    # -- metadata ----------------------------------------------------------------------

    def refresh_meta(self) -> None:
        rows = self.conn.execute("SELECT tbl, key, value FROM metadata ORDER BY n").fetchall()
        self._meta = {(t, k): v for t, k, v in rows}
        self._dirty.clear()

    def get_meta(self, table: str, key: str) -> dict[str, Any] | None:
        value = self._meta.get((table, key))
        return None if value is None else dict(value)

    def put_meta(self, table: str, key: str, value: dict[str, Any]) -> None:
        self._meta[(table, key)] = dict(value)
        self._dirty[(table, key)] = None

    def meta_items(self, table: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for (t, k), value in list(self._meta.items()):
            if t == table:
                yield k, dict(value)

    # -- outgoing bytes and files ------------------------------------------------------

    @staticmethod
    def _new_segment() -> str:
        return f"pg-{uuid.uuid4().hex}"

    def add_outgoing(self, data: bytes) -> OutgoingRef:
        self._part += 1
        self._outgoing.append((self._segment, self._part, data))
        return (self._segment, self._part, len(data))

    def prefetch(self, ids: set[str]) -> None:
        """The bytes of a claimed batch of outbox items, in one query (read_outgoing)."""
        if len(self._fetched) > 4 * len(ids) + 64:  # what earlier batches needed
            self._fetched.clear()
        wanted = {(seg, part) for i in ids if i in self.state.outbox
                  for seg, part, _ in self.state.outbox[i].spool}
        wanted -= self._fetched.keys()
        if wanted:
            segments, parts = zip(*wanted, strict=True)
            rows = self.conn.execute(
                "SELECT o.segment, o.part, o.data FROM outgoing o JOIN unnest(%s::text[], "
                "%s::int[]) AS w(s, p) ON o.segment = w.s AND o.part = w.p",
                (list(segments), list(parts))).fetchall()
            self._fetched.update({(seg, part): bytes(data) for seg, part, data in rows})

    def read_outgoing(self, parts: tuple[OutgoingRef, ...]) -> bytes:
        found = []
        for segment, part, length in parts:
            data = self._fetched.get((segment, part))
            row = (data,) if data is not None else self.conn.execute(
                "SELECT data FROM outgoing WHERE segment = %s AND part = %s",
                (segment, part)).fetchone()
            if row is None or len(row[0]) != length:
                raise StoreError(f"outgoing {segment}/{part} is missing or shorter than its "
                                 "outbox record says")
            found.append(bytes(row[0]))
        return b"".join(found)

    def prune_outgoing(self, needed: set[str], written_before: float) -> list[str]:
        # marks left by a worker whose connection died while another recorded its rows
        # (marks.py): their rows are no longer waiting, nothing will read them
        self.conn.execute("DELETE FROM outbox_sent s USING outbox o WHERE s.id = o.id AND "
                          "o.state NOT IN ('queued', 'deferred') AND s.at < "
                          "to_timestamp(%s)", (written_before,))
        rows = self.conn.execute(
            "WITH gone AS (DELETE FROM outgoing WHERE segment <> ALL(%s) AND "
            "written < to_timestamp(%s) AND segment <> %s RETURNING segment) "
            "SELECT DISTINCT segment FROM gone ORDER BY segment",
            (sorted(needed), written_before, self._segment)).fetchall()
        return [r[0] for r in rows]

    def add_file(self, data: bytes) -> str:
        import hashlib

        sha256 = hashlib.sha256(data).hexdigest()
        self.side.execute("INSERT INTO files (sha256, data) VALUES (%s, %s) "
                          "ON CONFLICT (sha256) DO NOTHING", (sha256, data))
        return sha256

    def read_file(self, sha256: str) -> bytes | None:
        rows = self.side.execute("SELECT data FROM files WHERE sha256 = %s", (sha256,))
        return bytes(rows[0][0]) if rows else None
