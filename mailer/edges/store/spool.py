"""The queue: outgoing messages appended to segment files, written and fsynced before the
outbox records that point into them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mailer.edges.store.files import (
    SEGMENT_BYTES,
    append_or_roll_back,
    fsync_dir,
    open_segment,
    private_dir,
)
from mailer.errors import StoreError


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
            private_dir(folder)

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
        append_or_roll_back(self._file, data, self._size - len(data))
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
        self._file, path = open_segment(self.folder, ".spool", SEGMENT_BYTES)
        self._name = path.name
        self._size = self._file.tell()
