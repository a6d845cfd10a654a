"""Joining and leaving by email: only the person acts for themselves.

    join      From authenticated -> pending + a confirmation mailed to that address
                                     (join = "open": a member at once; "approve": once
                                     confirmed, it waits for an organizer: joins.py)
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

from mailer.config import Community
from mailer.handle.app import App, Result, notice
from mailer.handle.joins import activate, hold_join, waits_for_approval
from mailer.handle.posts import hold_mail
from mailer.handle.reasons import FORGED, JOIN_UNVERIFIED
from mailer.membership import members_of
from mailer.model import Mail
from mailer.outbound.compose import compose_notice
from mailer.state import Record, State
from mailer.tokens import confirm_address, confirms, unsubscribes

__all__ = ["JOIN_UNVERIFIED", "ask_to_join", "ask_to_leave", "confirm", "leave_by_token",
           "leave_records", "start_join"]


def ask_to_join(app: App, state: State, mail: Mail, key: str, community: Community,
                now: datetime, result: Result) -> Result:
    if mail.from_addr in members_of(community, state):
        result.outgoing.append(notice(app, community, mail, "membership",
                                      "Anda sudah menjadi anggota", "You are already a member",
                                      now, situation="already"))
        result.detail = "join: already a member"
        return result
    verdict = app.verdict(mail)
    if not verdict.authenticated:
        return hold_mail(app, state, mail, key, community, "join-unverified",
                         f"{JOIN_UNVERIFIED} ({verdict.reason})", now)
    if waits_for_approval(state.members.get((community.id, mail.from_addr))):
        result.outgoing.append(notice(app, community, mail, "join-waiting",
                                      "Permintaan Anda menunggu persetujuan",
                                      "Your request is waiting for approval", now, again=True))
        result.detail = "join: already waiting for approval"
        return result
    if community.join == "open":  # the address is proven: no round trip
        activate(app, state, community, mail.from_addr, mail.from_name, now, result,
                 in_reply_to=mail.message_id)
        result.detail = "joined (open)"
        return result
    start_join(app, mail, community, now, result)
    return result


def start_join(app: App, mail: Mail, community: Community, now: datetime,
               result: Result, approved_by: str = "") -> None:
    """Double opt-in: the person confirms by replying to a signed address sent only to
    them (never a link a mail scanner could follow). `approved_by`: a moderator already
    said yes (a closed group does not ask again)."""
    record: Record = {"t": "member", "community": community.id, "email": mail.from_addr,
                      "name": mail.from_name, "state": "pending", "source": "email",
                      "at": now.isoformat()}
    if approved_by:
        record["approved_by"] = approved_by
    result.records.append(record)
    result.outgoing.append(compose_notice(
        community, mail.from_addr, mail.from_name, "confirm",
        f"Konfirmasi: bergabung dengan {community.name}" if community.language == "id"
        else f"Confirm: joining {community.name}", now, app.templates,
        key=f"confirm:{mail.message_id}", in_reply_to=mail.message_id,
        reply_to=confirm_address(app.secret, community.address, community.id,
                                 mail.from_addr, now)))
    result.detail = "join: confirmation sent"


def confirm(app: App, state: State, mail: Mail, community: Community, tag: str,
            now: datetime, result: Result, key: str = "") -> None:
    purpose = confirms(app.secret, tag, community.id, mail.from_addr, now)
    if purpose == "leave":
        _leave_now(app, state, mail, community, now, result, answer=True)
        return
    record = state.members.get((community.id, mail.from_addr))
    if purpose != "join" or record is None or record["state"] != "pending":
        result.detail = "confirm: not a pending request of this sender (or expired)"
        return
    if waits_for_approval(record):
        result.detail = "confirm: already waiting for approval"
        return
    if community.join == "approve" and not record.get("approved_by"):
        hold_join(app, state, mail, key, community, record, now, result)
        return
    activate(app, state, community, mail.from_addr, str(record.get("name") or ""), now,
             result, by=str(record.get("approved_by") or ""), in_reply_to=mail.message_id)
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
