"""`cop init` as a KKG organizer meets it (issue 17), and `cop help config`."""

from __future__ import annotations

import importlib
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.config import interview, load_config, parse_config
from mailer.config.days import parse_breaks
from mailer.config.people import parse_people, propose_tag

ROOT = Path(__file__).resolve().parent.parent
init_cli = importlib.import_module("mailer.cli.init")  # mailer.cli.init is also the command


def cop(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_help_config_prints_the_reference_which_is_shipped_inside_the_package() -> None:
    code, out, _ = cop("help", "config")
    assert code == 0
    assert out == (ROOT / "config" / "reference.toml").read_text()
    assert 'on = "sabtu ke-2"' in out and "[[community.meeting]]" in out
    parse_config(out, Path("/x/cop.toml"), {})  # itself a valid cop.toml
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]
    assert wheel["targets"]["wheel"]["force-include"]["config/reference.toml"] == \
        "mailer/reference.toml"


# --- the interview, as a KKG organizer answers it ------------------------------------------

KKG = {
    "name": "KKG Gugus III Kecamatan Selaparang", "tag": "", "address": "kkg3@example.org",
    "purpose": "Belajar bersama", "needs": "asesmen, diferensiasi",
    "benefits": "berbagi praktik baik", "timezone": "WITA", "meet": "bulanan",
    "day": "Sabtu minggu kedua", "time": "08.00", "duration": "2 jam", "first": "12/12/2026",
    "until": "", "breaks": "21/12/2026 - 03/01/2027 Libur semester", "online": "",
    "place": "SDN 1 Selaparang", "whatsapp": "",
    "moderators": "Sri Wahyuni, S.Pd. <sri@example.org>",
    "members": "Budi Santoso, S.Pd.SD <budi@example.org>, Ani <ani@example.org>\n"
               "joko@example.org\n",
    "digest": "rangkuman mingguan",
}


NOW = "2026-11-28T10:00:00+08:00"  # the interview as if on this day (defaults, preview)


def lines(answers: dict[str, str], *extra: str) -> str:
    return "\n".join([*answers.values(), *extra]) + "\n"


def test_a_kkg_organizer_gets_the_second_saturday_names_whole_and_a_preview(
        tmp_path: Path) -> None:
    path = tmp_path / "cop.toml"
    answers = dict(KKG, day="sabtu\nSabtu minggu kedua", first="5/12/2026\n12/12/2026")
    code, out, err = cop("--config", str(path), "init", "--now", NOW,
                         input=lines(answers, "ya"))
    assert code == 0, err
    # each wrong answer is said at once, in Indonesian, and asked again
    assert "Sabtu minggu ke berapa?; tulis misalnya \"sabtu ke-2\"" in err
    assert "Sabtu, 5 Desember 2026 bukan Sabtu ke-2; yang berikutnya Sabtu, 12 Desember " \
           "2026 (12/12/2026)" in err
    # the preview, in the community's language and zone, before the question
    preview = out[out.index("Inilah yang akan dilakukan"):out.index("Tulis ")]
    assert "(Sabtu ke-2 setiap bulan)" in preview
    assert "Sabtu, 12 Desember 2026 pukul 08.00 WITA" in preview
    assert "Sabtu, 9 Januari 2027 pukul 08.00 WITA" in preview
    assert "Sri Wahyuni, S.Pd. <sri@example.org> (moderator, setiap pesan)" in preview
    text = path.read_text()
    assert "`cop help config`" in text and "config/reference.toml" not in text
    community = load_config(path).communities[0]
    assert community.subject_tag == "[KKG Gugus III]"
    assert community.timezone.key == "Asia/Makassar"
    assert [(m.name, m.email, m.delivery) for m in community.members] == [
        ("Budi Santoso, S.Pd.SD", "budi@example.org", "digest"),
        ("Ani", "ani@example.org", "digest"),
        ("joko", "joko@example.org", "digest"),
        ("Sri Wahyuni, S.Pd.", "sri@example.org", "each"),
    ]
    assert community.moderators == ("sri@example.org",)
    assert community.digest.every == "week"
    meeting = community.meetings[0]
    assert meeting.rrule == "FREQ=MONTHLY;BYDAY=2SA"
    assert meeting.duration == timedelta(hours=2)
    assert meeting.start == datetime(2026, 12, 12, 8, 0, tzinfo=ZoneInfo("Asia/Makassar"))
    assert meeting.until == date(2027, 6, 25)  # end of the next semester
    assert [(b.start, b.end, b.name) for b in meeting.breaks] == [
        (date(2026, 12, 21), date(2027, 1, 3), "Libur semester")]
    code, out, _ = cop("--config", str(path), "check", "--now", "2026-12-01T10:00:00")
    assert code == 0 and "berikutnya: Sabtu, 12 Desember 2026 pukul 08.00 WITA" in out


def test_no_answer_is_lost_a_bad_one_is_asked_again_and_one_can_be_changed(
        tmp_path: Path) -> None:
    path = tmp_path / "cop.toml"
    answers = dict(KKG, duration="dua jam lagi\n1,5 jam", time="pagi\njam 8 pagi",
                   breaks="21/12/2026 s/d 3/1/2027; libur\n21/12/2026 s/d 3/1/2027")
    # at the end: change question 11 (duration) to "90 menit", then write
    code, out, err = cop("--config", str(path), "init", "--now", NOW,
                         input=lines(answers, "11", "90 menit", "ya"))
    assert code == 0, err
    assert "'dua jam lagi' bukan lama waktu" in err and "'pagi' bukan jam" in err
    assert "'libur' tidak memuat tanggal" in err
    assert out.count("Inilah yang akan dilakukan") == 2
    meeting = load_config(path).communities[0].meetings[0]
    assert meeting.duration == timedelta(minutes=90) and meeting.start.hour == 8
    assert (meeting.breaks[0].start, meeting.breaks[0].end) == (date(2026, 12, 21),
                                                                date(2027, 1, 3))


def test_saying_no_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "cop.toml"
    code, _, err = cop("--config", str(path), "init", input=lines(KKG, "tidak"))
    assert code == 1 and "belum ada yang ditulis" in err
    assert not path.exists()


def test_answers_that_end_early_write_nothing(tmp_path: Path) -> None:
    path = tmp_path / "cop.toml"
    code, _, err = cop("--config", str(path), "init", input="KKG Gugus 1\n\n")
    assert code == 1 and "wawancara berhenti sebelum selesai" in err
    assert not path.exists()


def test_a_problem_found_at_the_end_asks_that_question_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Should a check ever let an answer through that cop.toml refuses, the organizer is
    asked that question again instead of losing the twenty answers."""
    real = interview.check_answer

    def lenient(key: str, value: str, answers: Any, today: date) -> Any:
        return None if key == "address" else real(key, value, answers, today)

    monkeypatch.setattr(init_cli, "check_answer", lenient)
    path = tmp_path / "cop.toml"
    answers = dict(KKG, address="kkg tiga")
    code, out, err = cop("--config", str(path), "init",
                         input=lines(answers, "kkg3@example.org", "ya"))
    assert code == 0, err
    assert "'kkg tiga' bukan alamat email" in err
    assert out.count("3. Alamat email komunitas") == 2  # asked again, the rest kept
    assert "3. Alamat email komunitas (untuk menulis ke semua) [kkg tiga]" in out
    assert load_config(path).communities[0].address == "kkg3@example.org"


def test_by_flags_in_english_with_last_friday(tmp_path: Path) -> None:
    path = tmp_path / "cop.toml"
    code, out, err = cop(
        "--config", str(path), "init", "--language", "en", "--defaults", "--now", NOW,
        "--name", "MGMP Bahasa Inggris Kabupaten Lombok Barat", "--address",
        "mgmp@example.org", "--timezone", "WITA", "--meet", "monthly", "--day", "last friday",
        "--time", "2 pm", "--duration", "90 minutes", "--first", "29/01/2027",
        "--breaks", "2027-03-08..2027-03-16 Ramadan", "--online", "meet.jit.si/mgmp-lobar",
        "--moderators", "Drs. H. Ahmad, M.Pd. <ahmad@example.org>",
        "--members", "Lina <lina@example.org>; ahmad@example.org", "--digest", "never")
    assert code == 0, err
    assert "This is what cop.toml will do:" in out
    assert "(the last Friday of every month)" in out
    assert "next: Friday, 29 January 2027 at 14:00 WITA" in out
    community = load_config(path).communities[0]
    assert community.subject_tag == "[MGMP Bahasa]"
    meeting = community.meetings[0]
    assert meeting.rrule == "FREQ=MONTHLY;BYDAY=-1FR"
    assert meeting.online == "https://meet.jit.si/mgmp-lobar"
    assert meeting.duration == timedelta(minutes=90)
    # no digest: everyone receives each post; the moderator keeps the name with degrees
    assert [(m.name, m.delivery) for m in community.members] == [
        ("Lina", "each"), ("Drs. H. Ahmad, M.Pd.", "each")]
    assert "Every key is explained by `cop help config`." in path.read_text()


def test_a_bad_flag_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "cop.toml"
    code, _, err = cop("--config", str(path), "init", "--defaults", "--duration", "lama",
                       "--language", "en")
    assert code == 1
    assert "--duration: 'lama' is not a duration; write e.g." in err
    assert not path.exists()
    code, _, err = cop("--config", str(path), "init", "--defaults", "--duration", "2 jam")
    assert code == 0, err
    assert load_config(path).communities[0].meetings[0].duration == timedelta(hours=2)


@pytest.mark.parametrize(("text", "people"), [
    ("Sri Wahyuni, S.Pd. <sri@x.org>", [("Sri Wahyuni, S.Pd.", "sri@x.org")]),
    ("Sri Wahyuni, S.Pd. <sri@x.org>, Budi <budi@x.org>",
     [("Sri Wahyuni, S.Pd.", "sri@x.org"), ("Budi", "budi@x.org")]),
    ("a@x.org, b@x.org; c@x.org", [("", "a@x.org"), ("", "b@x.org"), ("", "c@x.org")]),
    ('"Santoso, Budi" <b@x.org>\nani@x.org (Ani Lestari)',
     [("Santoso, Budi", "b@x.org"), ("Ani Lestari", "ani@x.org")]),
    ("Drs. H. Ahmad, M.Pd. <ahmad@x.org>, Dra. Siti, M.Si. <siti@x.org>",
     [("Drs. H. Ahmad, M.Pd.", "ahmad@x.org"), ("Dra. Siti, M.Si.", "siti@x.org")]),
])
def test_member_lists_keep_names_with_degrees_and_commas(
        text: str, people: list[tuple[str, str]]) -> None:
    assert [(p.name, p.email) for p in parse_people(text)] == people


@pytest.mark.parametrize("text", ["Budi Santoso", "Budi <budi@x>", "Ani <ani@x.org>, Budi"])
def test_member_lists_name_an_entry_without_an_address(text: str) -> None:
    with pytest.raises(ValueError):
        parse_people(text)


@pytest.mark.parametrize(("name", "tag"), [
    ("KKG Gugus III Kecamatan Selaparang", "[KKG Gugus III]"),
    ("MGMP Biologi Kota", "[MGMP Biologi Kota]"),
    ("KKG Matematika Gugus 3", "[KKG Matematika]"),
    ("Komunitasbelajarguruindonesiaraya", "[Komunitasbelajargu]"),
])
def test_a_short_subject_tag_is_proposed_from_the_name(name: str, tag: str) -> None:
    assert propose_tag(name) == tag and len(tag) <= 20


@pytest.mark.parametrize(("text", "start", "end", "name"), [
    ("21/12/2026 - 03/01/2027", date(2026, 12, 21), date(2027, 1, 3), ""),
    ("21/12/2026 s/d 3/1/2027 Libur semester", date(2026, 12, 21), date(2027, 1, 3),
     "Libur semester"),
    ("Libur semester: 21-12-2026 sampai 03-01-2027", date(2026, 12, 21), date(2027, 1, 3),
     "Libur semester"),
    ("2026-12-21..2027-01-03 Term break", date(2026, 12, 21), date(2027, 1, 3), "Term break"),
    ("17/08/2027 HUT RI", date(2027, 8, 17), date(2027, 8, 17), "HUT RI"),
    ("21 Desember 2026 - 3 Januari 2027", date(2026, 12, 21), date(2027, 1, 3), ""),
])
def test_breaks_as_people_write_them(text: str, start: date, end: date, name: str) -> None:
    (pause,) = parse_breaks(text)
    assert (pause.start, pause.end, pause.name) == (start, end, name)


def test_defaults_take_the_next_such_day_and_the_end_of_the_semester(tmp_path: Path) -> None:
    path = tmp_path / "cop.toml"
    code, _, err = cop("--config", str(path), "init", "--defaults", "--now", NOW,
                       "--meet", "sebulan sekali", "--day", "sabtu ke-2")
    assert code == 0, err
    meeting = load_config(path).communities[0].meetings[0]
    assert meeting.start.date() == date(2026, 12, 12) and meeting.until == date(2027, 6, 25)
    assert 'on = "sabtu ke-2" # Sabtu ke-2 setiap bulan' in path.read_text()


def test_a_single_meeting_and_none(tmp_path: Path) -> None:
    path = tmp_path / "cop.toml"
    code, _, err = cop("--config", str(path), "init", "--defaults", "--now", NOW,
                       "--meet", "sekali", "--first", "1/12/2026", "--day", "ignored")
    assert code == 0, err
    (meeting,) = load_config(path).communities[0].meetings
    assert meeting.rrule is None and meeting.skip_holidays is None
    assert meeting.start.date() == date(2026, 12, 1)
    code, _, err = cop("--config", str(path), "init", "--defaults", "--force",
                       "--meet", "tidak")
    assert code == 0, err
    assert load_config(path).communities[0].meetings == ()
