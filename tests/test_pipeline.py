"""End to end on the embedded defaults: SMTP receiver in, maildir out, tick with fixed times."""

from __future__ import annotations

import email
import smtplib
import threading
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import vobject

from mailer.daemon import Runtime, _start_receiver, tick
from mailer.edges.store import FileStore as Store
from mailer.timed.digests import send_digest
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, mark_edited, message_records, signed, write_config
from tests.peers import free_port

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 09:00 WIB


def outbox_messages(data_dir: Path) -> list[EmailMessage]:
    folder = data_dir / "outbox" / "new"
    messages = []
    for path in sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        messages.append(msg)
    return messages


def mail_for(data_dir: Path, address: str, kind: str = "") -> list[EmailMessage]:
    return [m for m in outbox_messages(data_dir)
            if address in str(m["To"]) and kind in str(m["Subject"])]


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    config = write_config(tmp_path)
    runtime = open_runtime(config)
    return runtime


def deliver_raw(rt: Runtime, raw: bytes) -> None:
    rt.store.archive.add(raw)


def test_post_reply_and_routing_by_reply_address(rt: Runtime) -> None:
    data = rt.config.service.data_dir
    deliver_raw(rt, make_mail(subject="Pecahan di kelas 3", body="Ada ide untuk 1/3?\n"))
    tick(rt, T0)
    (thread,) = rt.store.state.threads.values()
    assert thread.subject == "Pecahan di kelas 3"
    copies = [m for m in outbox_messages(data) if "Pecahan" in str(m["Subject"])]
    # `each` members except the author; the digest reader gets nothing now
    assert sorted(str(m["To"]) for m in copies) == [
        "Agus Wibowo <agus@example.org>", "Dewi Lestari <dewi@example.org>"]
    for copy in copies:
        assert copy["From"].addresses[0].addr_spec == "kkg@example.org"
        assert str(copy["From"].addresses[0].display_name) == "Siti Rahayu via KKG Matematika"
        assert copy["List-Id"] == "KKG Matematika <kkg.example.org>"
        assert copy["Precedence"] == "list"
        # each member's own unsubscribe address (issue 16): mail to it from them leaves
        assert "<mailto:kkg+u-" in copy["List-Unsubscribe"]
        raw = copy.as_string()
        others = {"agus@example.org", "dewi@example.org", "budi@example.org"} - {
            copy["To"].addresses[0].addr_spec}
        assert not any(o in raw for o in others), "another member's address leaked"
        assert "siti@example.org" not in raw, "the poster's address leaked"

    dewi_copy = next(m for m in copies if "dewi" in str(m["To"]))
    reply_to = dewi_copy["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith("kkg+r-t1-")
    deliver_raw(rt, make_mail(
        sender="Dewi Lestari <dewi@example.org>", to=reply_to,
        subject="Re: [KKG] Pecahan di kelas 3",
        body="Pakai pita, Bu.\n\nPada Sel, 1 Des 2026 pukul 09.00 Siti <kkg@example.org> "
             "menulis:\n> Ada ide untuk 1/3?\n"))
    tick(rt, T0 + timedelta(minutes=5))
    posts = rt.store.state.threads["t1"].posts
    assert [p.body for p in posts] == ["Ada ide untuk 1/3?", "Pakai pita, Bu."]
    message = next(m for m in message_records(rt.store).values()
                   if m["from"] == "dewi@example.org")
    assert message["rule"] == "reply-token"


def test_a_reply_address_used_by_another_sender_is_held(rt: Runtime) -> None:
    deliver_raw(rt, make_mail(subject="Topik", body="Halo\n"))
    tick(rt, T0)
    copy = mail_for(rt.config.service.data_dir, "dewi@example.org", "Topik")[0]
    reply_to = copy["Reply-To"].addresses[0].addr_spec
    deliver_raw(rt, make_mail(sender="Agus <agus@example.org>", to=reply_to,
                              subject="Re: Topik", body="Saya juga\n"))
    tick(rt, T0 + timedelta(minutes=1))
    (hold,) = rt.store.state.holds.values()
    assert hold.reason == "reply address issued to another member than the sender"
    assert len(rt.store.state.threads["t1"].posts) == 1


def test_non_member_is_held_and_told_once(rt: Runtime) -> None:
    # told because their From is authenticated; an unverified stranger is told nothing
    raw = make_mail(sender="Stranger <x@elsewhere.org>", subject="Jual buku", body="Murah\n",
                    headers=signed("elsewhere.org"))
    deliver_raw(rt, raw)
    deliver_raw(rt, raw)  # the same message delivered twice
    tick(rt, T0)
    assert [h.reason for h in rt.store.state.holds.values()] == ["sender is not a member"]
    notices = mail_for(rt.config.service.data_dir, "x@elsewhere.org")
    assert len(notices) == 1
    assert notices[0]["Auto-Submitted"] == "auto-replied"
    assert not rt.store.state.threads


@pytest.mark.parametrize("headers", [
    {"Auto-Submitted": "auto-replied"},
    {"Precedence": "bulk"},
    {"X-Autoreply": "yes"},
    {"X-Cop-Loop": "kkg@example.org"},
    {"List-Id": "KKG Matematika <kkg.example.org>"},
])
def test_automatic_mail_is_never_posted_nor_answered(rt: Runtime,
                                                     headers: dict[str, str]) -> None:
    deliver_raw(rt, make_mail(sender="Budi <budi@example.org>", subject="Sedang cuti",
                              headers=headers))
    tick(rt, T0)
    assert list(rt.store.state.messages.values()) == ["automatic"]
    assert not rt.store.state.threads
    assert not mail_for(rt.config.service.data_dir, "budi@example.org", "cuti")


def test_vacation_subject_from_a_member_is_not_posted(rt: Runtime) -> None:
    deliver_raw(rt, make_mail(sender="Budi <budi@example.org>",
                              subject="Balasan otomatis: Pecahan"))
    tick(rt, T0)
    (message,) = message_records(rt.store).values()
    assert message["rule"] == "vacation-subject"


def test_unparseable_mail_is_quarantined_and_the_next_one_goes_on(rt: Runtime) -> None:
    nested = b"".join(
        f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n".encode()
        for i in range(40))
    deliver_raw(rt, b"From: a@example.org\r\nTo: kkg@example.org\r\nMessage-ID: <deep@x>\r\n"
                + b"MIME-Version: 1.0\r\n" + nested)
    deliver_raw(rt, make_mail(subject="Biasa"))
    tick(rt, T0)
    states = sorted(rt.store.state.messages.values())
    assert states == ["posted", "quarantined"]
    assert rt.store.archive.pending() == []
    assert rt.store.archive.count() == 2  # raw bytes kept


def test_invitations_parse_with_an_independent_parser(rt: Runtime) -> None:
    tick(rt, T0)
    invitations = mail_for(rt.config.service.data_dir, "@example.org", "Undangan")
    assert len(invitations) == 4  # every member, each on their own
    for msg in invitations:
        member = msg["To"].addresses[0].addr_spec
        calendar_parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
        assert len(calendar_parts) == 1
        part = calendar_parts[0]
        assert part.get_param("method") == "REQUEST"
        assert part.get("Content-Disposition") is None
        cal = vobject.readOne(part.get_content())
        assert cal.method.value == "REQUEST"
        event = cal.vevent
        attendees = [a.value for a in event.contents["attendee"]]
        assert attendees == [f"mailto:{member}"]
        assert event.organizer.value == "mailto:kkg@example.org"
        starts = [dt.isoformat() for dt in event.getrruleset(addRDate=True)]
        assert starts[0] == "2026-12-04T14:00:00+07:00"
        assert "2026-12-25T14:00:00+07:00" not in starts  # Christmas and the break
        assert "2027-01-01T14:00:00+07:00" not in starts
        assert "2026-12-18T14:00:00+07:00" in starts
        attachment = [p for p in msg.walk() if p.get_filename() == "invite.ics"]
        assert len(attachment) == 1


def test_editing_the_meeting_sends_updates_and_removing_it_cancels(rt: Runtime) -> None:
    tick(rt, T0)
    tick(rt, T0 + timedelta(minutes=1))  # unchanged: nothing new
    data = rt.config.service.data_dir
    assert len(mail_for(data, "@example.org", "Undangan")) == 4
    path = rt.config.path
    path.write_text(path.read_text().replace("start = 2026-12-04T14:00:00",
                                             "start = 2026-12-04T15:00:00"))
    mark_edited(path)
    assert rt.reload_if_changed()
    tick(rt, T0 + timedelta(minutes=2))
    updates = mail_for(data, "@example.org", "diperbarui")
    assert len(updates) == 4
    cal = vobject.readOne(next(p for p in updates[0].walk()
                               if p.get_content_type() == "text/calendar").get_content())
    assert cal.vevent.sequence.value == "1"
    text = path.read_text()
    path.write_text(text[: text.index("  [[community.meeting]]")])
    mark_edited(path)
    assert rt.reload_if_changed()
    tick(rt, T0 + timedelta(minutes=3))
    cancels = mail_for(data, "@example.org", "Dibatalkan")
    assert len(cancels) == 4
    part = next(p for p in cancels[0].walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "CANCEL"
    cal = vobject.readOne(part.get_content())
    assert cal.vevent.status.value == "CANCELLED" and cal.vevent.sequence.value == "2"


def test_digest_goes_to_digest_readers_with_reply_links(rt: Runtime) -> None:
    tick(rt, T0)
    deliver_raw(rt, make_mail(subject="Soal cerita", body="Soal cerita favorit?\n"))
    tick(rt, T0 + timedelta(hours=1))
    community = rt.config.communities[0]
    send_digest(rt.app, rt.store, community, T0 + timedelta(hours=2), force=True)
    tick(rt, T0 + timedelta(hours=2))
    (digest,) = mail_for(rt.config.service.data_dir, "budi@example.org", "Rangkuman")
    text = digest.get_body(("plain",)).get_content()
    assert "=== [1] Soal cerita (#t1) ===" in text
    assert "mailto:kkg+r-t1-" in text
    assert "Jumat, 4 Desember 2026 pukul 14.00 WIB" in text


def test_weekly_digest_after_three_missed_weeks_is_sent_once(rt: Runtime) -> None:
    tick(rt, T0)  # starts the digest schedule
    deliver_raw(rt, make_mail(subject="Topik A"))
    tick(rt, T0 + timedelta(hours=1))
    # the daemon was down for three Fridays; it comes back on a Monday
    back = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)
    tick(rt, back)
    tick(rt, back + timedelta(minutes=1))
    assert len(mail_for(rt.config.service.data_dir, "budi@example.org", "Rangkuman")) == 1


def test_the_smtp_receiver_accepts_only_community_addresses(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, inbound=f'protocol = "smtp"\nport = {port}\n'
                                            'max_message_size = "100k"')
    rt = Runtime(config, Store(config.service.data_dir))
    receiver = _start_receiver(rt, threading.Event())
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail("siti@example.org", ["kkg@example.org"], make_mail())
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.sendmail("siti@example.org", ["someone@example.org"], make_mail())
            with pytest.raises(smtplib.SMTPException):
                smtp.sendmail("siti@example.org", ["kkg@example.org"],
                              make_mail(body="x" * 200_000))
            smtp.sendmail("siti@example.org", ["kkg+help@example.org"],
                          make_mail(subject="bantuan"))
    finally:
        receiver.stop()
    assert len(rt.store.archive.pending()) == 2
    tick(rt, T0)
    states = sorted(rt.store.state.messages.values())
    assert states == ["command", "posted"]
    rt.close()


def _digest_for(rt: Runtime, address: str) -> EmailMessage:
    (digest,) = mail_for(rt.config.service.data_dir, address, "Rangkuman")
    return digest


def _quote(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.splitlines())


def _three_threads_and_a_digest(rt: Runtime) -> EmailMessage:
    tick(rt, T0)
    for subject in ("Pecahan", "Soal cerita", "Asesmen"):
        deliver_raw(rt, make_mail(subject=subject, body=f"Tentang {subject.lower()}?\n"))
    tick(rt, T0 + timedelta(hours=1))
    send_digest(rt.app, rt.store, rt.config.communities[0], T0 + timedelta(hours=2),
                force=True)
    tick(rt, T0 + timedelta(hours=2))
    return _digest_for(rt, "budi@example.org")


def test_a_reply_written_under_three_digest_sections_becomes_three_posts(rt: Runtime) -> None:
    digest = _three_threads_and_a_digest(rt)
    text = digest.get_body(("plain",)).get_content().replace("\r\n", "\n")
    sections = text.split("\n=== ")
    head, parts = sections[0], ["=== " + p for p in sections[1:]]
    answers = ["Saya pakai kertas lipat.", "Soal tentang pasar paling disukai.",
               "Asesmen formatif tiap minggu."]
    body = ("Pada Jum, 4 Des 2026 pukul 15.00 KKG Matematika <kkg@example.org> menulis:\n"
            + _quote(head) + "\n")
    for part, answer in zip(parts, answers, strict=False):
        body += _quote(part) + "\n\n" + answer + "\n\n"
    deliver_raw(rt, make_mail(sender="Budi Santoso <budi@example.org>",
                              to=str(digest["Reply-To"].addresses[0].addr_spec),
                              subject="Re: " + str(digest["Subject"]), body=body,
                              in_reply_to=str(digest["Message-ID"])))
    tick(rt, T0 + timedelta(hours=3))
    by_subject = {t.subject: [p.body for p in t.posts] for t in rt.store.state.threads.values()}
    assert by_subject == {
        "Pecahan": ["Tentang pecahan?", "Saya pakai kertas lipat."],
        "Soal cerita": ["Tentang soal cerita?", "Soal tentang pasar paling disukai."],
        "Asesmen": ["Tentang asesmen?", "Asesmen formatif tiap minggu."],
    }


def test_a_top_posted_digest_reply_naming_no_section_starts_a_clean_thread(
        rt: Runtime) -> None:
    digest = _three_threads_and_a_digest(rt)
    text = digest.get_body(("plain",)).get_content().replace("\r\n", "\n")
    deliver_raw(rt, make_mail(
        sender="Budi Santoso <budi@example.org>", subject="Re: " + str(digest["Subject"]),
        body="Usul: pertemuan berikutnya di SDN 3 saja.\n\nPada Jum, 4 Des 2026 "
             "KKG <kkg@example.org> menulis:\n" + _quote(text) + "\n",
        in_reply_to=str(digest["Message-ID"])))
    tick(rt, T0 + timedelta(hours=3))
    newest = rt.store.state.threads_newest_first()[0]
    assert newest.subject == "Usul: pertemuan berikutnya di SDN 3 saja."
    assert [p.body for p in newest.posts] == ["Usul: pertemuan berikutnya di SDN 3 saja."]


def test_a_top_posted_digest_reply_naming_a_section_goes_there(rt: Runtime) -> None:
    digest = _three_threads_and_a_digest(rt)
    text = digest.get_body(("plain",)).get_content().replace("\r\n", "\n")
    deliver_raw(rt, make_mail(
        sender="Budi Santoso <budi@example.org>", subject="Re: " + str(digest["Subject"]),
        body="Untuk [2]: soal tentang pasar.\n\n" + _quote(text) + "\n",
        in_reply_to=str(digest["Message-ID"])))
    tick(rt, T0 + timedelta(hours=3))
    second = next(t for t in rt.store.state.threads.values() if t.subject == "Soal cerita")
    assert second.posts[-1].body == "Untuk [2]: soal tentang pasar."


def test_mail_for_no_community_gets_a_bilingual_answer(tmp_path: Path) -> None:
    two = write_config(tmp_path, meeting=False, extra=(
        '\n[[community]]\nid = "mgmp"\nname = "MGMP IPA"\naddress = "mgmp@example.org"\n'))
    rt = Runtime(two, Store(two.service.data_dir))
    deliver_raw(rt, make_mail(to="lama@example.org", subject="Alamat lama"))
    deliver_raw(rt, make_mail(to="lama@example.org", subject="Out of office",
                              headers={"Auto-Submitted": "auto-replied"}))
    tick(rt, T0)
    rt.close()
    states = sorted(rt.store.state.messages.values())
    assert states == ["automatic", "unrouted"]
    (answer,) = mail_for(two.service.data_dir, "siti@example.org", "belum sampai")
    text = answer.get_body(("plain",)).get_content()
    assert "Pesan Anda \"Alamat lama\"" in text and "Your message \"Alamat lama\"" in text
    assert "kkg@example.org" in text and "mgmp@example.org" in text
    assert answer["Auto-Submitted"] == "auto-replied"


def test_a_bug_for_one_message_or_one_job_stops_nothing_else(
        rt: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import mailer.handle.posts
    import mailer.timed.due

    real_route = mailer.handle.posts.route_mail

    def fragile_route(r: object) -> object:
        if "meledak" in r.mail.subject:  # type: ignore[attr-defined]
            raise RuntimeError("a bug")
        return real_route(r)  # type: ignore[arg-type]

    def broken_digests(*args: object) -> int:
        raise ValueError("a broken digest template")

    monkeypatch.setattr(mailer.handle.posts, "route_mail", fragile_route)
    monkeypatch.setattr(mailer.timed.due, "send_digests", broken_digests)
    deliver_raw(rt, make_mail(subject="Ini meledak"))
    deliver_raw(rt, make_mail(subject="Ini biasa"))
    tick(rt, T0)
    states = {m["subject"] or m["detail"][:30]: m["state"]
              for m in message_records(rt.store).values()}
    assert "posted" in states.values() and "quarantined" in states.values()
    assert rt.store.archive.pending() == []  # the failed one is set aside, not retried forever
    assert len(mail_for(rt.config.service.data_dir, "@example.org", "Undangan")) == 4
    assert any("job failed" in r.getMessage() for r in caplog.records)


def test_a_reply_that_only_quotes_is_held_never_an_empty_post(rt: Runtime) -> None:
    deliver_raw(rt, make_mail(subject="Pecahan", message_id="<first@example.org>"))
    tick(rt, T0)
    deliver_raw(rt, make_mail(sender="Dewi Lestari <dewi@example.org>", subject="Re: Pecahan",
                              in_reply_to="<first@example.org>",
                              body="Pada Sel, 1 Des 2026 Siti <siti@example.org> menulis:\n"
                                   "> Halo semua,\n> bagaimana?\n"))
    tick(rt, T0 + timedelta(minutes=5))
    (thread,) = rt.store.state.threads.values()
    assert [p.body for p in thread.posts] == ["Halo semua,\nbagaimana?"]
    (hold,) = rt.store.state.holds.values()
    assert hold.reason == "the reply holds no new text"


def test_two_communities_on_plus_addresses_of_one_mailbox(tmp_path: Path) -> None:
    two = write_config(tmp_path, meeting=False, extra=(
        '\n[[community]]\nid = "english"\nname = "KKG English"\nlanguage = "en"\n'
        'address = "kkg+english@example.org"\n'
        '  [[community.member]]\n  email = "rina@example.org"\n  name = "Rina"\n'
        '  delivery = "each"\n'
        '  [[community.member]]\n  email = "made@example.org"\n  name = "Made"\n'
        '  delivery = "each"\n'))
    rt = Runtime(two, Store(two.service.data_dir))
    deliver_raw(rt, make_mail(sender="Rina <rina@example.org>", to="kkg+english@example.org",
                              subject="Phonics games", message_id="<en1@example.org>"))
    tick(rt, T0)
    (thread,) = rt.store.state.threads.values()
    assert thread.community == "english"
    (copy,) = mail_for(two.service.data_dir, "made@example.org", "Phonics")
    reply_to = copy["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith("kkg+english+r-")
    deliver_raw(rt, make_mail(sender="Made <made@example.org>", to=reply_to,
                              subject="Re: Phonics games", body="Try bingo.\n"))
    tick(rt, T0 + timedelta(minutes=5))
    rt.close()
    assert [p.body for p in thread.posts][-1] == "Try bingo."
    assert "held" not in rt.store.state.messages.values()
