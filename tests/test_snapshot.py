"""The file store's snapshots (edges/store/index.py): a start loads the newest snapshot and
replays only the journal after it; the state comes out as a full replay of the journal
would make it; a damaged index, or a kill while a snapshot is written, loses nothing."""

from __future__ import annotations

import gc
import pickle
import random
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mailer.edges.store import FileStore as Store
from mailer.edges.store import filestore
from mailer.edges.store.journal import Journal
from mailer.state import State

WHEN = "2026-12-01T09:00:00+07:00"


def records(i: int) -> list[dict[str, Any]]:
    """One inbound post (one in three starts a thread), its copies to two members, sent."""
    thread = f"t{i // 3 + 1}"
    mid = f"<m{i}@example.org>"
    out: list[dict[str, Any]] = []
    if i % 3 == 0:
        out.append({"t": "thread", "id": thread, "community": "kkg",
                    "subject": f"Topik {i}", "started": WHEN})
    out += [
        {"t": "post", "thread": thread, "message_id": mid, "from": "siti@example.org",
         "name": "Siti", "date": f"2026-12-01T09:{i % 60:02d}:00+07:00",
         "body": f"Isi {i} " * 20, "attachments": [
             {"filename": "a.pdf", "content_type": "application/pdf", "size": 3,
              "sha256": "ab" * 32}] if i % 7 == 0 else []},
        {"t": "message", "id": mid, "state": "posted", "rule": "reply", "community": "kkg",
         "thread": thread, "from": "siti@example.org", "subject": "x", "received": WHEN,
         "archive": f"key{i}", "detail": "", "fingerprint": f"fp{i}"},
    ]
    for member in ("agus", "budi"):
        item = f"o{i}{member}"
        out.append({"t": "outbox", "id": item, "to": f"{member}@example.org",
                    "subject": f"Topik {i}", "kind": "post", "queued": WHEN,
                    "spool": [["000001.spool", i * 10, 10]]})
        if i % 5:  # one in five still waits
            out.append({"t": "outbox-state", "id": item, "state": "sent", "attempts": 1,
                        "at": f"2026-12-01T10:{i % 60:02d}:00+07:00"})
    if i % 11 == 0:
        out.append({"t": "hold", "id": f"h{i + 1}", "community": "kkg", "from": "x@y",
                    "subject": "s", "reason": "r", "received": WHEN, "message_id": f"<h{i}>",
                    "archive": f"hk{i}"})
    return out


def view(state: State) -> dict[str, Any]:
    """Everything a reader can see of a state, as plain data."""
    return {
        "messages": dict(state.messages.items()), "n_messages": len(state.messages),
        "fingerprints": dict(state.fingerprints.items()),
        "thread_of": dict(state.thread_of.items()), "n_threads": len(state.threads),
        "threads": {t.id: (t.community, t.subject, t.started, t.last_activity,
                           [(p.message_id, p.from_addr, p.name, p.date, p.body,
                             p.attachments) for p in t.posts])
                    for t in state.threads.values()},
        "outbox": {i.id: i for i in state.outbox.values()}, "n_outbox": len(state.outbox),
        "waiting": set(state.outbox_waiting), "archive_done": set(state.archive_done),
        "holds": state.holds, "posters": state.posters, "new_thread": state._thread_serial,
        "newest": [t.id for t in state.threads_newest_first("kkg")[:5]],
    }


def full_replay(data_dir: Path) -> State:
    state = State()
    for record in Journal(data_dir / "journal", read_only=True).replay():
        state.apply(record)
    return state


def fill(data_dir: Path, count: int, flush_every: int = 4) -> None:
    store = Store(data_dir)
    for i in range(count):
        for record in records(i):
            store.record(record)
        if i % flush_every == 0:
            store.flush()
    store.close()
    del store
    gc.collect()  # the index's connection closed, as when the daemon's process ends


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filestore, "SNAPSHOT_RECORDS", 25)


def test_a_reopened_store_sees_what_a_full_replay_sees(tmp_path: Path, small: None) -> None:
    fill(tmp_path, 60)
    again = Store(tmp_path)
    assert view(again.state) == view(full_replay(tmp_path))
    for i in range(60, 75):  # go on from the snapshot, through more snapshots
        for record in records(i):
            again.record(record)
        again.flush()
    again.close()
    reader = Store(tmp_path, read_only=True)
    assert view(reader.state) == view(full_replay(tmp_path))
    assert reader.state.messages["<m70@example.org>"] == "posted"
    assert "<m75@example.org>" not in reader.state.messages


def test_a_start_replays_only_what_came_after_the_snapshot(tmp_path: Path, small: None,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    fill(tmp_path, 40)
    replayed = []
    original = Journal.replay_from

    def counting(self: Journal, start: Any) -> Any:
        for record, at in original(self, start):
            replayed.append(record)
            yield record, at
    monkeypatch.setattr(Journal, "replay_from", counting)
    store = Store(tmp_path)
    assert replayed == []  # closed cleanly: the snapshot covers the whole journal
    # what the daemon needs is on hand; history is read from the index when asked for
    assert store.state.threads.hot == {}  # type: ignore[attr-defined]
    assert store.state.outbox.hot == {}  # type: ignore[attr-defined]
    assert {store.state.outbox[i].state for i in store.state.outbox_waiting} == {"queued"}
    thread = next(iter(store.state.threads.values()))
    assert thread.post_list is None  # no post read yet
    assert thread.posts[0].body == "Isi 0 " * 20  # bodies read from disk on demand
    store.record(records(40)[0])
    store.flush()  # not yet a snapshot: the next start replays this one record
    store.journal.close()
    Store(tmp_path, read_only=True)
    assert len(replayed) == 1


def test_a_damaged_index_is_set_aside_and_rebuilt(tmp_path: Path, small: None) -> None:
    fill(tmp_path, 30)
    expected = view(full_replay(tmp_path))
    index = tmp_path / "index.sqlite"
    for suffix in ("-wal", "-shm"):
        index.with_name(index.name + suffix).unlink(missing_ok=True)
    index.write_bytes(b"not a database" * 100)
    assert view(Store(tmp_path, read_only=True).state) == expected  # a reader: in memory
    store = Store(tmp_path)
    assert view(store.state) == expected
    assert (tmp_path / "index.sqlite.bad").exists()
    store.close()
    assert view(Store(tmp_path).state) == expected


def test_a_snapshot_naming_code_is_refused(tmp_path: Path, small: None) -> None:
    fill(tmp_path, 30)
    db = sqlite3.connect(tmp_path / "index.sqlite")
    db.execute("UPDATE snapshot SET hot = ?", (pickle.dumps(print),))
    db.commit()
    db.close()
    store = Store(tmp_path)
    assert view(store.state) == view(full_replay(tmp_path))
    assert (tmp_path / "index.sqlite.bad").exists()


def test_a_snapshot_from_other_code_is_not_read_but_rebuilt(tmp_path: Path,
                                                            small: None) -> None:
    """A snapshot holds State's fields as this code lays them out: code that changed them
    (an upgrade) rebuilds the index once from the journal."""
    fill(tmp_path, 30)
    db = sqlite3.connect(tmp_path / "index.sqlite")
    db.execute("UPDATE snapshot SET version = '1:an-older-layout'")
    db.commit()
    db.close()
    store = Store(tmp_path)
    assert view(store.state) == view(full_replay(tmp_path))
    assert (tmp_path / "index.sqlite.bad").exists()
    store.close()
    del store
    gc.collect()
    (tmp_path / "index.sqlite.bad").unlink()  # the rebuilt one is then read as it is
    assert view(Store(tmp_path).state) == view(full_replay(tmp_path))
    assert not (tmp_path / "index.sqlite.bad").exists()


def test_an_index_ahead_of_its_journal_is_rebuilt(tmp_path: Path, small: None) -> None:
    fill(tmp_path, 30)
    (segment,) = Journal(tmp_path / "journal").segments()
    data = segment.read_bytes()
    segment.write_bytes(data[:data.rfind(b"\n", 0, len(data) // 2) + 1])  # restored, older
    store = Store(tmp_path)
    assert view(store.state) == view(full_replay(tmp_path))
    assert len(store.state.messages) < 30


WRITER = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from mailer.edges.store import filestore
from tests.test_snapshot import records
filestore.SNAPSHOT_RECORDS = 5
store = filestore.FileStore(Path(sys.argv[1]))
start = len(store.state.messages)
for i in range(start, start + int(sys.argv[2])):
    for record in records(i):
        store.record(record)
    store.flush()
    print(i, flush=True)
store.close()
"""


@pytest.mark.faults
def test_sigkill_while_snapshots_are_written_loses_and_repeats_nothing(tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parent.parent)
    rng = random.Random(19)
    for _ in range(6):
        child = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), "400", root],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        for _ in range(rng.randrange(5, 60)):  # every flush of this writer snapshots
            if not child.stdout.readline():
                break
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        store = Store(tmp_path)
        expected = full_replay(tmp_path)
        assert view(store.state) == view(expected)
        # no post twice, none lost: the threads hold exactly the posts the journal names
        posts = Counter(p.message_id for t in store.state.threads.values() for p in t.posts)
        assert posts == Counter(r["message_id"] for r in store.journal.replay()
                                if r["t"] == "post")
        assert posts
        store.close()
