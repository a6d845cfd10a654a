"""`cop digest send` while `cop run --now ...` runs (issue 17): without its own --now, the
request goes by the daemon's clock, not the machine's; and a digest asked for while a slot
is due is that slot's digest: the daemon sends no second one for the same period."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from pathlib import Path

from mailer.daemon import Runtime, tick
from mailer.edges.store import requests_of
from tests import test_while_running as while_running
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, signed, write_config
from tests.peers import wait_for_port
from tests.test_while_running import Daemon, cop, daemon

__all__ = ["daemon"]  # the fixture: a `cop run --now 2026-12-01T09:00:00` subprocess

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 09.00 WIB: the schedule begins
FRIDAY = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # 16.00 WIB: the 15.00 slot has passed
WEDNESDAY = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 10.00 WIB: no slot due


def digests(rt: Runtime) -> list[tuple[datetime, str]]:
    """Budi's digests (he reads the digest): their Date and Message-ID."""
    found = []
    for path in sorted((rt.config.service.data_dir / "outbox" / "new").iterdir()):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        if "budi@example.org" in str(msg["To"]) and "Rangkuman" in str(msg["Subject"]):
            found.append((parsedate_to_datetime(str(msg["Date"])), str(msg["Message-ID"])))
    return sorted(found)


def started(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    rt = open_runtime(write_config(tmp_path, meeting=False))
    tick(rt, T0)
    rt.store.archive.add(make_mail(subject="Pecahan", body="Bagaimana?\n", headers=signed()))
    tick(rt, T0 + timedelta(hours=1))
    return rt


def ask_digest(rt: Runtime, now: str | None = None) -> str:
    """What `cop digest send` leaves for the running daemon (cli/digest.py)."""
    return rt.store.requests.submit([{"t": "digest-send", "community": "kkg", "now": now}])


def test_a_digest_asked_without_now_goes_by_the_daemons_clock_and_once_per_slot(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    rt = started(tmp_path, open_runtime)
    name = ask_digest(rt)
    tick(rt, FRIDAY)  # the daemon's clock, as `cop run --now 2026-12-04T16:00` keeps it
    tick(rt, FRIDAY + timedelta(minutes=1))
    tick(rt, FRIDAY + timedelta(days=1))  # nothing missed: Friday's slot had its digest
    (sent,) = digests(rt)
    assert sent[0] == FRIDAY
    answer = requests_of(rt.config.service.data_dir).answer_of(name)
    assert answer is not None and answer["out"].startswith("digest for kkg: 1 queued, 1 sent")
    tick(rt, FRIDAY + timedelta(days=7))  # the next Friday: its own digest, as usual
    rt.store.archive.add(make_mail(subject="Lagi", body="Ada lagi?\n", headers=signed()))
    tick(rt, FRIDAY + timedelta(days=7, minutes=1))
    tick(rt, FRIDAY + timedelta(days=14))
    assert [d for d, _ in digests(rt)] == [FRIDAY, FRIDAY + timedelta(days=14)]


def test_the_slots_digest_and_the_asked_one_are_the_same_message(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    """Had the daemon sent the slot's digest first, an ask for it adds no copy."""
    rt = started(tmp_path, open_runtime)
    tick(rt, FRIDAY)  # the daemon's own digest for the 15.00 slot
    ask_digest(rt)
    tick(rt, FRIDAY + timedelta(minutes=1))  # nothing due any more: one more, asked for
    first, second = digests(rt)
    assert first[1] != second[1]

    (tmp_path / "other").mkdir()
    other = started(tmp_path / "other", open_runtime)
    ask_digest(other)
    tick(other, FRIDAY)
    assert digests(other)[0][1] == first[1]  # the slot's Message-ID, whoever sends it


def test_a_digest_asked_between_slots_is_one_more_keyed_by_its_request(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    from mailer.timed.digests import asked_digest

    rt = started(tmp_path, open_runtime)
    ask_digest(rt)
    tick(rt, WEDNESDAY)
    ((when, _),) = digests(rt)
    assert when == WEDNESDAY
    # carried out again after a crash (the request's name the same, the tick's time not)
    community = rt.config.communities[0]
    first = asked_digest(rt.app, rt.store, community, WEDNESDAY, key="r-1")
    again = asked_digest(rt.app, rt.store, community, WEDNESDAY + timedelta(hours=1),
                         key="r-1")
    assert first[1] == again[1] and again[0] == 0


def test_a_digest_asked_with_now_keeps_that_moment(tmp_path: Path,
                                                   open_runtime: OpenRuntime) -> None:
    rt = started(tmp_path, open_runtime)
    ask_digest(rt, "2026-12-02T10:00:00+07:00")
    tick(rt, FRIDAY - timedelta(hours=2))  # before the slot: only the asked one
    assert [d for d, _ in digests(rt)] == [WEDNESDAY]


class LaterDaemon(Daemon):
    """`cop run --now 2027-03-01T09:00:00`: months from the machine's clock."""

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mailer", "--config", str(self.config.path), "run",
                 "--now", "2027-03-01T09:00:00"], stdout=out, stderr=out,
                stdin=subprocess.DEVNULL)
        wait_for_port(self.config.inbound.port, 30)


def test_cop_digest_send_without_now_takes_the_running_daemons_clock(daemon: Daemon) -> None:
    later = LaterDaemon(daemon.config, daemon.log)
    later.start()
    daemon.process = later.process  # the fixture stops it, whatever happens
    done = cop(daemon.config, "digest", "send", "--community", "kkg")
    assert done.returncode == 0, done.stderr + daemon.log.read_text()[-2000:]
    assert "1 queued, 1 sent" in done.stdout
    (path,) = while_running.digests(daemon.config)
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsedate_to_datetime(str(msg["Date"])).date() == date(2027, 3, 1)  # the daemon's
    assert later.stop() == 0
