"""The built-in SMTP receiver (aiosmtpd): accepts mail for the communities' addresses only.

A message is acknowledged (250) only after it is durably in the archive, so a crash after
the 250 loses nothing; the daemon processes the archive on its next tick. Before it is
archived, SPF, DKIM and DMARC are checked (auth.py) and the result written on top of it.
Connections, recipients, memory and STARTTLS: smtpguard.py.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from mailer.config.secure import is_loopback
from mailer.edges.auth import Authenticator
from mailer.edges.smtpguard import (
    FINISHING,
    MAX_RECIPIENTS,
    Connections,
    GuardedController,
    SpooledEnvelope,
)
from mailer.errors import ServiceError
from mailer.store import RawArchive
from mailer.tokens import plus_tag

log = logging.getLogger(__name__)


NO_COMMUNITY = "550 5.1.1 No community has this address here"
TRY_LATER = "451 4.3.0 Cannot store the message right now, try again later"
STORED = "250 2.0.0 Stored"


class ReceiveHandler:
    """aiosmtpd's handler: RCPT for the communities' addresses only, DATA archived durably
    before its 250. lmtpd.py's LmtpHandler answers the same per recipient."""

    def __init__(self, archive: RawArchive, addresses: Callable[[], list[str]],
                 arrived: threading.Event, authenticator: Authenticator | None = None) -> None:
        self.archive = archive
        self.addresses = addresses  # read on every RCPT: follows cop.toml reloads
        self.arrived = arrived
        self.authenticator = authenticator
        self._lock = threading.Lock()
        self._finishing: asyncio.Semaphore | None = None  # made in the receiver's loop

    def accepts(self, address: str) -> bool:
        address = address.lower()
        return any(address == own.lower() or plus_tag(address, own) is not None
                   for own in self.addresses())

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if not self.accepts(address):
            return NO_COMMUNITY
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return STORED if await self.store(session, envelope, envelope.rcpt_tos) else TRY_LATER

    async def store(self, session: Session, envelope: Envelope, recipients: list[str]) -> bool:
        """Check and archive the message for `recipients`; False when it could not be made
        durable (the client is told to try again)."""
        if self._finishing is None:
            self._finishing = asyncio.Semaphore(FINISHING)
        async with self._finishing:  # only so many messages in memory at once
            loop = asyncio.get_running_loop()
            try:
                key, raw = await loop.run_in_executor(None, self._store, session, envelope,
                                                      recipients)
            except OSError as exc:
                log.error("archive failed error=%s", exc)
                return False
        log.info("received key=%s bytes=%d", key, len(raw))
        self.arrived.set()
        return True

    def client(self, session: Session, raw: bytes) -> tuple[str, str]:
        """Whom SPF judges: the IP and HELO of the client that connected to us."""
        peer = session.peer
        return str(peer[0]) if isinstance(peer, tuple) and peer else "", session.host_name or ""

    def _store(self, session: Session, envelope: Envelope,
               recipients: list[str]) -> tuple[str, bytes]:
        """Read the message, check its sender (auth.py), archive it: in a worker thread."""
        spool = envelope.spool if isinstance(envelope, SpooledEnvelope) else None
        raw = spool.read() if spool is not None else (envelope.original_content
                                                      or envelope.content)
        if not isinstance(raw, bytes):
            raw = str(raw).encode("utf-8", "surrogateescape")
        if self.authenticator is not None:
            ip, helo = self.client(session, raw)
            raw = self.authenticator.stamp(raw, ip, helo, envelope.mail_from or "")
        head = envelope_headers(envelope.mail_from, recipients)
        with self._lock:
            return self.archive.add(head + raw), raw


def envelope_headers(mail_from: str | None, rcpt_tos: list[str]) -> bytes:
    """The envelope as a delivering server writes it (RFC 5321 section 4.4): Return-Path
    with MAIL FROM (<> for a bounce), a Delivered-To per recipient; and X-Cop-Envelope-To,
    which parse.py reads as recipients."""
    def clean(value: str) -> str:  # no line breaks or brackets from the client in a header
        return "".join(c for c in value if c.isprintable() and c not in "<>")[:320]

    sender = clean((mail_from or "").strip())
    lines = [f"Return-Path: <{sender}>"]
    lines += [f"Delivered-To: {clean(to)}" for to in rcpt_tos]
    lines.append(f"X-Cop-Envelope-To: {', '.join(clean(to) for to in rcpt_tos)}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogateescape")


class SmtpReceiver:
    def __init__(self, host: str, port: int, handler: ReceiveHandler, max_bytes: int,
                 tls_cert: Path | None = None, tls_key: Path | None = None,
                 spool_dir: Path | None = None,
                 connections: Connections | None = None) -> None:
        """Off loopback, STARTTLS with `tls_cert` and `tls_key` is required: without them
        the receiver refuses to start (ServiceError)."""
        tls: dict[str, Any] = {}
        if tls_cert is not None and tls_key is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            try:
                context.load_cert_chain(tls_cert, tls_key)
            except (OSError, ssl.SSLError) as exc:
                raise ServiceError(f"cannot load tls_cert/tls_key: {exc}") from exc
            tls = {"tls_context": context, "require_starttls": not is_loopback(host)}
        elif not is_loopback(host):
            raise ServiceError(f"the receiver would listen on {host} without STARTTLS; give "
                               "[inbound] tls_cert and tls_key, or listen on 127.0.0.1")
        self.controller = GuardedController(
            handler, connections or Connections(), spool_dir, hostname=host, port=port,
            data_size_limit=max_bytes, decode_data=False, ident="CoP Mailer",
            enable_SMTPUTF8=True, **tls)  # RFC 6531: UTF-8 addresses and headers

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    @property
    def address(self) -> tuple[Any, Any]:
        return self.controller.hostname, self.controller.port
