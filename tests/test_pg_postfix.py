"""The Bar's kill test with Postfix in front: three `cop run` workers on one PostgreSQL,
each with an LMTP listener of its own, SIGKILLed at random (the leader often) and started
again while 1,000 mails arrive over LMTP from a throwaway Postfix (tests/postfix.py) and posts
go out to a community of 300: every message exactly once, every copy once but for the
documented window (at most one per kill), no job twice, a new leader within 10 s
(tests/test_pg_workers.py checks).

How Postfix reaches three workers: its LMTP client takes a list of nexthops (Postfix >= 3.5,
transport(5)) and tries them in order, the next when one refuses the connection; a worker
killed refuses, and a delivery cut in the middle of DATA stays in Postfix's queue and is tried
again (on another worker). Each community's list starts at a different worker, so the work is
spread while all run; any worker takes any message (the archive is in the database)."""

from __future__ import annotations

import contextlib
import smtplib
import tempfile
import threading
import time
from pathlib import Path

import pytest

from mailer.edges.pg.migrate import migrate
from mailer.edges.pg.store import PgStore
from tests.peers import SmtpPeer, free_port, wait_for_port
from tests.postfix import Postfix, unavailable
from tests.test_crash import Daemon
from tests.test_pg_workers import (
    MAILS,
    check_outcome,
    kill_at_random,
    mail,
    wait_all_done,
    worker_configs,
    workers,  # noqa: F401 (the fixture)
)

pytestmark = [pytest.mark.slow, pytest.mark.faults,
              pytest.mark.skipif(bool(unavailable()), reason=unavailable() or "-")]


def transport(ports: list[int]) -> str:
    """The transport map: each community's nexthop list, rotated by one worker."""
    lines = []
    for shift, address in enumerate(("kkg@example.org", "mgmp@example.org")):
        order = ports[shift:] + ports[:shift]
        lines.append(f"{address} lmtp:" + ", ".join(f"[127.0.0.1]:{p}" for p in order))
    return "\n".join(lines) + "\n"


class Sender(threading.Thread):
    """Every mail to Postfix (which does not die here), paced so that the kills fall while
    they arrive over LMTP; the Message-IDs Postfix accepted."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.accepted: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=60) as smtp:
                for i in range(MAILS):
                    message_id, raw, to, _ = mail(i)
                    smtp.sendmail("siti@example.org", [to], raw)
                    self.accepted.append(message_id)
                    time.sleep(0.05)
        except BaseException as exc:  # the test says so
            self.error = exc


@pytest.mark.timeout(1500)
def test_three_workers_behind_postfix_killed_at_random_lose_nothing_and_repeat_nothing(
        tmp_path: Path, pg_url: str, smtp_peer: SmtpPeer,
        workers: list[Daemon]) -> None:  # noqa: F811
    migrate(pg_url)
    ports = [free_port() for _ in workers]
    paths = worker_configs(tmp_path, pg_url, smtp_peer,
                           [f'protocol = "lmtp"\nhost = "127.0.0.1"\nport = {port}'
                            for port in ports])
    smtp_peer.recorder.keep = True
    bounces = SmtpPeer()  # where Postfix relays anything else (there should be nothing)
    bounces.start()
    folder = Path(tempfile.mkdtemp(prefix="cop-postfix-", dir="/tmp"))  # postfix walks it
    postfix = Postfix(folder, free_port(), bounces.port, transport(ports),
                      extra="lmtp_connect_timeout = 5s\n")
    postfix.start()
    for daemon, path in zip(workers, paths, strict=True):
        daemon.start(path)
    for port in ports:
        wait_for_port(port, 60)
    watcher = PgStore(pg_url, read_only=True, name="watcher")
    try:
        wait_for_port(postfix.port, 60)
        sender = Sender(postfix.port)
        sender.start()

        def arriving() -> bool:
            watcher.catch_up()
            return sender.is_alive() or len(watcher.state.messages) < len(sender.accepted)

        kills, takeovers = kill_at_random(workers, paths, watcher, arriving)
        sender.join(600)
        assert sender.error is None and len(sender.accepted) == MAILS, sender.error
        accepted = sender.accepted
        deadline = time.monotonic() + 600
        while arriving() and time.monotonic() < deadline:
            postfix.flush()  # what was deferred while a worker was down: now
            time.sleep(2)
        wait_all_done(watcher, len(accepted), deadline)
        assert not postfix.queue(), postfix.queue()[:3]
        for daemon in workers:
            assert daemon.stop() == 0
        watcher.catch_up()
        log = postfix.log()
        spread = {port: log.count(f"127.0.0.1[127.0.0.1]:{port}, ") for port in ports}
        print(f"deliveries by worker port: {spread}, refused: "
              f"{log.count('Connection refused')}")
        assert "fatal:" not in log, log[log.index("fatal:") - 300:][:1000]
    finally:
        with contextlib.suppress(Exception):
            watcher.close()
        postfix.stop()
        bounces.stop()
    assert not bounces.recorder.messages, "Postfix bounced or relayed something"
    check_outcome(watcher.state, set(accepted), smtp_peer, kills, takeovers, workers)
