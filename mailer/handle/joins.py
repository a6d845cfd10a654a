"""Becoming a member, and closed groups: `[[community]] join = "approve"`.

    open     the address proven (an authenticated From): a member at once, welcome
    confirm  (default) double opt-in: a member once they reply to the confirmation
    approve  confirmed as above, then the request waits for an organizer or moderator:
             it is a hold (JOIN_APPROVAL, listed by `cop holds`, `cop members` says
             pending); each organizer and moderator gets one mail naming the person and
             decides by replying "setuju" / "tolak" (or `cop holds approve ID`); the
             requester is told that they wait, then the outcome

A join a moderator already vouched for (approving an unverified request, or "setuju dan
tambahkan" on a post held because its sender is not a member) carries `approved_by` and
does not wait again. Pure, like every handler: records and mail are returned.
"""

from __future__ import annotations

from datetime import datetime

from mailer.calendar.occurrences import upcoming
from mailer.config import Community
from mailer.handle.app import App, Result
from mailer.handle.posts import hold_notices_left
from mailer.handle.reasons import JOIN_APPROVAL, reason_text
from mailer.membership import name_of
from mailer.model import Hold, Mail
from mailer.outbound.compose import compose_notice
from mailer.state import Record, State
from mailer.tokens import moderation_address


def activate(app: App, state: State, community: Community, email: str, name: str,
             now: datetime, result: Result, source: str = "email", by: str = "",
             in_reply_to: str | None = None) -> None:
    """A member from now on: the record, and their welcome mail."""
    record: Record = {"t": "member", "community": community.id, "email": email.lower(),
                      "name": name, "state": "active", "source": source,
                      "at": now.isoformat()}
    if by:
        record["by"] = by
    result.records.append(record)
    recent = state.threads_newest_first(community.id, limit=5)
    coming = [(m, o) for m in community.meetings
              for o in upcoming(m, now, limit=1, language=community.language)]
    result.outgoing.append(compose_notice(
        community, email, name, "welcome",
        f"Selamat datang di {community.name}" if community.language == "id"
        else f"Welcome to {community.name}", now, app.templates,
        key=f"welcome:{in_reply_to or community.id + ':' + email.lower()}",
        in_reply_to=in_reply_to, recent=recent,
        next_meeting=min(coming, key=lambda mo: mo[1].start) if coming else None))


def waits_for_approval(record: Record | None) -> bool:
    return record is not None and record.get("state") == "pending" \
        and record.get("waiting") == "approval"


def hold_join(app: App, state: State, mail: Mail, key: str, community: Community,
              record: Record, now: datetime, result: Result) -> None:
    """A confirmed request to join a closed group: it waits for an organizer or moderator."""
    hold_id = state.new_hold_id()
    email, name = mail.from_addr, record.get("name") or mail.from_name
    notify = hold_notices_left(state, community, now)
    result.records += [
        {**record, "waiting": "approval", "at": now.isoformat()},
        {"t": "hold", "id": hold_id, "community": community.id, "from": email,
         "subject": f"{name} <{email}>" if name else email, "reason": JOIN_APPROVAL,
         "received": now.isoformat(), "message_id": mail.message_id, "archive": key,
         "trusted": True, "notified": notify}]
    result.outgoing.append(compose_notice(
        community, email, name, "join-waiting",
        "Permintaan Anda menunggu persetujuan" if community.language == "id"
        else "Your request is waiting for approval", now, app.templates,
        key=f"join-waiting:{hold_id}", in_reply_to=mail.message_id, again=False))
    result.detail = f"join: confirmed, waiting for approval ({hold_id})"
    if not notify:  # a flood of requests: the hourly summary lists them
        return
    for person in sorted({e.lower() for e in (*community.organizers, *community.moderators)}):
        result.outgoing.append(compose_notice(
            community, person, name_of(community, state, person), "join-request",
            (f"Permintaan bergabung: {name or email}" if community.language == "id"
             else f"Request to join: {name or email}"), now, app.templates,
            key=f"join-request:{hold_id}",
            reply_to=moderation_address(app.secret, community.address, community.id, hold_id,
                                        person, now),
            hold_id=hold_id, sender=email, sender_name=name,
            reason_text=reason_text(JOIN_APPROVAL, community.language, to="moderator")))


def decide_join(app: App, state: State, hold: Hold, community: Community, decision: str,
                reason: str, by: str, now: datetime, result: Result) -> None:
    """An organizer's or moderator's answer to a request to join a closed group."""
    record = state.members.get((community.id, hold.from_addr))
    name = str(record.get("name") or "") if record else ""
    if not waits_for_approval(record):  # they left, or joined another way, meanwhile
        result.detail = f"{hold.id}: no request waits any more"
        return
    if decision.startswith("approve"):
        activate(app, state, community, hold.from_addr, name, now, result, by=by,
                 in_reply_to=hold.message_id)
        return
    assert record is not None
    result.records.append({**record, "state": "rejected", "at": now.isoformat()})
    result.outgoing.append(compose_notice(
        community, hold.from_addr, name, "join-rejected",
        f"Permintaan bergabung dengan {community.name}" if community.language == "id"
        else f"Your request to join {community.name}", now, app.templates,
        key=f"join-rejected:{hold.id}", in_reply_to=hold.message_id, reason=reason))
