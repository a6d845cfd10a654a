"""The built-in SMTP receiver (aiosmtpd): accepts mail for the communities' addresses only.

A message is acknowledged (250) only after it is durably in the archive, so a crash after
the 250 loses nothing; the daemon processes the archive on its next tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from mailer.store import RawArchive
from mailer.tokens import plus_tag

log = logging.getLogger(__name__)


class ReceiveHandler:
    def __init__(self, archive: RawArchive, addresses: Callable[[], list[str]],
                 arrived: threading.Event) -> None:
        self.archive = archive
        self.addresses = addresses  # read on every RCPT: follows cop.toml reloads
        self.arrived = arrived
        self._lock = threading.Lock()

    def _accepts(self, address: str) -> bool:
        address = address.lower()
        return any(address == own.lower() or plus_tag(address, own) is not None
                   for own in self.addresses())

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if not self._accepts(address):
            return "550 5.1.1 No community has this address here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw).encode("utf-8", "surrogateescape")
        head = envelope_headers(envelope.mail_from, envelope.rcpt_tos)
        try:
            with self._lock:
                key = self.archive.add(head + raw)
        except OSError as exc:
            log.error("archive failed error=%s", exc)
            return "451 4.3.0 Cannot store the message right now, try again later"
        log.info("received key=%s bytes=%d", key, len(raw))
        self.arrived.set()
        return "250 2.0.0 Stored"


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


# A line of DATA may be this long. RFC 5321 says 1,000 octets, but real mail servers send
# longer ones (Amazon SES and GMX bounces were refused "500 Line too long") and Postfix takes
# them, folding at 2,048; we take them whole, up to this.
LINE_LIMIT = 2**20


class _LongLines(SMTP):
    """aiosmtpd's SMTP with LINE_LIMIT instead of 1,001 octets (its stream limit too, which
    commands share; their own limit of 512 is checked on every command as before)."""

    line_length_limit = LINE_LIMIT


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _LongLines(self.handler, **self.SMTP_kwargs)


class SmtpReceiver:
    def __init__(self, host: str, port: int, handler: ReceiveHandler, max_bytes: int) -> None:
        # SMTPUTF8 (RFC 6531): a client may send UTF-8 addresses and headers (RFC 6532)
        self.controller = _Controller(handler, hostname=host, port=port,
                                      data_size_limit=max_bytes, decode_data=False,
                                      enable_SMTPUTF8=True, ident="CoP Mailer")

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    @property
    def address(self) -> tuple[Any, Any]:
        return self.controller.hostname, self.controller.port
