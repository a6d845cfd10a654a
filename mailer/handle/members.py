"""Joining and leaving by email: only the person acts for themselves.

    join      From authenticated -> pending + a confirmation mailed to that address
              otherwise           -> held for a moderator (no mail to a stranger nobody
                                     vouched for); approving it sends the confirmation
    leave     From authenticated -> left at once, goodbye
              a member, not       -> a confirmation mailed TO THE MEMBER (one a day); only
                                     their reply to it (k- token) leaves
              forged              -> nothing, nobody is mailed
    confirm   a reply to c- (join) or k- (leave) from the address it was mailed to, in the
              community it was issued for, within CONFIRM_DAYS
    u- token  the List-Unsubscribe address of a member's copies: mail to it from that member
              (a provider's unsubscribe button) leaves at once; automatic ones are not
              answered
"""

from __future__ import annotations

from datetime import datetime

from mailer.calendar.occurrences import upcoming
from mailer.config import Community
from mailer.handle.app import App, Result, notice
from mailer.handle.posts import FORGED, hold_mail
from mailer.membership import members_of
from mailer.model import Mail
from mailer.outbound.compose import compose_notice
from mailer.state import Record, State
from mailer.tokens import confirm_address, confirms, unsubscribes

JOIN_UNVERIFIED = "join request from an unverified address"


def ask_to_join(app: App, state: State, mail: Mail, key: str, community: Community,
                now: datetime, result: Result) -> Result:
    if mail.from_addr in members_of(community, state):
        result.outgoing.append(notice(app, community, mail, "membership", "Anda sudah anggota",
                                       "You are already a member", now, situation="already"))
        result.detail = "join: already a member"
        return result
    verdict = app.verdict(mail)
    if not verdict.authenticated:
        return hold_mail(app, state, mail, key, community, "join-unverified",
                         f"{JOIN_UNVERIFIED} ({verdict.reason})", now)
    start_join(app, mail, community, now, result)
    return result


def start_join(app: App, mail: Mail, community: Community, now: datetime,
               result: Result) -> None:
    """Double opt-in: the person confirms by replying to a signed address sent only to
    them (never a link a mail scanner could follow)."""
    result.records.append({"t": "member", "community": community.id, "email": mail.from_addr,
                           "name": mail.from_name, "state": "pending", "source": "email",
                           "at": now.isoformat()})
    result.outgoing.append(compose_notice(
        community, mail.from_addr, mail.from_name, "confirm",
        f"Konfirmasi: bergabung dengan {community.name}" if community.language == "id"
        else f"Confirm: joining {community.name}", now, app.templates,
        key=f"confirm:{mail.message_id}", in_reply_to=mail.message_id,
        reply_to=confirm_address(app.secret, community.address, community.id,
                                 mail.from_addr, now)))
    result.detail = "join: confirmation sent"


def confirm(app: App, state: State, mail: Mail, community: Community, tag: str,
            now: datetime, result: Result) -> None:
    purpose = confirms(app.secret, tag, community.id, mail.from_addr, now)
    if purpose == "leave":
        _leave_now(app, state, mail, community, now, result, answer=True)
        return
    record = state.members.get((community.id, mail.from_addr))
    if purpose != "join" or record is None or record["state"] != "pending":
        result.detail = "confirm: not a pending request of this sender (or expired)"
        return
    result.records.append({**record, "state": "active", "at": now.isoformat()})
    recent = state.threads_newest_first(community.id, limit=5)
    coming = [(m, o) for m in community.meetings
              for o in upcoming(m, now, limit=1, language=community.language)]
    result.outgoing.append(notice(
        app, community, mail, "welcome", f"Selamat datang di {community.name}",
        f"Welcome to {community.name}", now, recent=recent,
        next_meeting=min(coming, key=lambda mo: mo[1].start) if coming else None))
    result.detail = "joined"


def ask_to_leave(app: App, state: State, mail: Mail, community: Community, now: datetime,
                 result: Result) -> None:
    verdict = app.verdict(mail)
    if verdict.forged:  # somebody else unsubscribing a member: nothing happens, nobody is mailed
        result.detail = f"leave ignored: {FORGED} ({verdict.reason})"
        return
    member = members_of(community, state).get(mail.from_addr)
    if member is None:
        if verdict.authenticated:
            result.outgoing.append(notice(app, community, mail, "membership",
                                           "Alamat Anda tidak terdaftar",
                                           "Your address is not a member", now,
                                           situation="not-member"))
        result.detail = "leave: not a member"
        return
    if verdict.authenticated:
        _leave_now(app, state, mail, community, now, result, answer=True)
        return
    # nothing proves the member sent it: ask them, at their own address, once a day
    result.outgoing.append(compose_notice(
        community, member.email, member.name, "confirm-leave",
        f"Konfirmasi: keluar dari {community.name}" if community.language == "id"
        else f"Confirm: leaving {community.name}", now, app.templates,
        key=f"confirm-leave:{community.id}:{now.date().isoformat()}",
        reply_to=confirm_address(app.secret, community.address, community.id, member.email,
                                 now, purpose="leave")))
    result.detail = f"leave: confirmation asked ({verdict.reason})"


def leave_by_token(app: App, state: State, mail: Mail, community: Community, tag: str,
                   automatic: bool, now: datetime) -> Result:
    """Mail to a member's List-Unsubscribe address."""
    result = Result("command", "unsubscribe-token", mail.message_id, community.id)
    if app.verdict(mail).forged or not unsubscribes(app.secret, tag, community.id,
                                                    mail.from_addr, now):
        result.detail = "unsubscribe address not issued to this sender (or expired)"
        return result
    _leave_now(app, state, mail, community, now, result, answer=not automatic)
    return result


def _leave_now(app: App, state: State, mail: Mail, community: Community, now: datetime,
               result: Result, answer: bool) -> None:
    records = leave_records(state, community, mail.from_addr, now)
    if not records:
        result.detail = "leave: not a member"
        return
    result.records += records
    if answer:
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
