"""An organizer's answer to a roll-call: the checklist ticked, or their own words ("Yang hadir:
Baiq Rina, Made, dan saya", "semua hadir kecuali Yusuf"). What was recorded, and the names
that matched nobody, go back to the organizer; replying to that corrects it.

Only an organizer takes the roll, through the answer address mailed to them, from their own
address. A list of who came, answering the roll-call itself, is the whole roll (the others
were absent, also when it names some who were not: "Yang hadir: ... Pak Budi izin");
answering the confirmation, it changes only the names it gives.
"""

from __future__ import annotations

from datetime import datetime

from mailer.config import Community
from mailer.handle.app import App, Result
from mailer.handle.meetings import meeting_of
from mailer.inbound.answers import read_roll_call
from mailer.membership import members_of
from mailer.model import Mail
from mailer.outbound.compose import compose_notice
from mailer.state import State
from mailer.tokens import answer_address, answers_for, plus_tag


def answer_roll_call(app: App, state: State, mail: Mail, community: Community, target: str,
                     now: datetime) -> Result:
    """`target`: "<meeting key>:<occurrence id>", from the roll-call this answers; a reply to
    our confirmation carries "!" before it (a correction)."""
    result = Result("attendance", "roll-call", mail.message_id, community.id)
    correction = target.startswith("!")
    key, _, occurrence = target.lstrip("!").partition(":")
    staff = {e.lower() for e in (*community.organizers, *community.moderators)}
    signed = any(answers_for(app.secret, tag, community.address, mail.from_addr)
                 for a in mail.to_addrs if (tag := plus_tag(a, community.address)))
    if mail.from_addr not in staff or not signed \
            or app.verdict(mail).forged:
        result.detail = f"roll-call answered by {mail.from_addr}, not an organizer's own reply"
        return result
    members = {e: m.name for e, m in members_of(community, state).items()}
    # quotes kept: the checklist is usually ticked in the quoted roll-call; lines the
    # organizer wrote win over quoted ones
    reading = read_roll_call(mail.text, members, mail.from_addr)
    if reading is None:
        result.detail = "roll-call answer without a readable attendance"
        return result
    absent = set(reading.absent)
    if reading.present and not correction:  # who came, answering the roll-call: the whole
        absent |= set(members) - set(reading.present)  # roll, whoever else it names absent
    marks = {**dict.fromkeys(absent, False), **dict.fromkeys(reading.present, True)}
    for email, present in sorted(marks.items()):
        result.records.append({"t": "attendance", "meeting": key, "occurrence": occurrence,
                               "email": email, "present": present, "source": "roll-call",
                               "by": mail.from_addr, "message_id": mail.message_id})
    meeting = meeting_of(community, key)
    notice = compose_notice(
        community, mail.from_addr, mail.from_name, "rollcall-recorded",
        ("Daftar hadir tercatat: " if community.language == "id" else "Roll-call recorded: ")
        + (meeting.title if meeting else key), now, app.templates,
        key=f"rollcall-recorded:{mail.message_id}", in_reply_to=mail.message_id,
        reply_to=answer_address(app.secret, community.address, mail.from_addr),
        present=sorted(members[e] for e, p in marks.items() if p and e in members),
        absent=sorted(members[e] for e, p in marks.items() if not p and e in members),
        unmatched=[u for u in reading.unmatched if u not in dict(reading.ambiguous)],
        ambiguous=[(written, sorted(members.get(e, e) for e in who))
                   for written, who in reading.ambiguous],
        meeting=meeting, occurrence=occurrence, held=_start(occurrence))
    result.outgoing.append(notice)
    result.records.append({"t": "sent-id", "message_id": notice.message_id,
                           "thread": f"rollcall:!{key}:{occurrence}"})
    came = sum(marks.values())
    result.detail = (f"present={came} absent={len(marks) - came}"
                     + (f" unmatched={len(reading.unmatched)}" if reading.unmatched else ""))
    return result


def _start(occurrence: str) -> datetime | None:
    """The meeting's usual start (Occurrence.id, ISO in its zone): the templates word it as
    a day in the community's zone ("Jumat, 4 Desember 2026")."""
    try:
        return datetime.fromisoformat(occurrence) if occurrence else None
    except ValueError:
        return None
