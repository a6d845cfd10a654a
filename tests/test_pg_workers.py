"""Three `cop run` workers on one PostgreSQL database, SIGKILLed at random (the leader
often) and restarted while 1,000 mails arrive over their SMTP receivers and posts go out to
a community of 300: every message exactly once, every copy once but for the documented
window (at most one per kill), invitations (the clock's job) queued once, and a new leader
within 10 s of each leader's death (a worker killed is started again before the next kill:
on a loaded machine a start takes longer than that)."""

from __future__ import annotations

import contextlib
import random
import smtplib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailer.edges.pg.migrate import migrate
from mailer.edges.pg.store import PgStore
from mailer.edges.pg.workers import LEADER_LOCK
from mailer.state import State
from tests.faults import fault_id, mail_mix
from tests.helpers import make_mail, smtp_outbound, write_config
from tests.peers import SmtpPeer, free_port, wait_for_port
from tests.test_crash import Daemon

pytestmark = [pytest.mark.slow, pytest.mark.faults]

MAILS, MEMBERS, WORKERS = 1000, 300, 3
TAKEOVER = 10.0  # seconds: the Bar for a new leader

MGMP = "\n[[community]]\nid = \"mgmp\"\nname = \"MGMP IPA\"\naddress = \"mgmp@example.org\"\n" \
    "posting = \"members\"\n" + "".join(
        f'\n  [[community.member]]\n  email = "{email}"\n  name = "Guru"\n  delivery = "each"\n'
        for email in ["siti@example.org", *(f"guru{i}@example.org" for i in range(MEMBERS))])


def mail(i: int) -> tuple[str, bytes, str, bool]:
    """(Message-ID, raw, recipient, automatic): mail_mix to kkg, one in 50 to all of mgmp."""
    if i % 50 == 25:
        message_id = fault_id(i)
        return message_id, make_mail(to="mgmp@example.org", subject=f"Untuk semua {i}",
                                     message_id=message_id), "mgmp@example.org", False
    message_id, raw, automatic = mail_mix(i)
    return message_id, raw, "kkg@example.org", automatic


class Sender(threading.Thread):
    """Sends every mail to a random worker; accepted on the 250, else tried again."""

    def __init__(self, ports: list[int], count: int) -> None:
        super().__init__(daemon=True)
        self.ports = ports
        self.pending = list(range(count))
        self.accepted: list[str] = []
        self.stop = threading.Event()
        self.rng = random.Random(7)

    def run(self) -> None:
        while self.pending and not self.stop.is_set():
            message_id, raw, to, _ = mail(self.pending[0])
            try:
                with smtplib.SMTP("127.0.0.1", self.rng.choice(self.ports), timeout=5) as smtp:
                    smtp.sendmail("siti@example.org", [to], raw)
            except (OSError, smtplib.SMTPException):
                time.sleep(0.02)
                continue
            self.accepted.append(message_id)
            self.pending.pop(0)
            time.sleep(0.01)


def leader_pid(store: PgStore) -> int | None:
    """The worker process holding the leader's lock (its application_name says)."""
    row = store.conn.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE l.locktype = 'advisory' AND l.granted AND "
        "((l.classid::bigint << 32) | l.objid::bigint) = %s", (LEADER_LOCK,)).fetchone()
    return int(row[0].split("-")[1]) if row else None


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Daemon]]:
    running = [Daemon(tmp_path / f"worker{i}.log") for i in range(WORKERS)]
    yield running
    for daemon in running:
        if daemon.process is not None and daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait(10)


def worker_configs(tmp_path: Path, pg_url: str, sink: SmtpPeer,
                   inbound: list[str]) -> list[Path]:
    """One cop.toml per worker on the same database, each with its own receiver."""
    paths = []
    for i, receiver in enumerate(inbound):
        folder = tmp_path / f"w{i}"
        folder.mkdir()
        config = write_config(folder, inbound=f'{receiver}\npoll_interval = "1s"',
                              outbound=smtp_outbound(sink.port), extra=MGMP)
        config.path.write_text(config.path.read_text().replace(
            'secret = "test-secret"\n', f'secret = "test-secret"\ndatabase = "{pg_url}"\n'))
        paths.append(config.path)
    return paths


def kill_at_random(workers: list[Daemon], paths: list[Path], watcher: PgStore,
                   arriving: Callable[[], bool]) -> tuple[int, list[float]]:
    """SIGKILL a random worker (the leader every other time) every 1-4 s while
    `arriving()`, each started again; (kills, the leader takeovers measured in s)."""
    rng = random.Random(20270119)
    kills, takeovers = 0, []
    while arriving() and kills < 40:
        time.sleep(rng.uniform(1.0, 4.0))
        leader = leader_pid(watcher)
        pids = {d.process.pid: d for d in workers if d.process is not None}
        victim = pids[leader] if leader in pids and kills % 2 == 0 else rng.choice(workers)
        was_leader = victim.process is not None and victim.process.pid == leader
        victim.kill()
        kills += 1
        killed_at = time.monotonic()
        victim.start(paths[workers.index(victim)])
        if was_leader:
            while time.monotonic() - killed_at < 60:
                now_leader = leader_pid(watcher)
                if now_leader is not None and now_leader != leader:
                    takeovers.append(time.monotonic() - killed_at)
                    break
                time.sleep(0.1)
        # the next kill when this one is back: the Bar's takeover is by a running worker
        victim.wait_started(120)
    return kills, takeovers


def wait_all_done(watcher: PgStore, accepted: int, deadline: float) -> None:
    """Every accepted message processed and every copy gone (or the deadline)."""
    while time.monotonic() < deadline:
        watcher.catch_up()
        state = watcher.state
        if not watcher.archive.pending() and len(state.messages) >= accepted \
                and state.outbox and not state.outbox_waiting:
            return
        time.sleep(0.5)


def check_outcome(state: State, accepted: set[str], sink: SmtpPeer, kills: int,
                  takeovers: list[float], workers: list[Daemon]) -> None:
    """Every message once, every copy queued once and sent (duplicates at most one per
    kill), each invitation queued once, every leader replaced within TAKEOVER s."""
    automatic = {mail(i)[0] for i in range(MAILS) if mail(i)[3]}
    assert len(accepted) == MAILS and set(state.messages) == accepted
    assert {mid for mid, s in state.messages.items() if s == "automatic"} == automatic
    assert {s for mid, s in state.messages.items() if mid not in automatic} == {"posted"}
    posts = Counter(p.message_id for t in state.threads.values() for p in t.posts)
    assert set(posts) == accepted - automatic and max(posts.values()) == 1
    outbox = list(state.outbox.values())
    assert {i.state for i in outbox} == {"sent"}
    copies = Counter(i.message_id for i in outbox if i.kind == "post")
    mgmp_posts = {fault_id(i) for i in range(MAILS) if i % 50 == 25}
    assert {copies[m] for m in mgmp_posts} == {MEMBERS}  # everyone but the author
    assert {copies[m] for m in accepted - automatic - mgmp_posts} == {2}
    invitations = Counter(i.to for i in outbox if i.kind == "invitation")
    assert invitations and set(invitations.values()) == {1}  # the job queued each once
    sent = Counter(m.mail_from for m in sink.recorder.messages)
    assert set(sent) == {i.envelope_from for i in outbox}, "a copy was never sent"
    duplicates = sum(n - 1 for n in sent.values())
    print(f"kills={kills} duplicates={duplicates} takeovers={[round(t, 1) for t in takeovers]}"
          f" copies={len(outbox)}")
    assert duplicates <= kills, f"{duplicates} duplicates after {kills} kills"
    assert takeovers and max(takeovers) <= TAKEOVER, f"leader takeovers took {takeovers}"
    assert kills >= 5
    for daemon in workers:
        text = daemon.text()
        assert "Traceback" not in text, text[text.index("Traceback") - 500:][:4000]


@pytest.mark.timeout(1200)
def test_three_workers_killed_at_random_lose_nothing_and_repeat_nothing(
        tmp_path: Path, pg_url: str, smtp_peer: SmtpPeer, workers: list[Daemon]) -> None:
    migrate(pg_url)
    ports = [free_port() for _ in workers]
    paths = worker_configs(tmp_path, pg_url, smtp_peer,
                           [f'protocol = "smtp"\nport = {port}' for port in ports])
    smtp_peer.recorder.keep = True
    for daemon, path in zip(workers, paths, strict=True):
        daemon.start(path)
    for port in ports:
        wait_for_port(port, 60)
    watcher = PgStore(pg_url, read_only=True, name="watcher")
    sender = Sender(ports, MAILS)
    sender.start()
    try:
        kills, takeovers = kill_at_random(workers, paths, watcher, lambda: bool(sender.pending))
        deadline = time.monotonic() + 600
        while sender.pending and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not sender.pending, "the sender could not deliver everything"
        wait_all_done(watcher, len(sender.accepted), deadline)
        for daemon in workers:
            assert daemon.stop() == 0
        watcher.catch_up()
    finally:
        sender.stop.set()
        sender.join(30)
        with contextlib.suppress(Exception):
            watcher.close()
    check_outcome(watcher.state, set(sender.accepted), smtp_peer, kills, takeovers, workers)
