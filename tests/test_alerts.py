"""Alerts to the organizers (issue 17): one mail when something needs them, a reminder a
day while it lasts, one line when it is over; a restart sends nothing twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.config import Config
from mailer.daemon import Runtime, tick
from mailer.edges.store import FileStore as Store
from mailer.timed.alerts import login_hint
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, mark_edited, smtp_outbound, write_config
from tests.peers import Dovecot, SmtpPeer

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 09.00 WIB


def mails_to(config: Config, address: str) -> list[EmailMessage]:
    new = config.service.data_dir / "outbox" / "new"
    found = []
    for path in sorted(new.iterdir()) if new.exists() else []:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if message["Delivered-To"] == address:
            found.append(message)
    return found


def alerts_to(config: Config, address: str = "siti@example.org") -> list[EmailMessage]:
    return [m for m in mails_to(config, address) if "Delivered-To" in m
            and any(word in str(m["Subject"]) for word in (
                "cop.toml", "login", "menolak", "terlewat", "Sudah beres"))]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def cop(config: Config, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--config", str(config.path), *args],
                                catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_a_broken_edit_keeps_the_last_good_config_and_tells_the_organizers(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    config = write_config(tmp_path, meeting=False)
    rt = open_runtime(config)
    tick(rt, T0)
    good = config.path.read_text()
    config.path.write_text(good.replace('posting = "members"', 'posting = "semua"')
                           .replace('every = "week"', 'every = "fortnight"'))
    mark_edited(config.path)
    assert not rt.reload_if_changed()
    assert rt.config.communities[0].posting == "members"  # the last good one, in force
    tick(rt, T0 + timedelta(minutes=1))
    (alert,) = alerts_to(config)
    assert str(alert["Subject"]) == ("[KKG] cop.toml tidak terbaca, konfigurasi lama tetap "
                                     "dipakai")
    body = text_of(alert)
    assert "cop.toml:" in body and "posting" in body and "every" in body
    assert "cop check" in body
    tick(rt, T0 + timedelta(hours=3))  # the same day: nothing more
    rt.close()
    again = open_runtime(config)  # a restart: nothing twice either
    assert not again.reload_if_changed()
    again.config_problems = rt.config_problems  # as the restarted daemon read it
    tick(again, T0 + timedelta(hours=4))
    assert len(alerts_to(config)) == 1
    tick(again, T0 + timedelta(days=1))  # the next day: one reminder
    tick(again, T0 + timedelta(days=1, hours=1))
    reminders = [m for m in alerts_to(config) if str(m["Subject"]).startswith("[KKG] Masih:")]
    assert len(reminders) == 1 and "Pengingat harian" in text_of(reminders[0])
    code, out, _ = cop(config, "status", "--json")
    assert code == 0
    (shown,) = json.loads(out)["alerts"]
    assert shown["kind"] == "config" and any("posting" in line for line in shown["detail"])
    config.path.write_text(good)
    mark_edited(config.path)
    assert again.reload_if_changed()
    tick(again, T0 + timedelta(days=1, hours=2))
    tick(again, T0 + timedelta(days=1, hours=3))
    resolved = [m for m in alerts_to(config) if "Sudah beres" in str(m["Subject"])]
    assert len(resolved) == 1
    assert len(alerts_to(config)) == 3
    code, out, _ = cop(config, "status")
    assert code == 0 and "tidak ada peringatan" in out


@pytest.mark.dovecot
def test_a_mailbox_that_refuses_the_login(tmp_path: Path, dovecot: Dovecot,
                                          open_runtime: OpenRuntime) -> None:
    user, password = dovecot.add_user()
    inbound = (f'protocol = "imap"\nhost = "127.0.0.1"\nport = {dovecot.port}\ntls = "none"\n'
               f'username = "{user}"\npassword = "{{}}"\npoll_interval = "5s"')
    config = write_config(tmp_path, meeting=False, inbound=inbound.format("salah"))
    rt = open_runtime(config)
    report = tick(rt, T0)
    assert "login refused" in report.inbound_error and "salah" not in report.inbound_error
    assert "Check the username and password" in report.inbound_error  # the hint, in the log
    again = tick(rt, T0 + timedelta(minutes=1))  # not tried again at once: no lockout
    assert "next try in" in again.inbound_error
    (alert,) = alerts_to(config)
    assert str(alert["Subject"]) == "[KKG] Kotak surat menolak login"
    assert user in text_of(alert) and "[AUTHENTICATIONFAILED] Authentication failed" in \
        text_of(alert)
    code, out, _ = cop(config, "status")
    assert code == 0 and "Kotak surat menolak login" in out
    rt.close()
    fixed = write_config(tmp_path, meeting=False, inbound=inbound.format(password))
    rt = open_runtime(fixed)
    assert tick(rt, T0 + timedelta(minutes=5)).inbound_error == ""
    tick(rt, T0 + timedelta(minutes=6))
    assert sorted(str(m["Subject"]) for m in alerts_to(config)) == [
        "[KKG] Kotak surat menolak login", "[KKG] Sudah beres: Kotak surat menolak login"]


def test_the_hint_names_app_passwords_for_google_and_microsoft() -> None:
    google = login_hint("imap.gmail.com", "kkg.gugus3@belajar.id", "id")
    assert "Verifikasi 2 Langkah" in google and "Sandi Aplikasi" in google
    assert "admin" in google and "IMAP" in google
    workspace = login_hint("imap.example.org", "guru@belajar.id", "en")
    assert "app password" in workspace and "Google Workspace" in workspace
    microsoft = login_hint("outlook.office365.com", "kkg@sekolah.sch.id", "en")
    assert "app password" in microsoft and "OAuth" in microsoft and "IMAP" in microsoft


@pytest.mark.faults
def test_an_outgoing_server_that_refuses_the_login(tmp_path: Path) -> None:
    peer = SmtpPeer(tls_folder=tmp_path, user="kkg@example.org", password="rahasia")
    peer.start()
    try:
        def configured(password: str) -> Config:
            return write_config(tmp_path, meeting=False, outbound=smtp_outbound(
                peer.port, "starttls", f'username = "kkg@example.org"\npassword = '
                f'"{password}"\nca_file = "{peer.cafile}"\ntimeout = "5s"'))

        config = configured("salah")
        rt = Runtime(config, Store(config.service.data_dir))
        try:
            tick(rt, T0)
            code, out, _ = cop(config, "status", "--json")  # nothing queued yet: not known
            assert code == 0 and json.loads(out)["alerts"] == []
            rt.store.archive.add(make_mail(subject="Pecahan", body="Halo semua\n"))
            tick(rt, T0 + timedelta(minutes=1))
            tick(rt, T0 + timedelta(minutes=2))
            code, out, _ = cop(config, "status", "--json")
            assert code == 0
            (alert,) = json.loads(out)["alerts"]
            assert alert["kind"] == "smtp-login" and "535" in alert["detail"][0]
            assert peer.recorder.messages == []  # and no mail about it: none can go
        finally:
            rt.close()
        fixed = configured("rahasia")
        rt = Runtime(fixed, Store(fixed.service.data_dir))
        try:
            tick(rt, T0 + timedelta(hours=7))  # the deferred mail goes; the login works
            tick(rt, T0 + timedelta(hours=7, minutes=1))
        finally:
            rt.close()
        to_siti = [m.data for m in peer.recorder.messages if "siti@example.org" in m.rcpt_tos]
        assert sum(b"Sudah beres: Server pengirim menolak login" in d for d in to_siti) == 1
    finally:
        peer.stop()


def test_a_reminder_missed_while_the_machine_was_off(tmp_path: Path,
                                                     open_runtime: OpenRuntime) -> None:
    config = write_config(tmp_path)  # weekly on Friday 14.00 WIB from 4 December, remind 1d
    rt = open_runtime(config)
    tick(rt, T0)
    off_until = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # Saturday 08.00 WIB
    tick(rt, off_until)
    reminders = [m for m in mails_to(config, "dewi@example.org")
                 if str(m["Subject"]).startswith("[KKG] Pengingat")]
    assert reminders == []  # for a meeting already over: skipped
    (alert,) = alerts_to(config)
    assert str(alert["Subject"]) == "[KKG] Pengingat atau rangkuman terlewat"
    body = " ".join(text_of(alert).split())
    assert ("Pengingat 1 hari untuk Pertemuan rutin, Jumat, 4 Desember 2026 tidak "
            "terkirim karena server mati dari Selasa, 1 Desember 2026 pukul 09.00 WIB sampai "
            "Sabtu, 5 Desember 2026 pukul 08.00 WIB") in body
    tick(rt, off_until + timedelta(minutes=1))
    tick(rt, off_until + timedelta(days=1))  # told once: no daily reminder of the past
    rt.close()
    tick(open_runtime(config), off_until + timedelta(days=1, minutes=1))
    assert len(alerts_to(config)) == 1


def test_a_reminder_sent_late_is_named_as_late(tmp_path: Path,
                                               open_runtime: OpenRuntime) -> None:
    config = write_config(tmp_path, language="en")
    rt = open_runtime(config)
    tick(rt, T0)
    tick(rt, datetime(2026, 12, 4, 3, 0, tzinfo=UTC))  # Friday 10:00 WIB, before 14:00
    assert len([m for m in mails_to(config, "dewi@example.org")
                if str(m["Subject"]).startswith("[KKG] Reminder")]) == 1
    (alert,) = [m for m in mails_to(config, "siti@example.org")
                if "missed" in str(m["Subject"])]
    assert "The 1-day reminder for Pertemuan rutin, Friday, 4 December 2026 went late" in \
        " ".join(text_of(alert).split())


def test_no_alert_when_the_daemon_ran_all_along(tmp_path: Path,
                                                open_runtime: OpenRuntime) -> None:
    config = write_config(tmp_path)
    rt = open_runtime(config)
    moment = T0
    while moment < datetime(2026, 12, 5, 1, 0, tzinfo=UTC):
        tick(rt, moment)
        moment += timedelta(minutes=10)
    assert alerts_to(config) == []
    assert len([m for m in mails_to(config, "dewi@example.org")
                if str(m["Subject"]).startswith("[KKG] Pengingat")]) == 1
