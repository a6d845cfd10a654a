"""The journal: append-only JSON-lines records in numbered segment files, replayed into
memory at start. A torn last line (killed mid-write, never acknowledged) is cut off at the
next open; a damaged line elsewhere stops the start with what to do.

Why not TinyDB for everything: TinyDB's table update rebuilds the whole table dict on every
insert and its JSON storage rewrites the whole file, so per-record cost grows with the table.
Measured here: 20,000 single inserts take ~50 s with CachingMiddleware and about an hour
without. The journal keeps per-record cost flat (see bench/storage.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from mailer.edges.store.files import (
    SEGMENT_BYTES,
    append_or_roll_back,
    fsync_worker,
    open_segment,
    private_dir,
)
from mailer.errors import StoreError

Position = tuple[str, int]  # a segment's file name and a byte offset in it


class Journal:
    """Append-only JSON-lines records in numbered segment files."""

    def __init__(self, folder: Path, read_only: bool = False) -> None:
        self.folder = folder
        self.read_only = read_only
        self._pending: list[bytes] = []
        self._file: Any = None  # the open segment, appended to by flush()
        self._size = 0
        self._name = ""  # the open segment's file name
        self._behind: Future[None] | None = None
        if not read_only:
            private_dir(folder)
            self._repair_tail()

    def segments(self) -> list[Path]:
        if not self.folder.exists():
            return []
        return sorted(self.folder.glob("*.jsonl"))

    def replay(self) -> Iterator[dict[str, Any]]:
        """Every record in the order written; a torn last line is skipped."""
        for record, _ in self.replay_from(None):
            yield record

    def replay_from(self, start: Position | None) -> Iterator[tuple[dict[str, Any], Position]]:
        """The records written after `start` (a position a snapshot covers; None: all),
        each with the position just past it. Read a line at a time: a segment is never in
        memory whole."""
        segments = self.segments()
        for n, segment in enumerate(segments):
            if start is not None and segment.name < start[0]:
                continue
            offset = start[1] if start is not None and segment.name == start[0] else 0
            with open(segment, "rb") as f:
                f.seek(offset)
                for i, line in enumerate(f, 1):
                    offset += len(line)
                    if line == b"\n":
                        continue
                    try:
                        record = json.loads(line)
                    except ValueError:
                        # a line with no newline can only be the file's last: a torn append
                        if n == len(segments) - 1 and not line.endswith(b"\n"):
                            continue
                        raise StoreError(
                            f"{segment}: line {i} is damaged; move that line out of the file "
                            "(the message is still in data_dir/archive) and start again"
                        ) from None
                    yield record, (segment.name, offset)

    def covers(self, position: Position) -> bool:
        """Whether the journal holds everything up to `position` (a snapshot's)."""
        if position == ("", 0):
            return True
        path = self.folder / position[0]
        return path.exists() and path.stat().st_size >= position[1]

    def end(self) -> Position:
        """The position just past the last record flushed (nothing may be pending)."""
        if self._file is not None:
            return (self._name, self._size)
        segments = self.segments()
        return (segments[-1].name, segments[-1].stat().st_size) if segments else ("", 0)

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
        append_or_roll_back(self._file, data, self._size)
        self._size += len(data)
        self._pending.clear()
        if behind:
            self._behind = fsync_worker().submit(os.fsync, self._file.fileno())
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
        self._file, path = open_segment(self.folder, ".jsonl", SEGMENT_BYTES)
        self._name = path.name
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
