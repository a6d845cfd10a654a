"""The receiver `cop run` starts for [inbound] protocol = "smtp" (smtpd.py, the built-in SMTP
receiver) or "lmtp" (lmtpd.py, for Postfix on this machine): both archive what they accept
into the store's archive and wake the daemon's loop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from mailer.config import InboundConfig
from mailer.edges.auth import Authenticator
from mailer.edges.lmtpd import LmtpHandler, LmtpReceiver
from mailer.edges.smtpd import ReceiveHandler, SmtpReceiver
from mailer.errors import ServiceError
from mailer.store import RawArchive

log = logging.getLogger(__name__)


class Receiver(Protocol):
    def stop(self) -> None: ...


def start_receiver(inbound: InboundConfig, archive: RawArchive,
                   addresses: Callable[[], list[str]], arrived: threading.Event,
                   spool_dir: Path) -> Receiver:
    """Listening when it returns; ServiceError when it cannot (the port taken, ...)."""
    checks = inbound.protocol == "smtp" or inbound.authenticate == "cop"
    authenticator = Authenticator(inbound.authserv_id) if checks else None
    where = f"unix:{inbound.socket}" if inbound.socket else f"{inbound.host}:{inbound.port}"
    receiver: SmtpReceiver | LmtpReceiver
    try:
        if inbound.protocol == "lmtp":
            receiver = LmtpReceiver(LmtpHandler(archive, addresses, arrived, authenticator),
                                    inbound.max_message_bytes, inbound.host, inbound.port,
                                    inbound.socket, spool_dir)
        else:
            receiver = SmtpReceiver(inbound.host, inbound.port,
                                    ReceiveHandler(archive, addresses, arrived, authenticator),
                                    inbound.max_message_bytes, inbound.tls_cert,
                                    inbound.tls_key, spool_dir)
        receiver.start()
    except (OSError, RuntimeError) as exc:
        raise ServiceError(f"cannot listen on {where} ({exc}); is another program using it? "
                           "Set [inbound] port (or socket)") from exc
    log.info("listening %s=%s", inbound.protocol, where)
    return receiver
