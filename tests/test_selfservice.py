"""A member's own delivery by email (rangkuman, setiap pesan, jeda sampai, lanjut) and a
member's other addresses (aliases), end to end: through the built-in receiver where the
From is checked for real, and through the archive and tick for the rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.daemon import Runtime, tick
from tests.conftest import OpenRuntime
from tests.dnszone import SIGNED, ZoneServer, sign
from tests.helpers import make_mail, mark_edited, message_records, signed, write_config
from tests.test_pipeline import mail_for
from tests.test_receiver_trust import Receiving

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 1 December 2026, 09.00 WIB
FRIDAY_DIGEST = datetime(2026, 12, 4, 8, 1, tzinfo=UTC)  # Friday 15.01 WIB: the digest's slot
ANI = f"""
  [[community.member]]
  email = "ani@example.org"
  name = "Ani Suryani"
  delivery = "each"
  aliases = ["ani@{SIGNED}"]
"""


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    runtime = open_runtime(write_config(tmp_path, extra=ANI))
    tick(runtime, T0)
    return runtime


def send(rt: Runtime, at: datetime, **kwargs: Any) -> None:
    rt.store.archive.add(make_mail(**kwargs))
    tick(rt, at)


def members(rt: Runtime) -> dict[str, dict[str, Any]]:
    rt.store.flush()
    out = CliRunner().invoke(main, ["--config", str(rt.config.path), "members",
                                    "--community", "kkg", "--json"]).stdout
    return {m["email"]: m for m in json.loads(out)}


def text_of(msg: EmailMessage) -> str:
    return str(msg.get_body(("plain",)).get_content())


def reply_to(msg: EmailMessage) -> str:
    return str(msg["Reply-To"].addresses[0].addr_spec)


def outcome(rt: Runtime, message_id: str) -> tuple[str, str]:
    rt.store.flush()
    record = message_records(rt.store)[message_id]
    return record["state"], record["rule"]


def test_rangkuman_jeda_and_lanjut_from_an_alias_through_the_receiver(
        rt: Runtime, dns_zone: ZoneServer) -> None:
    data = rt.config.service.data_dir
    start = T0 + timedelta(minutes=1)
    with Receiving(rt, dns_zone) as receiving:
        receiving.send(sign(make_mail(sender=f"Ani <ani@{SIGNED}>", subject="Rangkuman saja",
                                      body="\n", message_id="<r1@sekolah.test>")),
                       f"ani@{SIGNED}")
        tick(rt, start)
        assert outcome(rt, "<r1@sekolah.test>") == ("command", "subject-setting")
        ani = members(rt)["ani@example.org"]
        assert ani["delivery"] == "digest" and ani["aliases"] == [f"ani@{SIGNED}"]
        assert ani["paused_until"] is None
        (answer,) = mail_for(data, "ani@example.org", "Pengaturan email")
        text = text_of(answer)
        assert "menerima rangkuman mingguan" in text
        assert 'Untuk membatalkan: kirim "setiap pesan"' in text
        assert "tidak dikirim ke anggota lain" in text
        assert not mail_for(data, f"ani@{SIGNED}")  # nothing ever goes to the alias
        assert not rt.store.state.threads  # never posted

        receiving.send(sign(make_mail(sender=f"Ani <ani@{SIGNED}>",
                                      subject="jeda sampai 2 Januari", body="\n",
                                      message_id="<r2@sekolah.test>")), f"ani@{SIGNED}")
        tick(rt, start + timedelta(minutes=1))
    assert members(rt)["ani@example.org"]["paused_until"] == "2027-01-02"
    (_, answer) = mail_for(data, "ani@example.org", "Pengaturan email")
    text = text_of(answer)
    assert "dijeda sampai Jumat, 1 Januari 2027" in text
    assert "Mulai Sabtu, 2 Januari 2027 pukul 00.00 WIB email datang lagi" in text
    assert 'kirim "lanjut"' in text

    send(rt, T0 + timedelta(hours=1), subject="Media pecahan", body="Ada yang punya?\n")
    assert mail_for(data, "dewi@example.org", "Media pecahan")
    assert not mail_for(data, "ani@example.org", "Media pecahan")
    tick(rt, datetime(2026, 12, 3, 8, 0, tzinfo=UTC))  # a day before the meeting: reminders
    assert mail_for(data, "dewi@example.org", "Pengingat")
    assert not mail_for(data, "ani@example.org", "Pengingat")
    tick(rt, FRIDAY_DIGEST)
    assert mail_for(data, "budi@example.org", "Rangkuman")  # a digest reader not paused
    assert not mail_for(data, "ani@example.org", "Rangkuman")
    assert mail_for(data, "ani@example.org", "Undangan")  # the calendar stays right

    send(rt, datetime(2027, 1, 5, 2, 0, tzinfo=UTC), subject="Semester baru", body="Halo\n")
    tick(rt, datetime(2027, 1, 8, 8, 1, tzinfo=UTC))  # the pause is over: back by itself
    assert mail_for(data, "ani@example.org", "Rangkuman")


def test_lanjut_ends_a_pause_now(rt: Runtime) -> None:
    data = rt.config.service.data_dir
    send(rt, T0 + timedelta(minutes=1), sender="Dewi <dewi@example.org>",
         subject="pause until 2027-01-02", body="\n", headers=signed())
    assert members(rt)["dewi@example.org"]["paused_until"] == "2027-01-02"
    send(rt, T0 + timedelta(minutes=2), subject="Pecahan", body="Halo\n")
    assert not mail_for(data, "dewi@example.org", "Pecahan")
    send(rt, T0 + timedelta(minutes=3), sender="Dewi <dewi@example.org>", subject="Halo",
         body="Lanjut\n\nSalam,\nDewi Lestari\n", headers=signed())
    assert members(rt)["dewi@example.org"]["paused_until"] is None
    answer = mail_for(data, "dewi@example.org", "Pengaturan email")[-1]
    assert "Jeda dihentikan" in text_of(answer)
    send(rt, T0 + timedelta(minutes=4), subject="Pecahan lagi", body="Halo lagi\n")
    assert mail_for(data, "dewi@example.org", "Pecahan lagi")


def test_english_words_and_an_english_answer(tmp_path: Path,
                                             open_runtime: OpenRuntime) -> None:
    rt = open_runtime(write_config(tmp_path, language="en"))
    tick(rt, T0)
    send(rt, T0 + timedelta(minutes=1), sender="Budi <budi@example.org>", subject="each",
         body="\n", headers=signed())
    assert members(rt)["budi@example.org"]["delivery"] == "each"
    (answer,) = mail_for(rt.config.service.data_dir, "budi@example.org", "Your email settings")
    text = text_of(answer)
    assert "you receive each message" in text and 'To undo: send "digest"' in text
    send(rt, T0 + timedelta(minutes=2), sender="Budi <budi@example.org>",
         subject="pause until January 2", body="\n", headers=signed())
    (_, answer) = mail_for(rt.config.service.data_dir, "budi@example.org", "Your email")
    assert "From Saturday, 2 January 2027 at 00:00 WIB it comes again" in text_of(answer)
    send(rt, T0 + timedelta(minutes=3), sender="Budi <budi@example.org>", subject="help",
         body="\n")
    (help_,) = mail_for(rt.config.service.data_dir, "budi@example.org", "Help")
    for words in ('"digest" (or "rangkuman")', '"each" (or "setiap pesan")',
                  '"pause until January 2" (or "jeda sampai 2 Januari"',
                  '"resume" (or "lanjut")'):
        assert words in text_of(help_)


def test_a_digest_reader_answers_the_digest_with_setiap_pesan(rt: Runtime) -> None:
    data = rt.config.service.data_dir
    send(rt, T0 + timedelta(hours=1), subject="Pecahan", body="Halo semua\n")
    tick(rt, FRIDAY_DIGEST)
    (digest,) = mail_for(data, "budi@example.org", "Rangkuman")
    # Budi's provider does not vouch for him: the reply address of his own digest does
    send(rt, FRIDAY_DIGEST + timedelta(minutes=1), sender="Budi <budi@example.org>",
         to=reply_to(digest), subject=f"Re: {digest['Subject']}",
         body="setiap pesan\n\n> Rangkuman KKG Matematika\n> 1. Pecahan\n",
         in_reply_to=str(digest["Message-ID"]), message_id="<budi-each@example.org>")
    assert outcome(rt, "<budi-each@example.org>") == ("command", "body-setting")
    assert members(rt)["budi@example.org"]["delivery"] == "each"
    assert len(rt.store.state.threads) == 1  # not posted


def test_without_proof_the_member_is_asked_at_their_own_address(rt: Runtime) -> None:
    data = rt.config.service.data_dir
    send(rt, T0 + timedelta(minutes=1), sender="Budi <budi@example.org>",
         subject="setiap pesan", body="\n")
    assert members(rt)["budi@example.org"]["delivery"] == "digest"  # nothing yet
    (ask,) = mail_for(data, "budi@example.org", "Konfirmasi")
    assert reply_to(ask).startswith("kkg+s-")
    assert "menerima setiap pesan" in text_of(ask)
    send(rt, T0 + timedelta(minutes=2), sender="Orang Lain <mallory@example.net>",
         to=reply_to(ask), subject="Re", body="ya\n")
    assert members(rt)["budi@example.org"]["delivery"] == "digest"
    send(rt, T0 + timedelta(minutes=3), sender="Budi <budi@example.org>", to=reply_to(ask),
         subject="Re: Konfirmasi", body="ya\n")
    assert members(rt)["budi@example.org"]["delivery"] == "each"
    assert mail_for(data, "budi@example.org", "Pengaturan email")


def test_a_forged_setting_changes_nothing_and_mails_nobody(rt: Runtime) -> None:
    forged = {"Authentication-Results": "example.org; dmarc=fail header.from=example.org"}
    send(rt, T0 + timedelta(minutes=1), sender="Budi <budi@example.org>",
         subject="setiap pesan", body="\n", headers=forged)
    assert members(rt)["budi@example.org"]["delivery"] == "digest"
    assert not mail_for(rt.config.service.data_dir, "budi@example.org", "Pengaturan")
    assert not mail_for(rt.config.service.data_dir, "budi@example.org", "Konfirmasi")


@pytest.mark.parametrize(("subject", "body"), [
    ("Rangkuman", "Terlampir rangkuman pertemuan kemarin untuk yang berhalangan.\n"),
    ("Rangkuman pertemuan", "Kita membahas pecahan.\n"),
    ("Re: Rangkuman", "Lanjut\n"),  # a reply in a thread called "Rangkuman" with one word?
    ("Materi", "Rangkuman saja dulu: pecahan senilai, lalu latihan soal. Bagaimana?\n"),
    ("Pertanyaan", "Lanjut ke materi berikutnya kapan, Bu?\n"),
])
def test_a_post_that_mentions_a_setting_is_still_a_post(rt: Runtime, subject: str,
                                                        body: str) -> None:
    first = subject.startswith("Re:")
    if first:  # the thread "Rangkuman" exists; its reply is a post
        send(rt, T0 + timedelta(minutes=1), subject="Rangkuman",
             body="Terlampir rangkuman.\n", message_id="<rangkuman@example.org>")
    send(rt, T0 + timedelta(minutes=2), sender="Dewi <dewi@example.org>", subject=subject,
         body=body, message_id="<post@example.org>",
         in_reply_to="<rangkuman@example.org>" if first else None)
    state, _ = outcome(rt, "<post@example.org>")
    if subject == "Re: Rangkuman":  # the whole new text is "Lanjut": read as the setting
        assert state == "command"
        return
    assert state == "posted"
    assert members(rt)["dewi@example.org"]["delivery"] == "each"


def test_an_unreadable_date_is_answered_and_changes_nothing(rt: Runtime) -> None:
    send(rt, T0 + timedelta(minutes=1), sender="Dewi <dewi@example.org>",
         subject="jeda sampai lebaran", body="\n", headers=signed())
    assert members(rt)["dewi@example.org"]["paused_until"] is None
    (answer,) = mail_for(rt.config.service.data_dir, "dewi@example.org", "Pengaturan")
    assert 'belum bisa membaca tanggal "lebaran"' in text_of(answer)


def test_the_organizers_later_edit_of_cop_toml_wins(rt: Runtime) -> None:
    send(rt, T0 + timedelta(minutes=1), sender="Budi <budi@example.org>", subject="each",
         body="\n", headers=signed())
    assert members(rt)["budi@example.org"]["delivery"] == "each"
    path = rt.config.path
    text = path.read_text()
    # an unrelated edit leaves Budi's own choice in force
    path.write_text(text.replace('name = "Dewi Lestari"', 'name = "Dewi Lestari, S.Pd."'))
    mark_edited(path)
    assert rt.reload_if_changed()
    assert members(rt)["budi@example.org"]["delivery"] == "each"
    # the organizer writes another delivery for Budi: the later change
    budi = 'email = "budi@example.org"\n  name = "Budi Santoso"\n  delivery = "digest"'
    assert budi in text
    path.write_text(path.read_text().replace(budi, budi.replace('"digest"', '"none"')))
    mark_edited(path)
    assert rt.reload_if_changed()
    assert members(rt)["budi@example.org"]["delivery"] == "none"


def test_mail_from_an_alias_is_the_members(rt: Runtime) -> None:
    data = rt.config.service.data_dir
    # posting = "members": the alias posts as Ani, and is not held as a stranger's
    send(rt, T0 + timedelta(minutes=1), sender=f"Ani <ani@{SIGNED}>",
         subject="Alat peraga", body="Saya punya alat peraga pecahan.\n",
         message_id="<alias-post@sekolah.test>")
    assert outcome(rt, "<alias-post@sekolah.test>")[0] == "posted"
    (thread,) = rt.store.state.threads.values()
    assert thread.posts[0].from_addr == "ani@example.org"
    assert thread.posts[0].name == "Ani Suryani"
    copies = mail_for(data, "", "Alat peraga")
    assert {str(m["To"]).split("<")[-1].rstrip(">") for m in copies} == {
        "siti@example.org", "dewi@example.org", "agus@example.org"}  # not Ani, twice or once
    # a leave from the alias, authenticated: Ani leaves
    send(rt, T0 + timedelta(minutes=2), sender=f"Ani <ani@{SIGNED}>", subject="keluar",
         body="\n", headers=signed(SIGNED))
    assert members(rt)["ani@example.org"]["state"] == "left"
    assert mail_for(data, "ani@example.org", "Sampai jumpa")


def test_a_calendar_answer_from_an_alias_counts_for_the_member(rt: Runtime) -> None:
    (invitation,) = mail_for(rt.config.service.data_dir, "ani@example.org", "Undangan")
    calendar = next(p for p in invitation.walk()
                    if p.get_content_type() == "text/calendar").get_content()
    uid = next(line.split(":", 1)[1] for line in calendar.splitlines()
               if line.startswith("UID:"))
    reply = "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN", "METHOD:REPLY",
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20261201T030000Z",
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:ani@{SIGNED}", "END:VEVENT", "END:VCALENDAR", ""])
    msg = EmailMessage()
    msg["From"] = f"Ani <ani@{SIGNED}>"
    msg["To"] = "kkg@example.org"
    msg["Subject"] = "Accepted: Pertemuan rutin"
    msg["Message-ID"] = "<cal@sekolah.test>"
    msg["Date"] = "Tue, 01 Dec 2026 03:00:00 +0000"
    msg.set_content(reply, subtype="calendar", params={"method": "REPLY"})
    rt.store.archive.add(bytes(msg))
    tick(rt, T0 + timedelta(hours=1))
    assert rt.store.state.latest_rsvp("kkg/rutin", "ani@example.org") == "ACCEPTED"


def test_help_lists_the_settings_in_both_languages(rt: Runtime) -> None:
    send(rt, T0 + timedelta(minutes=1), sender="Dewi <dewi@example.org>", subject="bantuan",
         body="\n")
    (help_,) = mail_for(rt.config.service.data_dir, "dewi@example.org", "Bantuan")
    text = text_of(help_)
    for words in ('"rangkuman" (atau "digest")', '"setiap pesan" (atau "each")',
                  '"jeda sampai 2 Januari" (atau "pause until January 2"',
                  '"lanjut" (atau "resume")'):
        assert words in text
