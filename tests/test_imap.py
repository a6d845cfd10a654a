"""Receiving from a real Dovecot: once per message, flagged not deleted, IDLE, outages."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailer.daemon import Runtime, tick
from mailer.edges.imap import DONE_FLAG, ImapMailbox
from mailer.edges.store import FileStore as Store
from mailer.errors import ImapUnavailable
from mailer.inbound.parse import parse_mail
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, message_records, write_config
from tests.peers import Dovecot

pytestmark = pytest.mark.dovecot
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def imap_config(dovecot: Dovecot, user: str, password: str, tls: str = "none") -> str:
    return (f'protocol = "imap"\nhost = "127.0.0.1"\nport = {dovecot.port}\ntls = "{tls}"\n'
            f'username = "{user}"\npassword = "{password}"\nca_file = "{dovecot.cafile}"\n'
            'poll_interval = "5s"')


@pytest.fixture
def account(dovecot: Dovecot) -> tuple[str, str]:
    return dovecot.add_user()


@pytest.fixture
def rt(tmp_path: Path, dovecot: Dovecot, account: tuple[str, str],
       open_runtime: OpenRuntime) -> Runtime:
    config = write_config(tmp_path, meeting=False, inbound=imap_config(dovecot, *account))
    runtime = open_runtime(config)
    return runtime


def test_each_message_is_processed_once_and_flagged_not_deleted(
        rt: Runtime, dovecot: Dovecot, account: tuple[str, str]) -> None:
    for i in range(3):
        dovecot.append(*account, make_mail(subject=f"Topik {i}", body=f"Isi {i}\n"))
    report = tick(rt, T0)
    assert report.received == 3
    assert sorted(t.subject for t in rt.store.state.threads.values()) == [
        "Topik 0", "Topik 1", "Topik 2"]
    assert tick(rt, T0 + timedelta(minutes=1)).received == 0
    client = dovecot.client(*account)
    client.select_folder("INBOX")
    flags = client.get_flags(client.search())
    client.logout()
    assert len(flags) == 3
    assert all(DONE_FLAG in f and b"\\Seen" in f for f in flags.values())


def test_starttls_with_the_servers_own_ca(tmp_path: Path, dovecot: Dovecot,
                                          account: tuple[str, str]) -> None:
    config = write_config(tmp_path, meeting=False,
                          inbound=imap_config(dovecot, *account, tls="starttls"))
    dovecot.append(*account, make_mail(subject="Lewat TLS"))
    rt = Runtime(config, Store(config.service.data_dir))
    try:
        assert tick(rt, T0).received == 1
    finally:
        rt.close()


def test_a_wrong_password_is_a_clear_service_error(tmp_path: Path, dovecot: Dovecot,
                                                   account: tuple[str, str]) -> None:
    config = write_config(tmp_path, meeting=False,
                          inbound=imap_config(dovecot, account[0], "wrong"))
    mailbox = ImapMailbox(config.inbound)
    with pytest.raises(ImapUnavailable) as caught:
        mailbox.connect()
    assert "127.0.0.1" in str(caught.value) and "wrong" not in str(caught.value)


def test_uidvalidity_change_neither_reprocesses_nor_skips(
        rt: Runtime, dovecot: Dovecot, account: tuple[str, str]) -> None:
    dovecot.append(*account, make_mail(subject="Lama"))
    tick(rt, T0)
    saved = rt.store.get_meta("cursor", "imap")
    assert saved is not None
    rt.store.put_meta("cursor", "imap", {"uidvalidity": saved["uidvalidity"] - 1,
                                         "last_uid": 999})
    dovecot.append(*account, make_mail(subject="Baru"))
    report = tick(rt, T0 + timedelta(minutes=1))
    assert report.received == 1
    assert sorted(t.subject for t in rt.store.state.threads.values()) == ["Baru", "Lama"]


def test_idle_wakes_the_daemon_when_mail_arrives(rt: Runtime, dovecot: Dovecot,
                                                 account: tuple[str, str]) -> None:
    tick(rt, T0)
    assert rt.mailbox is not None and rt.mailbox.can_idle
    started = time.monotonic()
    dovecot.append(*account, make_mail(subject="Lewat IDLE"))
    woke = False
    while time.monotonic() - started < 10 and not woke:
        woke = rt.mailbox.wait(5)
    assert woke
    assert tick(rt, T0 + timedelta(minutes=1)).received == 1


@pytest.mark.faults
def test_dovecot_restart_mid_run_recovers_on_its_own(rt: Runtime, dovecot: Dovecot,
                                                     account: tuple[str, str]) -> None:
    dovecot.append(*account, make_mail(subject="Sebelum"))
    tick(rt, T0)
    dovecot.stop()
    try:
        # mail already received (as if fetched just before the outage) is still processed
        # and delivered: only receiving waits for the server
        rt.store.archive.add(make_mail(subject="Sudah diterima"))
        report = tick(rt, T0 + timedelta(minutes=1))
    finally:
        dovecot.start()
    assert report.inbound_error.startswith("IMAP fetch failed")
    assert report.processed == {"posted": 1} and report.delivered.get("sent") == 2
    dovecot.append(*account, make_mail(subject="Sesudah"))
    report = tick(rt, T0 + timedelta(minutes=2))
    assert report.received == 1 and not report.inbound_error
    assert sorted(t.subject for t in rt.store.state.threads.values()) == [
        "Sebelum", "Sesudah", "Sudah diterima"]


@pytest.mark.faults
def test_mail_processed_while_flagging_failed_is_flagged_not_fetched_again(
        rt: Runtime, dovecot: Dovecot, account: tuple[str, str]) -> None:
    dovecot.append(*account, make_mail(subject="Satu"))
    assert rt.mailbox is not None
    original = rt.mailbox.mark_done

    def server_gone(uids: list[int], uidvalidity: int) -> bool:
        dovecot.stop()  # the server goes away just as we flag what we processed
        return original(uids, uidvalidity)

    rt.mailbox.mark_done = server_gone  # type: ignore[method-assign]
    try:
        report = tick(rt, T0)
    finally:
        rt.mailbox.mark_done = original  # type: ignore[method-assign]
        dovecot.start()
    assert report.processed == {"posted": 1}
    assert report.inbound_error.startswith("IMAP flagging failed")
    report = tick(rt, T0 + timedelta(minutes=1))
    assert report.received == 0 and not report.processed and not report.inbound_error
    with dovecot.client(*account) as client:
        client.select_folder("INBOX")
        assert client.search(["UNKEYWORD", DONE_FLAG.decode()]) == []


def test_processed_mail_can_be_moved_to_a_folder(tmp_path: Path, dovecot: Dovecot) -> None:
    account = dovecot.add_user()
    with dovecot.client(*account) as client:
        client.create_folder("Processed")
    config = write_config(tmp_path, meeting=False, inbound=imap_config(dovecot, *account)
                          + '\ndone_folder = "Processed"')
    dovecot.append(*account, make_mail(subject="Pindah"))
    rt = Runtime(config, Store(config.service.data_dir))
    try:
        assert tick(rt, T0).received == 1
        assert tick(rt, T0 + timedelta(minutes=1)).received == 0
    finally:
        rt.close()
    with dovecot.client(*account) as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
        client.select_folder("Processed")
        assert len(client.search(["KEYWORD", "$CopDone"])) == 1


def test_replies_from_every_client_land_in_their_thread_with_their_new_text(
        tmp_path: Path, dovecot: Dovecot) -> None:
    data = Path(__file__).parent / "data" / "mail"
    account = dovecot.add_user()
    config = write_config(tmp_path, meeting=False, inbound=imap_config(dovecot, *account))
    dovecot.append(*account, make_mail(subject="Pecahan di kelas 3",
                                       message_id="<post-1@example.org>",
                                       body="Ada yang punya ide untuk mengenalkan 1/3?\n"))
    cases = sorted(p.stem for p in data.glob("*.eml"))
    for name in cases:
        dovecot.append(*account, (data / f"{name}.eml").read_bytes())
    rt = Runtime(config, Store(config.service.data_dir))
    try:
        tick(rt, T0)
    finally:
        rt.close()
    state = rt.store.state
    records = message_records(rt.store)
    for name in cases:
        expected = (data / f"{name}.expected.txt").read_text().strip()
        message = records[f"<{name}@mail.example.org>"]
        assert message["state"] == "posted", name
        thread = state.threads[message["thread"]]
        (post,) = [p for p in thread.posts if p.message_id == message["id"]]
        assert post.body == expected, name
        answers_the_post = "<post-1@example.org>" in parse_mail(
            (data / f"{name}.eml").read_bytes()).in_reply_to
        assert (thread.id == "t1") == answers_the_post, name


def test_a_message_over_the_size_limit_is_quarantined_not_fetched(
        tmp_path: Path, dovecot: Dovecot, account: tuple[str, str],
        open_runtime: OpenRuntime) -> None:
    config = write_config(tmp_path, meeting=False, inbound=imap_config(dovecot, *account)
                          + '\nmax_message_size = "200k"')
    rt = open_runtime(config)
    dovecot.append(*account, make_mail(subject="Kecil", message_id="<small@example.org>"))
    dovecot.append(*account, make_mail(subject="Besar sekali", body="z" * 400_000 + "\n",
                                       message_id="<big@example.org>"))
    dovecot.append(*account, make_mail(subject="Kecil juga", message_id="<small2@example.org>"))
    assert tick(rt, T0).received == 3
    assert sorted(t.subject for t in rt.store.state.threads.values()) == ["Kecil", "Kecil juga"]
    records = [r for r in message_records(rt.store).values() if r["state"] == "quarantined"]
    (record,) = records
    assert record["rule"] == "too-large"
    assert "over the limit of 204800; not fetched" in record["detail"]
    kept = rt.store.archive.read(record["archive"])
    assert b"Besar sekali" in kept and len(kept) < 16_384  # what it was, not its 400 KB
    assert tick(rt, T0 + timedelta(minutes=1)).received == 0  # flagged: not fetched again
