"""Every error CoP Mailer raises on purpose.

    MailerError                 base; carries a message meant for an organizer
     +-- ConfigError            cop.toml is wrong: a list of Problems (file, line, what, fix)
     +-- MailError              one message is bad: keep it, quarantine it, go on
     +-- ServiceError           IMAP / SMTP receiver unavailable: stop this tick, retry later
     |    +-- ImapUnavailable
     |         +-- ImapLoginRefused   the server said no to our login: an alert, with a hint
     +-- StoreError             data_dir is unusable (locked, corrupt): refuse to start

Sending has its own outcomes (outbox.TransientFailure, ServerUnavailable, PermanentFailure):
a failed send is a state of one outbox item, not an error of the tick.

Routing outcomes are values, not exceptions. Only the daemon's outermost loop catches
`Exception`.
"""

from __future__ import annotations

from dataclasses import dataclass


class MailerError(Exception):
    """Base of every error raised on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in cop.toml: where, what, and how to fix it."""

    file: str
    line: int
    what: str
    fix: str

    def __str__(self) -> str:
        fix = f"; {self.fix}" if self.fix else ""
        return f"{self.file}:{self.line}: {self.what}{fix}"


class ConfigError(MailerError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line, p.what))
        super().__init__("\n".join(str(p) for p in self.problems))


class MailError(MailerError):
    """One inbound message cannot be processed; it is kept and quarantined."""


class ServiceError(MailerError):
    """A peer (IMAP, SMTP) or the disk is unavailable right now; retry later."""


class ImapUnavailable(ServiceError):
    pass


class ImapLoginRefused(ImapUnavailable):
    """The mailbox refuses the login; `refused` is what the server said."""

    def __init__(self, message: str, refused: str) -> None:
        super().__init__(message)
        self.refused = refused


class StoreError(MailerError):
    """data_dir cannot be used: locked by another daemon, or its database is damaged."""



class StoreConflict(ServiceError):
    """Another worker on the same database wrote the same key first (a thread id taken by
    two at once): nothing of this step was kept; it is done again, seeing theirs."""
