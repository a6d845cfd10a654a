"""The verbs that write, on PostgreSQL (mailer/cli/askpg.py): with no worker running `cop`
takes the leader's lock and carries the request out against the database itself; with a
worker running it leaves the request in the `requests` table and prints the answer the
leader leaves in the same row. Either way the same words, and the change in the database."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from mailer.daemon import tick
from mailer.edges.pg.migrate import migrate
from mailer.edges.pg.store import PgStore
from mailer.edges.pg.workers import LEADER_LOCK
from tests.helpers import make_mail, smtp_outbound
from tests.peers import SmtpPeer
from tests.test_crash import Daemon
from tests.test_pg_store import cop, open_pg, pg_config

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
STRANGER = make_mail(sender="Orang Asing <asing@example.net>", subject="Boleh ikut?",
                     message_id="<stranger@example.net>")


def held(folder: Path, pg_url: str, smtp_peer: SmtpPeer) -> tuple[Path, str]:
    """A database with one held post from a stranger; the config's path, the hold's id."""
    migrate(pg_url)
    config = pg_config(folder, pg_url, outbound=smtp_outbound(smtp_peer.port))
    rt = open_pg(config)
    try:
        rt.store.archive.add(STRANGER)
        tick(rt, T0)
        (hold,) = rt.store.state.holds.values()
        assert hold.state == "held"
    finally:
        rt.close()
    return config.path, hold.id


def hold_state(pg_url: str) -> str:
    store = PgStore(pg_url, read_only=True, name="look")
    try:
        (hold,) = store.state.holds.values()
        return hold.state
    finally:
        store.close()


def requests_left(pg_url: str) -> int:
    store = PgStore(pg_url, read_only=True, name="look")
    try:
        return int(store.conn.execute("SELECT count(*) FROM requests").fetchone()[0])
    finally:
        store.close()


def test_with_no_worker_cop_carries_it_out_against_the_database(
        tmp_path: Path, pg_url: str, smtp_peer: SmtpPeer) -> None:
    path, h1 = held(tmp_path, pg_url, smtp_peer)
    code, out = cop(path, "holds", "approve", h1)
    assert code == 0, out
    assert f"{h1}: approved" in out
    assert hold_state(pg_url) == "approved"
    assert requests_left(pg_url) == 0  # nothing left for a worker to do again
    assert any("Boleh ikut?" in m.data.decode(errors="replace")
               for m in smtp_peer.recorder.messages)  # the post went to the members
    code, out = cop(path, "holds", "approve", h1)
    assert code == 1 and f"{h1} is already approved" in out


def test_with_a_worker_running_the_leader_answers_through_the_database(
        tmp_path: Path, pg_url: str, smtp_peer: SmtpPeer) -> None:
    path, h1 = held(tmp_path, pg_url, smtp_peer)
    worker = Daemon(tmp_path / "worker.log")
    worker.start(path)
    try:
        worker.wait_started(60)
        watch = PgStore(pg_url, read_only=True, name="watch")
        try:  # the worker leads (its campaign holds the lock)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not watch.conn.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND ((classid::bigint << 32) | objid::bigint) = %s",
                    (LEADER_LOCK,)).fetchone()[0]:
                time.sleep(0.1)
        finally:
            watch.close()
        code, out = cop(path, "holds", "reject", h1, "--reason", "bukan anggota")
        assert code == 0, out
        assert f"{h1}: rejected" in out
        assert "recorded" not in out  # answered, not merely queued
        assert hold_state(pg_url) == "rejected"
        assert requests_left(pg_url) == 0  # the answer was taken with the row
        code, out = cop(path, "holds", "approve", h1)
        assert code == 1 and f"{h1} is already rejected" in out
        assert worker.stop() == 0
    finally:
        if worker.process is not None and worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(10)
    text = worker.text()
    assert "Traceback" not in text, text[-3000:]
