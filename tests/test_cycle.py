"""The meeting cycle: reminders before, a notes thread and a roll-call after, the ledger."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
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
FIRST = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)  # Friday 14:00 WIB, 90 minutes
KEY, OCC = "kkg/rutin", "2026-12-04T14:00:00+07:00"


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    config = write_config(tmp_path)
    runtime = open_runtime(config)
    tick(runtime, T0)
    return runtime


def answer_invitation(rt: Runtime, who: str, words: str) -> None:
    invitation = mail_for(rt.config.service.data_dir, who, "Undangan")[0]
    rt.store.archive.add(make_mail(sender=f"X <{who}>", subject="Re: Undangan", body=words,
                                   to=invitation["Reply-To"].addresses[0].addr_spec,
                                   in_reply_to=str(invitation["Message-ID"])))
    tick(rt, T0 + timedelta(hours=1))


def test_a_reminder_a_day_before_to_everyone_who_did_not_decline(rt: Runtime) -> None:
    answer_invitation(rt, "agus@example.org", "tidak bisa\n")
    tick(rt, FIRST - timedelta(days=1, minutes=1))
    assert mail_for(rt.config.service.data_dir, "budi@example.org", "Pengingat") == []
    tick(rt, FIRST - timedelta(days=1))
    tick(rt, FIRST - timedelta(hours=3))
    data = rt.config.service.data_dir
    (reminder,) = mail_for(data, "budi@example.org", "Pengingat")
    text = reminder.get_body(("plain",)).get_content()
    assert "Jumat, 4 Desember 2026 pukul 14.00 WIB" in text
    assert "https://meet.jit.si/kkg-test" in text and "Agenda: Pecahan" in text
    assert mail_for(data, "agus@example.org", "Pengingat") == []


def test_after_the_meeting_a_notes_thread_and_a_roll_call(rt: Runtime) -> None:
    answer_invitation(rt, "dewi@example.org", "hadir\n")
    after = FIRST + timedelta(hours=2, minutes=30)
    tick(rt, after)
    tick(rt, after + timedelta(minutes=5))
    data = rt.config.service.data_dir
    (notes,) = [t for t in rt.store.state.threads.values() if t.subject.startswith("Catatan")]
    assert notes.subject == "Catatan pertemuan: Pertemuan rutin, Jumat, 4 Desember 2026"
    (copy,) = mail_for(data, "dewi@example.org", "Catatan pertemuan")
    rt.store.archive.add(make_mail(
        sender="Dewi <dewi@example.org>", to=str(copy["Reply-To"].addresses[0].addr_spec),
        subject="Re: " + str(copy["Subject"]), body="Kami mencoba kartu pecahan.\n"))
    tick(rt, after + timedelta(minutes=10))
    assert notes.id in {t.id for t in rt.store.state.threads.values()}
    assert rt.store.state.threads[notes.id].posts[-1].body == "Kami mencoba kartu pecahan."

    (roll,) = mail_for(data, "siti@example.org", "Daftar hadir")
    text = roll.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "[x] Dewi Lestari <dewi@example.org>" in text  # from her RSVP
    assert "[ ] Budi Santoso <budi@example.org>" in text
    marked = text.replace("[ ] Budi Santoso", "[x] Budi Santoso")
    rt.store.archive.add(make_mail(
        subject="Re: " + str(roll["Subject"]), message_id="<roll-answer@example.org>",
        to=roll["Reply-To"].addresses[0].addr_spec,  # the address mailed to her only
        in_reply_to=str(roll["Message-ID"]),
        body="Sudah saya tandai.\n\n" + "\n".join("> " + ln for ln in marked.splitlines())))
    tick(rt, after + timedelta(minutes=15))
    state = rt.store.state
    assert state.attended(KEY, OCC, "budi@example.org") is True
    assert state.attended(KEY, OCC, "dewi@example.org") is True
    assert state.attended(KEY, OCC, "agus@example.org") is False
    assert state.messages["<roll-answer@example.org>"] == "attendance"


def test_only_organizers_take_the_roll(rt: Runtime) -> None:
    tick(rt, FIRST + timedelta(hours=2, minutes=30))
    (roll,) = mail_for(rt.config.service.data_dir, "siti@example.org", "Daftar hadir")
    rt.store.archive.add(make_mail(sender="Budi <budi@example.org>", subject="Re: x",
                                   body="[x] Budi Santoso <budi@example.org>\n",
                                   in_reply_to=str(roll["Message-ID"])))
    # nor an organizer's address without the answer address mailed to her
    rt.store.archive.add(make_mail(sender="Siti <siti@example.org>", subject="Re: x",
                                   body="[x] Budi Santoso <budi@example.org>\n",
                                   in_reply_to=str(roll["Message-ID"])))
    tick(rt, FIRST + timedelta(hours=3))
    assert rt.store.state.attended(KEY, OCC, "budi@example.org") is None


def cop(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_roll_call_by_cli_and_the_csv_export(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    path = str(config.path)
    code, _, err = cop("--config", path, "attendance", "mark", "--community", "kkg",
                       "--meeting", "rutin", "--date", "2026-12-04",
                       "--present", "budi@example.org", "--present", "dewi@example.org",
                       "--absent", "agus@example.org")
    assert code == 0, err
    # while the daemon holds data_dir, the mark waits for its next tick
    lock = DataDirLock(config.service.data_dir)
    lock.acquire()
    code, out, _ = cop("--config", path, "attendance", "mark", "--community", "kkg",
                       "--meeting", "rutin", "--date", "2026-12-11", "--present",
                       "budi@example.org")
    assert code == 0 and "running daemon" in out
    rt = Runtime(config, Store(config.service.data_dir))
    tick(rt, datetime(2026, 12, 12, 2, 0, tzinfo=UTC))
    rt.close()
    lock.release()
    code, out, _ = cop("--config", path, "attendance", "export", "--from", "2026-12-01",
                       "--to", "2026-12-12")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 2 * 4
    budi = [r for r in rows if r["email"] == "budi@example.org"]
    assert [r["attended"] for r in budi] == ["yes", "yes"]
    assert {r["attended"] for r in rows if r["email"] == "siti@example.org"} == {""}
    code, out, _ = cop("--config", path, "attendance", "export", "--to", "2026-12-12",
                       "--summary")
    summary = {r["email"]: r for r in csv.DictReader(io.StringIO(out))}
    assert summary["budi@example.org"]["rate"] == "100%"
    assert summary["agus@example.org"]["attended"] == "0"
    code, _, err = cop("--config", path, "attendance", "mark", "--community", "kkg",
                       "--meeting", "rutin", "--date", "2026-12-25", "--present",
                       "budi@example.org")
    assert code == 1 and "does not meet on 2026-12-25" in err
