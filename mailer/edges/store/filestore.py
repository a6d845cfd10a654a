"""The file store: the Store interface (mailer/store.py) over a data_dir.

Crash safety: a file is written to a temp name, fsynced, renamed over the old one, and the
directory fsynced. The journal is appended and fsynced; a torn last line is cut off at the
next open. `flush()` orders it: raw mail, outgoing bytes, records, then metadata.

Start-up: the newest snapshot in index.sqlite (index.py) and the journal after the position
it covers; every SNAPSHOT_RECORDS records, and at close, a new snapshot (see ARCHITECTURE.md,
"The store").
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB

from mailer.edges.store.archive import Archive, Requests
from mailer.edges.store.files import Files, private_dir
from mailer.edges.store.index import Index, open_index
from mailer.edges.store.journal import Journal
from mailer.edges.store.metadata import BufferedAtomicStorage
from mailer.edges.store.spool import Spool
from mailer.state import Record
from mailer.store import OutgoingRef

log = logging.getLogger(__name__)

SNAPSHOT_RECORDS = 20_000  # records between snapshots: what a start replays at most


class FileStore:
    """The data_dir: TinyDB metadata, the journal and the archive, flushed together."""

    shared = False  # one daemon holds data_dir (cop.lock): nothing to claim or catch up

    def __init__(self, data_dir: Path, read_only: bool = False) -> None:
        self.data_dir = data_dir
        self.read_only = read_only
        if read_only and not data_dir.exists():
            self.storage = BufferedAtomicStorage(str(data_dir / "db.json"), read_only=True)
        else:
            if not read_only:
                private_dir(data_dir)
                if data_dir.stat().st_mode & 0o077:
                    data_dir.chmod(0o700)  # a data_dir made before issue 16 was world-readable
            self.storage = BufferedAtomicStorage(str(data_dir / "db.json"), read_only)
        self.db = TinyDB(storage=lambda: self.storage)
        self.journal = Journal(data_dir / "journal", read_only)
        self.archive = Archive(data_dir / "archive", create=not read_only)
        self.spool = Spool(data_dir / "queue", read_only)
        self.requests = Requests(data_dir / "requests")
        self.files = Files(data_dir / "files")
        self.index: Index | None
        self.index, self.state, position = open_index(data_dir / "index.sqlite",
                                                      self.journal, read_only)
        self._since = 0  # records since the last snapshot
        for record, at in self.journal.replay_from(position):
            self.state.apply(record)
            self._since += 1
            if self._since >= SNAPSHOT_RECORDS:
                self._snapshot(at)  # a first start over a long journal: memory stays flat

    def record(self, record: Record) -> None:
        """Apply a record to the in-memory state and append it to the journal."""
        self.state.apply(record)
        self.journal.append(record)
        self._since += 1

    def _snapshot(self, position: tuple[str, int] | None = None) -> None:
        """Fold what the journal holds up to `position` (default: its end, all flushed)
        into the index. A failure (a full disk) is logged: the journal still has it all,
        and the next flush tries again."""
        if self.index is None or self.read_only:
            return
        try:
            self.index.save(self.state, position or self.journal.end())
        except sqlite3.Error as exc:
            log.warning("snapshot not written (%s); the journal is replayed from the "
                        "previous one", exc)
            return
        self._since = 0

    def flush(self) -> None:
        """Make everything recorded so far durable: the outgoing messages the records point
        to, then the journal, then metadata. Raw mail fetched from IMAP first: its outcome
        must not be durable before the mail itself."""
        self.archive.sync()
        self.spool.flush()
        self.journal.flush()
        self.storage.flush()
        if self._since >= SNAPSHOT_RECORDS:
            self._snapshot()

    def flush_records(self, behind: bool = False) -> None:
        self.journal.flush(behind=behind)

    def close(self) -> None:
        self.flush()
        if self._since:
            self._snapshot()
        self.journal.close()
        self.spool.close()
        # the index stays open for reading: the state still answers after close()

    def get_meta(self, table: str, key: str) -> dict[str, Any] | None:
        doc = self.db.table(table).get(Query().key == key)
        return None if doc is None else {k: v for k, v in doc.items() if k != "key"}

    def put_meta(self, table: str, key: str, value: dict[str, Any]) -> None:
        """Set one small metadata document, buffered until flush()."""
        self.db.table(table).upsert({**value, "key": key}, Query().key == key)

    def meta_items(self, table: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for doc in self.db.table(table).all():
            yield doc["key"], {k: v for k, v in doc.items() if k != "key"}

    def add_outgoing(self, data: bytes) -> OutgoingRef:
        return self.spool.add(data)

    def read_outgoing(self, parts: tuple[OutgoingRef, ...]) -> bytes:
        return b"".join(self.spool.read(*part) for part in parts)

    def prune_outgoing(self, needed: set[str], written_before: float) -> list[str]:
        return self.spool.prune(needed, written_before)

    def add_file(self, data: bytes) -> str:
        return self.files.add(data)

    def read_file(self, sha256: str) -> bytes | None:
        return self.files.read(sha256)

    # one worker: everything is ours, and nobody else writes
    def catch_up(self) -> int:
        return 0

    def is_leader(self) -> bool:
        return True

    @contextlib.contextmanager
    def claim(self, key: str, group: str) -> Iterator[bool]:
        yield True

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        yield

    def claim_outgoing(self, item_id: str, now: datetime) -> bool:
        return True
