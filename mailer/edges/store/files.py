"""Writing files so that a crash leaves the old or the new, never half: atomic replace,
append-or-roll-back to segment files, fsync of directories; the data_dir lock; the layout.

    data_dir/
      cop.lock        held by the running daemon (flock); read-only verbs do not need it
      db.json         small metadata, rewritten atomically once per tick (metadata.py)
      db.json.prev    the previous db.json, kept by each flush as a way back
      journal/        append-only JSON lines, replayed into memory at start (journal.py)
      index.sqlite    the journal folded up to a position: a snapshot, and the maps that
                      grow with every message, read on demand (index.py); -wal, -shm beside
      archive/        Maildir of raw inbound mail, new/ to process, cur/ done (archive.py)
      queue/          outgoing messages in append-only segments (spool.py)
      requests/       changes asked for with `cop` while the daemon runs (archive.py)
      files/          attachments, once each, by sha256 (files/ab/ab12...)
      outbox/         Maildir the `maildir` outbound protocol delivers into
      receiving/      messages the SMTP receiver is still reading, past a size (smtpguard.py)
      secret          the key that signs reply addresses when cop.toml gives none

Nothing outside this package builds a path under data_dir. Everything in it is its owner's
only: folders 0700, files 0600 from the moment they are created (whatever the umask), since
the archive, the queue and the journal hold members' mail and live tokens.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import os
import re
import secrets
import shutil
import socket
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mailer.errors import StoreError

SEGMENT_BYTES = 16 * 2**20


def private_dir(path: Path) -> None:
    """Create `path`, and any missing folder above it, readable by its owner only."""
    if path.is_dir():
        return
    if not path.parent.is_dir():
        private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)


def open_private(path: Path, append: bool = False) -> Any:
    """A new (or appended) file, 0600 from its first byte."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    return os.fdopen(os.open(path, flags, 0o600), "ab" if append else "wb")


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
        with open_private(tmp) as f:
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

    def acquire(self, role: str = "") -> None:
        """Hold it, or StoreError naming who does. `role`: "cop run" for the daemon, so
        that a verb knows it may hand its request over and wake it (`holder`)."""
        private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
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
        said = f"pid {os.getpid()} on {socket.gethostname()}" + (f" ({role})" if role else "")
        os.pwrite(fd, f"{said}\n".encode(), 0)
        self._fd = fd

    def holder(self) -> tuple[int, str, str] | None:
        """(pid, host, role) of whoever wrote the lock last: the holder, when it is held."""
        try:
            text = self.path.read_text(errors="replace")
        except OSError:
            return None
        found = re.match(r"pid (\d+) on (\S+)(?: \((.*)\))?", text)
        return (int(found[1]), found[2], found[3] or "") if found else None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def append_or_roll_back(file: Any, data: bytes, size: int) -> None:
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


def open_segment(folder: Path, suffix: str, limit: int) -> tuple[Any, Path]:
    """The newest segment file with room left, else the next number, open for appending."""
    existing = sorted(folder.glob(f"*{suffix}"))
    if existing and existing[-1].stat().st_size < limit:
        path = existing[-1]
    else:
        number = int(existing[-1].stem) + 1 if existing else 1
        path = folder / f"{number:06d}{suffix}"
    file = open_private(path, append=True)  # kept open across flushes by the caller
    fsync_dir(folder)
    return file, path


@functools.cache
def fsync_worker() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="cop-fsync")


def outbox_folder(data_dir: Path) -> Path:
    """The Maildir that the `maildir` outbound protocol delivers into."""
    return data_dir / "outbox"


def receiving_folder(data_dir: Path) -> Path:
    """Where the SMTP receiver spools a message while it arrives (private to us)."""
    folder = data_dir / "receiving"
    private_dir(folder)
    return folder


def load_secret(data_dir: Path, configured: str | None) -> str:
    """The configured secret, else one generated once and kept in data_dir/secret, written
    readable by its owner only."""
    if configured:
        return configured
    path = data_dir / "secret"
    if path.exists():
        return path.read_text().strip()
    private_dir(data_dir)
    value = secrets.token_hex(32)
    write_atomic(path, value.encode())  # 0600 from the first byte
    return value


def copy_durable(source: Path, target: Path) -> None:
    """What a rehearsal (`cop plan`) needs of a data_dir, copied: metadata, the secret, the
    index, the journal and the queue; not the archive or the outbox. The index first (a
    consistent copy, SQLite's backup): the journal copied after it covers its snapshot."""
    private_dir(target)
    for name in ("db.json", "secret"):
        if (source / name).exists():
            shutil.copy2(source / name, target / name)
    if (source / "index.sqlite").exists():
        reader = sqlite3.connect(f"file:{source / 'index.sqlite'}?mode=ro", uri=True)
        open_private(target / "index.sqlite").close()
        writer = sqlite3.connect(target / "index.sqlite")
        try:
            reader.backup(writer)
        finally:
            reader.close()
            writer.close()
    for folder in ("journal", "queue"):
        if (source / folder).exists():
            shutil.copytree(source / folder, target / folder)


class Files:
    """Attachments, content-addressed: each kept once whatever posts or copies carry it.
    A file is written to a temp name, fsynced and renamed, so it is whole or absent."""

    _SHA = re.compile(r"^[0-9a-f]{64}$")

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, sha256: str) -> Path:
        if not self._SHA.match(sha256):
            raise ValueError(f"not a sha256: {sha256[:80]!r}")
        return self.folder / sha256[:2] / sha256

    def add(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        if not target.exists():
            private_dir(target.parent)
            write_atomic(target, data)
        return sha256

    def keys(self) -> list[str]:
        """The sha256 of every file kept."""
        return sorted(p.name for p in self.folder.glob("??/*") if self._SHA.match(p.name))

    def read(self, sha256: str) -> bytes | None:
        try:
            return self.path(sha256).read_bytes()
        except (FileNotFoundError, ValueError):
            return None
