from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mailer.edges.store import DataDirLock
from mailer.edges.store import FileStore as Store
from mailer.edges.store.journal import Journal
from mailer.errors import StoreError


def test_metadata_and_journal_survive_a_reopen(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.put_meta("cursor", "imap", {"uidvalidity": 7, "last_uid": 12})
    store.put_meta("cursor", "imap", {"uidvalidity": 7, "last_uid": 13})
    store.record({"t": "thread", "id": "t1", "community": "kkg", "subject": "Pecahan",
                  "started": "2026-12-01T09:00:00+07:00"})
    store.close()
    again = Store(tmp_path, read_only=True)
    assert again.get_meta("cursor", "imap") == {"uidvalidity": 7, "last_uid": 13}
    assert again.state.threads["t1"].subject == "Pecahan"
    # the file is an ordinary TinyDB database
    tables = json.loads((tmp_path / "db.json").read_text())
    assert next(iter(tables["cursor"].values()))["last_uid"] == 13


def test_nothing_is_written_before_flush(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.put_meta("digest", "kkg", {"slot": "x"})
    store.record({"t": "sent-id", "message_id": "<a@x>", "thread": "t1"})
    assert not (tmp_path / "db.json").exists()
    assert Store(tmp_path, read_only=True).state.thread_of == {}
    store.journal._pending.clear()  # dropped, as a crash before flush would
    store.close()


@pytest.mark.faults
def test_a_torn_journal_line_is_cut_and_the_rest_kept(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    journal.append({"t": "sent-id", "message_id": "<a@x>", "thread": "t1"})
    journal.flush()
    journal.close()
    segment = journal.segments()[-1]
    with open(segment, "ab") as f:
        f.write(b'{"t":"sent-id","message_id":"<b@')  # killed mid-append
    assert [r["message_id"] for r in Journal(tmp_path / "journal", read_only=True).replay()] \
        == ["<a@x>"]
    reopened = Journal(tmp_path / "journal")  # a writer repairs the tail
    reopened.append({"t": "sent-id", "message_id": "<c@x>", "thread": "t1"})
    reopened.flush()
    reopened.close()
    assert [r["message_id"] for r in reopened.replay()] == ["<a@x>", "<c@x>"]


@pytest.mark.faults
def test_a_damaged_database_refuses_to_start_and_names_the_way_back(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.put_meta("cursor", "imap", {"last_uid": 1})
    store.flush()
    store.put_meta("cursor", "imap", {"last_uid": 2})
    store.close()
    (tmp_path / "db.json").write_text('{"cursor": {"1": {"last_ui')
    with pytest.raises(StoreError) as caught:
        Store(tmp_path)
    message = str(caught.value)
    assert "damaged" in message and "db.json.prev" in message
    assert "not start on an empty database" in message
    prev = json.loads((tmp_path / "db.json.prev").read_text())
    assert next(iter(prev["cursor"].values()))["last_uid"] == 1


def test_a_second_daemon_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    lock = DataDirLock(tmp_path)
    lock.acquire()
    try:
        code = ("import sys; from pathlib import Path; from mailer.edges.store import "
                "DataDirLock\ntry:\n    DataDirLock(Path(sys.argv[1])).acquire()\n"
                "except Exception as e:\n    print(e); sys.exit(3)")
        done = subprocess.run([sys.executable, "-c", code, str(tmp_path)],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 3
        assert "another `cop run` is already using" in done.stdout
    finally:
        lock.release()
    DataDirLock(tmp_path).acquire()  # free again once released


def test_archive_keeps_raw_bytes_and_moves_done_messages(tmp_path: Path) -> None:
    store = Store(tmp_path)
    raw = b"From: a@b\r\nSubject: x\r\n\r\n\xff\xfe not utf-8\r\n"
    key = store.archive.add(raw)
    assert store.archive.pending() == [key]
    store.archive.mark_done([key])
    store.archive.mark_done([key])  # twice is harmless
    assert store.archive.pending() == []
    assert store.archive.read(key) == raw
    store.close()
