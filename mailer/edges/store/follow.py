"""A read-only view of a data_dir that follows the daemon's journal as it grows (the web).

The daemon is the one writer of data_dir. A reader replays the journal once, then reads
only what was appended since (whole lines: a line still being written is read next time),
so a page sees the daemon's work within a moment without taking its lock. What the reader
wants changed it asks for through `requests`, which the daemon applies at its next tick.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from mailer.edges.store.archive import Archive, Requests
from mailer.edges.store.files import Files, private_dir
from mailer.state import Record, State


class StoreReader:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.state = State()
        self.archive = Archive(data_dir / "archive", create=False)
        self.requests = Requests(data_dir / "requests")
        self.files = Files(data_dir / "files")
        self._journal = data_dir / "journal"
        self._segment = ""  # the segment being read, and how far
        self._offset = 0
        self.watchers: list[Callable[[Record], None]] = []  # told of every record read
        self.archive_of: dict[str, str] = {}  # Message-ID -> archive key (raw mail)

    def refresh(self) -> int:
        """Read what the daemon appended since the last call; the number of records."""
        if not self._journal.is_dir():
            return 0
        count = 0
        for segment in sorted(p.name for p in self._journal.glob("*.jsonl")):
            if segment < self._segment:
                continue
            if segment != self._segment:
                self._segment, self._offset = segment, 0
            path = self._journal / segment
            if path.stat().st_size <= self._offset:
                continue
            with open(path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
            end = data.rfind(b"\n") + 1  # whole lines only
            for line in data[:end].splitlines():
                if line.strip():
                    self._apply(json.loads(line))
                    count += 1
            self._offset += end
        return count

    def _apply(self, record: Record) -> None:
        self.state.apply(record)
        if record.get("t") == "message" and record.get("archive"):
            self.archive_of[record["id"]] = record["archive"]
        for watcher in self.watchers:
            watcher(record)

    def read_file(self, sha256: str) -> bytes | None:
        return self.files.read(sha256)

    def read_raw(self, message_id: str) -> bytes | None:
        key = self.archive_of.get(message_id)
        if key is None:
            return None
        try:
            return self.archive.read(key)
        except (KeyError, OSError):
            return None

    def web_folder(self) -> Path:
        """data_dir/web: the web's own files (search index, used sign-in links)."""
        folder = self.data_dir / "web"
        private_dir(folder)
        return folder
