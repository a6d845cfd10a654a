"""Commands by email: help, join (double opt-in), confirm, leave; a moderator's reply is
handed to moderation.py."""

from __future__ import annotations

from datetime import datetime

from mailer.calendar.occurrences import upcoming
from mailer.config import Community
from mailer.handle.app import App, Result, notice
from mailer.handle.moderation import answer_hold
from mailer.handle.posts import FORGED
from mailer.inbound.classify import Outcome
from mailer.inbound.verify import forged_from
from mailer.membership import members_of
from mailer.model import Mail
from mailer.outbound.compose import compose_notice
from mailer.state import Record, State
from mailer.tokens import confirm_address, confirms


def run_command(app: App, state: State, mail: Mail, community: Community, outcome: Outcome,
             now: datetime) -> Result:
    result = Result("command", outcome.rule, mail.message_id, community.id,
                    detail=outcome.detail)
    if outcome.rule == "moderation":
        return answer_hold(app, mail, community, outcome.detail, result)
    if outcome.detail == "help":
        result.outgoing.append(compose_notice(
            community, mail.from_addr, mail.from_name, "help",
            "Bantuan" if community.language == "id" else "Help", now, app.templates,
            key=f"help:{mail.message_id}", in_reply_to=mail.message_id))
    elif outcome.detail == "join":
        _join(app, state, mail, community, now, result)
    elif outcome.detail == "leave":
        _leave(app, state, mail, community, now, result)
    elif outcome.rule == "confirm":
        _confirm(app, state, mail, community, outcome.detail, now, result)
    return result


def _join(app: App, state: State, mail: Mail, community: Community, now: datetime,
          result: Result) -> None:
    """Double opt-in: the person confirms by replying to a signed address sent only to
    them (never a link a mail scanner could follow)."""
    if mail.from_addr in members_of(community, state):
        result.outgoing.append(notice(app, community, mail, "membership", "Anda sudah anggota",
                                       "You are already a member", now, situation="already"))
        result.detail = "join: already a member"
        return
    result.records.append({"t": "member", "community": community.id, "email": mail.from_addr,
                           "name": mail.from_name, "state": "pending", "source": "email",
                           "at": now.isoformat()})
    result.outgoing.append(compose_notice(
        community, mail.from_addr, mail.from_name, "confirm",
        f"Konfirmasi: bergabung dengan {community.name}" if community.language == "id"
        else f"Confirm: joining {community.name}", now, app.templates,
        key=f"confirm:{mail.message_id}", in_reply_to=mail.message_id,
        reply_to=confirm_address(app.secret, community.address, mail.from_addr)))
    result.detail = "join: confirmation sent"


def _confirm(app: App, state: State, mail: Mail, community: Community, tag: str,
             now: datetime, result: Result) -> None:
    record = state.members.get((community.id, mail.from_addr))
    if not confirms(app.secret, tag, mail.from_addr) or record is None \
            or record["state"] != "pending":
        result.detail = "confirm: not a pending request of this sender"
        return
    result.records.append({**record, "state": "active", "at": now.isoformat()})
    recent = state.threads_newest_first(community.id)[:5]
    coming = [(m, o) for m in community.meetings
              for o in upcoming(m, now, limit=1, language=community.language)]
    result.outgoing.append(notice(
        app, community, mail, "welcome", f"Selamat datang di {community.name}",
        f"Welcome to {community.name}", now, recent=recent,
        next_meeting=min(coming, key=lambda mo: mo[1].start) if coming else None))
    result.detail = "joined"


def _leave(app: App, state: State, mail: Mail, community: Community, now: datetime,
           result: Result) -> None:
    forged = forged_from(mail.auth_results, mail.from_addr)
    if forged:  # somebody else unsubscribing a member: nothing happens, nobody is mailed
        result.detail = f"leave ignored: {FORGED} ({forged})"
        return
    records = leave_records(state, community, mail.from_addr, now)
    if not records:
        result.outgoing.append(notice(app, community, mail, "membership",
                                       "Alamat Anda tidak terdaftar",
                                       "Your address is not a member", now,
                                       situation="not-member"))
        result.detail = "leave: not a member"
        return
    result.records += records
    result.outgoing.append(notice(app, community, mail, "goodbye",
                                   f"Sampai jumpa dari {community.name}",
                                   f"Goodbye from {community.name}", now))
    result.detail = "left"


def leave_records(state: State, community: Community, email: str,
                   now: datetime) -> list[Record]:
    member = members_of(community, state).get(email)
    if member is None:
        return []
    return [{"t": "member", "community": community.id, "email": email, "name": member.name,
             "state": "left", "source": "email", "at": now.isoformat()}]
