"""Where outgoing mail goes: an SMTP relay, or a Maildir under data_dir (no account needed)."""

from __future__ import annotations

import contextlib
import os
import smtplib
import socket
import ssl
from pathlib import Path

from mailer.config import OutboundConfig
from mailer.edges.store import fsync_dir, open_private, private_dir
from mailer.outbound.outbox import PermanentFailure, ServerUnavailable, TransientFailure, Transport
from mailer.timed.alerts import login_hint


class MaildirTransport:
    """Delivers into a Maildir ({new,cur,tmp}), one file per outbox item.

    The file is named after the item, so delivering the same item twice writes one file.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        for sub in ("tmp", "new", "cur"):
            private_dir(folder / sub)

    def send(self, envelope_from: str, to: str, data: bytes, item_id: str) -> None:
        target = self.folder / "new" / item_id
        if target.exists():
            return
        tmp = self.folder / "tmp" / item_id
        head = f"Return-Path: <{envelope_from}>\r\nDelivered-To: {to}\r\n".encode()
        try:
            with open_private(tmp) as f:
                f.write(head + data)
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, target)
            fsync_dir(target.parent)
        except OSError as exc:  # disk full, permissions: try again later, lose nothing
            raise TransientFailure(f"cannot write {target}: {exc}") from exc

    def close(self) -> None:
        pass


class SmtpTransport:
    """One connection reused across a batch; reconnects when the server drops it."""

    def __init__(self, config: OutboundConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None
        # the last login: "ok", what the server said when it refused, None before the first
        # (the daemon turns a refusal into an alert: timed/alerts.py)
        self.login: str | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        timeout = c.timeout.total_seconds()
        context = ssl.create_default_context(cafile=c.ca_file)
        smtp: smtplib.SMTP | None = None
        try:
            if c.tls == "ssl":
                smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=timeout, context=context)
            else:
                smtp = smtplib.SMTP(c.host, c.port, timeout=timeout)
                if c.tls == "starttls":
                    smtp.starttls(context=context)
            if c.username:
                _login(smtp, c.username, c.password)
        except smtplib.SMTPAuthenticationError as exc:
            _close_quietly(smtp)
            said = exc.smtp_error.decode(errors="replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)
            self.login = " ".join(f"{exc.smtp_code} {said}".split())[:200]
            raise ServerUnavailable(f"SMTP login refused for {c.username}: {exc.smtp_code} "
                                    "(check [outbound] username and password). "
                                    + login_hint(c.host, c.username, "en")) from exc
        except (OSError, smtplib.SMTPException) as exc:
            _close_quietly(smtp)
            raise ServerUnavailable(f"cannot reach SMTP server {c.host}:{c.port}: {exc}") \
                from exc
        self.login = "ok"
        return smtp

    def send(self, envelope_from: str, to: str, data: bytes, item_id: str) -> None:
        for attempt in (1, 2):
            if self._smtp is None:
                self._smtp = self._connect()
            try:
                refused = self._smtp.sendmail(envelope_from, [to], data)
            except smtplib.SMTPServerDisconnected as exc:
                self._smtp = None
                if attempt == 2 or isinstance(exc.__context__, TimeoutError):
                    # a timeout: the server may still accept this copy, so sending it again
                    # at once would make a duplicate; it is deferred like any 4xx
                    raise TransientFailure(f"server closed the connection: {exc}") from exc
                continue  # a reused connection the server had dropped: once more, anew
            except smtplib.SMTPRecipientsRefused as exc:
                code, reason = exc.recipients.get(to, (550, b"refused"))
                raise _failure(code, reason) from exc
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code == 421:
                    self._drop()
                raise _failure(exc.smtp_code, exc.smtp_error) from exc
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                raise TransientFailure(f"SMTP error: {exc}") from exc
            if to in refused:
                code, reason = refused[to]
                raise _failure(code, reason)
            return

    def _drop(self) -> None:
        _close_quietly(self._smtp)
        self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException, socket.error):
                self._smtp.quit()
        self._smtp = None


def _close_quietly(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.close()


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """One login with one mechanism. smtplib.login() tries the next mechanism after a
    refusal, so a wrong password counts twice toward a provider's lockout."""
    smtp.ehlo_or_helo_if_needed()
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    if "PLAIN" in offered:
        smtp.user, smtp.password = user, password
        smtp.auth("PLAIN", smtp.auth_plain)
    else:
        smtp.login(user, password)


def _failure(code: int, reason: bytes | str) -> Exception:
    text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
    message = f"{code} {text}"
    return PermanentFailure(message) if 500 <= code < 600 else TransientFailure(message)


def open_transport(config: OutboundConfig, maildir: Path) -> Transport:
    """The configured transport; `maildir` is where the maildir protocol delivers."""
    if config.protocol == "maildir":
        return MaildirTransport(maildir)
    return SmtpTransport(config)
