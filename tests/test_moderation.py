"""Held messages: moderators decide by replying or with `cop holds`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.daemon import Runtime, tick
from mailer.edges.store import DataDirLock
from mailer.edges.store import FileStore as Store
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, write_config
from tests.test_pipeline import mail_for

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
# what the built-in receiver writes (its authserv-id defaults to the community's domain)
RINA_SIGNED = {"Authentication-Results": "example.org; dkim=pass header.d=elsewhere.org; "
                                         "dmarc=pass header.from=elsewhere.org"}


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    config = write_config(tmp_path, meeting=False)
    runtime = open_runtime(config)
    runtime.store.archive.add(make_mail(sender="Rina Guru Baru <rina@elsewhere.org>",
                                        subject="Perkenalan", body="Salam kenal semua.\n",
                                        headers=RINA_SIGNED))
    tick(runtime, T0)
    return runtime


def hold_notice(rt: Runtime) -> EmailMessage:
    (notice,) = mail_for(rt.config.service.data_dir, "siti@example.org", "Perlu persetujuan")
    return notice


def answer(rt: Runtime, notice: EmailMessage, words: str, sender: str = "Siti "
           "<siti@example.org>", headers: dict[str, str] | None = None) -> None:
    rt.store.archive.add(make_mail(sender=sender,
                                   to=str(notice["Reply-To"].addresses[0].addr_spec),
                                   subject="Re: " + str(notice["Subject"]), body=words,
                                   in_reply_to=str(notice["Message-ID"]), headers=headers))
    tick(rt, T0 + timedelta(minutes=5))


def test_the_moderator_is_asked_and_approves_by_reply(rt: Runtime) -> None:
    notice = hold_notice(rt)
    text = notice.get_body(("plain",)).get_content()
    assert "rina@elsewhere.org" in text and "Salam kenal semua." in text
    assert mail_for(rt.config.service.data_dir, "rina@elsewhere.org", "menunggu")
    answer(rt, notice, "Setuju, silakan.\n\n> kutipan\n")
    (thread,) = rt.store.state.threads.values()
    assert thread.subject == "Perkenalan" and thread.posts[0].body == "Salam kenal semua."
    assert mail_for(rt.config.service.data_dir, "dewi@example.org", "Perkenalan")
    assert next(iter(rt.store.state.holds.values())).state == "approved"


def test_a_rejection_tells_the_sender_why(rt: Runtime) -> None:
    answer(rt, hold_notice(rt), "Tolak: promosi produk tidak diizinkan di sini.\n")
    assert not rt.store.state.threads
    (told,) = mail_for(rt.config.service.data_dir, "rina@elsewhere.org", "tidak diteruskan")
    assert "promosi produk tidak diizinkan di sini." in told.get_body(("plain",)).get_content()
    assert next(iter(rt.store.state.holds.values())).state == "rejected"


@pytest.mark.parametrize(("sender", "headers"), [
    ("Budi <budi@example.org>", None),  # not a moderator, and not the address's holder
    ("Siti <siti@example.org>", {"Auto-Submitted": "auto-replied"}),  # her vacation notice
])
def test_only_the_moderators_own_reply_decides(rt: Runtime, sender: str,
                                                headers: dict[str, str] | None) -> None:
    answer(rt, hold_notice(rt), "setuju\n", sender=sender, headers=headers)
    assert not rt.store.state.threads
    assert next(iter(rt.store.state.holds.values())).state == "held"


def cop(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_cop_holds_approve_and_reject(rt: Runtime) -> None:
    path = str(rt.config.path)
    rt.store.archive.add(make_mail(sender="Iklan <promo@elsewhere.org>", subject="Diskon",
                                   body="Beli sekarang\n"))
    tick(rt, T0 + timedelta(minutes=1))
    rt.close()
    code, out, _ = cop("--config", path, "holds", "--json")
    assert code == 0 and len(__import__("json").loads(out)) == 2
    code, out, err = cop("--config", path, "holds", "approve", "h1")
    assert code == 0, err
    lock = DataDirLock(rt.config.service.data_dir)
    lock.acquire()  # as if the daemon ran: the decision waits for its next tick
    code, out, _ = cop("--config", path, "holds", "reject", "h2", "--reason", "iklan")
    assert code == 0 and "running daemon" in out
    again = Runtime(rt.config, Store(rt.config.service.data_dir))
    tick(again, T0 + timedelta(minutes=2))
    again.close()
    lock.release()
    state = Store(rt.config.service.data_dir, read_only=True).state
    assert [h.state for h in sorted(state.holds.values(), key=lambda h: h.id)] == [
        "approved", "rejected"]
    assert [t.subject for t in state.threads.values()] == ["Perkenalan"]
    code, _, err = cop("--config", path, "holds", "approve", "h1")
    assert code == 1 and "already approved" in err
