"""Raw inbound mail as received (a Maildir), and the requests `cop` leaves for the daemon."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from mailer.edges.store.files import fsync_dir, open_private, private_dir, write_atomic


class Archive:
    """A Maildir of raw messages as received. new/ = to process, cur/ = processed."""

    def __init__(self, folder: Path, create: bool = True) -> None:
        self.folder = folder
        if create:
            for sub in ("tmp", "new", "cur"):
                private_dir(folder / sub)
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
            with open_private(tmp) as f:
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

    def done_keys(self) -> list[str]:
        """Keys processed, oldest first."""
        return sorted(p.name.removesuffix(":2,S") for p in (self.folder / "cur").iterdir())

    def add_as(self, key: str, raw: bytes, done: bool) -> None:
        """Keep a message under the key it had elsewhere (`cop store copy`)."""
        target = self.folder / ("cur" if done else "new") / (f"{key}:2,S" if done else key)
        write_atomic(target, raw)


class Requests:
    """Changes asked for from the command line while the daemon holds data_dir: one JSON
    file each in data_dir/requests, carried out by the daemon at its next tick. Its answer
    (what the verb prints) is left beside it as NAME.answer for the waiting `cop`, and then
    the request goes; an answer nobody came for is removed after a day."""

    ALLOWED = frozenset({"attendance", "hold-decision", "quarantine-release",
                         "quarantine-state", "digest-send", "web"})  # web: handle/web.py
    KEEP_ANSWERS = 86400.0  # seconds

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def submit(self, records: list[dict[str, Any]]) -> str:
        private_dir(self.folder)
        path = self.folder / f"{time.time_ns()}-{os.getpid()}.json"
        write_atomic(path, json.dumps(records, ensure_ascii=False).encode())
        return path.name

    def pending(self) -> list[tuple[str, list[dict[str, Any]]]]:
        if not self.folder.exists():
            return []
        found = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                records = json.loads(path.read_bytes())
            except ValueError:
                path.rename(path.with_suffix(".bad"))  # kept for a person to look at
                continue
            found.append((path.name, [r for r in records if r.get("t") in self.ALLOWED]))
        return found

    def done(self, request: str) -> None:
        """Forget a request once what it asked for is durable."""
        (self.folder / request).unlink(missing_ok=True)

    def answer(self, request: str, answer: dict[str, Any]) -> None:
        """Leave the answer for the `cop` that asked, then forget the request."""
        write_atomic(self._answer_path(request), json.dumps(answer, ensure_ascii=False).encode())
        self.done(request)
        cutoff = time.time() - self.KEEP_ANSWERS
        for old in self.folder.glob("*.answer"):
            with contextlib.suppress(FileNotFoundError):
                if old.stat().st_mtime < cutoff:
                    old.unlink()

    def answer_of(self, request: str) -> dict[str, Any] | None:
        """The answer to a request, once there is one (taken: read once)."""
        path = self._answer_path(request)
        try:
            answer: dict[str, Any] = json.loads(path.read_bytes())
        except (FileNotFoundError, ValueError):
            return None
        path.unlink(missing_ok=True)
        return answer

    def waiting(self, request: str) -> bool:
        return (self.folder / request).exists()

    def _answer_path(self, request: str) -> Path:
        return self.folder / (Path(request).stem + ".answer")


def requests_of(data_dir: Path) -> Requests:
    """The requests folder of a data_dir, without opening the rest of the store."""
    return Requests(data_dir / "requests")
