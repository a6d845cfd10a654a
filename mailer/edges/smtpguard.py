"""The built-in receiver's limits, around aiosmtpd's SMTP protocol.

    connections   at most PER_CLIENT from one address and MAX_CONNECTIONS in all; one more
                  is answered "421" and closed before it costs anything
    recipients    at most MAX_RECIPIENTS in one transaction (smtpd.py answers 452 after)
    DATA          the message goes to a temporary file in data_dir (0600) once it passes
                  SPOOL_MEMORY, and the size limit is kept while it arrives; only
                  FINISHING messages at a time are read back into memory to be checked and
                  archived, so memory is bounded however many clients send at once
    STARTTLS      offered with the certificate named in cop.toml; required when the
                  receiver listens on anything but loopback (smtpd.py refuses to start
                  without one)

What aiosmtpd does with the bytes is kept: dot-unstuffing, the line-length rule, answering
a too-large message only after it has been read (RFC 5321 section 4.2.5).
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import IO, Any

from aiosmtpd.controller import BaseThreadedController, Controller, UnixSocketController
from aiosmtpd.smtp import SMTP, Envelope, syntax

PER_CLIENT = 10
MAX_CONNECTIONS = 100
MAX_RECIPIENTS = 100
SPOOL_MEMORY = 256 * 2**10  # bytes of one message kept in memory before it goes to disk
FINISHING = 2  # messages read back into memory at once (checked, archived)


class Connections:
    """Open connections by client address (shared by the receiver's protocol instances)."""

    def __init__(self, per_client: int = PER_CLIENT, total: int = MAX_CONNECTIONS) -> None:
        self.per_client = per_client
        self.total = total
        self.open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def enter(self, client: str) -> bool:
        with self._lock:
            if self.open[client] >= self.per_client or sum(self.open.values()) >= self.total:
                return False
            self.open[client] += 1
            return True

    def leave(self, client: str) -> None:
        with self._lock:
            self.open[client] -= 1
            if self.open[client] <= 0:
                del self.open[client]


class SpooledEnvelope(Envelope):
    """An envelope whose message is in `spool` (a file), not in `content`."""

    spool: IO[bytes] | None = None


# A line of DATA may be this long. RFC 5321 says 1,000 octets, but real mail servers send
# longer ones (Amazon SES and GMX bounces were refused "500 Line too long") and Postfix takes
# them, folding at 2,048; we take them whole, up to this.
LINE_LIMIT = 2**20


class GuardedSMTP(SMTP):
    line_length_limit = LINE_LIMIT  # its stream limit too; commands keep their own 512
    def __init__(self, handler: Any, *, connections: Connections, spool_dir: Path | None,
                 **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.connections = connections
        self.spool_dir = spool_dir
        self._client: str | None = None
        self._refused = False

    def _create_envelope(self) -> Envelope:
        return SpooledEnvelope()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._client is None and not self._refused:  # not the STARTTLS re-entry
            peer = transport.get_extra_info("peername")
            client = str(peer[0]) if peer else ""
            if not self.connections.enter(client):
                self._refused = True
                if isinstance(transport, asyncio.WriteTransport):
                    transport.write(b"421 4.7.0 Too many connections, try again later\r\n")
                transport.close()
                return
            self._client = client
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        if self._client is not None:
            self.connections.leave(self._client)
            self._client = None
        super().connection_lost(error)

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def eof_received(self) -> bool | None:
        return False if self._refused else super().eof_received()

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA, writing the message to a spooled file instead of a list."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        envelope = self.envelope
        assert isinstance(envelope, SpooledEnvelope)
        if not envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - handed to the handler
            max_size=SPOOL_MEMORY, dir=str(self.spool_dir) if self.spool_dir else None,
            prefix=".smtp-")
        try:
            state = await self._read_data(spool)
        except BaseException:  # the connection went away during DATA
            spool.close()
            raise
        if state:
            spool.close()
            await self.push_refusal("500 Line too long (see RFC5321 4.5.3.1.6)"
                                    if state == "long" else "552 Error: Too much mail data")
            self.envelope = self._create_envelope()  # aiosmtpd's post-DATA state
            return
        spool.seek(0)
        envelope.spool = spool
        try:
            status = await self._call_handler_hook("DATA")
        finally:
            spool.close()
        self.envelope = self._create_envelope()  # aiosmtpd's post-DATA state
        await self.push(status if isinstance(status, str) else "250 OK")

    async def push_refusal(self, status: str) -> None:
        """The answer to a message refused after DATA (LMTP answers it per recipient)."""
        await self.push(status)

    async def _read_data(self, spool: IO[bytes]) -> str:
        """Lines up to the lone dot into `spool`; '' when whole, "long" or "much" when not
        (read to the end all the same)."""
        size, limit, state = 0, self.data_size_limit, ""
        fragments: list[bytes] = []
        while self.transport is not None:
            try:
                line = await self._reader.readuntil(b"\r\n")
            except asyncio.LimitOverrunError as exc:
                state = state or "long"
                line = await self._reader.read(exc.consumed)
            if not fragments and line == b".\r\n":
                break
            size += len(line)
            if not state and limit and size > limit:
                state = "much"
            fragments.append(line)
            if line.endswith(b"\r\n"):
                whole = b"".join(fragments)
                fragments = []
                if state:
                    continue
                if len(whole) > self.line_length_limit:
                    state = "long"
                    continue
                spool.write(whole[1:] if whole.startswith(b".") else whole)
        return state


class _Guarded(BaseThreadedController):
    """A controller making GuardedSMTP (or lmtpd.py's GuardedLMTP) protocol instances."""

    def __init__(self, handler: Any, connections: Connections, spool_dir: Path | None,
                 protocol: type[GuardedSMTP] = GuardedSMTP, **kwargs: Any) -> None:
        self.connections = connections
        self.spool_dir = spool_dir
        self.protocol = protocol
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        return self.protocol(self.handler, connections=self.connections,
                             spool_dir=self.spool_dir, **self.SMTP_kwargs)


class GuardedController(_Guarded, Controller):
    """Listens on host:port."""


class GuardedUnixController(_Guarded, UnixSocketController):
    """Listens on a unix socket (LMTP from Postfix on this machine)."""
