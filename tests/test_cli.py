from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.config import load_config
from tests.helpers import mark_edited

ROOT = Path(__file__).resolve().parent.parent


def cop(*args: str, input: str | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(main, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_check_summarizes_the_shipped_config() -> None:
    code, out, _ = cop("--config", str(ROOT / "cop.toml"), "check", "--now",
                       "2026-11-28T10:00:00")
    assert code == 0
    # in the community's language since issue 17 (was: "community ...", "next: ", "skip: ")
    assert "komunitas kkg-matematika" in out
    assert "pertemuan rutin \"Pertemuan rutin KKG\" (setiap Jumat)" in out
    assert "berikutnya: Jumat, 4 Desember 2026 pukul 14.00 WIB" in out
    assert "dilewati: Jumat, 25 Desember 2026 pukul 14.00 WIB (Libur semester)" in out
    assert "rangkuman: setiap Jumat pukul 15.00 WIB" in out


def test_check_lists_problems_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "cop.toml"
    path.write_text('[service]\ntimezone = "Mars/Olympus"\n[[community]]\nid = "a"\n')
    code, out, err = cop("--config", str(path), "check")
    assert code == 1
    lines = out.strip().splitlines()
    # [service] language defaults to id: the problems are in Indonesian since issue 17
    assert lines[0].startswith("cop.toml:2: 'timezone': zona waktu 'Mars/Olympus' tidak dikenal")
    assert any(line.startswith("cop.toml:3: kunci wajib 'name' belum ada") for line in lines)
    assert "masalah" in err
    path.write_text('[service]\nlanguage = "en"\ntimezone = "Mars/Olympus"\n[[community]]\n'
                    'id = "a"\n')
    code, out, err = cop("--config", str(path), "check")
    assert code == 1
    lines = out.strip().splitlines()
    assert lines[0].startswith("cop.toml:3: 'timezone': unknown time zone")
    assert any(line.startswith("cop.toml:4: missing required key 'name'") for line in lines)
    assert "3 problems in" in err  # counted as written (was "problem(s)")


def test_check_says_each_hint_once_and_warns_of_a_drifting_monthly_day(tmp_path: Path) -> None:
    path = tmp_path / "cop.toml"
    text = (ROOT / "cop.toml").read_text()
    at_line = text[:text.index('at = "15:00"')].count("\n") + 1
    repeat_line = text[:text.index('repeat = "weekly"')].count("\n") + 1
    path.write_text(text.replace('at = "15:00"', 'at = "sore hari"'))
    code, out, _ = cop("--config", str(path), "check")
    assert code == 1
    (line,) = out.strip().splitlines()
    assert line.count("tulis misalnya") == 1 and line.count("15.00") == 1, line
    assert line.startswith(f"cop.toml:{at_line}: 'at': 'sore hari' bukan jam; tulis misalnya")
    path.write_text(text.replace('at = "15:00"', 'at = "jam 3 sore"')
                    .replace('duration = "90m"', 'duration = "2 jam"')
                    .replace('every = "week"', 'every = "rangkuman mingguan"')
                    .replace('repeat = "weekly"', 'rrule = "FREQ=MONTHLY"'))
    code, out, _ = cop("--config", str(path), "check", "--now", "2026-11-28T10:00:00")
    assert code == 0, out
    assert "rangkuman: setiap Jumat pukul 15.00 WIB" in out
    assert (f"peringatan: cop.toml:{repeat_line}: pertemuan bulanan ini tetap di tanggal 4, "
            "jadi harinya berganti: Jumat 4 Desember 2026, Senin 4 Januari 2027") in out
    path.write_text(path.read_text().replace('language = "id"', 'language = "en"'))
    code, out, _ = cop("--config", str(path), "check", "--now", "2026-11-28T10:00:00")
    assert code == 0
    assert "community kkg-matematika" in out and "next: Friday, 4 December 2026 at 14:00" in out
    assert f"warning: cop.toml:{repeat_line}: this monthly meeting keeps day 4" in out


def test_unknown_ids_are_user_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = str(ROOT / "cop.toml")
    monkeypatch.chdir(tmp_path)
    code, _, err = cop("--config", config, "members", "--community", "nope")
    assert code == 1 and "no community 'nope'" in err
    code, _, err = cop("--config", config, "thread", "t99")
    assert code == 1 and "no thread 't99'" in err


def test_init_from_flags_writes_a_config_that_passes_check(tmp_path: Path) -> None:
    path = tmp_path / "cop.toml"
    code, _out, err = cop(
        "--config", str(path), "init", "--language", "en", "--defaults",
        "--name", "MGMP Biologi Kota", "--address", "mgmp-bio@example.org",
        "--purpose", "Share lab practice", "--meet", "biweekly", "--day", "wednesday",
        "--time", "13:30", "--first", "2027-01-06", "--until", "2027-06-23",
        "--breaks", "2027-03-08..2027-03-16 Idul Fitri", "--timezone", "WITA",
        "--online", "https://meet.jit.si/mgmp-bio", "--moderators", "rina@example.org",
        "--members", "Rina <rina@example.org>, Tono <tono@example.org>")
    assert code == 0, err
    config = load_config(path)
    community = config.communities[0]
    assert community.id == "mgmp-biologi-kota" and community.language == "en"
    assert community.timezone.key == "Asia/Makassar"
    assert [m.email for m in community.members] == ["rina@example.org", "tono@example.org"]
    meeting = community.meetings[0]
    assert meeting.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"
    assert meeting.breaks[0].name == "Idul Fitri"
    assert "#" in path.read_text()  # commented
    code, _, _ = cop("--config", str(path), "check")
    assert code == 0


def test_init_answers_from_stdin_in_indonesian(tmp_path: Path) -> None:
    # Issue 17 changed the interview: a subject tag is asked second, "sabtu" alone is not
    # enough for a monthly meeting (asked again: which Saturday), the member list ends with
    # an empty line, and the file is written after a "ya". The old rule was FREQ=MONTHLY.
    path = tmp_path / "cop.toml"
    answers = "\n".join([
        "KKG PJOK Gugus 1", "", "kkg-pjok@example.org", "Berbagi ide pembelajaran olahraga",
        "permainan tradisional, penilaian", "ide baru", "WIB", "bulanan", "sabtu",
        "sabtu ke-2", "08:00", "2h", "2027-01-09", "", "", "", "Lapangan SDN 2", "",
        "ani@example.org", "Ani <ani@example.org>, Joko <joko@example.org>", "", "bulanan",
        "ya",
    ]) + "\n"
    code, out, err = cop("--config", str(path), "init", input=answers)
    assert code == 0, err
    assert "Sabtu minggu ke berapa?" in err
    assert "Selesai" in out
    community = load_config(path).communities[0]
    assert community.digest.every == "month"
    assert community.subject_tag == "[KKG PJOK Gugus 1]"
    assert community.meetings[0].location == "Lapangan SDN 2"
    assert community.meetings[0].rrule == "FREQ=MONTHLY;BYDAY=2SA"


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "cop.toml"
    path.write_text("x")
    code, _, err = cop("--config", str(path), "init", "--defaults")
    assert code == 1 and "sudah ada" in err  # Indonesian by default since issue 17
    code, _, err = cop("--config", str(path), "init", "--defaults", "--language", "en")
    assert code == 1 and "exists" in err
    assert path.read_text() == "x"


@pytest.mark.slow
def test_demo_then_listing_verbs_print_json(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    code, out, err = cop("demo", "--dir", str(folder))
    assert code == 0, err
    assert "Dewi presses Reply" in out
    config = str(folder / "cop.toml")
    code, out, _ = cop("--config", config, "threads", "--json")
    threads = json.loads(out)
    assert len(threads) == 1 and len(threads[0]["posts"]) == 2
    assert set(threads[0]) >= {"id", "community", "subject", "started", "last_activity",
                               "posts"}
    assert set(threads[0]["posts"][0]) >= {"message_id", "from", "name", "date", "body"}
    code, out, _ = cop("--config", config, "outbox", "--json")
    items = json.loads(out)
    assert items and {i["state"] for i in items} == {"sent"}
    assert set(items[0]) >= {"id", "to", "subject", "state", "attempts", "next_try", "error"}
    code, out, _ = cop("--config", config, "meetings", "--json")
    (meeting,) = json.loads(out)
    assert meeting["sequence"] == 0 and meeting["occurrences"]
    assert set(meeting["rsvp"].values()) == {"NEEDS-ACTION"}
    code, out, _ = cop("--config", config, "members", "--community", "kkg-matematika",
                       "--json")
    assert {m["state"] for m in json.loads(out)} == {"active"}
    code, out, _ = cop("--config", config, "holds", "--json")
    assert json.loads(out) == []
    code, out, _ = cop("--config", config, "digest", "preview", "--community",
                       "kkg-matematika", "--format", "whatsapp")
    assert out.startswith("*Rangkuman KKG Matematika Gugus 3*")


def test_run_once_now_sends_what_is_due_and_exits(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    from tests.helpers import write_config

    config = write_config(tmp_path)
    code, _, err = cop("--config", str(config.path), "run", "--once", "--now",
                       "2026-12-01T09:00:00")
    assert code == 0, err
    sent = list((config.service.data_dir / "outbox" / "new").iterdir())
    assert len(sent) == 4  # the meeting invitation, one per member
    assert any("meeting community=kkg meeting=rutin sequence=0 requests=4" in r.getMessage()
               for r in caplog.records)
    code, _, _ = cop("--config", str(config.path), "run", "--once", "--now",
                     "2026-12-01T09:01:00")
    assert code == 0
    assert len(list((config.service.data_dir / "outbox" / "new").iterdir())) == 4


def test_run_refuses_a_broken_config_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cop.toml"
    path.write_text('[service]\nlanguage = "fr"\n[[community]]\nid = "a"\nname = "A"\n'
                    'address = "a@example.org"\n')
    code, _, err = cop("--config", str(path), "run", "--once")
    assert code == 1
    assert "cop.toml:2: 'language'" in err


def test_an_invalid_edit_keeps_the_last_good_config(tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    from mailer.daemon import Runtime
    from mailer.edges.store import FileStore as Store
    from tests.helpers import write_config

    config = write_config(tmp_path)
    rt = Runtime(config, Store(config.service.data_dir))
    text = config.path.read_text()
    config.path.write_text(text.replace('duration = "90m"', 'duration = "sembilan puluh"'))
    mark_edited(config.path)
    assert not rt.reload_if_changed()
    assert rt.config is config
    rt.close()
    assert any("config invalid, keeping the last good one: cop.toml:" in r.getMessage()
               for r in caplog.records)


def test_times_are_shown_in_the_communitys_zone(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from mailer.daemon import Runtime, tick
    from mailer.edges.store import FileStore
    from tests.helpers import make_mail, write_config

    config = write_config(tmp_path, meeting=False)
    config.path.write_text(config.path.read_text().replace('"Asia/Jakarta"', '"WITA"'))
    config = load_config(config.path)
    rt = Runtime(config, FileStore(config.service.data_dir))
    rt.store.archive.add(make_mail(subject="Pecahan"))
    tick(rt, datetime(2026, 12, 5, 12, 15, tzinfo=UTC))  # 20.15 WITA
    rt.close()
    code, out, _ = cop("--config", str(config.path), "threads")
    assert code == 0 and "2026-12-05 20:15 WITA" in out
    code, out, _ = cop("--config", str(config.path), "thread", "t1")
    assert "2026-12-05 20:15 WITA" in out


def test_verbs_that_only_read_need_no_passwords(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers import write_config

    monkeypatch.delenv("COP_IMAP_PASSWORD", raising=False)
    config = write_config(tmp_path, meeting=False, inbound=(
        'protocol = "imap"\nhost = "imap.example.org"\nusername = "kkg@example.org"\n'
        'password = "set-later"'))
    config.path.write_text(config.path.read_text().replace('"set-later"',
                                                           '"${COP_IMAP_PASSWORD}"'))
    code, out, err = cop("--config", str(config.path), "threads")
    assert code == 0, err
    code, out, err = cop("--config", str(config.path), "holds", "--json")
    assert code == 0 and json.loads(out) == []
    code, _, err = cop("--config", str(config.path), "run", "--once")
    assert code == 1 and "COP_IMAP_PASSWORD" in err
