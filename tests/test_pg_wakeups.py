"""Waking the workers on PostgreSQL (mailer/edges/pg/wakeups.py): LISTEN/NOTIFY wakes them
for a `cop` request, mail archived by another worker and queued copies; the leader asks the
IMAP mailbox only when IDLE says mail came or poll_interval is up (counted by the real
server: Dovecot's rawlog of every command it was sent); a lost notification is made up for
by the slow fallback tick."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailer.daemon import tick
from mailer.edges.pg import wakeups
from mailer.edges.pg.migrate import migrate
from mailer.edges.pg.store import PgStore
from mailer.edges.pg.wakeups import Pace, Wakeups
from tests.helpers import smtp_outbound, until
from tests.peers import Dovecot, SmtpPeer
from tests.test_crash import Daemon, imap_inbound
from tests.test_pg_requests import STRANGER, held, hold_state
from tests.test_pg_store import cop, open_pg, pg_config

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


class RawlogDovecot(Dovecot):
    """The fixture's Dovecot keeping every IMAP session's commands (rawlog_dir)."""

    def start(self) -> None:
        text = self.conf.read_text()
        if "rawlog_dir" not in text:
            self.conf.write_text(text + f"rawlog_dir = {self.root}/rawlog/%u\n")
        super().start()

    def add_user(self) -> tuple[str, str]:
        user, password = super().add_user()
        folder = self.root / "rawlog" / user
        folder.mkdir(parents=True, exist_ok=True)
        for path in (folder.parent, folder):
            shutil.chown(path, "mail", "mail")
        return user, password

    def commands(self, user: str, name: str) -> list[str]:
        """Every command of `name` (e.g. SEARCH) the server was sent for `user`."""
        found = []
        for path in sorted((self.root / "rawlog" / user).glob("*.in")):
            for line in path.read_text(errors="replace").splitlines():
                words = line.split()  # timestamp, tag, command (UID SEARCH: UID first)
                if len(words) > 2 and name in [w.upper() for w in words[2:4]]:
                    found.append(line)
        return found


@pytest.fixture
def rawlog_dovecot() -> Iterator[RawlogDovecot]:
    with tempfile.TemporaryDirectory(prefix="cop-rawlog-") as folder:
        server = RawlogDovecot(Path(folder))
        server.setup()
        try:
            yield server
        finally:
            server.stop()


def ask_approval(asker: PgStore, hold_id: str) -> str:
    """What `cop holds approve` submits: the request's id."""
    return asker.requests.submit([{"t": "hold-decision", "id": hold_id, "decision": "approve",
                                   "reason": "", "by": "guru@example.org"}])


@pytest.mark.timeout(300)
def test_the_leader_asks_the_mailbox_only_when_idle_says_so_or_poll_interval_is_up(
        tmp_path: Path, pg_url: str, rawlog_dovecot: RawlogDovecot,
        smtp_peer: SmtpPeer) -> None:
    migrate(pg_url)
    user, password = rawlog_dovecot.add_user()
    config = pg_config(tmp_path, pg_url, inbound=imap_inbound(rawlog_dovecot, user, password,
                                                                "60s"),
                       outbound=smtp_outbound(smtp_peer.port))
    worker = Daemon(tmp_path / "worker.log")
    worker.start(config.path)
    try:
        worker.wait_started(60)
        until(lambda: rawlog_dovecot.commands(user, "SEARCH"), worker.text)
        started = time.monotonic()
        rawlog_dovecot.append(user, password, STRANGER)  # IDLE tells the leader
        watch = PgStore(pg_url, read_only=True, name="watch")
        try:
            def held_now() -> bool:
                watch.catch_up()
                return bool(watch.state.holds)
            until(held_now, lambda: worker.text()[-3000:])
            (hold_id,) = watch.state.holds
        finally:
            watch.close()
        asked = time.monotonic()
        code, out = cop(config.path, "holds", "approve", hold_id)
        took = time.monotonic() - asked
        assert code == 0 and "recorded" not in out, out  # answered by the leader, not queued
        asker = PgStore(pg_url, name="asker")
        try:  # more requests: each wakes the leader, none makes it ask the mailbox
            for _ in range(3):
                request = ask_approval(asker, hold_id)
                until(lambda r=request: asker.requests.answer_of(r) is not None,
                      "the request's answer")
        finally:
            asker.close()
        assert hold_state(pg_url) == "approved"
        time.sleep(max(0.0, 20 - (time.monotonic() - started)))  # old: a SEARCH every 3 s
        searches = rawlog_dovecot.commands(user, "SEARCH")
        idles = rawlog_dovecot.commands(user, "IDLE")
        print(f"searches={len(searches)} idles={len(idles)} over "
              f"{time.monotonic() - started + 1:.0f} s; cop holds approve answered in "
              f"{took:.2f} s")
        # the first look at start, and one when IDLE said the stranger's mail came
        assert len(searches) <= 3, searches
        assert idles, "the leader waits in IDLE"
        assert worker.stop() == 0
    finally:
        if worker.process is not None and worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(10)
    assert "Traceback" not in worker.text(), worker.text()[-3000:]


def pace_for(rt: object, listening: bool) -> Pace:
    store = rt.store  # type: ignore[attr-defined]
    arrived, stop = threading.Event(), threading.Event()
    own = {store.conn.info.backend_pid, store.side.conn.info.backend_pid}
    wake = Wakeups(store.url, store.name, arrived, lambda: own, store.is_leading)
    if listening:
        wake.start()
    return Pace(wake, stop)


def test_a_request_wakes_the_leader_at_once(tmp_path: Path, pg_url: str,
                                            smtp_peer: SmtpPeer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _, hold_id = held(tmp_path, pg_url, smtp_peer)
    monkeypatch.setattr(wakeups, "FALLBACK", 3600.0)  # only a notification can wake it
    rt = open_pg(pg_config(tmp_path / "w", pg_url, outbound=smtp_outbound(smtp_peer.port)))
    pace = pace_for(rt, listening=True)
    try:
        tick(rt, T0)
        assert rt.leader
        pace.wait(rt, 0)  # the listener's first LISTEN wakes it once
        asker = PgStore(pg_url, name="asker")
        try:
            request = ask_approval(asker, hold_id)
            pace.wait(rt, 0)  # returns: woken by the NOTIFY of the request
            assert pace.wakeups.received >= 1
            tick(rt, T0)
            assert asker.requests.answer_of(request) is not None
        finally:
            asker.close()
    finally:
        pace.close()
        rt.close()
    assert hold_state(pg_url) == "approved"


def test_a_lost_notification_is_made_up_for_by_the_fallback_tick(
        tmp_path: Path, pg_url: str, smtp_peer: SmtpPeer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _, hold_id = held(tmp_path, pg_url, smtp_peer)
    monkeypatch.setattr(wakeups, "FALLBACK", 0.5)
    rt = open_pg(pg_config(tmp_path / "w", pg_url, outbound=smtp_outbound(smtp_peer.port)))
    pace = pace_for(rt, listening=False)  # nobody listens: every NOTIFY is lost
    try:
        tick(rt, T0)
        asker = PgStore(pg_url, name="asker")
        try:
            request = ask_approval(asker, hold_id)
            answer = None
            for _ in range(5):  # a few fallback ticks
                pace.wait(rt, 0)
                tick(rt, T0)
                answer = asker.requests.answer_of(request)
                if answer is not None:
                    break
            assert answer is not None
            assert pace.wakeups.received == 0
        finally:
            asker.close()
    finally:
        pace.close()
        rt.close()
    assert hold_state(pg_url) == "approved"
