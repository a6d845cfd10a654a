"""The daemon's time between two ticks: the clock it reads, and the wait until mail comes
(IMAP IDLE, or the SMTP receiver's event), `cop` wakes it (SIGUSR1 sets the same event),
the poll interval passes, or it is told to stop."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from mailer.edges.imap import ImapMailbox
from mailer.errors import ServiceError

log = logging.getLogger(__name__)

# IDLE is renewed this often so that SIGTERM (and a wake from `cop`) is answered within these
# seconds; mail that arrives between two IDLEs is announced at once by the next one.
IDLE_CHUNK = 5.0


class Clock:
    """Real time, or real time shifted so that it starts at --now."""

    def __init__(self, start: datetime | None) -> None:
        self.offset = (start - datetime.now(UTC)) if start else None

    def now(self) -> datetime:
        real = datetime.now(UTC)
        return real + self.offset if self.offset is not None else real


def wait_for_work(mailbox: ImapMailbox | None, poll_interval: timedelta,
                  arrived: threading.Event, stop: threading.Event, failures: int,
                  longest: float = 60.0) -> None:
    """Until mail arrives or `cop` wakes us (`arrived`), the poll interval passes, or we are
    told to stop. After `failures` ticks that failed in a row, back off. `longest`: due jobs
    need a tick at least every minute; a worker that does not lead (PostgreSQL) looks every
    few seconds whether the leader is gone."""
    interval = poll_interval.total_seconds()
    if failures:
        interval = min(2 ** min(failures, 8), 300)  # the service is down: back off
    interval = min(interval, longest)
    if mailbox is not None and mailbox.can_idle and not failures:
        deadline = time.monotonic() + interval
        while not stop.is_set() and time.monotonic() < deadline:
            if arrived.is_set():  # woken by `cop` between two IDLEs
                arrived.clear()
                return
            try:
                if mailbox.wait(min(IDLE_CHUNK, deadline - time.monotonic())):
                    return
            except ServiceError as exc:
                log.error("imap wait failed error=%s", exc)
                return
        return
    arrived.wait(interval)
    arrived.clear()
