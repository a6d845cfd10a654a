"""Small metadata (cursors, schedules, what each member's calendar was sent) in TinyDB,
held in memory and written atomically once per tick, the previous version kept beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from mailer.edges.store.files import write_atomic
from mailer.errors import StoreError


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
