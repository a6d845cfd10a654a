"""SIGKILL `cop run` at random moments while mail arrives; after restart, nothing is lost
and nothing is there twice."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import smtplib
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailer.edges.store import FileStore as Store
from tests.faults import SCALE, automatic_ids, check_invariants, fault_id, mail_mix
from tests.helpers import make_mail, smtp_outbound, write_config
from tests.peers import Dovecot, SmtpPeer, free_port, wait_for_port

pytestmark = [pytest.mark.slow, pytest.mark.faults]


class Daemon:
    """`cop run` in a subprocess, started and killed again and again; output in `log`."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self._since = 0  # where the current process's output starts in the log

    def start(self, config_path: Path) -> None:
        self._since = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mailer", "--config", str(config_path), "run"],
                stdout=out, stderr=out, stdin=subprocess.DEVNULL)

    def wait_started(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with open(self.log, "rb") as f:
                f.seek(self._since)
                if b"mailer.daemon started" in f.read():
                    return
            time.sleep(0.05)
        raise TimeoutError(f"the daemon did not start:\n{self.text()[-2000:]}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        """SIGTERM, as systemd stops it; the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)

    def text(self) -> str:
        return self.log.read_text()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    """A failing test must not leave its daemon running into the next one."""
    running = Daemon(tmp_path / "daemon.log")
    yield running
    if running.process is not None and running.process.poll() is None:
        running.process.kill()
        running.process.wait(10)


def imap_inbound(dovecot: Dovecot, user: str, password: str, poll: str) -> str:
    return (f'protocol = "imap"\nhost = "127.0.0.1"\nport = {dovecot.port}\ntls = "none"\n'
            f'username = "{user}"\npassword = "{password}"\npoll_interval = "{poll}"')


def wait_recorded(data_dir: Path, count: int, seconds: float) -> None:
    """Until `count` messages have a recorded outcome, or the time is up (the checks after
    say what is missing)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(Store(data_dir, read_only=True).state.messages) >= count:
            return
        time.sleep(0.3)


def assert_all_flagged(dovecot: Dovecot, user: str, password: str, count: int) -> None:
    with dovecot.client(user, password) as client:
        client.select_folder("INBOX")
        assert len(client.search(["KEYWORD", "$CopDone"])) == count
        assert client.search(["UNKEYWORD", "$CopDone"]) == []


class Sender(threading.Thread):
    """Sends mail_mix's messages one by one; one counts as accepted only on the server's 250."""

    def __init__(self, port: int, count: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.pending = list(range(count))
        self.accepted: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while self.pending and not self.stop.is_set():
            message_id, raw, _ = mail_mix(self.pending[0])
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=5) as smtp:
                    smtp.sendmail("siti@example.org", ["kkg@example.org"], raw)
            except (OSError, smtplib.SMTPException):
                time.sleep(0.02)  # the daemon is down or died mid-transaction: try again
                continue
            self.accepted.append(message_id)
            self.pending.pop(0)
            time.sleep(0.03)  # keep mail arriving across all the kills


@pytest.mark.timeout(300 * SCALE)
def test_sigkill_at_random_moments_loses_nothing_and_duplicates_nothing(
        tmp_path: Path, daemon: Daemon) -> None:
    port = free_port()
    config = write_config(tmp_path, inbound=f'protocol = "smtp"\nport = {port}')
    rng = random.Random(20261128)
    sender = Sender(port, count=300 * SCALE)
    sender.start()
    kills = 0
    try:
        # 20 kills, and more while too little mail has arrived between them (a loaded
        # machine takes seconds to start the daemon, leaving short windows)
        while kills < 20 * SCALE or (len(sender.accepted) < 50 * SCALE and kills < 60 * SCALE):
            daemon.start(config.path)
            if kills % 2:
                # every other kill lands while mail flows, however long this machine takes
                # to start the daemon; the others land anywhere, start-up included
                wait_for_port(port)
            time.sleep(rng.uniform(0.05, 1.2))
            daemon.kill()
            kills += 1
            Store(config.service.data_dir, read_only=True)  # readable after every kill
        during_kills = len(sender.accepted)
        daemon.start(config.path)
        wait_for_port(port)
        deadline = time.monotonic() + 120 * SCALE
        while sender.pending and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not sender.pending, "the sender could not deliver everything"
        while time.monotonic() < deadline:
            store = Store(config.service.data_dir, read_only=True)
            if not store.archive.pending() and len(store.state.messages) >= len(
                    sender.accepted):
                break
            time.sleep(0.2)
        assert daemon.stop() == 0
    finally:
        sender.stop.set()
        sender.join(30)  # not left inside an SMTP connection when the test ends
    assert len(sender.accepted) == 300 * SCALE
    assert during_kills >= 50 * SCALE, "too little mail arrived while the daemon was being killed"

    store = Store(config.service.data_dir, read_only=True)
    # each post went to the two other `each` members once: one outbox item per copy
    check_invariants(store.state, set(sender.accepted), automatic_ids(300 * SCALE),
                     copies_per_post=2)
    delivered = list((config.service.data_dir / "outbox" / "new").iterdir())
    assert len(delivered) == len(store.state.outbox)
    assert "Traceback" not in daemon.text()


@pytest.mark.timeout(300 * SCALE)
def test_sigkill_mid_batch_misses_nobody_and_repeats_at_most_one_per_kill(
        tmp_path: Path, smtp_peer: SmtpPeer, daemon: Daemon) -> None:
    members = "".join(f'\n[[community.member]]\nemail = "guru{i}@example.org"\n'
                      f'name = "Guru {i}"\ndelivery = "each"\n' for i in range(300))
    port = free_port()
    config = write_config(tmp_path, meeting=False, extra=members,
                          inbound=f'protocol = "smtp"\nport = {port}',
                          outbound=smtp_outbound(smtp_peer.port))
    smtp_peer.recorder.delay = 0.004
    Store(config.service.data_dir).archive.add(make_mail(subject="Untuk semua"))
    rng = random.Random(42)
    kills = 0
    for _ in range(8 * SCALE):
        daemon.start(config.path)
        time.sleep(rng.uniform(0.6, 1.6))
        daemon.kill()
        kills += 1
    daemon.start(config.path)
    wait_for_port(port)
    deadline = time.monotonic() + 120 * SCALE
    while time.monotonic() < deadline:
        store = Store(config.service.data_dir, read_only=True)
        if store.state.outbox and all(i.state == "sent" for i in store.state.outbox.values()):
            break
        time.sleep(0.2)
    assert daemon.stop() == 0
    got = Counter(m.rcpt_tos[0] for m in smtp_peer.recorder.messages)
    expected = {f"guru{i}@example.org" for i in range(300)} | {
        "dewi@example.org", "agus@example.org"}
    assert set(got) == expected, "somebody was missed"
    duplicates = sum(n - 1 for n in got.values())
    assert duplicates <= kills, f"{duplicates} duplicates after {kills} kills"
    assert "Traceback" not in daemon.text()


@pytest.mark.dovecot
@pytest.mark.timeout(400 * SCALE)
def test_sigkill_while_1000_messages_arrive_by_imap(tmp_path: Path, dovecot: Dovecot,
                                                    daemon: Daemon) -> None:
    user, password = dovecot.add_user()
    config = write_config(tmp_path, meeting=False,
                          inbound=imap_inbound(dovecot, user, password, "2s"))
    count = 1000 * SCALE

    def append_all() -> None:
        with dovecot.client(user, password) as client:
            for i in range(count):
                client.append("INBOX", mail_mix(i)[1])
                time.sleep(0.008)

    appender = threading.Thread(target=append_all, daemon=True)
    appender.start()
    rng = random.Random(7)
    kills = 0
    while appender.is_alive() or kills < 12 * SCALE:
        daemon.start(config.path)
        time.sleep(rng.uniform(0.3, 1.5))
        daemon.kill()
        kills += 1
    daemon.start(config.path)
    daemon.wait_started()
    wait_recorded(config.service.data_dir, count, 180 * SCALE)
    assert daemon.stop() == 0
    store = Store(config.service.data_dir, read_only=True)
    check_invariants(store.state, set(map(fault_id, range(count))), automatic_ids(count),
                     copies_per_post=2)
    assert_all_flagged(dovecot, user, password, count)
    assert "Traceback" not in daemon.text()


@pytest.mark.dovecot
@pytest.mark.timeout(120)
def test_dovecot_restart_while_the_daemon_idles(tmp_path: Path, dovecot: Dovecot,
                                                daemon: Daemon) -> None:
    user, password = dovecot.add_user()
    config = write_config(tmp_path, meeting=False,
                          inbound=imap_inbound(dovecot, user, password, "30s"))

    def recorded(message_id: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if message_id in Store(config.service.data_dir, read_only=True).state.messages:
                return True
            time.sleep(0.2)
        return False

    daemon.start(config.path)
    daemon.wait_started()
    dovecot.append(user, password, make_mail(subject="Sebelum", message_id="<idle-1@x>"))
    assert recorded("<idle-1@x>", 15)  # by IDLE, well before the 30 s poll
    try:
        dovecot.stop()
        time.sleep(1.5)
    finally:
        dovecot.start()
    dovecot.append(user, password, make_mail(subject="Sesudah", message_id="<idle-2@x>"))
    assert recorded("<idle-2@x>", 30), daemon.text()[-2000:]
    assert daemon.stop() == 0
    text = daemon.text()
    assert "IMAP" in text and "Traceback" not in text


@pytest.mark.dovecot
@pytest.mark.timeout(300 * SCALE)
def test_dovecot_stopped_in_the_middle_of_fetching(tmp_path: Path, dovecot: Dovecot,
                                                   daemon: Daemon) -> None:
    user, password = dovecot.add_user()
    config = write_config(tmp_path, meeting=False,
                          inbound=imap_inbound(dovecot, user, password, "2s"))
    rng = random.Random(11)
    burst, rounds = 300, 2 * SCALE
    count = burst * (rounds + 1)

    def append(start: int) -> None:
        with dovecot.client(user, password) as client:
            for i in range(start, start + burst):
                client.append("INBOX", mail_mix(i)[1])

    def stop_while_fetching() -> None:
        """Stop Dovecot once the daemon's fetch has brought part of the mail in."""
        fetched = config.service.data_dir / "archive" / "new"
        target = rng.randint(1, burst // 3)  # within the first batches of the fetch
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(FileNotFoundError):
                if sum(1 for _ in os.scandir(fetched)) >= target:
                    break
            time.sleep(0.002)
        dovecot.stop()  # ends the daemon's session mid-command, as a real restart does

    append(0)
    daemon.start(config.path)
    for n in range(1, rounds + 1):
        try:
            stop_while_fetching()
            time.sleep(rng.uniform(0.2, 1.0))
        finally:
            dovecot.start()
        append(n * burst)
    wait_recorded(config.service.data_dir, count, 120 * SCALE)
    assert daemon.stop() == 0
    store = Store(config.service.data_dir, read_only=True)
    check_invariants(store.state, set(map(fault_id, range(count))), automatic_ids(count),
                     copies_per_post=2)
    assert_all_flagged(dovecot, user, password, count)
    text = daemon.text()
    assert "Traceback" not in text
    assert "IMAP fetch failed" in text, "no outage landed while the daemon was fetching"
    assert "duplicate message_id" not in text, "mail processed before an outage came again"
