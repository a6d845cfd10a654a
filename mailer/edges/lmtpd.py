"""The LMTP receiver (RFC 2033, aiosmtpd's LMTP): Postfix on this machine delivers the
communities' addresses straight to CoP Mailer (config/postfix/ draws the setup).

It is the built-in SMTP receiver (smtpd.py: RCPT for the communities' addresses only, the
message archived durably before any 250, Return-Path and Delivered-To written, smtpguard.py's
limits) with LMTP's answer after DATA: one reply per accepted recipient, in order.

    RCPT     550 for an address that is no community's: Postfix bounces that recipient only
    DATA     250 for each recipient once the message is in the archive; 451 for each when it
             cannot be made durable (Postfix keeps it queued and retries); 550 for an address
             that a cop.toml edit removed since its RCPT

Who sent it. Postfix is the MX, so the client of this connection is Postfix, never the
sender's server. With `authenticate = "cop"` (the default) CoP Mailer checks as the SMTP
receiver does: DKIM and DMARC on the content, SPF with the IP and HELO of the client that
Postfix names in the Received header it wrote (the first one: anything below it came from
outside). With `authenticate = "postfix"` nothing is checked here: the Authentication-Results
a milter of Postfix's (OpenDKIM, OpenDMARC, rspamd) writes under `authserv_id` is trusted
by verify.py, as with IMAP.

LMTP has no login, so it listens on loopback or a unix socket only (config/secure.py); the
socket is made 0666 and access is the job of its folder (e.g. /run/cop, 0750 cop:postfix).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from mailer.edges.smtpd import NO_COMMUNITY, STORED, TRY_LATER, ReceiveHandler
from mailer.edges.smtpguard import (
    MAX_CONNECTIONS,
    Connections,
    GuardedController,
    GuardedSMTP,
    GuardedUnixController,
)


class LmtpHandler(ReceiveHandler):
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """One line per recipient: aiosmtpd sends the lines as one answer."""
        wanted = [to for to in envelope.rcpt_tos if self.accepts(to)]  # cop.toml may change
        stored = bool(wanted) and await self.store(session, envelope, wanted)
        return "\r\n".join((STORED if stored else TRY_LATER) if to in wanted else NO_COMMUNITY
                           for to in envelope.rcpt_tos)

    def client(self, session: Session, raw: bytes) -> tuple[str, str]:
        """The sender's server as Postfix saw it, not Postfix."""
        return postfix_client(raw)


class GuardedLMTP(GuardedSMTP, LMTP):
    """smtpguard.py's limits and spool, with LHLO for HELO/EHLO (aiosmtpd's LMTP)."""

    async def push_refusal(self, status: str) -> None:
        for _ in self.envelope.rcpt_tos if self.envelope is not None else ():
            await self.push(status)


class LmtpReceiver:
    def __init__(self, handler: LmtpHandler, max_bytes: int, host: str = "127.0.0.1",
                 port: int = 2424, socket: Path | None = None,
                 spool_dir: Path | None = None) -> None:
        """On `socket` when given, else host:port."""
        self.socket = socket
        # one client, Postfix, with as many connections as its lmtp concurrency
        connections = Connections(per_client=MAX_CONNECTIONS)
        options: dict[str, Any] = {"data_size_limit": max_bytes, "decode_data": False,
                                   "ident": "CoP Mailer", "enable_SMTPUTF8": True}
        self.controller: GuardedController | GuardedUnixController
        if socket is not None:
            self.controller = GuardedUnixController(
                handler, connections, spool_dir, GuardedLMTP, unix_socket=socket,
                hostname="localhost", **options)
        else:
            self.controller = GuardedController(handler, connections, spool_dir, GuardedLMTP,
                                                hostname=host, port=port, **options)

    def start(self) -> None:
        self.controller.start()
        if self.socket is not None:
            os.chmod(self.socket, 0o666)  # the folder decides who may connect

    def stop(self) -> None:
        self.controller.stop()

    @property
    def where(self) -> str:
        if self.socket is not None:
            return f"unix:{self.socket}"
        assert isinstance(self.controller, GuardedController)
        return f"{self.controller.hostname}:{self.controller.port}"


# Postfix's own: "from HELO (NAME [IP])" or "from HELO (NAME [IPv6:ADDR])", then "by ...".
_FROM = re.compile(r"^\s*from\s+(\S+)\s+\(\S*\s*\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]\)", re.I)


def postfix_client(raw: bytes) -> tuple[str, str]:
    """IP and HELO of the client in the first Received header, the one Postfix wrote when
    it took the message ("", "" when it names none: mail submitted on the machine, or
    Postfix's own bounces)."""
    end = raw.find(b"\r\n\r\n")
    end = raw.find(b"\n\n") if end < 0 else end
    head = (raw if end < 0 else raw[:end]).decode("latin-1")
    fields = re.split(r"\r?\n(?![ \t])", head)
    received = next((f for f in fields if f[:9].lower() == "received:"), "")
    match = _FROM.match(" ".join(received[9:].split()))
    if match is None:
        return "", ""
    helo, ip = match.group(1), match.group(2)
    return ip, "" if helo.lower() == "unknown" else helo
