"""Batched delivery on PostgreSQL with the duplicate window of one copy per killed worker
(edges/pg/marks.py): a worker killed mid-batch leaves its claimed rows to another, which
records the copies marked sent without sending them again and sends the rest once. Against
the throwaway cluster (tests/pg.py) and an aiosmtpd peer counting what arrives."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mailer.edges.outbound import SmtpTransport
from mailer.edges.pg.connect import connect
from mailer.edges.pg.copy import copy_store
from mailer.edges.pg.migrate import migrate
from mailer.edges.pg.store import PgStore
from mailer.edges.pg.workers import OUTBOX_BATCH
from mailer.edges.store import FileStore
from mailer.outbound.outbox import deliver
from mailer.state import Record
from tests.helpers import smtp_outbound
from tests.peers import SmtpPeer
from tests.test_pg_store import pg_config

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
COPIES = 7


class Killed(BaseException):
    """The worker dies here (SIGKILL: nothing after it runs)."""


class Dying:
    """A transport that sends `lives` copies through `inner`, then the worker dies."""

    def __init__(self, inner: SmtpTransport, lives: int) -> None:
        self.inner = inner
        self.lives = lives

    def send(self, envelope_from: str, to: str, data: bytes, item_id: str) -> None:
        if self.lives == 0:
            raise Killed
        self.lives -= 1
        self.inner.send(envelope_from, to, data, item_id)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def peer() -> Iterator[SmtpPeer]:
    server = SmtpPeer()
    server.start()
    yield server
    server.stop()


def transport(tmp_path: Path, url: str, peer: SmtpPeer) -> SmtpTransport:
    return SmtpTransport(pg_config(tmp_path, url, outbound=smtp_outbound(peer.port)).outbound)


def queue_copies(store: PgStore) -> None:
    for i in range(COPIES):
        ref = store.add_outgoing(f"Subject: Rapat\r\nMessage-ID: <m{i}@example.org>\r\n\r\n"
                                 f"Salam {i}\r\n".encode())
        store.record({"t": "outbox", "id": f"o{i}", "to": f"guru{i}@example.org",
                      "kind": "post", "subject": "Rapat", "message_id": f"<m{i}@example.org>",
                      "envelope_from": f"kkg+b-o{i}@example.org",
                      "queued": (T0 + timedelta(seconds=i)).isoformat(),
                      "spool": [list(ref)]})
    store.flush()


def kill_sessions(url: str, name: str) -> None:
    """The dead worker's sessions end (its row locks go): what the server sees of a kill."""
    admin = connect(url, "admin")
    try:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                      "application_name LIKE %s AND pid <> pg_backend_pid()", (f"{name}%",))
    finally:
        admin.close()


def arrived(peer: SmtpPeer) -> Counter[str]:
    return Counter(to for m in peer.recorder.messages for to in m.rcpt_tos)


def outbox_states(url: str) -> list[Record]:
    conn = connect(url, "reader")
    try:
        rows = conn.execute("SELECT record FROM records WHERE record->>'t' = 'outbox-state' "
                            "ORDER BY id").fetchall()
        assert conn.execute("SELECT count(*) FROM outbox_sent").fetchone()[0] == 0
        return [r[0] for r in rows]
    finally:
        conn.close()


def die_delivering(url: str, tmp_path: Path, peer: SmtpPeer, lives: int,
                   patch: Any = None) -> None:
    """Worker w1 claims the batch, sends `lives` copies and is killed."""
    first = PgStore(url, name="w1")
    queue_copies(first)
    if patch is not None:
        patch(first)
    dying = Dying(transport(tmp_path / "w1", url, peer), lives)
    with pytest.raises(Killed):
        deliver(first, dying, T0, claim=first.claim_outgoing)
    dying.close()  # its SMTP connection: the peer has what was sent
    kill_sessions(url, "w1")
    with contextlib.suppress(Exception):
        first.close()


def deliver_rest(url: str, tmp_path: Path, peer: SmtpPeer) -> tuple[PgStore, dict[str, int]]:
    second = PgStore(url, name="w2")
    sending = transport(tmp_path / "w2", url, peer)
    try:
        counts = deliver(second, sending, T0 + timedelta(minutes=1),
                         claim=second.claim_outgoing)
    finally:
        sending.close()
    return second, counts


def test_copies_sent_by_a_worker_killed_mid_batch_are_recorded_not_sent_again(
        tmp_path: Path, pg_url: str, peer: SmtpPeer) -> None:
    migrate(pg_url)
    die_delivering(pg_url, tmp_path, peer, lives=2)
    assert sorted(arrived(peer)) == ["guru0@example.org", "guru1@example.org"]
    second, counts = deliver_rest(pg_url, tmp_path, peer)
    try:
        assert counts["sent"] == COPIES - 2  # the two marked ones were not its to send
        assert arrived(peer) == Counter({f"guru{i}@example.org": 1 for i in range(COPIES)})
        assert {i.state for i in second.state.outbox.values()} == {"sent"}
    finally:
        second.close()
    states = outbox_states(pg_url)  # one record a copy; the marks gone with the batch
    assert sorted(r["id"] for r in states) == [f"o{i}" for i in range(COPIES)]
    by_id = {r["id"]: r for r in states}
    # the killed worker's records, as it would have committed them: its time, attempt 1
    assert by_id["o0"]["at"] == by_id["o1"]["at"] == T0.isoformat()
    assert by_id["o2"]["at"] == (T0 + timedelta(minutes=1)).isoformat()
    assert {r["attempts"] for r in states} == {1}


def test_a_kill_between_the_250_and_its_mark_sends_that_one_copy_again(
        tmp_path: Path, pg_url: str, peer: SmtpPeer) -> None:
    migrate(pg_url)

    def die_at_second_mark(store: PgStore) -> None:
        marked = store.marks.mark
        calls = []

        def mark(record: Record) -> bool:
            calls.append(record["id"])
            if len(calls) == 2:
                raise Killed  # the 250 came, the mark did not
            return marked(record)

        store.marks.mark = mark  # type: ignore[method-assign]

    die_delivering(pg_url, tmp_path, peer, lives=3, patch=die_at_second_mark)
    second, _ = deliver_rest(pg_url, tmp_path, peer)
    second.close()
    counts = arrived(peer)
    assert counts["guru1@example.org"] == 2  # the window: one copy for this kill
    assert sum(counts.values()) == COPIES + 1 and set(counts.values()) <= {1, 2}
    assert len(outbox_states(pg_url)) == COPIES


def test_a_mark_that_cannot_be_written_commits_the_batch_instead(
        tmp_path: Path, pg_url: str, peer: SmtpPeer) -> None:
    migrate(pg_url)
    store = PgStore(pg_url, name="w1")
    reader = PgStore(pg_url, name="reader")
    seen: list[int] = []

    class Watching(SmtpTransport):
        def send(self, envelope_from: str, to: str, data: bytes, item_id: str) -> None:
            reader.catch_up()
            seen.append(sum(i.state == "sent" for i in reader.state.outbox.values()))
            super().send(envelope_from, to, data, item_id)

    try:
        queue_copies(store)
        store.marks.mark = lambda record: False  # type: ignore[method-assign]
        config = pg_config(tmp_path, pg_url, outbound=smtp_outbound(peer.port))
        sending = Watching(config.outbound)
        counts = deliver(store, sending, T0, claim=store.claim_outgoing)
        sending.close()
        assert counts["sent"] == COPIES
        assert seen == list(range(COPIES))  # each copy durable before the next goes
    finally:
        reader.close()
        store.close()


def test_store_copy_keeps_a_copy_marked_sent_as_sent(
        tmp_path: Path, pg_url: str, peer: SmtpPeer) -> None:
    migrate(pg_url)
    die_delivering(pg_url, tmp_path, peer, lives=1)
    copy_store(pg_url, str(tmp_path / "data"))
    copied = FileStore(tmp_path / "data", read_only=True)
    try:
        assert copied.state.outbox["o0"].state == "sent"
        assert {copied.state.outbox[f"o{i}"].state for i in range(1, COPIES)} == {"queued"}
    finally:
        copied.close()


def test_a_stale_mark_goes_with_the_sent_mail_s_pruning(pg_url: str) -> None:
    """A worker whose connection died marks a copy another worker has recorded already:
    nothing reads that mark again, and pruning removes it (a waiting row's mark stays)."""
    migrate(pg_url)
    store = PgStore(pg_url, name="w1")
    try:
        queue_copies(store)
        sent = {"t": "outbox-state", "id": "o0", "state": "sent", "attempts": 1,
                "at": T0.isoformat(), "next_try": None, "error": None}
        store.record(sent)
        store.flush()
        assert store.marks.mark(sent) and store.marks.mark({**sent, "id": "o1"})
        store.prune_outgoing(set(), 0)  # nothing old enough yet
        assert store.conn.execute("SELECT count(*) FROM outbox_sent").fetchone()[0] == 2
        store.prune_outgoing(set(), T0.timestamp() + 10**9)
        rows = store.conn.execute("SELECT id FROM outbox_sent").fetchall()
        assert rows == [("o1",)]  # o1 is still waiting: a dead worker's batch, to be read
        assert OUTBOX_BATCH >= COPIES  # one claim took every copy in the tests above
    finally:
        store.close()
