"""Found by playing a KKG's weeks end to end (issue 17), through `tick` as the daemon runs it:
what an organizer and members wrote, and what they got back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.daemon import Runtime, tick
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, signed, write_config
from tests.test_answers_wiring import FIRST, KEY, OCC, T0, posts, reply
from tests.test_pipeline import mail_for

RINA = """
  [[community.member]]
  email = "rina@example.org"
  name = "Rina Marlina, S.Pd., M.Pd."
  delivery = "each"
"""

# monthly on the second Saturday, 08:00 WITA; December's moved to Saturday the 19th, 09:00
MOVED = """
  [[community.meeting]]
  id = "rutin"
  title = "Pertemuan rutin KKG"
  start = 2026-12-12T08:00:00
  timezone = "Asia/Makassar"
  duration = "2 jam"
  repeat = "bulanan"
  on = "sabtu ke-2"
  until = 2027-06-25
  moved = [{ date = 2026-12-12, to = 2026-12-19T09:00:00 }]
  remind = ["1 hari"]
"""


def cop(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    runtime = open_runtime(write_config(tmp_path, extra=RINA))
    tick(runtime, T0)
    return runtime


def test_who_came_with_one_excused_leaves_no_one_unrecorded(rt: Runtime) -> None:
    # "Yang hadir: ... Pak Budi izin." recorded Budi absent and nothing for the others
    # who were not named, and the confirmation did not name them
    after = FIRST + timedelta(hours=2, minutes=30)
    tick(rt, after)
    data = rt.config.service.data_dir
    (roll,) = mail_for(data, "siti@example.org", "Daftar hadir")
    reply(rt, "siti@example.org", roll, "Yang hadir: Bu Dewi dan saya. Pak Budi izin.\n",
          when=after + timedelta(minutes=5))
    state = rt.store.state
    assert {e: state.attended(KEY, OCC, e) for e in (
        "siti@example.org", "dewi@example.org", "budi@example.org", "agus@example.org",
        "rina@example.org")} == {
        "siti@example.org": True, "dewi@example.org": True, "budi@example.org": False,
        "agus@example.org": False, "rina@example.org": False}
    (recorded,) = mail_for(data, "siti@example.org", "Daftar hadir tercatat")
    text = recorded.get_body(("plain",)).get_content()
    assert "Tidak hadir (3)" in text and "Agus Wibowo" in text and "Rina Marlina" in text


def test_sorry_i_missed_it_on_the_notes_is_posted_and_no_answer_for_the_next(
        rt: Runtime) -> None:
    # was recorded as "not coming" to the next meeting, and the apology cut from the post
    after = FIRST + timedelta(hours=2, minutes=30)
    tick(rt, after)
    data = rt.config.service.data_dir
    (notes,) = mail_for(data, "dewi@example.org", "Catatan pertemuan")
    said = ("Mohon maaf saya tidak bisa hadir tadi karena anak sakit. Apakah ada materi "
            "yang bisa dibagikan?\n")
    reply(rt, "dewi@example.org", notes, said, when=after + timedelta(minutes=20))
    state = rt.store.state
    for occurrence in ("2026-12-11T14:00:00+07:00", "2027-01-08T14:00:00+07:00"):
        assert state.rsvp_of(KEY, "dewi@example.org", occurrence) == "NEEDS-ACTION"
    assert "Mohon maaf saya tidak bisa hadir tadi karena anak sakit." in posts(rt)[-1]
    assert [m for m in mail_for(data, "dewi@example.org") if "tercatat" in str(m["Subject"])
            ] == []


def test_a_pause_with_a_reason_is_set_not_refused(rt: Runtime) -> None:
    rt.store.archive.add(make_mail(
        sender="Budi <budi@example.org>", subject="jeda",
        body="jeda sampai 2 Januari, saya cuti melahirkan istri\n", headers=signed()))
    tick(rt, T0 + timedelta(hours=1))
    data = rt.config.service.data_dir
    (told,) = mail_for(data, "budi@example.org", "Pengaturan email")
    text = told.get_body(("plain",)).get_content()
    assert "dijeda sampai" in text and "2 Januari 2027" in text, text
    assert posts(rt) == []


def test_an_unverified_join_is_named_a_join_to_the_moderator(rt: Runtime) -> None:
    # the moderator's mail was titled "Perlu persetujuan: h1"
    rt.store.archive.add(make_mail(sender="Putu <putu@example.net>", subject="gabung",
                                   body="gabung\n"))
    tick(rt, T0 + timedelta(hours=1))
    (hold,) = mail_for(rt.config.service.data_dir, "siti@example.org", "bergabung")
    assert str(hold["Subject"]) == "[KKG] Permintaan bergabung (h1)"  # the address unproven
    assert "putu@example.net" in hold.get_body(("plain",)).get_content()


@pytest.fixture
def moved(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    config = write_config(tmp_path, meeting=False, extra=MOVED)
    runtime = open_runtime(config)
    tick(runtime, T0)
    return runtime


def test_an_answer_for_a_moved_meeting_is_told_by_its_new_day(moved: Runtime) -> None:
    # the attention mail said "(2026-12-12)" for the meeting held on the 19th
    data = moved.config.service.data_dir
    tick(moved, datetime(2026, 12, 18, 1, 30, tzinfo=UTC))  # a day before, 09:30 WITA
    (reminder,) = mail_for(data, "agus@example.org", "Pengingat")
    assert "19 Desember 2026" in reminder.get_body(("plain",)).get_content()
    reply(moved, "agus@example.org", reminder, "Insyaallah hadir.\n",
          when=datetime(2026, 12, 18, 2, 0, tzinfo=UTC))
    (attention,) = mail_for(data, "siti@example.org", "Perlu perhatian")
    text = attention.get_body(("plain",)).get_content()
    assert "2026-12-19" in text or "19 Desember 2026" in text, text
    assert "2026-12-12" not in text and "12 Desember" not in text

    # `cop meetings`: each date with the answers that hold for it, in the community's zone
    # (WIB: the meeting alone is given WITA)
    path = str(moved.config.path)
    code, out, err = cop("--config", path, "meetings", "--now", "2026-12-18T10:00:00+08:00")
    assert code == 0, err
    lines = out.splitlines()
    first = lines.index("  Sabtu, 19 Desember 2026 pukul 08.00 WIB (dipindah dari Sabtu, "
                        "12 Desember 2026)")
    assert lines[first + 1] == "    ACCEPTED     agus@example.org (Agus Wibowo)"
    assert lines[first + 2].startswith("    NEEDS-ACTION budi@example.org, ")
    second = lines.index("  Sabtu, 9 Januari 2027 pukul 07.00 WIB")
    assert lines[second + 1].startswith("    NEEDS-ACTION agus@example.org, budi@")


def test_cop_meetings_lists_who_joined_by_email_and_not_who_left(rt: Runtime) -> None:
    rt.store.archive.add(make_mail(sender="Agus <agus@example.org>", subject="keluar",
                                   body="keluar\n", headers=signed()))
    tick(rt, T0 + timedelta(hours=1))
    code, out, err = cop("--config", str(rt.config.path), "meetings", "--json")
    assert code == 0, err
    import json
    (meeting,) = json.loads(out)
    assert "agus@example.org" not in meeting["rsvp"]
    assert "rina@example.org" in meeting["occurrences"][0]["rsvp"]


def test_a_broken_cop_toml_is_told_in_its_own_language_by_every_verb(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    path = config.path
    path.write_text(path.read_text().replace('at = "15:00"', 'at = "jam tiga"'))
    code, _, err = cop("--config", str(path), "threads")
    assert code == 1
    assert "'jam tiga' bukan jam" in err and "1 masalah" in err and "problem" not in err
    code, _, err = cop("--config", str(path), "status")
    assert "cop.toml: 1 masalah" in err and "problem" not in err
