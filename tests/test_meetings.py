"""Meetings in members' calendars, read back with vobject (not the library that wrote them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import vobject

from mailer.calendar.occurrences import expand
from mailer.config import load_config
from mailer.daemon import Runtime, tick
from mailer.edges.store import FileStore as Store
from mailer.errors import ConfigError
from tests.conftest import OpenRuntime
from tests.helpers import mark_edited, write_config
from tests.test_pipeline import mail_for

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
MOVED = '  moved = [{ date = 2026-12-11, to = 2026-12-12T09:00:00 }]\n'


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    config = write_config(tmp_path)
    runtime = open_runtime(config)
    return runtime


def calendar_of(msg: EmailMessage) -> vobject.base.Component:
    part = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    return vobject.readOne(part.get_content())


def edit(rt: Runtime, old: str, new: str) -> None:
    path = rt.config.path
    path.write_text(path.read_text().replace(old, new))
    mark_edited(path)
    assert rt.reload_if_changed()


def starts(cal: vobject.base.Component) -> list[str]:
    master = next(e for e in cal.vevent_list if not hasattr(e, "recurrence_id"))
    moved = {e.recurrence_id.value: e.dtstart.value for e in cal.vevent_list
             if hasattr(e, "recurrence_id")}
    return sorted(moved.get(s, s).isoformat() for s in master.getrruleset(addRDate=True))


def test_an_independent_parser_expands_the_same_occurrences(rt: Runtime) -> None:
    tick(rt, T0)
    (invitation,) = mail_for(rt.config.service.data_dir, "budi@example.org", "Undangan")
    ours, skipped = expand(rt.config.communities[0].meetings[0])
    assert starts(calendar_of(invitation)) == [o.start.isoformat() for o in ours]
    assert {s.reason for s in skipped} == {"Libur semester"}  # Christmas, New Year's Day


def test_a_moved_meeting_is_an_override_and_sends_an_update(rt: Runtime) -> None:
    tick(rt, T0)
    edit(rt, '  agenda = "Pecahan"\n', '  agenda = "Pecahan"\n' + MOVED)
    tick(rt, T0 + timedelta(minutes=1))
    (update,) = mail_for(rt.config.service.data_dir, "budi@example.org", "diperbarui")
    cal = calendar_of(update)
    assert len(cal.vevent_list) == 2
    override = next(e for e in cal.vevent_list if hasattr(e, "recurrence_id"))
    assert override.recurrence_id.value.isoformat() == "2026-12-11T14:00:00+07:00"
    assert override.dtstart.value.isoformat() == "2026-12-12T09:00:00+07:00"
    assert override.sequence.value == "1"
    occurrences = starts(cal)
    assert "2026-12-12T09:00:00+07:00" in occurrences
    assert "2026-12-11T14:00:00+07:00" not in occurrences


def test_moving_a_day_the_meeting_does_not_meet_is_a_config_problem(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    config.path.write_text(config.path.read_text().replace(
        '  agenda = "Pecahan"\n', '  agenda = "Pecahan"\n'
        '  moved = [{ date = 2026-12-10, to = 2026-12-12T09:00:00 }]\n'))
    with pytest.raises(ConfigError) as caught:
        load_config(config.path)
    assert "2026-12-10 is not a day 'rutin' meets on" in str(caught.value)


def test_a_member_added_later_gets_only_the_meetings_to_come(rt: Runtime) -> None:
    tick(rt, T0)
    edit(rt, '  [[community.member]]\n  email = "agus@example.org"',
         '  [[community.member]]\n  email = "rina@example.org"\n  name = "Rina"\n\n'
         '  [[community.member]]\n  email = "agus@example.org"')
    later = datetime(2026, 12, 15, 2, 0, tzinfo=UTC)
    tick(rt, later)
    data = rt.config.service.data_dir
    (invitation,) = mail_for(data, "rina@example.org", "Undangan")
    assert "diperbarui" not in str(invitation["Subject"])  # for her it is the first one
    cal = calendar_of(invitation)
    assert starts(cal)[0] == "2026-12-18T14:00:00+07:00"
    assert cal.vevent.sequence.value == "0"
    assert len(mail_for(data, "budi@example.org", "Undangan")) == 1  # nobody else is sent


def test_a_member_removed_gets_a_cancellation(rt: Runtime) -> None:
    tick(rt, T0)
    text = rt.config.path.read_text()
    start = text.index('  [[community.member]]\n  email = "agus@example.org"')
    end = text.index('  [[community.meeting]]')
    edit(rt, text[start:end], "")
    tick(rt, T0 + timedelta(minutes=1))
    # the meeting leaves their calendar; the mail does not read as if it were cancelled
    (cancel,) = mail_for(rt.config.service.data_dir, "agus@example.org", "Tidak lagi")
    assert mail_for(rt.config.service.data_dir, "agus@example.org", "Dibatalkan") == []
    cal = calendar_of(cancel)
    assert cal.method.value == "CANCEL" and cal.vevent.status.value == "CANCELLED"
    assert mail_for(rt.config.service.data_dir, "budi@example.org", "Dibatalkan") == []


def test_count_based_series_for_a_late_joiner_keeps_its_last_meeting(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    config.path.write_text(config.path.read_text().replace("until = 2027-02-26", "count = 6"))
    rt = Runtime(load_config(config.path), Store(config.service.data_dir))
    tick(rt, T0)
    rt.config.path.write_text(rt.config.path.read_text().replace(
        '  [[community.member]]\n  email = "agus@example.org"',
        '  [[community.member]]\n  email = "rina@example.org"\n\n'
        '  [[community.member]]\n  email = "agus@example.org"'))
    mark_edited(rt.config.path)
    rt.reload_if_changed()
    tick(rt, datetime(2026, 12, 15, 2, 0, tzinfo=UTC))
    rt.close()
    everyone = starts(calendar_of(mail_for(config.service.data_dir, "budi@example.org",
                                           "Undangan")[0]))
    late = starts(calendar_of(mail_for(config.service.data_dir, "rina@example.org",
                                       "Undangan")[0]))
    assert late == [s for s in everyone if s >= "2026-12-18"]
    assert late[-1] == everyone[-1]


def test_a_removed_meetings_cancel_keeps_its_zone_name(rt: Runtime) -> None:
    tick(rt, T0)
    text = rt.config.path.read_text()
    edit(rt, text[text.index("  [[community.meeting]]"):], "")
    tick(rt, T0 + timedelta(minutes=1))
    (cancel,) = mail_for(rt.config.service.data_dir, "budi@example.org", "Dibatalkan")
    part = next(p for p in cancel.walk() if p.get_content_type() == "text/calendar")
    assert "DTSTART;TZID=Asia/Jakarta:20261204T140000" in part.get_content()


def test_cancelling_one_date_cancels_that_occurrence_only(rt: Runtime) -> None:
    tick(rt, T0)
    edit(rt, 'breaks = [{ from = 2026-12-21, to = 2027-01-03, name = "Libur semester" }]',
         'breaks = [{ from = 2026-12-21, to = 2027-01-03, name = "Libur semester" },\n'
         '            { from = 2026-12-11, to = 2026-12-11, name = "Rapat dinas" }]')
    tick(rt, T0 + timedelta(minutes=1))
    data = rt.config.service.data_dir
    (cancel,) = mail_for(data, "budi@example.org", "Dibatalkan")
    assert "11 Desember 2026" in str(cancel["Subject"])
    cal = calendar_of(cancel)
    assert cal.method.value == "CANCEL"
    (event,) = cal.vevent_list
    assert event.recurrence_id.value.isoformat() == "2026-12-11T14:00:00+07:00"
    assert event.status.value == "CANCELLED" and event.sequence.value == "1"
    assert mail_for(data, "budi@example.org", "diperbarui") == []  # no full update
    # a later change sends the series again, with that date as an EXDATE
    edit(rt, 'agenda = "Pecahan"', 'agenda = "Desimal"')
    tick(rt, T0 + timedelta(minutes=2))
    (update,) = mail_for(data, "budi@example.org", "diperbarui")
    update_cal = calendar_of(update)
    assert update_cal.vevent.sequence.value == "2"
    assert "2026-12-11T14:00:00+07:00" not in starts(update_cal)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_with_the_daemon_running_edits_follow_and_unchanged_saves_send_nothing(
        tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    from tests.peers import free_port

    port = free_port()
    config = write_config(tmp_path, inbound=f'protocol = "smtp"\nport = {port}\n'
                                            'poll_interval = "1s"')
    outbox = config.service.data_dir / "outbox" / "new"
    log = tmp_path / "daemon.log"

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if outbox.exists() and len(list(outbox.iterdir())) >= count:
                return
            time.sleep(0.1)
        raise AssertionError(f"expected {count} messages, {log.read_text()[-2000:]}")

    def save(text: str) -> None:
        config.path.write_text(text)
        mark_edited(config.path)

    with open(log, "wb") as out:
        daemon = subprocess.Popen([sys.executable, "-m", "mailer", "--config", str(config.path),
                                   "run", "--now", "2026-12-01T09:00:00"], stdout=out,
                                  stderr=out)
    try:
        wait_for(4)  # the invitations
        original = config.path.read_text()
        save(original.replace("start = 2026-12-04T14:00:00", "start = 2026-12-04T15:00:00"))
        wait_for(8)
        save(config.path.read_text())  # saved, not changed
        time.sleep(3)
        assert len(list(outbox.iterdir())) == 8
        text = config.path.read_text()
        save(text[: text.index("  [[community.meeting]]")])
        wait_for(12)
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
    subjects = [next(line for line in path.read_bytes().split(b"\r\n")
                     if line.startswith(b"Subject:")).decode() for path in outbox.iterdir()]
    assert sum("Undangan: " in s for s in subjects) == 4
    assert sum("Undangan diperbarui: " in s for s in subjects) == 4
    assert sum("Dibatalkan: " in s for s in subjects) == 4
    assert "config reloaded" in log.read_text()
