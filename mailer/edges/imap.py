"""The IMAP mailbox (imapclient): fetch new mail into the archive, mark it done, wait by IDLE.

Each message is processed once: the UIDVALIDITY + last UID cursor says where to start, and our
keyword $CopDone (set after the outcome is recorded) says what is finished. When UIDVALIDITY
changes, the cursor starts over but $CopDone still skips what was done, so nothing is
processed twice and nothing new is skipped. Messages are flagged, never deleted.

Sizes first (RFC822.SIZE): a message over max_message_size is never fetched whole; only a
few of its header fields come, as a TooLarge that the daemon quarantines with the reason.
The rest come in batches of at most FETCH_BATCH messages and FETCH_BYTES bytes.
"""

from __future__ import annotations

import contextlib
import logging
import select
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from mailer.config import InboundConfig
from mailer.errors import ImapLoginRefused, ImapUnavailable
from mailer.timed.alerts import login_hint

log = logging.getLogger(__name__)

DONE_FLAG = b"$CopDone"
FETCH_BATCH = 50
FETCH_BYTES = 32 * 2**20  # of whole messages in one FETCH
HEAD_FIELDS = "BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)]<0.16384>"


@dataclass(frozen=True)
class TooLarge:
    """A message left on the server for its size: what we know of it."""

    size: int
    limit: int
    head: bytes  # a few header fields, at most 16 KiB

    @property
    def reason(self) -> str:
        return (f"message is {self.size} bytes, over the limit of {self.limit}; "
                "not fetched, left on the IMAP server")
IDLE_RENEW_SECONDS = 25 * 60  # servers may drop IDLE after 30 minutes (RFC 2177)
# after a refused login, wait this long before the next try, doubling up to LOGIN_PAUSE_MAX:
# providers lock an account that keeps failing (the daemon ticks every minute)
LOGIN_PAUSE = 60.0
LOGIN_PAUSE_MAX = 30 * 60.0


@dataclass(frozen=True)
class Cursor:
    uidvalidity: int
    last_uid: int


class ImapMailbox:
    def __init__(self, config: InboundConfig) -> None:
        self.config = config
        self.client: IMAPClient | None = None
        self.uidvalidity = 0
        self.can_idle = False
        self._refused: tuple[str, int, float] | None = None  # text, times, next try

    def connect(self) -> None:
        c = self.config
        if self._refused is not None and time.monotonic() < self._refused[2]:
            text, times, _ = self._refused
            raise ImapLoginRefused(self._refusal(text, times), text)
        client: IMAPClient | None = None
        try:
            context = ssl.create_default_context(cafile=c.ca_file)
            client = IMAPClient(c.host, port=c.port, ssl=c.tls == "ssl", timeout=60,
                                ssl_context=context)
            if c.tls == "starttls":
                client.starttls(context)
            client.login(c.username, c.password)
            info = client.select_folder(c.folder)
            self.can_idle = c.idle and client.has_capability("IDLE")
        except LoginError as exc:
            if client is not None:
                _shutdown(client)
            text = _clean(exc)
            if text[:2] in ("b'", 'b"') and text[-1:] == text[1]:
                text = text[2:-1]  # imapclient gives the server's bytes' repr
            times = self._refused[1] + 1 if self._refused else 1
            pause = min(LOGIN_PAUSE * 2 ** (times - 1), LOGIN_PAUSE_MAX)
            self._refused = (text, times, time.monotonic() + pause)
            raise ImapLoginRefused(self._refusal(text, times), text) from exc
        except (IMAPClientError, OSError) as exc:
            if client is not None:
                _shutdown(client)
            raise ImapUnavailable(f"IMAP {c.host}:{c.port}: {_clean(exc)}") from exc
        self.client = client
        self._refused = None
        self.uidvalidity = int(info[b"UIDVALIDITY"])

    def _refusal(self, text: str, times: int) -> str:
        c = self.config
        return (f"IMAP {c.host}:{c.port}: login refused for {c.username} ({text}); "
                f"refused {times} time(s), next try in at most "
                f"{min(LOGIN_PAUSE * 2 ** (times - 1), LOGIN_PAUSE_MAX) / 60:.0f} min. "
                + login_hint(c.host, c.username, "en"))

    def _ready(self) -> IMAPClient:
        if self.client is None:
            self.connect()
        assert self.client is not None
        return self.client

    def fetch_new(self, cursor: Cursor | None) -> Iterator[tuple[int, bytes | TooLarge]]:
        """(uid, raw) of every message after the cursor that is not $CopDone, oldest first;
        (uid, TooLarge) for one over the size limit."""
        client = self._ready()
        try:
            client.noop()  # sync the session: mail appended by others since becomes visible
            start = 1
            if cursor is not None and cursor.uidvalidity == self.uidvalidity:
                start = cursor.last_uid + 1
            elif cursor is not None:
                log.warning("imap uidvalidity changed old=%d new=%d; rescanning for mail "
                            "without %s", cursor.uidvalidity, self.uidvalidity,
                            DONE_FLAG.decode())
            uids = client.search(["UID", f"{start}:*", "UNKEYWORD", DONE_FLAG.decode()])
            uids = sorted(u for u in uids if u >= start)
            for batch in self._batches(client, uids):
                if isinstance(batch, tuple):
                    yield batch
                    continue
                data = client.fetch(batch, ["BODY.PEEK[]"])
                for uid in batch:
                    if uid in data and b"BODY[]" in data[uid]:
                        yield uid, data[uid][b"BODY[]"]
        except (IMAPClientError, OSError) as exc:
            self.drop()
            raise ImapUnavailable(f"IMAP fetch failed: {_clean(exc)}") from exc

    def _batches(self, client: IMAPClient,
                 uids: list[int]) -> Iterator[list[int] | tuple[int, TooLarge]]:
        """UIDs to fetch whole, in batches bounded in count and bytes; (uid, TooLarge) for
        each one over the limit, in its place."""
        limit = self.config.max_message_bytes
        for i in range(0, len(uids), 500):
            sizes = client.fetch(uids[i : i + 500], ["RFC822.SIZE"])
            batch: list[int] = []
            total = 0
            for uid in uids[i : i + 500]:
                size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
                if size > limit:
                    if batch:
                        yield batch
                        batch, total = [], 0
                    yield uid, TooLarge(size, limit, _head(client.fetch([uid], [HEAD_FIELDS]),
                                                           uid))
                    continue
                if batch and (len(batch) >= FETCH_BATCH or total + size > FETCH_BYTES):
                    yield batch
                    batch, total = [], 0
                batch.append(uid)
                total += size
            if batch:
                yield batch

    def mark_done(self, uids: list[int], uidvalidity: int) -> bool:
        """Flag processed mail $CopDone (and move it, if configured). False if the mailbox
        was recreated since: those UIDs now name other messages, so nothing is flagged."""
        client = self._ready()
        if uidvalidity != self.uidvalidity:
            log.warning("imap uidvalidity changed old=%d new=%d; %d processed messages are "
                        "not flagged here", uidvalidity, self.uidvalidity, len(uids))
            return False
        try:
            client.add_flags(uids, [b"\\Seen", DONE_FLAG])
            if self.config.done_folder:
                client.move(uids, self.config.done_folder)
        except (IMAPClientError, OSError) as exc:
            self.drop()
            raise ImapUnavailable(f"IMAP flagging failed: {_clean(exc)}") from exc
        return True

    def wait(self, seconds: float, wake: int | None = None) -> bool:
        """Wait for new mail up to `seconds`: IDLE if the server has it. True if mail came.
        `wake`: a file descriptor that ends the wait when it becomes readable."""
        client = self._ready()
        if not self.can_idle:
            return False
        try:
            # Dovecot announces in IDLE only what arrives during it; mail that came between
            # the last command and now shows up on a NOOP.
            _, pending = client.noop()
            if any(_is_new_mail(r) for r in pending):
                return True
            client.idle()
            seconds = min(seconds, IDLE_RENEW_SECONDS)
            if wake is None or client.socket() in select.select(
                    [client.socket(), wake], [], [], seconds)[0]:
                responses = client.idle_check(timeout=0 if wake is not None else seconds)
            else:
                responses = []  # woken: leave IDLE
            client.idle_done()
        except (IMAPClientError, OSError) as exc:
            self.drop()
            raise ImapUnavailable(f"IMAP IDLE failed: {_clean(exc)}") from exc
        return any(_is_new_mail(r) for r in responses)

    def drop(self) -> None:
        if self.client is not None:
            _shutdown(self.client)
        self.client = None

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(IMAPClientError, OSError):
                self.client.logout()
        self.client = None


def _head(data: dict[int, dict[bytes, Any]], uid: int) -> bytes:
    for key, value in data.get(uid, {}).items():
        if key.startswith(b"BODY[") and isinstance(value, bytes):
            return value[:16384]
    return b""


def _shutdown(client: IMAPClient) -> None:
    with contextlib.suppress(IMAPClientError, OSError):  # the connection is already broken
        client.shutdown()


def _is_new_mail(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) >= 2 and response[1] in (
        b"EXISTS", b"RECENT")


def _clean(exc: object) -> str:
    """An error text safe for logs: one line, no credentials."""
    return " ".join(str(exc).split())[:200]
