"""Issue 16: the security review's attacks, replayed. Each changes nothing for any member,
sends nothing to a stranger, and moderators get a bounded number of mails.

(The receiver's attacks, 300 idle connections and 2,000 recipients, are in
test_receiver_trust.py; both run at full scale.)
"""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailer.config import load_config
from mailer.daemon import Runtime, tick
from mailer.membership import members_of, paused
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, write_config
from tests.test_bounces import dsn
from tests.test_pipeline import mail_for, outbox_messages

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
MEMBERS = {"siti@example.org", "budi@example.org", "dewi@example.org", "agus@example.org"}
# our receiver's verdict on a forged From (authserv-id: the community's domain)
FORGED = ("example.org; spf=fail smtp.mailfrom=dewi@example.org; dkim=none; "
          "dmarc=fail header.from=example.org policy.dmarc=reject")


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    runtime = open_runtime(write_config(tmp_path))
    tick(runtime, T0)  # invitations out
    return runtime


def recipients(rt: Runtime) -> set[str]:
    return {i.to.lower() for i in rt.store.state.outbox.values()}


def member_states(rt: Runtime) -> dict[str, str]:
    community = rt.config.communities[0]
    active = members_of(community, rt.store.state)
    return {e: "active" if e in active else "gone" for e in MEMBERS}


@pytest.mark.parametrize("headers", [
    {"Precedence": "bulk"},
    {"Auto-Submitted": "auto-generated"},
    {"X-Loop": "robot@example.net"},
    {"Precedence": "bulk", "Authentication-Results": FORGED},
    {"Authentication-Results": FORGED},
    {},
])
@pytest.mark.parametrize(("to", "subject"), [("kkg+leave@example.org", "unsubscribe"),
                                             ("kkg@example.org", "keluar")])
def test_a_forged_leave_changes_nothing(rt: Runtime, headers: dict[str, str], to: str,
                                        subject: str) -> None:
    before = set(rt.store.state.outbox)
    for n in range(3):
        rt.store.archive.add(make_mail(sender="Dewi Lestari <dewi@example.org>", to=to,
                                       subject=subject, body="\n", headers=headers,
                                       message_id=f"<forged-{n}@evil.example>"))
        tick(rt, T0 + timedelta(minutes=n + 1))
    assert member_states(rt) == dict.fromkeys(MEMBERS, "active")
    new = [rt.store.state.outbox[i] for i in set(rt.store.state.outbox) - before]
    data = rt.config.service.data_dir
    assert not mail_for(data, "dewi@example.org", "Sampai jumpa")
    assert not mail_for(data, "dewi@example.org", "Tidak lagi di kalender")  # no CANCEL to
    assert not mail_for(data, "dewi@example.org", "Dibatalkan")  # her calendar
    # at most one question, to the member herself, a day; none when the From was forged
    assert [i.to for i in new] in ([], ["dewi@example.org"])
    if "Authentication-Results" in headers:
        assert not new


def test_forged_bounces_and_complaints_change_nothing(rt: Runtime) -> None:
    from tests.test_bounces import case

    for n in range(5):
        report = dsn("kkg@example.org", "dewi@example.org", "5.1.1", "550 5.1.1 User unknown")
        rt.store.archive.add(report.replace(b"<dsn-", f"<dsn-{n}-".encode()))
        fake_verp = dsn("kkg+b-0000deadbeef@example.org", "agus@example.org", "5.1.1",
                        "550 5.1.1 User unknown")
        rt.store.archive.add(fake_verp.replace(b"<dsn-", f"<verp-{n}-".encode()))
        complaint = case("arf-complaint.eml", "abuse@example.org", "x@example.net")
        rt.store.archive.add(complaint.replace(b"Message-ID: <", f"Message-ID: <{n}".encode()))
        tick(rt, T0 + timedelta(days=n, hours=1))
    later = T0 + timedelta(days=5)
    assert not any(paused(rt.store.state, e, later) for e in MEMBERS)
    rt.store.archive.add(make_mail(subject="Sesudah laporan palsu"))
    tick(rt, later)
    data = rt.config.service.data_dir
    assert mail_for(data, "dewi@example.org", "Sesudah") and mail_for(data, "agus@example.org",
                                                                       "Sesudah")
    assert recipients(rt) <= MEMBERS


def test_a_spoofed_lower_authentication_results_is_not_read(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    config = write_config(tmp_path, meeting=False, inbound='protocol = "smtp"\n'
                          'authserv_id = "mx.google.com"')
    rt = open_runtime(config)
    top = b"Authentication-Results: mx.google.com; spf=fail smtp.mailfrom=dewi@example.org\r\n"
    lower = {"Authentication-Results": "mx.google.com; dkim=pass header.d=example.org; "
                                       "dmarc=pass header.from=example.org"}
    rt.store.archive.add(top + make_mail(sender="Dewi <dewi@example.org>", subject="keluar",
                                         body="\n", headers=lower))
    rt.store.archive.add(top + make_mail(sender="Dewi <dewi@example.org>", subject="Promo",
                                         headers=lower))
    tick(rt, T0)
    assert member_states(rt) == dict.fromkeys(MEMBERS, "active")
    (hold,) = rt.store.state.holds.values()
    assert hold.reason == "sender address failed verification (spf=fail)"
    assert not mail_for(rt.config.service.data_dir, "dewi@example.org")


def test_2000_forged_senders_get_nothing_and_moderators_get_a_few_mails(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    rt = open_runtime(write_config(tmp_path, meeting=False))
    kinds = [("kkg@example.org", "PINJOL-{n} murah", "Beli!\n"),
             ("kkg+help@example.org", "help", "\n"),
             ("kkg+join@example.org", "gabung", "\n"),
             ("kkg@example.org", "keluar", "\n"),
             ("kkg@example.org", "", "bantuan")]
    for n in range(2000):
        to, subject, body = kinds[n % len(kinds)]
        rt.store.archive.add(make_mail(sender=f"Korban {n} <korban{n}@victim{n % 40}.example>",
                                       to=to, subject=subject.format(n=n), body=body,
                                       message_id=f"<spam-{n}@evil.example>"), sync=False)
    tick(rt, T0)
    assert recipients(rt) <= MEMBERS, "mail went to an address a forger chose"
    assert member_states(rt) == dict.fromkeys(MEMBERS, "active")
    to_siti = [m for m in outbox_messages(rt.config.service.data_dir)
               if "siti@example.org" in str(m["To"])]
    # three holds of their own, then one summary; no attention mail repeats them to her
    subjects = [str(m["Subject"]) for m in to_siti]
    assert sum("Perlu persetujuan: h" in s or "Permintaan bergabung (h" in s
               for s in subjects) == 3  # a join is named so, by its id alone
    assert sum("pesan menunggu persetujuan" in s for s in subjects) == 1
    assert len(subjects) == 4
    for message in to_siti:  # an unverified stranger's subject is never repeated
        assert "PINJOL" not in str(message["Subject"])
        assert "PINJOL" not in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert len(rt.store.state.holds) == 800  # every post and join kept for the moderators


def test_1000_spam_posts_bring_a_bounded_number_of_mails_an_hour(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    rt = open_runtime(write_config(tmp_path, meeting=False))
    counts = []
    for hour in range(3):
        for n in range(1000):
            rt.store.archive.add(make_mail(sender=f"Spam <s{n}@spam.example>", subject="Iklan",
                                           message_id=f"<s-{hour}-{n}@spam.example>"),
                                 sync=False)
        for minutes in (0, 20, 40):
            tick(rt, T0 + timedelta(hours=hour, minutes=minutes))
        counts.append(len(mail_for(rt.config.service.data_dir, "siti@example.org",
                                   "persetujuan")))
    assert counts[0] <= 4 and counts[1] - counts[0] <= 4 and counts[2] - counts[1] <= 4
    assert len(rt.store.state.holds) == 3000
    held = [h for h in rt.store.state.holds.values() if h.state == "held"]
    summarized = set()
    for message in mail_for(rt.config.service.data_dir, "siti@example.org"):
        summarized |= {line.split()[0] for line in
                       message.get_body(("plain",)).get_content().splitlines()  # type: ignore[union-attr]
                       if line[:1] == "h" and line.split()[0][1:].isdigit()}
    told = {h.id for h in held if h.notified} | summarized
    assert len(told) >= 3 + 2 * 200  # each summary lists up to 200; the rest come later


def test_a_fresh_data_dir_after_a_day_is_private(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    config.path.write_text(config.path.read_text().replace('secret = "test-secret"\n', ""))
    config = load_config(config.path)
    old = os.umask(0o022)  # what a shell usually has: privacy must not depend on it
    try:
        from mailer.edges.store import FileStore

        rt = Runtime(config, FileStore(config.service.data_dir))
        for hour in range(0, 26, 2):
            now = T0 + timedelta(hours=hour)
            rt.store.archive.add(make_mail(subject=f"Topik {hour}", body="Isi\n"))
            rt.store.archive.add(make_mail(sender=f"Asing <a{hour}@elsewhere.org>",
                                           subject="Halo"))
            tick(rt, now)
        rt.store.requests.submit([{"t": "hold-decision", "id": "h1", "decision": "approve"}])
        tick(rt, T0 + timedelta(hours=27))
        rt.close()
    finally:
        os.umask(old)
    data = config.service.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    paths = list(data.rglob("*"))
    assert len([p for p in paths if p.is_file()]) > 20
    loose = [(str(p.relative_to(data)), oct(stat.S_IMODE(p.stat().st_mode))) for p in paths
             if stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)]
    assert not loose
    assert (data / "secret").exists()
