"""Every verb that writes works while `cop run` runs (issue 17): it hands its request to the
daemon, wakes it, waits for its answer and prints the same words as when run alone. Once,
whichever side stops half-way."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailer.config import Config
from mailer.daemon import Runtime, tick
from mailer.edges.store import FileStore as Store
from mailer.edges.store import requests_of
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, write_config
from tests.peers import free_port, wait_for_port

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
ASKED = "2026-12-02T10:00:00+07:00"


def cop(config: Config, *args: str, wait: str = "60") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COP_WAIT": wait}
    return subprocess.run([sys.executable, "-m", "mailer", "--config", str(config.path),
                           *args], capture_output=True, text=True, env=env, timeout=120)


def digests(config: Config) -> list[Path]:
    """The digests delivered into the outbox Maildir (each copy one file)."""
    new = config.service.data_dir / "outbox" / "new"
    return [p for p in new.iterdir()
            if b"\r\nSubject: [KKG] Rangkuman " in p.read_bytes()] if new.exists() else []


class Daemon:
    def __init__(self, config: Config, log: Path) -> None:
        self.config, self.log = config, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mailer", "--config", str(self.config.path), "run",
                 "--now", "2026-12-01T09:00:00"], stdout=out, stderr=out,
                stdin=subprocess.DEVNULL)
        wait_for_port(self.config.inbound.port, 30)

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    port = free_port()
    # an hour between polls: only the wake from `cop` makes the daemon tick in time
    config = write_config(tmp_path, meeting=False,
                          inbound=f'protocol = "smtp"\nport = {port}\npoll_interval = "1h"')
    running = Daemon(config, tmp_path / "daemon.log")
    yield running
    if running.process is not None and running.process.poll() is None:
        running.process.kill()
        running.process.wait(10)


def test_digest_send_goes_through_the_running_daemon_once(daemon: Daemon,
                                                          tmp_path: Path) -> None:
    daemon.start()
    done = cop(daemon.config, "digest", "send", "--community", "kkg", "--now", ASKED)
    assert done.returncode == 0, done.stderr + daemon.log.read_text()[-2000:]
    said = "digest for kkg: 1 queued, 1 sent, 0 deferred, 0 failed"
    assert done.stdout.strip() == said
    assert len(digests(daemon.config)) == 1  # Budi, the one member on digest
    # asked again for the same moment (a retry after ^C): nothing is sent twice
    again = cop(daemon.config, "digest", "send", "--community", "kkg", "--now", ASKED)
    assert again.returncode == 0 and "0 queued" in again.stdout
    assert len(digests(daemon.config)) == 1
    assert daemon.stop() == 0
    assert list(requests_of(daemon.config.service.data_dir).folder.iterdir()) == []
    # the same words when no daemon runs
    (tmp_path / "alone").mkdir()
    alone = write_config(tmp_path / "alone", meeting=False)
    run_alone = cop(alone, "digest", "send", "--community", "kkg", "--now", ASKED)
    assert run_alone.returncode == 0 and run_alone.stdout.strip() == said


def test_holds_and_quarantine_verbs_while_the_daemon_runs(daemon: Daemon) -> None:
    daemon.start()
    with smtplib.SMTP("127.0.0.1", daemon.config.inbound.port) as smtp:
        smtp.sendmail("promo@elsewhere.org", ["kkg@example.org"],
                      make_mail(sender="Iklan <promo@elsewhere.org>", subject="Diskon",
                                body="Beli sekarang\n", date=T0))
    data_dir = daemon.config.service.data_dir
    deadline = time.monotonic() + 30
    while "h1" not in Store(data_dir, read_only=True).state.holds and \
            time.monotonic() < deadline:
        time.sleep(0.2)
    done = cop(daemon.config, "holds", "reject", "h1", "--reason", "iklan")
    assert (done.returncode, done.stdout.strip()) == (0, "h1: rejected"), done.stderr
    done = cop(daemon.config, "holds", "approve", "h1")
    assert done.returncode == 1 and "h1 is already rejected" in done.stderr
    done = cop(daemon.config, "attendance", "mark", "--community", "kkg", "--meeting", "x",
               "--date", "2026-12-04", "--present", "budi@example.org")
    assert done.returncode == 1  # checked before it is handed over: no such meeting
    assert daemon.stop() == 0
    state = Store(data_dir, read_only=True).state
    assert state.holds["h1"].state == "rejected"


def test_the_verb_does_it_itself_when_the_daemon_dies_before_answering(
        daemon: Daemon) -> None:
    daemon.start()
    assert daemon.process is not None
    daemon.process.send_signal(signal.SIGSTOP)  # holds data_dir, does nothing
    env = {**os.environ, "COP_WAIT": "60"}
    asking = subprocess.Popen([sys.executable, "-m", "mailer", "--config",
                               str(daemon.config.path), "digest", "send", "--community", "kkg",
                               "--now", ASKED], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env)
    requests = requests_of(daemon.config.service.data_dir).folder
    deadline = time.monotonic() + 30
    while not list(requests.glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.1)
    daemon.process.kill()  # a crash, before the request was carried out
    daemon.process.wait(10)
    out, err = asking.communicate(timeout=90)
    assert asking.returncode == 0, err
    assert out.strip() == "digest for kkg: 1 queued, 1 sent, 0 deferred, 0 failed"
    assert len(digests(daemon.config)) == 1
    assert list(requests.iterdir()) == []


def test_a_daemon_that_stops_before_answering_does_nothing_twice(
        tmp_path: Path, open_runtime: OpenRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path, meeting=False)
    rt = open_runtime(config)
    tick(rt, T0)
    requests = rt.store.requests
    name = requests.submit([{"t": "digest-send", "community": "kkg", "now": ASKED}])

    def crash(request: str, answer: object) -> None:
        raise KeyboardInterrupt("killed after the flush, before the answer")

    monkeypatch.setattr(requests, "answer", crash)
    with pytest.raises(KeyboardInterrupt):
        tick(rt, T0)
    monkeypatch.undo()
    rt.close()
    again = Runtime(config, Store(config.service.data_dir))
    tick(again, T0)  # the request is still there: answered from what was recorded
    again.close()
    assert len(digests(config)) == 1
    answer = requests_of(config.service.data_dir).answer_of(name)
    assert answer is not None and answer["out"].startswith("digest for kkg: 1 queued, 1 sent")
    assert not requests_of(config.service.data_dir).waiting(name)


def test_a_request_left_by_a_verb_that_was_killed_is_carried_out_once(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    config = write_config(tmp_path, meeting=False)
    rt = open_runtime(config)
    tick(rt, T0)
    requests = requests_of(config.service.data_dir)
    name = requests.submit([{"t": "digest-send", "community": "kkg", "now": ASKED}])
    tick(rt, T0)
    tick(rt, T0)
    assert len(digests(config)) == 1
    answer = json.loads((requests.folder / (Path(name).stem + ".answer")).read_text())
    assert answer["code"] == 0  # nobody came for it: it goes after a day
