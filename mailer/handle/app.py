"""What every handler shares: the App (configuration + secret) and the Result it returns.

A handler takes one parsed message and returns a Result: the state the message ends in, the
journal records to append and the mail to queue. Handlers never write; the daemon does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mailer.config import Community, Config
from mailer.model import Mail
from mailer.outbound.compose import Outgoing, compose_notice
from mailer.state import Record, State
from mailer.tokens import plus_tag


@dataclass(frozen=True)
class App:
    """What processing needs from the configuration, resolved once per config load."""

    config: Config
    secret: str

    @property
    def templates(self) -> Path | None:
        return self.config.service.templates


@dataclass
class Result:
    state: str
    rule: str
    message_id: str
    community: str | None = None
    thread: str | None = None
    records: list[Record] = field(default_factory=list)
    outgoing: list[Outgoing] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # sha256 -> bytes, to keep
    detail: str = ""
    # a moderator's decision: (hold id, approve | reject, reason, by); the daemon reads the
    # held message from the archive and calls release_hold
    decisions: list[tuple[str, str, str, str]] = field(default_factory=list)


def notice(app: App, community: Community, mail: Mail, template: str, subject_id: str,
           subject_en: str, now: datetime, key_suffix: str = "", **data: Any) -> Outgoing:
    """A notice answering `mail`, to its sender, in the community's language."""
    return compose_notice(community, mail.from_addr, mail.from_name, template,
                          subject_id if community.language == "id" else subject_en, now,
                          app.templates, key=f"{template}:{mail.message_id}{key_suffix}",
                          in_reply_to=mail.message_id, **data)


def message_record(result: Result, key: str, mail: Mail, now: datetime) -> Record:
    return {
        "t": "message", "id": result.message_id, "state": result.state, "rule": result.rule,
        "community": result.community, "thread": result.thread, "from": mail.from_addr,
        "subject": mail.subject, "received": now.isoformat(), "archive": key,
        "detail": result.detail, "fingerprint": mail.fingerprint,
    }


def recorded_as(state: State, message_id: str, fingerprint: str) -> str | None:
    """The ID a message is recorded under; None for a second copy of one recorded before.
    The same Message-ID with other content (a client reusing IDs, a resend after an edit)
    is another message, under an ID of its own made from both; records from before
    fingerprints were kept can only say "the same"."""
    known = state.fingerprints.get(message_id)
    if message_id not in state.messages:
        return message_id
    if known is None or known == fingerprint or not fingerprint:
        return None
    own = f"<{fingerprint}.{message_id[1:]}"
    return None if own in state.messages else own


def find_community(config: Config, to_addrs: tuple[str, ...]) -> Community | None:
    for address in to_addrs:
        for community in config.communities:
            own = community.address.lower()
            if address == own or plus_tag(address, own) is not None:
                return community
    return config.communities[0] if len(config.communities) == 1 else None
