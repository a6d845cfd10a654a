"""Moderation: a moderator's reply to a hold notice, and carrying out a decision.

Only the moderator decides: their reply must come to the m- address mailed to them for that
hold, in that community, before it expires (tokens.py). A rejection is told only to a sender
we may answer (app.may_answer); approving a held join request sends its confirmation."""

from __future__ import annotations

import re
from datetime import datetime

from mailer.config import Community
from mailer.handle.app import App, Result, as_member, may_answer
from mailer.handle.members import JOIN_UNVERIFIED, start_join
from mailer.handle.posts import post_mail
from mailer.inbound.parse import parse_mail
from mailer.inbound.replies import new_text
from mailer.model import Hold, Mail
from mailer.outbound.compose import compose_notice
from mailer.state import State
from mailer.tokens import read_moderation

APPROVE_WORDS = ("approve", "approved", "setuju", "disetujui", "terima", "ok", "oke", "ya",
                 "yes", "boleh")
REJECT_WORDS = ("reject", "rejected", "tolak", "ditolak", "tidak", "no", "jangan")


def answer_hold(app: App, mail: Mail, community: Community, tag: str,
                result: Result, now: datetime) -> Result:
    """A moderator's reply to a hold notice: "setuju" / "approve" or "tolak <reason>"."""
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
        result.decisions.append((hold_id, "approve", "", mail.from_addr))
    elif word in REJECT_WORDS:
        reason = " ".join([first[len(word):].lstrip(" ,.:;-"), *lines[1:]]).strip()
        result.decisions.append((hold_id, "reject", reason, mail.from_addr))
    else:
        result.detail = f"moderation reply for {hold_id} without approve/setuju or reject/tolak"
        return result
    result.detail = f"{result.decisions[0][1]} {hold_id}"
    return result


def release_hold(app: App, state: State, hold: Hold, raw: bytes, decision: str, reason: str,
                 by: str, now: datetime) -> Result:
    """Carry out a moderator's decision: approve posts the message as if it had not been
    held; reject tells the sender (with the moderator's reason, if any)."""
    community = app.config.community(hold.community)
    result = Result("held", f"moderation-{decision}", hold.message_id, hold.community)
    if hold.state != "held" or community is None:
        result.detail = f"{hold.id} is {hold.state}, nothing to do"
        return result
    mail = as_member(community, parse_mail(raw, app.config.inbound.max_message_bytes))
    if decision == "approve" and hold.reason.startswith(JOIN_UNVERIFIED):
        start_join(app, mail, community, now, result)  # the moderator vouches for the person
    elif decision == "approve":
        result = post_mail(app, state, mail, hold.archive_key, community, now, approved=True)
    elif may_answer(app, state, mail):
        result.outgoing.append(compose_notice(
            community, hold.from_addr, mail.from_name, "rejected",
            "Pesan Anda tidak diteruskan" if community.language == "id"
            else "Your message was not passed on", now, app.templates,
            key=f"rejected:{hold.id}", in_reply_to=hold.message_id,
            subject_of=hold.subject, reason=reason))
    if decision == "approve" and not hold.reason.startswith(JOIN_UNVERIFIED):
        result.records.append({"t": "poster", "community": hold.community,
                               "email": hold.from_addr})
    state_name = "approved" if decision == "approve" else "rejected"
    result.records.append({"t": "hold-state", "id": hold.id, "state": state_name,
                           "by": by, "reason": reason, "at": now.isoformat()})
    result.detail = f"{hold.id} {state_name} by {by}"
    return result
