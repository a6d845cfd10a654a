"""The outbox against a real SMTP peer (aiosmtpd) that can answer 4xx and 5xx."""

from __future__ import annotations

import email
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest

from mailer.daemon import Runtime, tick
from mailer.edges.store import FileStore as Store
from mailer.edges.store import spool as store_module
from mailer.outbound.outbox import backoff
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, smtp_outbound, write_config
from tests.peers import SmtpPeer

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def rt(tmp_path: Path, smtp_peer: SmtpPeer, open_runtime: OpenRuntime) -> Runtime:
    config = write_config(tmp_path, meeting=False,
                          outbound=smtp_outbound(smtp_peer.port, extra='timeout = "10s"'))
    runtime = open_runtime(config)
    return runtime


def post(rt: Runtime, subject: str = "Pecahan") -> None:
    rt.store.archive.add(make_mail(subject=subject, body="Halo semua\n"))


def test_each_member_gets_their_own_copy_with_a_bounce_address(rt: Runtime,
                                                               smtp_peer: SmtpPeer) -> None:
    post(rt)
    tick(rt, T0)
    got = smtp_peer.recorder.messages
    assert sorted(m.rcpt_tos[0] for m in got) == ["agus@example.org", "dewi@example.org"]
    for m in got:
        assert len(m.rcpt_tos) == 1
        item = m.mail_from.split("+b-", 1)[1].split("@")[0]
        assert rt.store.state.outbox[item].to == m.rcpt_tos[0]
        msg = email.message_from_bytes(m.data, policy=policy.default)
        assert msg["To"].addresses[0].addr_spec == m.rcpt_tos[0]
    assert {i.state for i in rt.store.state.outbox.values()} == {"sent"}


@pytest.mark.faults
def test_a_421_for_a_while_then_recovery_delivers_everything_once(
        rt: Runtime, smtp_peer: SmtpPeer) -> None:
    smtp_peer.recorder.data_codes.extend(["421 4.3.2 Try again later"] * 3)
    post(rt)
    tick(rt, T0)
    states = sorted(i.state for i in rt.store.state.outbox.values())
    assert states == ["deferred", "deferred"]
    item = next(iter(rt.store.state.outbox.values()))
    assert item.error and item.error.startswith("421")
    assert item.next_try is not None and item.next_try > T0
    tick(rt, T0 + timedelta(seconds=10))  # not yet due: nothing is tried
    assert smtp_peer.recorder.messages == []
    for minutes in (2, 5, 10, 30):
        tick(rt, T0 + timedelta(minutes=minutes))
    assert sorted(m.rcpt_tos[0] for m in smtp_peer.recorder.messages) == [
        "agus@example.org", "dewi@example.org"]
    assert {i.state for i in rt.store.state.outbox.values()} == {"sent"}


@pytest.mark.faults
def test_a_550_fails_only_that_recipient_with_the_servers_reason(
        rt: Runtime, smtp_peer: SmtpPeer) -> None:
    smtp_peer.recorder.rcpt_codes["dewi@example.org"] = "550 5.1.1 No such user"
    post(rt)
    tick(rt, T0)
    by_to = {i.to: i for i in rt.store.state.outbox.values()}
    assert by_to["dewi@example.org"].state == "failed"
    assert by_to["dewi@example.org"].error == "550 5.1.1 No such user"
    assert by_to["agus@example.org"].state == "sent"
    tick(rt, T0 + timedelta(hours=1))
    assert len(smtp_peer.recorder.messages) == 1


@pytest.mark.faults
def test_the_server_being_down_defers_and_loses_nothing(tmp_path: Path) -> None:
    from tests.peers import free_port

    config = write_config(tmp_path, meeting=False, outbound=smtp_outbound(free_port()))
    rt = Runtime(config, Store(config.service.data_dir))
    post(rt)
    tick(rt, T0)
    items = list(rt.store.state.outbox.values())
    assert [i.state for i in items] == ["deferred", "deferred"]
    assert all("cannot reach SMTP server" in (i.error or "") for i in items)
    reopened = Store(config.service.data_dir, read_only=True)
    assert {i.state for i in reopened.state.outbox.values()} == {"deferred"}
    rt.close()


def test_backoff_grows_is_capped_and_jittered() -> None:
    assert backoff(1, lambda: 0.5) == timedelta(minutes=1)
    assert backoff(3, lambda: 0.5) == timedelta(minutes=4)
    assert backoff(30, lambda: 0.5) == timedelta(hours=6)
    assert backoff(1, lambda: 0.0) < backoff(1, lambda: 0.99)


def test_rate_limit_per_minute_holds_the_rest_for_later(tmp_path: Path,
                                                        smtp_peer: SmtpPeer) -> None:
    config = write_config(tmp_path, meeting=False,
                          outbound=smtp_outbound(smtp_peer.port, extra="per_minute = 1"))
    rt = Runtime(config, Store(config.service.data_dir))
    post(rt)
    tick(rt, T0)
    assert len(smtp_peer.recorder.messages) == 1
    tick(rt, T0 + timedelta(seconds=61))
    assert len(smtp_peer.recorder.messages) == 2
    rt.close()


@pytest.fixture(scope="module")
def secure_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpPeer]:
    peer = SmtpPeer(tls_folder=tmp_path_factory.mktemp("smtp-tls"), user="kkg@example.org",
                    password="rahasia")
    peer.start()
    yield peer
    peer.stop()


def _secure_config(tmp_path: Path, peer: SmtpPeer, password: str) -> Runtime:
    config = write_config(tmp_path, meeting=False, outbound=smtp_outbound(
        peer.port, "starttls", f'username = "kkg@example.org"\npassword = "{password}"\n'
        f'ca_file = "{peer.cafile}"\ntimeout = "5s"'))
    return Runtime(config, Store(config.service.data_dir))


def test_starttls_and_auth(tmp_path: Path, secure_peer: SmtpPeer) -> None:
    secure_peer.recorder.reset()
    rt = _secure_config(tmp_path, secure_peer, "rahasia")
    post(rt)
    tick(rt, T0)
    rt.close()
    assert len(secure_peer.recorder.messages) == 2


@pytest.mark.faults
def test_a_refused_login_defers_with_a_clear_reason(tmp_path: Path,
                                                    secure_peer: SmtpPeer) -> None:
    secure_peer.recorder.reset()
    secure_peer.auth.attempts = 0
    rt = _secure_config(tmp_path, secure_peer, "salah")
    post(rt)
    tick(rt, T0)
    rt.close()
    items = list(rt.store.state.outbox.values())
    assert {i.state for i in items} == {"deferred"}
    assert all("login refused" in (i.error or "") for i in items)
    assert all("salah" not in (i.error or "") for i in items)
    assert secure_peer.recorder.messages == []
    assert secure_peer.auth.attempts == 1  # one try per batch, not one per message


@pytest.mark.faults
@pytest.mark.parametrize(("code", "state"), [
    ("452 4.2.2 Mailbox full, try later", "deferred"),
    ("451 4.3.0 Local error", "deferred"),
    ("552 5.3.4 Message too big for this recipient", "failed"),
    ("550 5.7.1 Refused by policy", "failed"),
])
def test_server_answers_to_data(rt: Runtime, smtp_peer: SmtpPeer, code: str,
                                state: str) -> None:
    smtp_peer.recorder.data_codes.append(code)  # the first message only
    post(rt)
    tick(rt, T0)
    states = sorted(i.state for i in rt.store.state.outbox.values())
    assert states == sorted([state, "sent"])
    failed_or_deferred = next(i for i in rt.store.state.outbox.values() if i.state == state)
    assert failed_or_deferred.error == code


@pytest.mark.faults
def test_a_stalled_server_times_out_and_the_message_goes_later(tmp_path: Path,
                                                               smtp_peer: SmtpPeer) -> None:
    config = write_config(tmp_path, meeting=False,
                          outbound=smtp_outbound(smtp_peer.port, extra='timeout = "1s"'))
    rt = Runtime(config, Store(config.service.data_dir))
    smtp_peer.recorder.stall.append(3.0)
    post(rt)
    tick(rt, T0)
    assert sorted(i.state for i in rt.store.state.outbox.values()) == ["deferred", "sent"]
    tick(rt, T0 + timedelta(minutes=10))
    rt.close()
    assert {i.state for i in rt.store.state.outbox.values()} == {"sent"}
    got = sorted(m.rcpt_tos[0] for m in smtp_peer.recorder.messages)
    # nobody missed; the stalled copy may still have been accepted after we gave up on it:
    # SMTP's own duplicate window, at most one copy, same Message-ID
    assert set(got) == {"agus@example.org", "dewi@example.org"} and len(got) <= 3


@pytest.mark.faults
@pytest.mark.parametrize("body_lines", [1, 3000], ids=["short", "150KB"])
def test_a_connection_dropped_in_the_middle_of_data_delivers_each_copy_once(
        tmp_path: Path, smtp_peer: SmtpPeer, open_runtime: OpenRuntime,
        body_lines: int) -> None:
    members = "".join(f'\n[[community.member]]\nemail = "guru{i}@example.org"\n'
                      f'delivery = "each"\n' for i in range(20))
    config = write_config(tmp_path, meeting=False, extra=members,
                          outbound=smtp_outbound(smtp_peer.port, extra='timeout = "10s"'))
    rt = open_runtime(config)
    # two drops in a row defer a copy (the one retry on a fresh connection drops too);
    # a single drop is retried at once
    smtp_peer.recorder.drops.extend(["mid", "end", "mid", "mid", "end", "mid", "end"])
    rt.store.archive.add(make_mail(subject="Bahan", body="Baris bahan ajar kelas 3.\n"
                                   * body_lines))
    tick(rt, T0)
    deferred = [i for i in rt.store.state.outbox.values() if i.state == "deferred"]
    assert len(deferred) == 3
    assert all("closed the connection" in (i.error or "") for i in deferred)
    for minutes in (2, 5, 10, 30):
        tick(rt, T0 + timedelta(minutes=minutes))
    assert smtp_peer.recorder.dropped == 7
    assert {i.state for i in rt.store.state.outbox.values()} == {"sent"}
    got = sorted(m.rcpt_tos[0] for m in smtp_peer.recorder.messages)
    expected = sorted([f"guru{i}@example.org" for i in range(20)]
                      + ["agus@example.org", "dewi@example.org"])
    assert got == expected, "a copy missed or sent twice"


def test_sent_mail_is_freed_after_a_month_and_waiting_mail_never(
        rt: Runtime, smtp_peer: SmtpPeer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "SEGMENT_BYTES", 1)  # one segment a message
    queue = rt.store.data_dir / "queue"
    smtp_peer.recorder.rcpt_codes["dewi@example.org"] = "450 4.2.1 Mailbox busy"
    post(rt, "Satu")
    tick(rt, T0)  # agus: sent; dewi: deferred
    post(rt, "Dua")
    tick(rt, T0 + timedelta(seconds=30))  # agus sent; dewi deferred again
    segments = sorted(p.name for p in queue.iterdir())
    assert len(segments) == 6  # per post: each copy's own part, and the part they share
    waiting = {part[0] for i in rt.store.state.outbox_waiting
               for part in rt.store.state.outbox[i].spool}
    assert len(waiting) == 4  # dewi's two copies: their own parts and the posts' shared ones
    tick(rt, T0 + timedelta(seconds=40))
    assert sorted(p.name for p in queue.iterdir()) == segments  # nothing is a month old
    month_ago = time.time() - 31 * 86400
    for path in queue.iterdir():
        os.utime(path, (month_ago, month_ago))
    tick(rt, T0 + timedelta(seconds=50))
    current = rt.store.spool._name  # the segment being written is never deleted
    kept = sorted(p.name for p in queue.iterdir())
    assert kept == sorted(waiting | {current}) and len(kept) < len(segments)
    smtp_peer.recorder.rcpt_codes.clear()
    tick(rt, T0 + timedelta(hours=1))  # the waiting copies are still there to send
    assert {i.state for i in rt.store.state.outbox.values()} == {"sent"}
    assert sorted(m.rcpt_tos[0] for m in smtp_peer.recorder.messages) == [
        "agus@example.org", "agus@example.org", "dewi@example.org", "dewi@example.org"]
