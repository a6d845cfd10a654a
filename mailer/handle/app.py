"""What every handler shares: the App (configuration + secret) and the Result it returns.

A handler takes one parsed message and returns a Result: the state the message ends in, the
journal records to append and the mail to queue. Handlers never write; the daemon does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from mailer.config import Community, Config
from mailer.inbound.verify import Verdict, check_from
from mailer.membership import members_of
from mailer.model import Mail
from mailer.outbound.compose import Outgoing, compose_notice
from mailer.state import Record, State
from mailer.tokens import answers_for, member_hash, plus_tag, read_token


@dataclass(frozen=True)
class App:
    """What processing needs from the configuration, resolved once per config load."""

    config: Config
    secret: str

    @property
    def templates(self) -> Path | None:
        return self.config.service.templates

    def verdict(self, mail: Mail) -> Verdict:
        """What the trusted server (or our own receiver) found about the mail's From."""
        return check_from(mail.auth_results, self.config.inbound.authserv_id,
                          mail.from_alias or mail.from_addr)


def as_member(community: Community, mail: Mail) -> Mail:
    """Mail from one of a listed member's aliases is the member's: from here on its From
    is their own address (posting rights, answers, leave, settings, and every answer to
    it going there); the address it came from stays in `from_alias`, which is what the
    receiving server authenticated."""
    primary = community.primary(mail.from_addr)
    if primary == mail.from_addr or mail.from_alias:
        return mail
    return replace(mail, from_addr=primary, from_alias=mail.from_addr)


def known_sender(app: App, state: State, mail: Mail) -> bool:
    """An active member or an organizer of any community: someone we may answer even when
    their From is not authenticated (what goes to them goes to a person we know)."""
    sender = mail.from_addr
    return bool(sender) and any(
        sender in members_of(c, state) or sender in {e.lower() for e in (*c.moderators,
                                                                       *c.organizers)}
        for c in app.config.communities)


def sent_to_own_address(app: App, mail: Mail, community: Community) -> bool:
    """Sent to an address issued to the sender: their answer address (meeting mail), or
    their reply address of a thread (a post, a digest). Proof that the sender received
    our mail at that address; whether the From was forged on the way is the verdict's."""
    mine = member_hash(app.secret, mail.from_addr)
    for address in mail.to_addrs:
        tag = plus_tag(address, community.address) or ""
        token = read_token(app.secret, tag)
        if answers_for(app.secret, tag, community.address, mail.from_addr) or (
                token is not None and token.member_hash == mine):
            return True
    return False


def may_answer(app: App, state: State, mail: Mail) -> bool:
    """No backscatter: automatic notices go to authenticated senders and to people we know;
    a stranger whose From nobody vouched for gets nothing (a forged From would make us mail
    whoever the forger chose), and a forged From gets nothing at all."""
    verdict = app.verdict(mail)
    return not verdict.forged and (verdict.authenticated or known_sender(app, state, mail))


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
    """The community a recipient belongs to. Communities may live on plus-addresses of one
    mailbox (kkg@ and kkg+english@): the longest address that matches wins, so
    kkg+english+r-...@ is the English community's, not a tag of kkg@."""
    for address in to_addrs:
        matching = [c for c in config.communities
                    if address == (own := c.address.lower()) or plus_tag(address, own)]
        if matching:
            return max(matching, key=lambda c: len(c.address))
    return config.communities[0] if len(config.communities) == 1 else None
