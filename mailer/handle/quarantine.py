"""Mail that could not be processed: nothing a member sends disappears silently.

    quarantine_mail   set a message aside with its reason: its raw bytes stay in the
                      archive, a `quarantine` record keeps what could be read of it (sender,
                      Message-ID, subject) for `cop quarantine` and the organizers' attention
                      mail, and a member who sent it is told once, in the community's
                      language (a stranger or a robot never: no backscatter)
    Release           an organizer's `cop quarantine release`: the message is processed
                      again under the ID it was recorded with, and the entry says so

What cannot be read of the message (no sender, no recipient that is ours) is still kept
and listed; only the notice needs a member to send it to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailer.config import Community
from mailer.handle.app import App, Result, find_community, recorded_as
from mailer.inbound.classify import is_robot
from mailer.inbound.parse import Heading, read_heading
from mailer.membership import members_of
from mailer.outbound.compose import compose_notice
from mailer.state import Record, State


@dataclass(frozen=True)
class Release:
    """Process quarantine entry `id` again (`by` asked for it)."""

    id: str
    by: str
    message_id: str  # the ID its first outcome was recorded under ("" for an old entry)


def quarantine_mail(app: App, state: State, key: str, raw: bytes, reason: str, now: datetime,
                    rule: str = "error", release: Release | None = None,
                    tell: bool = True) -> Result:
    """Set a message aside with its reason; a second copy of one set aside before is a
    duplicate. A release that fails again leaves its entry waiting, with the new reason.
    `tell=False`: without the notice (composing it is what failed)."""
    heading = read_heading(raw)
    message_id = (release.message_id if release and release.message_id else
                  recorded_as(state, heading.message_id, heading.fingerprint))
    if message_id is None:
        result = Result("duplicate", "message-id", heading.message_id)
        result.records.append({"t": "duplicate", "id": heading.message_id, "archive": key})
        return result
    community = find_community(app.config, heading.to_addrs)
    entry = release.id if release else state.new_quarantine_id()
    first = state.quarantine.get(entry)
    received = first.received if first is not None else now
    result = Result("quarantined", rule, message_id, community.id if community else None,
                    detail=f"{entry}: {reason[:300]}")
    result.records += [{
        "t": "quarantine", "id": entry, "message_id": message_id, "from": heading.from_addr,
        "subject": heading.subject, "reason": reason[:300],
        "received": received.isoformat(), "archive": key, "community": result.community,
    }, _message_record(result, key, heading, entry, reason, now)]
    if tell and community is not None and _tell_sender(state, community, heading):
        language = community.language
        result.outgoing.append(compose_notice(
            community, heading.from_addr, heading.from_name, "quarantined",
            QUARANTINED_SUBJECT[language], now, app.templates, key=f"quarantined:{message_id}",
            in_reply_to=message_id, subject_of=heading.subject,
            reason_text=reason_text(rule, language)))
    return result


def released(result: Result, release: Release, now: datetime) -> Result:
    """What a release came to, on its entry: processed (whatever state it reached)."""
    if result.state != "quarantined":
        result.records.append({"t": "quarantine-state", "id": release.id, "state": "released",
                               "by": release.by, "outcome": result.state,
                               "at": now.isoformat()})
        result.detail = f"{release.id} released by {release.by}: {result.detail}".rstrip(": ")
    return result


def _tell_sender(state: State, community: Community, heading: Heading) -> bool:
    """Only a member, only a person: strangers' addresses may be forged, robots answer."""
    sender = heading.from_addr
    return bool(sender) and not heading.automatic and not is_robot(sender) \
        and sender in members_of(community, state)


def _message_record(result: Result, key: str, heading: Heading, entry: str, reason: str,
                    now: datetime) -> Record:
    return {
        "t": "message", "id": result.message_id, "state": result.state, "rule": result.rule,
        "community": result.community, "thread": None, "from": heading.from_addr,
        "subject": heading.subject, "received": now.isoformat(), "archive": key,
        "detail": reason[:300], "fingerprint": heading.fingerprint, "quarantine": entry,
    }


QUARANTINED_SUBJECT = {"id": "Pesan Anda belum dapat diteruskan",
                       "en": "Your message could not be passed on yet"}
REASON_TEXTS = {
    "parse": {"id": "bentuk pesannya tidak dapat dibaca oleh sistem email komunitas",
              "en": "the community's mail system could not read the message's format"},
    "error": {"id": "terjadi kesalahan pada sistem email komunitas saat memprosesnya",
              "en": "the community's mail system ran into an error while processing it"},
}


def reason_text(rule: str, language: str) -> str:
    return REASON_TEXTS.get(rule, REASON_TEXTS["error"])[language]
