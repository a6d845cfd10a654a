"""Several `cop run` workers on one database: who leads, and who processes what.

    is_leader()          a session-level advisory lock on its own connection: IMAP polling,
                         `cop` requests and the clock's jobs run in the leader only. When a
                         leader dies its session ends (TCP keepalives find a dead machine
                         within seconds), the lock is free, and a follower's campaign thread
                         (every CAMPAIGN s) takes it; its next tick leads.
    claim(key, group)    one inbound message: its archive row FOR UPDATE SKIP LOCKED (another
                         worker has it: skip), the group's transaction-level advisory lock
                         (messages of one community one at a time, communities in parallel),
                         State caught up under it; its records, outgoing bytes and the row's
                         `done` committed in ONE transaction when the block ends.
    exclusive()          the rest of a tick's work on State (requests, decisions, jobs): all
                         groups at once (the group locks are taken shared on GROUPS_LOCK).
    claim_outgoing(id)   a batch of up to OUTBOX_BATCH due outbox rows from this one on,
                         FOR UPDATE SKIP LOCKED in one transaction (another worker claims the
                         next), their bytes read in one query; they are sent over one SMTP
                         connection and the batch's outbox-state records commit together when
                         the next batch is claimed or delivery ends. Each copy is marked sent
                         right after its 250 (edges/pg/marks.py: no fsync wait), so a worker
                         killed mid-batch leaves its rows to another, which records the marked
                         ones sent without sending them again. The duplicate window: the copy
                         between its 250 and its mark, at most one per kill (as a restarted
                         single daemon's); a PostgreSQL server crash may lose the marks of its
                         last fraction of a second (marks.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from mailer.edges.pg.connect import connect
from mailer.edges.pg.marks import SentMarks
from mailer.state import Record

log = logging.getLogger(__name__)

LEADER_LOCK = 0x636F70_6C6561  # "coplea"
GROUPS_LOCK = 0x636F70_616C6C  # "copall"
CAMPAIGN = 1.0  # seconds between a follower's tries for the leader's lock
OUTBOX_BATCH = 50  # outbox rows claimed in one transaction (their records commit together)


def group_lock(group: str) -> int:
    """A community's advisory lock number (signed 64-bit)."""
    digest = hashlib.sha256(f"cop-group:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Workers:
    """Mixed into PgStore, which gives the connection and the transactions."""

    conn: Any
    url: str
    name: str
    _tx: str | None
    shared = True  # several workers may use this store at once

    def _begin(self, kind: str | None) -> None:
        raise NotImplementedError

    def _commit(self) -> None:
        raise NotImplementedError

    def _rollback(self) -> None:
        raise NotImplementedError

    def catch_up(self) -> int:
        raise NotImplementedError

    def reload(self) -> None:
        raise NotImplementedError

    def refresh_meta(self) -> None:
        raise NotImplementedError

    def record(self, record: Record) -> None:
        raise NotImplementedError

    def __init__(self) -> None:
        self._leader: Any = None  # the connection holding LEADER_LOCK
        self._leading = threading.Event()  # held, as far as the campaign last saw
        self._led = False  # what the last tick was told
        self._stop = threading.Event()
        self._campaign: threading.Thread | None = None
        self.worker = f"{socket.gethostname()}:{id(self):x}"
        self.on_lead: Callable[[], None] | None = None  # told when the lock is taken
        self._batch: set[str] = set()  # outbox rows this worker holds (claim_outgoing)
        self._passed: set[str] = set()  # those of its batch it does not send
        self._marked: set[str] = set()  # marked sent, their records not committed yet
        self.marks = SentMarks(self.url, self.name)

    def is_leading(self) -> bool:
        """Whether the campaign holds the leader's lock now (any thread may ask)."""
        return self._leading.is_set()

    def is_leader(self) -> bool:
        """Whether this worker leads now. A thread of its own tries for the lock every
        CAMPAIGN seconds, so a dead leader is replaced within seconds even while every
        other worker is in a long tick; the tick that first learns it reads metadata again
        (the last leader's cursors and schedules)."""
        if self._campaign is None:
            self._try_lead()
            self._campaign = threading.Thread(target=self._campaign_loop, daemon=True,
                                              name="cop-leader")
            self._campaign.start()
        leading = self._leading.is_set()
        if leading and not self._led:
            self.refresh_meta()
            log.info("leader worker=%s", self.worker)
        self._led = leading
        return leading

    def _campaign_loop(self) -> None:
        while not self._stop.wait(CAMPAIGN):
            try:
                self._try_lead()
            except Exception as exc:  # the database is away: try again
                log.warning("leader check failed error=%s", " ".join(str(exc).split()))

    def _try_lead(self) -> None:
        if self._leader is not None:
            try:
                self._leader.execute("SELECT 1")
                return
            except Exception:  # the session ended: the lock went with it
                log.warning("lost the leader's connection; trying to lead again")
                self._leading.clear()
                with contextlib.suppress(Exception):
                    self._leader.close()
                self._leader = None
        conn = connect(self.url, f"{self.name}-leader")
        got = conn.execute("SELECT pg_try_advisory_lock(%s)", (LEADER_LOCK,)).fetchone()[0]
        if not got:
            conn.close()
            return
        self._leader = conn
        self._leading.set()
        if self.on_lead is not None:
            self.on_lead()

    @contextlib.contextmanager
    def claim(self, key: str, group: str) -> Iterator[bool]:
        self._begin("processing")
        row = self.conn.execute("SELECT 1 FROM archive WHERE key = %s AND state = 'pending' "
                                "FOR UPDATE SKIP LOCKED", (key,)).fetchone()
        if row is None:
            self._rollback()
            yield False
            return
        self.conn.execute("SELECT pg_advisory_xact_lock_shared(%s), pg_advisory_xact_lock(%s)",
                          (GROUPS_LOCK, group_lock(group)))
        self.catch_up()
        try:
            yield True
        except BaseException:
            self._tx = "processing"
            self._commit_failed()
            raise
        self.conn.execute("UPDATE archive SET state = 'done', claimed_by = %s WHERE key = %s",
                          (self.worker, key))
        self._commit()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        self._begin("exclusive")
        self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (GROUPS_LOCK,))
        self.catch_up()
        try:
            yield
        except BaseException:
            self._commit_failed()
            raise
        self._commit()

    def _commit_failed(self) -> None:
        self._rollback()
        self.reload()

    def claim_outgoing(self, item_id: str, now: datetime) -> bool:
        """Whether this worker sends the item now. The first ask claims a batch: up to
        OUTBOX_BATCH due rows from this one on, FOR UPDATE SKIP LOCKED in one transaction,
        their bytes read at once; the batch's records commit together when the next batch is
        claimed or delivery ends (flush). A row marked sent by a worker killed mid-batch is
        recorded sent with the record that worker kept, and not sent again."""
        if self._tx == "delivery" and item_id in self._batch:
            return True
        if self._tx == "delivery" and item_id in self._passed:
            return False  # another worker had it when this batch was claimed, or sent it
        if self._tx is not None:
            self._commit()  # the last batch's records: durable here
        from mailer.outbound.outbox import due

        ids = [i.id for i in due(self, now)]  # type: ignore[arg-type]
        wanted = ids[ids.index(item_id):][:OUTBOX_BATCH] if item_id in ids else [item_id]
        self._begin("delivery")
        rows = self.conn.execute(
            "SELECT o.id, s.record FROM outbox o LEFT JOIN outbox_sent s ON s.id = o.id "
            "WHERE o.id = ANY(%s) AND o.state IN ('queued', 'deferred') AND (o.due IS NULL "
            "OR o.state = 'queued' OR o.due <= %s) FOR UPDATE OF o SKIP LOCKED",
            (wanted, now)).fetchall()
        if not rows:
            self._batch, self._passed = set(), set(wanted)
            self._rollback()
            return False
        sent = {row_id: record for row_id, record in rows if record is not None}
        self._batch = {r[0] for r in rows} - sent.keys()
        self._passed = set(wanted) - self._batch
        for row_id, record in sent.items():  # committed with the batch, marks deleted
            log.info("sent before outbox=%s: recorded, not sent again", row_id)
            self.record(record)
            self._marked.add(row_id)
        self.prefetch(self._batch)
        return item_id in self._batch

    def mark_sent(self, records: list[Record]) -> bool:
        """Right after a copy's 250 (outbox.deliver's flush_records(behind=True)): mark the
        batch's copies recorded sent and not marked yet; False when a mark failed."""
        for record in reversed(records):
            row_id = record.get("id")
            if record.get("t") != "outbox-state" or row_id in self._marked:
                break
            if record["state"] == "sent" and row_id in self._batch:
                if not self.marks.mark(record):
                    return False
                self._marked.add(row_id)
        return True

    def prefetch(self, ids: set[str]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.marks.close()
        self._stop.set()
        if self._campaign is not None:
            self._campaign.join(10)
        self._leading.clear()
        if self._leader is not None:
            with contextlib.suppress(Exception):
                self._leader.close()
            self._leader = None
