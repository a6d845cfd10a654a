"""Waking the workers on PostgreSQL: LISTEN/NOTIFY instead of a tick every few seconds.

    NOTIFY cop_work      sent by the statements that add work (parts.py, store.py), with
                         what: "archive" (a receiver kept a message), "request" (a `cop` verb
                         or the members' web asked), "outbox" (copies were queued). In a
                         transaction it goes out at COMMIT, so a worker woken sees the rows.
    Wakeups              a thread on a connection of its own that LISTENs and wakes the
                         daemon's loop: it sets the `arrived` event and makes `fileno()`
                         readable, which an IMAP IDLE (edges/imap.py) also watches. What this
                         worker itself wrote does not wake it (it goes on in its own tick), and
                         a follower is not woken for a request (the leader carries it out).
    Pace                 the loop's wait between two ticks (the file store's is
                         edges/waiting.py, unchanged): until woken, IDLE says mail came, the
                         IMAP poll_interval is up (the leader's next look in the mailbox), or
                         FALLBACK seconds pass. Only the leader asks the mailbox, and only when
                         IDLE said something came or poll_interval has passed, never because
                         another worker or `cop` woke it.

A notification is lost when the listening connection breaks; it reconnects, and its first
LISTEN wakes the loop once (whatever came meanwhile is found by that tick), and the FALLBACK
tick finds anything else: a request is answered at the latest then.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from mailer.config import Config
from mailer.edges.imap import ImapMailbox
from mailer.edges.pg.connect import connect
from mailer.errors import ServiceError

log = logging.getLogger(__name__)

CHANNEL = "cop_work"
FALLBACK = 20.0  # seconds between two ticks when nobody wakes a worker (due jobs, takeover)
IDLE_CHUNK = 5.0  # an IDLE is renewed this often so that SIGTERM is answered within it
RECONNECT = 2.0  # seconds before a broken listener connects again


class Runtime(Protocol):  # what of mailer.daemon.Runtime the pace reads and sets
    config: Config
    store: Any
    mailbox: ImapMailbox | None
    leader: bool
    ask_mailbox: bool


class Wakeups:
    def __init__(self, url: str, name: str, arrived: threading.Event,
                 own: Callable[[], set[int]], leading: Callable[[], bool]) -> None:
        self.url, self.name = url, name
        self.arrived = arrived
        self.own = own  # backend pids of this worker's own connections
        self.leading = leading
        self.received = 0  # notifications that woke us (tests look)
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._stop = threading.Event()
        self._conn: Any = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="cop-wakeups")

    def start(self) -> None:
        self._thread.start()

    def fileno(self) -> int:
        return self._read

    def wake(self) -> None:
        self.arrived.set()
        with contextlib.suppress(BlockingIOError):  # full: it is readable already
            os.write(self._write, b"w")

    def drain(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._read, 4096):
                pass

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as exc:  # the database went away: again in a moment
                if not self._stop.is_set():
                    log.warning("listening for work failed, again in %.0f s error=%s",
                                RECONNECT, " ".join(str(exc).split())[:200])
            finally:
                conn, self._conn = self._conn, None
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()
            self._stop.wait(RECONNECT)

    def _listen(self) -> None:
        self._conn = conn = connect(self.url, f"{self.name}-listen")
        conn.execute(f"LISTEN {CHANNEL}")
        self.wake()  # what was notified while nobody listened: the next tick finds it
        while not self._stop.is_set():
            for note in conn.notifies(timeout=1.0):
                if note.pid in self.own() or (note.payload == "request"
                                              and not self.leading()):
                    continue
                self.received += 1
                self.wake()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
        os.close(self._read)
        os.close(self._write)


class Pace:
    """The wait between a PostgreSQL worker's ticks (see the module's text)."""

    def __init__(self, wakeups: Wakeups, stop: threading.Event) -> None:
        self.wakeups = wakeups
        self.stop = stop
        self.next_look = 0.0  # monotonic: when the leader asks the mailbox again

    def wait(self, rt: Runtime, failures: int) -> None:
        mailbox = rt.mailbox if rt.leader else None
        interval = rt.config.inbound.poll_interval.total_seconds()
        if failures:
            interval = min(2 ** min(failures, 8), 300)  # the service is down: back off
        if mailbox is not None and rt.ask_mailbox:  # the tick just asked it
            self.next_look = time.monotonic() + interval
        deadline = time.monotonic() + (interval if failures else FALLBACK)
        if mailbox is not None:
            deadline = min(deadline, self.next_look)
        came = False
        arrived = self.wakeups.arrived
        while not self.stop.is_set() and not arrived.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if mailbox is None or not mailbox.can_idle or failures:
                arrived.wait(left)
                break
            try:
                came = mailbox.wait(min(IDLE_CHUNK, left), wake=self.wakeups.fileno())
            except ServiceError as exc:
                log.error("imap wait failed error=%s", exc)
                break
            if came:
                break
        arrived.clear()
        self.wakeups.drain()
        rt.ask_mailbox = came or time.monotonic() >= self.next_look

    def close(self) -> None:
        self.wakeups.close()


def start_pace(rt: Runtime, arrived: threading.Event, stop: threading.Event) -> Pace | None:
    """For a store shared by several workers, the pace of its loop; None for the file
    store, which waits as edges/waiting.py says."""
    store: Any = rt.store
    if not store.shared:
        return None
    own = {store.conn.info.backend_pid, store.side.conn.info.backend_pid}
    wakeups = Wakeups(store.url, store.name, arrived, lambda: own, store.is_leading)
    store.on_lead = wakeups.wake  # a new leader's first tick comes at once
    wakeups.start()
    return Pace(wakeups, stop)
