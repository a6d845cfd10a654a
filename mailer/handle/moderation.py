"""Moderation: a moderator's reply to a hold notice, and carrying out a decision.

Only the moderator decides: their reply must come to the m- address mailed to them for that
hold, in that community, before it expires (tokens.py). Decisions:

    approve      the post goes out as if it had not been held; its sender is told (only one
                 we may answer: app.may_answer). An unverified join request: its
                 confirmation is sent. A closed group's join request: a member (joins.py).
    approve-add  "setuju dan tambahkan" / "approve and add" / `--add-member`, on a post held
                 because its sender is not a member: it goes out and the sender becomes a
                 member (welcome) when their From was authenticated; otherwise they get the
                 confirmation first (nobody is made a member of a list on a From alone)
    reject       the sender is told politely, with the moderator's reason, if we may answer

A decision about a hold already decided changes nothing; the moderator who sent it is told
who decided and when. Nothing happens twice.
"""

from __future__ import annotations

import re
from datetime import datetime

from mailer.config import Community
from mailer.handle.app import App, Result, as_member, may_answer
from mailer.handle.joins import activate, decide_join
from mailer.handle.members import start_join
from mailer.handle.posts import post_mail
from mailer.handle.reasons import JOIN_APPROVAL, JOIN_UNVERIFIED, NOT_MEMBER
from mailer.inbound.parse import parse_mail
from mailer.inbound.replies import new_text
from mailer.membership import members_of, name_of
from mailer.model import Hold, Mail
from mailer.outbound.compose import compose_notice
from mailer.outbound.dates import format_brief
from mailer.state import State
from mailer.tokens import read_moderation

APPROVE_WORDS = ("approve", "approved", "setuju", "disetujui", "terima", "ok", "oke", "ya",
                 "yes", "boleh")
REJECT_WORDS = ("reject", "rejected", "tolak", "ditolak", "tidak", "no", "jangan")
# after an approving word, on the same line: make the sender a member too ("setuju dan
# tambahkan", "approve and add"), unless it says not to ("setuju, jangan ditambahkan")
ADD_WORDS = re.compile(r"\b(tambahkan|tambah|masukkan|add)\b", re.I)
NOT_WORDS = re.compile(r"\b(tidak|tak|jangan|tanpa|not|don't|dont|no|without)\b", re.I)


def answer_hold(app: App, mail: Mail, community: Community, tag: str,
                result: Result, now: datetime) -> Result:
    """A moderator's reply to a hold notice: "setuju" / "approve" (with "dan tambahkan" /
    "and add": the sender becomes a member) or "tolak <reason>"."""
    moderators = {e.lower() for e in (*community.moderators, *community.organizers)}
    hold_id = read_moderation(app.secret, tag, community.id, mail.from_addr, now)
    if hold_id is None or mail.from_addr not in moderators:
        result.detail = f"moderation reply not from the moderator it was sent to, or expired " \
                        f"({tag})"
        return result
    lines = [line.strip() for line in new_text(mail.text).splitlines() if line.strip()]
    first = lines[0] if lines else ""
    word = re.split(r"[\s,.:;!]+", first.lower(), maxsplit=1)[0] if first else ""
    if word in APPROVE_WORDS:
        decision = "approve-add" if adds_member(first[len(word):]) else "approve"
        result.decisions.append((hold_id, decision, "", mail.from_addr))
    elif word in REJECT_WORDS:
        reason = " ".join([first[len(word):].lstrip(" ,.:;-"), *lines[1:]]).strip()
        result.decisions.append((hold_id, "reject", reason, mail.from_addr))
    else:
        result.detail = f"moderation reply for {hold_id} without approve/setuju or reject/tolak"
        return result
    result.detail = f"{result.decisions[0][1]} {hold_id}"
    return result


def adds_member(rest: str) -> bool:
    """Whether what follows "setuju" / "approve" asks to make the sender a member."""
    return bool(ADD_WORDS.search(rest)) and not NOT_WORDS.search(rest)


def release_hold(app: App, state: State, hold: Hold, raw: bytes, decision: str, reason: str,
                 by: str, now: datetime) -> Result:
    """Carry out a moderator's decision (approve, approve-add, reject)."""
    community = app.config.community(hold.community)
    result = Result("held", f"moderation-{decision}", hold.message_id, hold.community)
    if community is None:
        result.detail = f"{hold.id}: its community is gone, nothing to do"
        return result
    if hold.state != "held":
        result.detail = f"{hold.id} is {hold.state}, nothing to do"
        _tell_decided(app, state, hold, community, decision, by, now, result)
        return result
    approve = decision.startswith("approve")
    if hold.reason.startswith(JOIN_APPROVAL):
        decide_join(app, state, hold, community, decision, reason, by, now, result)
    else:
        mail = as_member(community, parse_mail(raw, app.config.inbound.max_message_bytes))
        _release_message(app, state, hold, community, mail, decision, reason, by, now, result)
    state_name = "approved" if approve else "rejected"
    result.records.append({"t": "hold-state", "id": hold.id, "state": state_name,
                           "by": by, "reason": reason, "at": now.isoformat()})
    result.detail = f"{hold.id} {state_name} by {by}" + (
        f"; {result.detail}" if result.detail else "")
    return result


def _release_message(app: App, state: State, hold: Hold, community: Community, mail: Mail,
                     decision: str, reason: str, by: str, now: datetime,
                     result: Result) -> None:
    if decision.startswith("approve") and hold.reason.startswith(JOIN_UNVERIFIED):
        # the moderator vouches for the person: they get the confirmation
        start_join(app, mail, community, now, result, approved_by=by)
        return
    answer = may_answer(app, state, mail)
    if not decision.startswith("approve"):
        if answer:
            result.outgoing.append(compose_notice(
                community, hold.from_addr, mail.from_name, "rejected",
                "Pesan Anda tidak diteruskan" if community.language == "id"
                else "Your message was not passed on", now, app.templates,
                key=f"rejected:{hold.id}", in_reply_to=hold.message_id,
                subject_of=hold.subject, reason=reason))
        return
    add = decision == "approve-add" and hold.reason.startswith(NOT_MEMBER) \
        and hold.from_addr not in members_of(community, state)
    proven = add and app.verdict(mail).authenticated
    posted = post_mail(app, state, mail, hold.archive_key, community, now, approved=True,
                       added=proven)
    result.records += posted.records
    result.outgoing += posted.outgoing
    result.files, result.thread = posted.files, posted.thread
    result.records.append({"t": "poster", "community": hold.community,
                           "email": hold.from_addr})
    if proven:
        activate(app, state, community, hold.from_addr, mail.from_name, now, result,
                 source="moderator", by=by, in_reply_to=hold.message_id)
    elif add:  # nothing proves the address is theirs: they confirm it first
        start_join(app, mail, community, now, result, approved_by=by)
    if answer or proven:
        result.outgoing.append(compose_notice(
            community, hold.from_addr, mail.from_name, "approved",
            "Pesan Anda sudah diteruskan" if community.language == "id"
            else "Your message was passed on", now, app.templates,
            key=f"approved:{hold.id}", in_reply_to=hold.message_id,
            subject_of=hold.subject, added=add, confirm=add and not proven))
    result.detail = "member added" if proven else "confirmation sent" if add else ""


def _tell_decided(app: App, state: State, hold: Hold, community: Community, decision: str,
                  by: str, now: datetime, result: Result) -> None:
    """A second decision about a decided hold: its author (a moderator who wrote) is told
    who decided first, and when; nothing else happens."""
    if "@" not in by:  # `cop holds` says so itself
        return
    who = hold.decided_by
    when = hold.decided_at.astimezone(community.timezone) if hold.decided_at else None
    result.outgoing.append(compose_notice(
        community, by, name_of(community, state, by), "decided",
        ("Sudah diputuskan: " if community.language == "id" else "Already decided: ")
        + (hold.subject if hold.trusted else hold.id), now, app.templates,
        key=f"decided:{hold.id}:{decision}", hold=hold, join=hold.reason.startswith(
            JOIN_APPROVAL), decided_state=hold.state,
        decided_by=(name_of(community, state, who) or who) if who else "",
        decided_by_you=who.lower() == by.lower(),
        decided_at=format_brief(when, community.language) if when else ""))
