"""The index: data_dir/index.sqlite, the journal folded up to a position, so that a start
replays only what came after it.

It holds the maps that grow with every message (State's COLD_MAPS: messages, fingerprints,
thread_of, archive keys done, outbox items, threads and their posts with bodies), read on
demand by `coldmap.ColdMap`, and one snapshot row: the format version, the journal position
it covers and the rest of the State ("hot": holds, members, rsvps, waiting outbox ids, ...,
pickled, read back through an allow-list of classes).

A snapshot is one SQLite transaction (WAL, synchronous=FULL): the hot entries of every cold
map, upserted, and the snapshot row, committed together. A crash at any point leaves the
previous snapshot whole, and the journal after its position is replayed again: replaying a
record onto the state it was folded from gives the same state, so nothing is lost or
counted twice. An index that cannot be read is moved aside and rebuilt from the journal.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import pickle
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from mailer import model as model_module
from mailer import state as state_module
from mailer.edges.store.files import open_private
from mailer.edges.store.journal import Journal
from mailer.model import Attachment, OutboxItem, Post, Thread
from mailer.state import State

log = logging.getLogger(__name__)

VERSION = 1


def _layout() -> str:
    """The format of a snapshot: VERSION and the code that shapes what it holds (State's
    fields, the model, the encodings here). Code that changed them makes the next start
    rebuild the index from the journal once, never read a snapshot the wrong way."""
    digest = hashlib.sha256(str(VERSION).encode())
    for module in (state_module, model_module, sys.modules[__name__]):
        digest.update(Path(module.__file__ or "").read_bytes())
    return f"{VERSION}:{digest.hexdigest()[:16]}"


LAYOUT = _layout()
Position = tuple[str, int]

_TEXT_TABLES = ("messages", "fingerprints", "thread_of", "archive_done", "outbox")
_SCHEMA = [
    *(f"CREATE TABLE IF NOT EXISTS {t} (k TEXT PRIMARY KEY, v TEXT NOT NULL)"
      for t in _TEXT_TABLES),
    "CREATE TABLE IF NOT EXISTS threads (k TEXT PRIMARY KEY, community TEXT, subject TEXT,"
    " started TEXT, last_activity TEXT)",
    "CREATE TABLE IF NOT EXISTS posts (thread TEXT, n INTEGER, message_id TEXT,"
    " from_addr TEXT, name TEXT, date TEXT, body TEXT, attachments TEXT,"
    " PRIMARY KEY (thread, n))",
    "CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " version TEXT, segment TEXT, offset INTEGER, hot BLOB)",
]

# what a snapshot's pickle may name: plain data only (the model's nouns), never a callable
_ALLOWED = {("builtins", "set"), ("builtins", "frozenset"), ("datetime", "datetime"),
            ("datetime", "timezone"), ("datetime", "timedelta"), ("datetime", "date")}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED and not (
                module == "mailer.model" and isinstance(getattr(model_module, name, None), type)):
            raise pickle.UnpicklingError(f"a snapshot may not name {module}.{name}")
        return super().find_class(module, name)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _encode_item(item: OutboxItem) -> str:
    return json.dumps([item.to, item.subject, item.kind, item.state, item.attempts,
                       _time(item.next_try), item.error, item.envelope_from, item.message_id,
                       _time(item.queued), _time(item.updated), item.spool],
                      ensure_ascii=False, separators=(",", ":"))


def _decode_item(key: str, text: str) -> OutboxItem:
    (to, subject, kind, state, attempts, next_try, error, envelope_from, message_id, queued,
     updated, spool) = json.loads(text)
    return OutboxItem(key, to, subject, kind, state, attempts, _parse(next_try), error,
                      envelope_from, message_id, _parse(queued), _parse(updated),
                      tuple((str(s), int(o), int(n)) for s, o, n in spool))


class Index:
    """The cold side of State's big maps, and its snapshots, in one SQLite file."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        if read_only:
            self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                                      check_same_thread=False)
        else:
            if not path.exists():
                open_private(path).close()  # 0600 from its first byte; -wal/-shm follow it
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            for statement in _SCHEMA:
                self.db.execute(statement)
        self.db.execute("PRAGMA cache_size=-8000")  # 8 MB of pages, however big the file
        if read_only:  # one consistent view while the daemon may write the next snapshot
            self.db.execute("BEGIN")

    # -- the Cold protocol (coldmap.py) -------------------------------------------------
    def get(self, table: str, key: str) -> Any | None:
        if table == "threads":
            row = self.db.execute("SELECT k, community, subject, started, last_activity "
                                  "FROM threads WHERE k = ?", (key,)).fetchone()
            return None if row is None else self._thread(row)
        row = self.db.execute(f"SELECT v FROM {table} WHERE k = ?", (key,)).fetchone()
        return None if row is None else self._value(table, key, row[0])

    def has(self, table: str, key: str) -> bool:
        return self.db.execute(f"SELECT 1 FROM {table} WHERE k = ?", (key,)).fetchone() \
            is not None

    def count(self, table: str) -> int:
        return int(self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def keys(self, table: str) -> Iterator[str]:
        for (key,) in self.db.execute(f"SELECT k FROM {table} ORDER BY rowid"):
            yield key

    def items(self, table: str) -> Iterator[tuple[str, Any]]:
        if table == "threads":
            for row in self.db.execute("SELECT k, community, subject, started, last_activity "
                                       "FROM threads ORDER BY rowid"):
                yield row[0], self._thread(row)
            return
        for key, value in self.db.execute(f"SELECT k, v FROM {table} ORDER BY rowid"):
            yield key, self._value(table, key, value)

    def posts(self, thread: str) -> list[Post]:
        """A thread's posts, oldest first, bodies and all."""
        return [Post(message_id, thread, from_addr, name, datetime.fromisoformat(date), body,
                     tuple(Attachment(**a) for a in json.loads(attachments)))
                for message_id, from_addr, name, date, body, attachments in self.db.execute(
                    "SELECT message_id, from_addr, name, date, body, attachments FROM posts "
                    "WHERE thread = ? ORDER BY n", (thread,))]

    def _value(self, table: str, key: str, value: str) -> Any:
        if table == "outbox":
            return _decode_item(key, value)
        return 1 if table == "archive_done" else value

    def _thread(self, row: tuple[str, str, str, str, str]) -> Thread:
        key, community, subject, started, last = row
        return Thread(key, community, subject, datetime.fromisoformat(started),
                      datetime.fromisoformat(last), post_list=None, post_loader=self.posts)

    def empty(self) -> bool:
        return all(self.db.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone() is None
                   for t in (*_TEXT_TABLES, "threads", "snapshot"))

    # -- snapshots ------------------------------------------------------------------------
    def load(self, state: State) -> Position | None:
        """Restore `state` (made with this index as its Cold) from the snapshot; the journal
        position it covers, or None when there is none of this version."""
        row = self.db.execute("SELECT version, segment, offset, hot FROM snapshot "
                              "WHERE id = 1").fetchone()
        if row is None or row[0] != LAYOUT:
            return None
        state.restore(_Unpickler(io.BytesIO(row[3])).load())
        return (row[1], row[2])

    def save(self, state: State, position: Position) -> None:
        """One transaction: every hot entry of the cold maps, and the snapshot row."""
        maps = state.cold_maps()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for name, cold_map in maps.items():
                if name == "threads":
                    self._save_threads(cold_map.hot)
                    continue
                encode = _encode_item if name == "outbox" else str
                self.db.executemany(
                    f"INSERT INTO {name} (k, v) VALUES (?, ?) "
                    "ON CONFLICT (k) DO UPDATE SET v = excluded.v",
                    ((k, encode(v)) for k, v in cold_map.hot.items()))
            hot = pickle.dumps(state.hot_parts(), protocol=pickle.HIGHEST_PROTOCOL)
            self.db.execute("INSERT OR REPLACE INTO snapshot VALUES (1, ?, ?, ?, ?)",
                            (LAYOUT, position[0], position[1], hot))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        state.settle()

    def _save_threads(self, threads: dict[str, Thread]) -> None:
        self.db.executemany(
            "INSERT INTO threads (k, community, subject, started, last_activity) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (k) DO UPDATE SET community = "
            "excluded.community, subject = excluded.subject, started = excluded.started, "
            "last_activity = excluded.last_activity",
            ((t.id, t.community, t.subject, t.started.isoformat(),
              t.last_activity.isoformat()) for t in threads.values()))
        for thread in threads.values():
            if thread.post_list is None:  # only its summary was read: its posts stand
                continue
            self.db.execute("DELETE FROM posts WHERE thread = ?", (thread.id,))
            self.db.executemany(
                "INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ((thread.id, n, p.message_id, p.from_addr, p.name, p.date.isoformat(),
                  p.body, json.dumps([asdict(a) for a in p.attachments],
                                     ensure_ascii=False))
                 for n, p in enumerate(thread.post_list)))

    def close(self) -> None:
        self.db.close()



def open_index(path: Path, journal: Journal, read_only: bool
               ) -> tuple[Index | None, State, Position | None]:
    """The index, a state restored from its snapshot, and the journal position to replay
    from (None: from the start). An index that cannot be read, or that is ahead of the
    journal, is set aside (index.sqlite.bad) and rebuilt by a full replay; a reader
    (read_only) then replays the whole journal in memory, as before there was an index."""
    if read_only and not path.exists():
        return None, State(), None
    index = None
    try:
        index = Index(path, read_only)
        state = State(index)
        position = index.load(state)
        if position is not None and not journal.covers(position):
            raise ValueError(f"its snapshot is ahead of the journal ({position})")
        if position is not None or index.empty():
            return index, state, position
        raise ValueError("it has no snapshot of this version")
    except Exception as exc:  # any damage: the journal is the truth
        if index is not None:
            index.close()
        if read_only:
            return None, State(), None
        log.warning("%s cannot be used (%s): set aside, rebuilt from the journal", path, exc)
        for suffix in ("-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        path.replace(path.with_name(path.name + ".bad"))
        index = Index(path)
        return index, State(index), None
