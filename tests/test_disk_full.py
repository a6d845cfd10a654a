"""A full disk for data_dir: the receiver answers 451 (the sender retries), a tick fails
and is retried, and once there is room everything is processed once, the journal readable."""

from __future__ import annotations

import os
import smtplib
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailer.config import load_config
from mailer.daemon import Runtime, _start_receiver, tick
from mailer.edges.store import FileStore as Store
from tests.helpers import make_mail, write_config
from tests.peers import free_port

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
pytestmark = [pytest.mark.faults, pytest.mark.skipif(os.geteuid() != 0,
                                                     reason="mounting a small tmpfs needs root")]


@pytest.fixture
def small_disk(tmp_path: Path) -> Path:
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass  # full
    return filler


def test_a_full_disk_loses_nothing_and_duplicates_nothing(tmp_path: Path,
                                                         small_disk: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, meeting=False,
                          inbound=f'protocol = "smtp"\nport = {port}')
    config.path.write_text(config.path.read_text().replace(
        'data_dir = "data"', f'data_dir = "{small_disk / "data"}"'))
    config = load_config(config.path)
    rt = Runtime(config, Store(config.service.data_dir))
    receiver = _start_receiver(rt, threading.Event())
    try:
        rt.store.archive.add(make_mail(subject="Sebelum penuh"))
        filler = fill(small_disk)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp, \
                pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.sendmail("siti@example.org", ["kkg@example.org"], make_mail())
        assert refused.value.smtp_code == 451  # try again later: the sender keeps it
        with pytest.raises(OSError):
            tick(rt, T0)  # the daemon's loop logs this and tries again
        filler.unlink()
        tick(rt, T0 + timedelta(minutes=1))
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail("siti@example.org", ["kkg@example.org"],
                          make_mail(subject="Sesudah lega"))
        tick(rt, T0 + timedelta(minutes=2))
    finally:
        receiver.stop()
        rt.close()
    again = Store(config.service.data_dir, read_only=True)  # every journal line readable
    subjects = sorted(t.subject for t in again.state.threads.values())
    assert subjects == ["Sebelum penuh", "Sesudah lega"]
    assert sorted(i.to for i in again.state.outbox.values()) == [
        "agus@example.org", "agus@example.org", "dewi@example.org", "dewi@example.org"]
    assert {i.state for i in again.state.outbox.values()} == {"sent"}
    assert not list((config.service.data_dir / "archive" / "tmp").iterdir())


def test_a_journal_append_cut_short_by_a_full_disk_is_rolled_back(tmp_path: Path,
                                                                    small_disk: Path) -> None:
    config = write_config(tmp_path, meeting=False)
    config.path.write_text(config.path.read_text().replace(
        'data_dir = "data"', f'data_dir = "{small_disk / "data"}"'))
    config = load_config(config.path)
    rt = Runtime(config, Store(config.service.data_dir))
    tick(rt, T0)
    for i in range(60):  # automatic mail: journal records only, no outgoing mail
        rt.store.archive.add(make_mail(subject=f"Otomatis {i}", message_id=f"<auto-{i}@x>",
                                       headers={"Auto-Submitted": "auto-replied"}))
    filler = fill(small_disk)
    os.truncate(filler, filler.stat().st_size - 4096)  # one page left: the append is cut
    with pytest.raises(OSError):
        tick(rt, T0 + timedelta(minutes=1))
    filler.unlink()
    tick(rt, T0 + timedelta(minutes=2))
    rt.close()
    again = Store(config.service.data_dir, read_only=True)  # raises on a torn middle line
    assert len(again.state.messages) == 60
