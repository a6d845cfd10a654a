"""Answers in members' own words reach the right meeting, only from the member, never as a
post to everyone; the rest of a mixed reply is posted; organizers hear of it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.daemon import Runtime, tick
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, mark_edited, write_config
from tests.test_pipeline import mail_for

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
FIRST = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)  # Friday 14:00 WIB
KEY, OCC = "kkg/rutin", "2026-12-04T14:00:00+07:00"


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    runtime = open_runtime(write_config(tmp_path))
    tick(runtime, T0)
    return runtime


def reply(rt: Runtime, who: str, to_mail: object, body: str, *, signed: bool = True,
          message_id: str | None = None, when: datetime = T0 + timedelta(hours=1)) -> None:
    mail = to_mail  # an EmailMessage we sent
    to = mail["Reply-To"].addresses[0].addr_spec if signed else "kkg@example.org"  # type: ignore[index]
    rt.store.archive.add(make_mail(
        sender=f"{who.split('@')[0].title()} <{who}>", to=to,
        subject="Re: " + str(mail["Subject"]), body=body,  # type: ignore[index]
        in_reply_to=str(mail["Message-ID"]), message_id=message_id))  # type: ignore[index]
    tick(rt, when)


def posts(rt: Runtime) -> list[str]:
    return [p.body for t in rt.store.state.threads.values() for p in t.posts]


def test_a_no_to_the_reminder_is_an_answer_not_a_post(rt: Runtime) -> None:
    tick(rt, FIRST - timedelta(days=1))
    data = rt.config.service.data_dir
    (reminder,) = mail_for(data, "agus@example.org", "Pengingat")
    reply(rt, "agus@example.org", reminder, "Tidak bisa hadir Bu, maaf.\n",
          when=FIRST - timedelta(hours=20))
    assert rt.store.state.rsvp_of(KEY, "agus@example.org", OCC) == "DECLINED"
    assert posts(rt) == []
    for other in ("siti@example.org", "dewi@example.org", "budi@example.org"):
        assert [m for m in mail_for(data, other) if "Pengingat" in str(m["Subject"])
                and "Re:" in str(m["Subject"])] == []
    (told,) = [m for m in mail_for(data, "agus@example.org") if "tercatat" in str(m["Subject"])]
    assert "Tidak hadir" in told.get_body(("plain",)).get_content()


def test_an_answer_not_through_the_members_own_address_is_not_recorded(rt: Runtime) -> None:
    data = rt.config.service.data_dir
    (invitation,) = mail_for(data, "dewi@example.org", "Undangan")
    reply(rt, "dewi@example.org", invitation, "hadir\n", signed=False)
    assert rt.store.state.rsvp_of(KEY, "dewi@example.org", OCC) == "NEEDS-ACTION"
    assert posts(rt) == []
    (again,) = mail_for(data, "dewi@example.org", "belum tercatat")
    # Budi answering with Dewi's invitation: nothing for Dewi, and Budi is asked, not Dewi
    reply(rt, "budi@example.org", invitation, "tidak bisa hadir\n",
          when=T0 + timedelta(hours=2))
    assert rt.store.state.rsvp_of(KEY, "dewi@example.org", OCC) == "NEEDS-ACTION"
    assert rt.store.state.rsvp_of(KEY, "budi@example.org", OCC) == "NEEDS-ACTION"
    assert len(mail_for(data, "dewi@example.org", "belum tercatat")) == 1
    # Dewi answers the notice that asked her: it counts
    reply(rt, "dewi@example.org", again, "hadir\n", when=T0 + timedelta(hours=3))
    assert rt.store.state.rsvp_of(KEY, "dewi@example.org", OCC) == "ACCEPTED"


def test_a_mixed_reply_records_the_answer_and_posts_the_rest_once(rt: Runtime) -> None:
    data = rt.config.service.data_dir
    (invitation,) = mail_for(data, "dewi@example.org", "Undangan")
    reply(rt, "dewi@example.org", invitation,
          "Hadir Bu.\n\nSaya juga mau berbagi video pecahan: https://example.org/video\n")
    assert rt.store.state.rsvp_of(KEY, "dewi@example.org", OCC) == "ACCEPTED"
    assert posts(rt) == ["Saya juga mau berbagi video pecahan: https://example.org/video"]
    (told,) = [m for m in mail_for(data, "dewi@example.org") if "tercatat" in str(m["Subject"])]
    assert "sudah kami teruskan" in told.get_body(("plain",)).get_content()
    (copy,) = [m for m in mail_for(data, "agus@example.org", "Pertemuan rutin")
               if "video" in m.get_body(("plain",)).get_content()]
    assert str(copy["Subject"]) == "[KKG] Pertemuan rutin"


def test_a_reply_to_the_invitation_that_is_no_answer_is_a_post(rt: Runtime) -> None:
    (invitation,) = mail_for(rt.config.service.data_dir, "dewi@example.org", "Undangan")
    reply(rt, "dewi@example.org", invitation, "Apakah perlu membawa laptop?\n")
    assert posts(rt) == ["Apakah perlu membawa laptop?"]
    assert rt.store.state.rsvp_of(KEY, "dewi@example.org", OCC) == "NEEDS-ACTION"


def test_the_organizers_hear_of_answers_in_their_attention_mail(rt: Runtime) -> None:
    data = rt.config.service.data_dir
    (invitation,) = mail_for(data, "agus@example.org", "Undangan")
    reply(rt, "agus@example.org", invitation, "Mohon izin, tidak bisa hadir.\n")
    (attention,) = mail_for(data, "siti@example.org", "Perlu perhatian")
    text = attention.get_body(("plain",)).get_content()
    assert "Agus Wibowo: tidak hadir (Jumat, 4 Desember 2026)" in text  # the day in words
    tick(rt, T0 + timedelta(days=1, hours=2))
    assert len(mail_for(data, "siti@example.org", "Perlu perhatian")) == 1  # told once


def test_a_new_time_of_day_keeps_the_answers_in_every_view(rt: Runtime) -> None:
    (invitation,) = mail_for(rt.config.service.data_dir, "dewi@example.org", "Undangan")
    reply(rt, "dewi@example.org", invitation, "hadir\n")
    path = rt.config.path
    path.write_text(path.read_text().replace("start = 2026-12-04T14:00:00",
                                             "start = 2026-12-04T14:30:00"))
    mark_edited(path)
    assert rt.reload_if_changed()
    tick(rt, T0 + timedelta(hours=2))
    rt.store.flush()
    result = CliRunner().invoke(main, ["--config", str(path), "meetings", "--json"])
    (meeting,) = json.loads(result.stdout)
    first = meeting["occurrences"][0]
    assert first["start"] == "2026-12-04T14:30:00+07:00"
    assert first["rsvp"]["dewi@example.org"] == "ACCEPTED"
    assert meeting["rsvp"]["dewi@example.org"] == "ACCEPTED"
    (update,) = mail_for(rt.config.service.data_dir, "dewi@example.org", "diperbarui")
    assert update is not None


def test_a_named_date_a_reason_and_a_negation_that_is_not_about_coming(rt: Runtime) -> None:
    data = rt.config.service.data_dir
    (invitation,) = mail_for(data, "agus@example.org", "Undangan")
    reply(rt, "agus@example.org", invitation,
          "Mohon maaf Bu, tanggal 11 saya tidak bisa hadir karena ada rapat dinas.\n")
    state = rt.store.state
    assert state.rsvp_of(KEY, "agus@example.org", "2026-12-11T14:00:00+07:00") == "DECLINED"
    assert state.rsvp_of(KEY, "agus@example.org", OCC) == "NEEDS-ACTION"
    (dewi_invitation,) = mail_for(data, "dewi@example.org", "Undangan")
    reply(rt, "dewi@example.org", dewi_invitation, "Tidak ada kendala, saya hadir Bu\n",
          when=T0 + timedelta(hours=2))
    assert state.rsvp_of(KEY, "dewi@example.org", OCC) == "ACCEPTED"
    assert posts(rt) == []
    (attention,) = mail_for(data, "siti@example.org", "Perlu perhatian")
    assert "rapat dinas" in attention.get_body(("plain",)).get_content()


def test_a_roll_call_in_the_organizers_own_words_then_a_correction(rt: Runtime) -> None:
    after = FIRST + timedelta(hours=2, minutes=30)
    tick(rt, after)
    data = rt.config.service.data_dir
    (roll,) = mail_for(data, "siti@example.org", "Daftar hadir")
    reply(rt, "siti@example.org", roll, "Yang hadir: Pak Budi, Bu Dewi, dan saya\n",
          message_id="<roll-words@example.org>", when=after + timedelta(minutes=5))
    state = rt.store.state
    assert [state.attended(KEY, OCC, e) for e in (
        "siti@example.org", "budi@example.org", "dewi@example.org", "agus@example.org")] == [
        True, True, True, False]
    (recorded,) = mail_for(data, "siti@example.org", "Daftar hadir tercatat")
    text = recorded.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Hadir (3):\n- Budi Santoso\n- Dewi Lestari\n- Siti Rahayu\n" in text
    assert "Tidak hadir (1):\n- Agus Wibowo\n" in text
    reply(rt, "siti@example.org", recorded, "Pak Agus juga hadir, tadi datang terlambat.\n",
          when=after + timedelta(minutes=10))
    assert state.attended(KEY, OCC, "agus@example.org") is True
    assert state.attended(KEY, OCC, "budi@example.org") is True


def test_an_answer_to_the_digest_is_for_the_next_meeting_and_no_post(rt: Runtime) -> None:
    from mailer.timed.digests import send_digest

    rt.store.archive.add(make_mail(subject="Pecahan", body="Ide untuk 1/3?\n"))
    tick(rt, T0 + timedelta(minutes=5))
    send_digest(rt.app, rt.store, rt.config.communities[0], T0 + timedelta(hours=1),
                force=True)
    tick(rt, T0 + timedelta(hours=1))
    (digest,) = mail_for(rt.config.service.data_dir, "budi@example.org", "Rangkuman")
    reply(rt, "budi@example.org", digest, "Insyaallah hadir hari Jumat.\n",
          when=T0 + timedelta(hours=2))
    assert rt.store.state.rsvp_of(KEY, "budi@example.org", OCC) == "ACCEPTED"
    (thread,) = rt.store.state.threads.values()
    assert len(thread.posts) == 1


def test_someone_elses_absence_is_never_the_writers_answer(rt: Runtime) -> None:
    """Only the person answers for themselves: what Dewi says of Budi is no answer of
    Budi's, nor of Dewi's; beside her own answer the organizers read it as a note, alone
    it is a post (as every reply that answers nothing), never lost."""
    data = rt.config.service.data_dir
    (invitation,) = mail_for(data, "dewi@example.org", "Undangan")
    reply(rt, "dewi@example.org", invitation, "Saya hadir, tapi Pak Budi tidak bisa.\n")
    state = rt.store.state
    assert state.rsvp_of(KEY, "dewi@example.org", OCC) == "ACCEPTED"
    assert state.rsvp_of(KEY, "budi@example.org", OCC) == "NEEDS-ACTION"
    assert posts(rt) == []
    (attention,) = mail_for(data, "siti@example.org", "Perlu perhatian")
    assert "Dewi Lestari: hadir (Jumat, 4 Desember 2026) - tapi Pak Budi tidak bisa." in (
        attention.get_body(("plain",)).get_content())
    (agus_invitation,) = mail_for(data, "agus@example.org", "Undangan")
    reply(rt, "agus@example.org", agus_invitation,
          "Pak Budi tidak bisa hadir bu, beliau sedang sakit.\n", when=T0 + timedelta(hours=2))
    assert state.rsvp_of(KEY, "agus@example.org", OCC) == "NEEDS-ACTION"
    assert state.rsvp_of(KEY, "budi@example.org", OCC) == "NEEDS-ACTION"
    assert posts(rt) == ["Pak Budi tidak bisa hadir bu, beliau sedang sakit."]
    # the organizer addressed by her name is no third person
    reply(rt, "dewi@example.org", invitation, "Maaf Bu Siti tidak bisa hadir\n",
          message_id="<dewi-again@example.org>", when=T0 + timedelta(hours=3))
    assert state.rsvp_of(KEY, "dewi@example.org", OCC) == "DECLINED"


def test_a_request_beside_a_late_answer_is_a_note_not_its_reason(rt: Runtime) -> None:
    data = rt.config.service.data_dir
    (invitation,) = mail_for(data, "dewi@example.org", "Undangan")
    reply(rt, "dewi@example.org", invitation, "Sy baru bisa dtg jam 3, tolong sisakan kursi ya\n")
    (answer,) = [r for r in rt.store.state.answers if r["email"] == "dewi@example.org"]
    assert (answer["status"], answer.get("reason"), answer["note"]) == (
        "ACCEPTED", None, "tolong sisakan kursi ya")
    assert posts(rt) == []


def test_a_reply_to_the_confirmation_changes_the_answer_and_is_no_post(rt: Runtime) -> None:
    """The confirmation says "Jika rencana berubah, cukup balas email ini lagi": the reply
    was posted to everyone instead."""
    data = rt.config.service.data_dir
    (invitation,) = mail_for(data, "dewi@example.org", "Undangan")
    reply(rt, "dewi@example.org", invitation, "Saya hadir\n")
    (told,) = mail_for(data, "dewi@example.org", "tercatat")
    reply(rt, "dewi@example.org", told, "Maaf bu, ternyata tidak bisa hadir\n",
          when=T0 + timedelta(hours=3))
    assert rt.store.state.rsvp_of(KEY, "dewi@example.org", OCC) == "DECLINED"
    assert posts(rt) == []
