"""Everything CoP Mailer keeps on disk, under data_dir.

    data_dir/
      cop.lock        held by the running daemon (flock); read-only verbs do not need it
      db.json         TinyDB: small, bounded metadata (cursors, schedules, meeting state);
                      rewritten atomically once per tick, never once per record
      db.json.prev    the previous db.json, kept by each flush as a way back
      journal/        append-only JSON lines: messages, threads, posts, holds, outbox states;
                      everything that grows. Replayed into memory at start.
      archive/        Maildir of raw inbound messages exactly as received (new/ = not yet
                      processed, cur/ = processed). Nothing that arrived is ever deleted.
      queue/          outgoing messages in append-only .spool segments, written and fsynced
                      before the outbox records that point into them
      outbox/         Maildir the `maildir` outbound protocol delivers into

Why not TinyDB for everything: TinyDB's table update rebuilds the whole table dict on every
insert and its JSON storage rewrites the whole file, so per-record cost grows with the table.
Measured here: 20,000 single inserts take ~50 s with CachingMiddleware and about an hour
without. The journal keeps per-record cost flat (see bench/storage.py).

Crash safety: a file is written to a temp name, fsynced, renamed over the old one, and the
directory fsynced. The journal is appended and fsynced; a torn last line (killed mid-write,
never acknowledged) is cut off at the next open.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import json
import os
import socket
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB
from tinydb.storages import Storage

from mailer.errors import StoreError
from mailer.state import Record, State

SEGMENT_BYTES = 16 * 2**20


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, keep_previous: bool = False) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        tmp.unlink(missing_ok=True)  # a full disk: leave the old file and no debris
        raise
    if keep_previous and path.exists():
        prev = path.with_name(path.name + ".prev")
        with contextlib.suppress(FileNotFoundError):
            prev.unlink()
        os.link(path, prev)
    os.replace(tmp, path)
    fsync_dir(path.parent)


class DataDirLock:
    """An exclusive flock on data_dir/cop.lock, held for the daemon's lifetime."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "cop.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise StoreError(
                    f"another `cop run` is already using {self.path.parent} ({holder}); "
                    "stop it first, or give this one its own data_dir"
                ) from None
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class BufferedAtomicStorage(Storage):
    """TinyDB storage held in memory; `flush()` writes it atomically, once per tick."""

    def __init__(self, path: str, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.dirty = False
        self.data: dict[str, dict[str, Any]] = self._load()

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("top level is not an object")
        except ValueError as exc:
            prev = self.path.with_name(self.path.name + ".prev")
            way_back = (f"the previous version is in {prev}: check it, then "
                        f"`cp {prev} {self.path}`" if prev.exists()
                        else "move it aside and restore it from your backup")
            raise StoreError(
                f"{self.path} is damaged ({exc}); cop will not start on an empty database. "
                f"{way_back}. Messages, threads and posts are in the journal and archive "
                "beside it and are not affected."
            ) from None
        return data

    def read(self) -> dict[str, dict[str, Any]]:
        return self.data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.data = data
        self.dirty = True

    def flush(self) -> None:
        if not self.dirty or self.read_only:
            return
        payload = json.dumps(self.data, ensure_ascii=False, sort_keys=True).encode()
        write_atomic(self.path, payload, keep_previous=True)
        self.dirty = False

    def close(self) -> None:
        pass


def _append_or_roll_back(file: Any, data: bytes, size: int) -> None:
    """Append `data` to a segment that is `size` bytes long. If the disk is full, cut back to
    `size`, so a retry appends whole records after whole records (a torn record in the
    middle of a segment would make it unreadable). The records stay pending."""
    fd = file.fileno()  # straight to the O_APPEND descriptor: no buffer to flush later
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
        raise


def open_segment(folder: Path, suffix: str) -> tuple[Any, Path]:
    """The newest segment file with room left, else the next number, open for appending."""
    existing = sorted(folder.glob(f"*{suffix}"))
    if existing and existing[-1].stat().st_size < SEGMENT_BYTES:
        path = existing[-1]
    else:
        number = int(existing[-1].stem) + 1 if existing else 1
        path = folder / f"{number:06d}{suffix}"
    file = open(path, "ab")  # noqa: SIM115 - kept open across flushes by the caller
    fsync_dir(folder)
    return file, path


@functools.cache
def _fsync_worker() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="cop-fsync")


class Journal:
    """Append-only JSON-lines records in numbered segment files."""

    def __init__(self, folder: Path, read_only: bool = False) -> None:
        self.folder = folder
        self.read_only = read_only
        self._pending: list[bytes] = []
        self._file: Any = None  # the open segment, appended to by flush()
        self._size = 0
        self._behind: Future[None] | None = None
        if not read_only:
            folder.mkdir(parents=True, exist_ok=True)
            self._repair_tail()

    def segments(self) -> list[Path]:
        if not self.folder.exists():
            return []
        return sorted(self.folder.glob("*.jsonl"))

    def replay(self) -> Iterator[dict[str, Any]]:
        """Every record in the order written; a torn last line is skipped. Read a line at
        a time: a segment is never in memory whole."""
        segments = self.segments()
        for n, segment in enumerate(segments):
            with open(segment, "rb") as f:
                for i, line in enumerate(f, 1):
                    if line == b"\n":
                        continue
                    try:
                        yield json.loads(line)
                    except ValueError:
                        # a line with no newline can only be the file's last: a torn append
                        if n == len(segments) - 1 and not line.endswith(b"\n"):
                            continue
                        raise StoreError(
                            f"{segment}: line {i} is damaged; move that line out of the file "
                            "(the message is still in data_dir/archive) and start again"
                        ) from None

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        self._pending.append(line.encode() + b"\n")

    def flush(self, behind: bool = False) -> None:
        """Write what is pending and fsync it. With behind=True the fsync runs in a worker
        while the caller goes on (the next flush waits for it): the outbox uses this to
        overlap the record of one sent message with sending the next."""
        self._wait_behind()
        if not self._pending or self.read_only:
            return
        if self._file is None or self._size >= SEGMENT_BYTES:
            self._open_segment()
        data = b"".join(self._pending)
        _append_or_roll_back(self._file, data, self._size)
        self._size += len(data)
        self._pending.clear()
        if behind:
            self._behind = _fsync_worker().submit(os.fsync, self._file.fileno())
        else:
            os.fsync(self._file.fileno())

    def _wait_behind(self) -> None:
        if self._behind is not None:
            self._behind.result()
            self._behind = None

    def close(self) -> None:
        self._wait_behind()
        if self._file is not None:
            self._file.close()
            self._file = None

    def _open_segment(self) -> None:
        self.close()
        self._file, _ = open_segment(self.folder, ".jsonl")
        self._size = self._file.tell()

    def _repair_tail(self) -> None:
        """Cut a torn last line left by a crash mid-append."""
        segments = self.segments()
        if not segments:
            return
        last = segments[-1]
        data = last.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            with open(last, "r+b") as f:
                f.truncate(keep)
                os.fsync(f.fileno())


class Spool:
    """Outgoing messages, appended to segment files; an outbox record names (segment,
    offset, length). One fsync per batch instead of a file, an fsync and a rename per
    message. Bytes past the last flush (a crash mid-batch) are never referenced."""

    def __init__(self, folder: Path, read_only: bool = False) -> None:
        self.folder = folder
        self.read_only = read_only
        self._pending: list[bytes] = []
        self._file: Any = None
        self._name = ""
        self._size = 0  # bytes in the current segment, pending included
        self._readers: dict[str, Any] = {}
        if not read_only:
            folder.mkdir(parents=True, exist_ok=True)

    def add(self, data: bytes) -> tuple[str, int, int]:
        if self._file is None or self._size >= SEGMENT_BYTES:
            self._open_segment()
        ref = (self._name, self._size, len(data))
        self._pending.append(data)
        self._size += len(data)
        return ref

    def flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        _append_or_roll_back(self._file, data, self._size - len(data))
        os.fsync(self._file.fileno())
        self._pending.clear()

    def read(self, segment: str, offset: int, length: int) -> bytes:
        reader = self._readers.get(segment)
        if reader is None:
            reader = self._readers[segment] = open(self.folder / segment, "rb")  # noqa: SIM115
        data: bytes = os.pread(reader.fileno(), length, offset)
        if len(data) != length:
            raise StoreError(f"{self.folder / segment} is shorter than its outbox records "
                             f"say; the message at offset {offset} is missing")
        return data

    def prune(self, needed: set[str], written_before: float) -> list[str]:
        """Delete the segments no waiting message is in and nothing was written to since
        `written_before` (a timestamp); never the one being written. Their messages went
        (or failed for good) and their outcome is in the journal. The names deleted."""
        removed = []
        for path in sorted(self.folder.glob("*.spool")):
            if path.name in needed or path.name == self._name:
                continue
            try:
                if path.stat().st_mtime >= written_before:
                    continue
                reader = self._readers.pop(path.name, None)
                if reader is not None:
                    reader.close()
                path.unlink()
            except FileNotFoundError:
                continue
            removed.append(path.name)
        if removed:
            fsync_dir(self.folder)
        return removed

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()
        if self._file is not None:
            self._file.close()
            self._file = None

    def _open_segment(self) -> None:
        self.flush()
        if self._file is not None:
            self._file.close()
        self._file, path = open_segment(self.folder, ".spool")
        self._name = path.name
        self._size = self._file.tell()


class Archive:
    """A Maildir of raw messages as received. new/ = to process, cur/ = processed."""

    def __init__(self, folder: Path, create: bool = True) -> None:
        self.folder = folder
        if create:
            for sub in ("tmp", "new", "cur"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
        self._counter = 0
        self._unsynced: list[str] = []

    def add(self, raw: bytes, sync: bool = True) -> str:
        """Store `raw`; return its key. With sync (the SMTP receiver, before it answers 250)
        it is on disk when this returns; without (IMAP, where the server keeps the message
        until we flag it), sync() makes a batch durable with one directory fsync."""
        self._counter += 1
        key = f"{time.time_ns()}.P{os.getpid()}Q{self._counter}.{socket.gethostname()}"
        tmp = self.folder / "tmp" / key
        try:
            with open(tmp, "wb") as f:
                f.write(raw)
                f.flush()
                if sync:
                    os.fsync(f.fileno())
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        os.rename(tmp, self.folder / "new" / key)
        if sync:
            fsync_dir(self.folder / "new")
        else:
            self._unsynced.append(key)
        return key

    def sync(self) -> None:
        """Make every message added without sync durable."""
        for key in self._unsynced:
            with contextlib.suppress(FileNotFoundError):  # already processed and moved
                fd = os.open(self.folder / "new" / key, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        if self._unsynced:
            fsync_dir(self.folder / "new")
            self._unsynced.clear()

    def pending(self) -> list[str]:
        """Keys received but not yet processed, oldest first."""
        return sorted(p.name for p in (self.folder / "new").iterdir())

    def read(self, key: str) -> bytes:
        for sub in ("new", "cur"):
            path = self.folder / sub / key
            if path.exists():
                return path.read_bytes()
            seen = self.folder / sub / f"{key}:2,S"
            if seen.exists():
                return seen.read_bytes()
        raise KeyError(key)

    def mark_done(self, keys: list[str]) -> None:
        for key in keys:
            with contextlib.suppress(FileNotFoundError):  # done by an earlier run
                os.rename(self.folder / "new" / key, self.folder / "cur" / f"{key}:2,S")
        if keys:
            fsync_dir(self.folder / "cur")
            fsync_dir(self.folder / "new")

    def count(self) -> int:
        return sum(1 for sub in ("new", "cur") for _ in (self.folder / sub).iterdir())


class Requests:
    """Changes asked for from the command line while the daemon holds data_dir: one JSON
    file each in data_dir/requests, applied by the daemon at its next tick."""

    ALLOWED = frozenset({"attendance", "hold-decision"})

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def submit(self, records: list[dict[str, Any]]) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{time.time_ns()}-{os.getpid()}.json"
        write_atomic(path, json.dumps(records, ensure_ascii=False).encode())
        return path

    def pending(self) -> list[tuple[Path, list[dict[str, Any]]]]:
        if not self.folder.exists():
            return []
        found = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                records = json.loads(path.read_bytes())
            except ValueError:
                path.rename(path.with_suffix(".bad"))  # kept for a person to look at
                continue
            found.append((path, [r for r in records if r.get("t") in self.ALLOWED]))
        return found


class Store:
    """The data_dir: TinyDB metadata, the journal and the archive, flushed together."""

    def __init__(self, data_dir: Path, read_only: bool = False) -> None:
        self.data_dir = data_dir
        self.read_only = read_only
        if read_only and not data_dir.exists():
            self.storage = BufferedAtomicStorage(str(data_dir / "db.json"), read_only=True)
        else:
            if not read_only:
                data_dir.mkdir(parents=True, exist_ok=True)
            self.storage = BufferedAtomicStorage(str(data_dir / "db.json"), read_only)
        self.db = TinyDB(storage=lambda: self.storage)
        self.journal = Journal(data_dir / "journal", read_only)
        self.archive = Archive(data_dir / "archive", create=not read_only)
        self.spool = Spool(data_dir / "queue", read_only)
        self.requests = Requests(data_dir / "requests")
        self.state = State()
        for record in self.journal.replay():
            self.state.apply(record)

    def record(self, record: Record) -> None:
        """Apply a record to the in-memory state and append it to the journal."""
        self.state.apply(record)
        self.journal.append(record)

    def flush(self) -> None:
        """Make everything recorded so far durable: the outgoing messages the records point
        to, then the journal, then metadata. Raw mail fetched from IMAP first: its outcome
        must not be durable before the mail itself."""
        self.archive.sync()
        self.spool.flush()
        self.journal.flush()
        self.storage.flush()

    def close(self) -> None:
        self.flush()
        self.journal.close()
        self.spool.close()

    def get_meta(self, table: str, key: str) -> dict[str, Any] | None:
        doc = self.db.table(table).get(Query().key == key)
        return None if doc is None else {k: v for k, v in doc.items() if k != "key"}

    def put_meta(self, table: str, key: str, value: dict[str, Any]) -> None:
        """Set one small metadata document, buffered until flush()."""
        self.db.table(table).upsert({**value, "key": key}, Query().key == key)

    def meta_items(self, table: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for doc in self.db.table(table).all():
            yield doc["key"], {k: v for k, v in doc.items() if k != "key"}
