"""The Store: what the core and the daemon need from storage, as an interface.

Handlers never touch it (they return records); the daemon, the timed jobs and the outbox
write through it. The one implementation today is the file store in edges/store/ (a
data_dir); a second backend implements the same methods. Every write is keyed by what it is
(Message-ID, outbox id, metadata key), and nothing is durable before `flush()`:

    record(r)          apply a journal record to `state` and keep it for the next flush
    get/put_meta       small metadata documents by table and key (cursors, what was sent)
    add_outgoing(b)    keep an outgoing message's bytes; the ref goes into its outbox record
    add_file(b)        keep an attachment once, by its sha256 (durable when this returns)
    flush()            make all of it durable, raw mail first, then bytes, records, metadata
    archive            raw inbound mail, exactly as received, until and after it is processed
    requests           changes asked for with `cop` while the daemon runs, and their answers
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from mailer.state import Record, State

# where an outgoing message's bytes are: (segment, offset, length)
OutgoingRef = tuple[str, int, int]


class RawArchive(Protocol):
    """Inbound mail as received: `pending` is what was received but not yet processed."""

    def add(self, raw: bytes, sync: bool = True) -> str: ...
    def pending(self) -> list[str]: ...
    def read(self, key: str) -> bytes: ...
    def mark_done(self, keys: list[str]) -> None: ...
    def count(self) -> int: ...


class Requests(Protocol):
    """Records asked for from the command line, applied by the daemon at its next tick."""

    def submit(self, records: list[Record]) -> str: ...
    def pending(self) -> list[tuple[str, list[Record]]]: ...
    def done(self, request: str) -> None: ...
    def answer(self, request: str, answer: dict[str, Any]) -> None:
        """Leave what the verb prints for the `cop` waiting for it; forget the request."""
    def answer_of(self, request: str) -> dict[str, Any] | None:
        """The answer to a request once there is one (taken: read once)."""
    def waiting(self, request: str) -> bool: ...


class Store(Protocol):
    @property
    def state(self) -> State: ...
    @property
    def archive(self) -> RawArchive: ...
    @property
    def requests(self) -> Requests: ...

    def record(self, record: Record) -> None: ...
    def flush(self) -> None: ...
    def flush_records(self, behind: bool = False) -> None:
        """Make the records so far durable (not metadata). With behind=True the wait for the
        disk may overlap the caller's next step; the next flush waits for it."""
    def close(self) -> None: ...

    def get_meta(self, table: str, key: str) -> dict[str, Any] | None: ...
    def put_meta(self, table: str, key: str, value: dict[str, Any]) -> None: ...
    def meta_items(self, table: str) -> Iterator[tuple[str, dict[str, Any]]]: ...

    def add_outgoing(self, data: bytes) -> OutgoingRef: ...
    def read_outgoing(self, parts: tuple[OutgoingRef, ...]) -> bytes:
        """A message's bytes from its parts (its own, then what its copies share)."""
    def prune_outgoing(self, needed: set[str], written_before: float) -> list[str]:
        """Drop the bytes of sent mail: segments no waiting message is in, unwritten since
        `written_before` (a timestamp). The names removed."""

    def add_file(self, data: bytes) -> str:
        """Keep an attachment's bytes once, content-addressed; its sha256 (hex)."""
    def read_file(self, sha256: str) -> bytes | None: ...

    # Several workers on one store (PostgreSQL); the file store has one, and these are no-ops
    shared: bool
    def catch_up(self) -> int:
        """Fold into `state` what other workers recorded since the last look; how many."""
    def is_leader(self) -> bool:
        """Whether this worker polls IMAP, applies requests and runs the clock's jobs."""
    def claim(self, key: str, group: str) -> AbstractContextManager[bool]:
        """One archived message for this worker (False: another has it), processed with the
        other messages of its group (community) one at a time; its outcome and its `done`
        are durable together when the block ends."""
    def exclusive(self) -> AbstractContextManager[None]:
        """Work on State that no other worker does at the same time; durable at the end."""
    def claim_outgoing(self, item_id: str, now: datetime) -> bool:
        """An outbox item is this worker's to send (still waiting, due, nobody else's)."""
