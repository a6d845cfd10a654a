"""Answers about meetings: an RSVP (a calendar REPLY or words in reply to an invitation),
and an organizer's answer to a roll-call."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from mailer.calendar.occurrences import upcoming
from mailer.config import Community, MeetingConfig
from mailer.handle.app import App, Result
from mailer.inbound.classify import Outcome
from mailer.inbound.rsvp import read_calendar_reply
from mailer.membership import members_of
from mailer.model import Mail
from mailer.outbound.compose import compose_notice
from mailer.state import Record, State


def answer_rsvp(app: App, state: State, mail: Mail, community: Community, outcome: Outcome,
          now: datetime) -> Result:
    result = Result("rsvp", outcome.rule, mail.message_id, community.id)
    members = members_of(community, state)
    if outcome.rule == "calendar-reply":
        answers = read_calendar_reply(mail.calendar or "")
        for answer in answers:
            key = state.meeting_of_uid.get(answer.uid)
            meeting = _meeting(community, key)
            if key is None or meeting is None or answer.email not in members:
                result.detail += f"ignored uid={answer.uid} attendee={answer.email}; "
                continue
            occurrence = (answer.occurrence.astimezone(meeting.timezone).isoformat()
                          if answer.occurrence else "")
            result.records.append(_rsvp_record(key, answer.email, answer.status, occurrence,
                                               answer.stamp or now, mail.message_id))
        if not answers:
            result.detail = "calendar reply without a readable answer"
        return result
    key, invited = next(state.invitation_of[i] for i in mail.in_reply_to
                        if i in state.invitation_of)
    meeting = _meeting(community, key)
    if meeting is None or mail.from_addr != invited:
        result.detail = f"plain answer from {mail.from_addr} to an invitation for {invited}"
        return result
    upcoming_ = upcoming(meeting, now, limit=1, language=community.language)
    occurrence = upcoming_[0].id if upcoming_ else ""
    result.records.append(_rsvp_record(key, invited, outcome.detail, occurrence, now,
                                       mail.message_id))
    state_after = {e: state.rsvp_of(key, e, occurrence) for e in members}
    state_after[invited] = outcome.detail
    coming = sum(1 for s in state_after.values() if s == "ACCEPTED")
    result.outgoing.append(compose_notice(
        community, mail.from_addr, mail.from_name, "rsvp",
        ("Jawaban Anda tercatat: " if community.language == "id" else "Your answer: ")
        + meeting.title, now, app.templates, key=f"rsvp:{mail.message_id}",
        in_reply_to=mail.message_id, meeting=meeting, status=outcome.detail,
        start=upcoming_[0].start if upcoming_ else None, coming=coming))
    result.detail = outcome.detail
    return result


_MARK = re.compile(r"^[\s>]*\[\s*([xXvV✓✔*]?)\s*\][^<\n]*<([^<>\s]+@[^<>\s]+)>")


def answer_roll_call(state: State, mail: Mail, community: Community, target: str) -> Result:
    """An organizer's answer to a roll-call: [x] present, [ ] absent, one member a line.
    Only organizers may take the roll; marks are read from the reply, quoted or not."""
    result = Result("attendance", "roll-call", mail.message_id, community.id)
    staff = {e.lower() for e in (*community.organizers, *community.moderators)}
    if mail.from_addr not in staff:
        result.detail = f"roll-call answered by {mail.from_addr}, who is not an organizer"
        return result
    key, _, occurrence = target.partition(":")
    members = members_of(community, state)
    marks: dict[str, bool] = {}
    for line in mail.text.splitlines():
        match = _MARK.match(line)
        if match and match.group(2).lower() in members:
            marks[match.group(2).lower()] = bool(match.group(1))
    for email, present in marks.items():
        result.records.append({"t": "attendance", "meeting": key, "occurrence": occurrence,
                               "email": email, "present": present, "source": "roll-call",
                               "by": mail.from_addr, "message_id": mail.message_id})
    result.detail = f"present={sum(marks.values())} absent={len(marks) - sum(marks.values())}"
    return result


def _meeting(community: Community, key: str | None) -> MeetingConfig | None:
    if key is None or not key.startswith(community.id + "/"):
        return None
    wanted = key.split("/", 1)[1]
    return next((m for m in community.meetings if m.id == wanted), None)


def _rsvp_record(key: str, email: str, status: str, occurrence: str, stamp: datetime,
                 message_id: str) -> Record:
    return {"t": "rsvp", "meeting": key, "email": email, "status": status,
            "occurrence": occurrence, "stamp": stamp.astimezone(UTC).isoformat(),
            "message_id": message_id}
