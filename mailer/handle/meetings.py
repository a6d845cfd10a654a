"""Answers about meetings: a calendar REPLY, or a member's own words in reply to our meeting
mail (an invitation, an update, a reminder, the notes mail, a digest).

Only the person answers for themselves: a calendar REPLY counts for the ATTENDEE that is its
sender, never dated after its arrival; words count through the signed answer address mailed
to that member (tokens.answer_address), from their own address. A reply that answers and
also says something for everyone is both: the answer recorded, the rest posted, the member
told once which happened. A reply that says nothing of coming is a post, as before; so is
one that speaks only of someone else's coming ("Pak Budi tidak bisa hadir"): nobody's answer
is recorded from it. What the member adds for the organizers (a request, someone else's
coming) is kept with the answer as its note and shown them beside the reason.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from mailer.calendar.occurrences import Occurrence, upcoming
from mailer.config import Community, MeetingConfig, Member
from mailer.handle.app import App, Result, sent_to_own_address
from mailer.handle.posts import post_mail
from mailer.inbound.answers import RsvpReading, read_rsvp
from mailer.inbound.classify import Outcome
from mailer.inbound.replies import new_text
from mailer.inbound.rsvp import read_calendar_reply
from mailer.membership import members_of
from mailer.model import Mail
from mailer.outbound.compose import Outgoing, compose_notice
from mailer.state import Record, State
from mailer.tokens import answer_address

LOOK_AHEAD = 12  # occurrences a named date is looked for in


def answer_rsvp(app: App, state: State, mail: Mail, key: str, community: Community,
                outcome: Outcome, now: datetime) -> Result:
    if outcome.rule == "calendar-reply":
        return _calendar_reply(app, state, mail, community, outcome, now)
    return _words(app, state, mail, key, community, now)


def _calendar_reply(app: App, state: State, mail: Mail, community: Community,
                    outcome: Outcome, now: datetime) -> Result:
    result = Result("rsvp", outcome.rule, mail.message_id, community.id)
    members = members_of(community, state)
    forged = app.verdict(mail).forged
    answers = read_calendar_reply(mail.calendar or "")
    for answer in answers:
        key = state.meeting_of_uid.get(answer.uid)
        meeting = meeting_of(community, key)
        attendee = community.primary(answer.email)  # a calendar may answer as an alias
        if key is None or meeting is None or attendee not in members \
                or attendee != mail.from_addr or forged:
            result.detail += f"ignored uid={answer.uid} attendee={answer.email}; "
            continue
        occurrence = (answer.occurrence.astimezone(meeting.timezone).isoformat()
                      if answer.occurrence else "")
        stamp = min(answer.stamp or now, now)  # a DTSTAMP from the future is its arrival
        result.records.append(rsvp_record(key, attendee, answer.status, occurrence,
                                          stamp, mail.message_id, "calendar"))
    if not answers:
        result.detail = "calendar reply without a readable answer"
    return result


def _words(app: App, state: State, mail: Mail, key: str, community: Community,
           now: datetime) -> Result:
    kind, meeting_key, occurrence = next(state.meeting_mail[i] for i in mail.in_reply_to
                                         if i in state.meeting_mail)
    meeting = meeting_of(community, meeting_key) or _next_meeting(community, now)
    if meeting is None:
        return post_mail(app, state, mail, key, community, now)
    coming = upcoming(meeting, now, limit=LOOK_AHEAD, language=community.language)
    today = now.astimezone(meeting.timezone).date()
    members = members_of(community, state)
    reading = read_rsvp(new_text(mail.text), today, [o.start.date() for o in coming],
                        _names_of_organizers(community, members))
    if reading is None or mail.from_addr not in members:
        return post_mail(app, state, mail, key, community, now)  # not an answer: a post
    meeting_key = f"{community.id}/{meeting.id}"
    if not _proven(app, mail, community):
        return _unproven(app, mail, community, meeting, meeting_key, now)
    default = next((o for o in coming if o.id == occurrence), coming[0] if coming else None)
    records = []
    for status, day in reading.answers:
        chosen = next((o for o in coming if o.start.date() == day), default)
        records.append(rsvp_record(meeting_key, mail.from_addr, status,
                                   chosen.id if chosen else "", now, mail.message_id,
                                   "words", reading.reason, reading.note))
    result = _with_rest(app, state, mail, key, community, now, kind, reading, meeting)
    result.records += records
    status, first = records[0]["status"], next(
        (o for o in coming if o.id == records[0]["occurrence"]), None)
    told = _confirmation(app, state, mail, community, meeting, meeting_key, status, first, now,
                         posted=result.state == "posted")
    result.outgoing.append(told)
    # it says "if plans change, just reply to this mail": a reply to it is read as an answer
    result.records.append({"t": "meeting-mail", "message_id": told.message_id, "kind": "rsvp",
                           "meeting": meeting_key, "occurrence": first.id if first else ""})
    result.detail = " ".join(f"{r['status']}@{r['occurrence'][:10] or 'series'}"
                             for r in records) + (" +posted" if result.state == "posted" else "")
    return result


def _names_of_organizers(community: Community, members: dict[str, Member]) -> frozenset[str]:
    """The words of the organizers' and moderators' names, whom replies are written to
    ("Maaf Bu Siti tidak bisa hadir" to Siti Rahayu is Bu Siti addressed, not named)."""
    staff = {e.lower() for e in (*community.organizers, *community.moderators)}
    return frozenset(w for e in staff if e in members
                     for w in re.findall(r"[^\W\d_]+", members[e].name.lower()))


def _proven(app: App, mail: Mail, community: Community) -> bool:
    """Sent to an address issued to the sender (their answer address, or their reply
    address of a thread), and not found forged on the way."""
    return sent_to_own_address(app, mail, community) and not app.verdict(mail).forged


def _with_rest(app: App, state: State, mail: Mail, key: str, community: Community,
               now: datetime, kind: str, reading: RsvpReading,
               meeting: MeetingConfig) -> Result:
    """What the member said for everyone is posted (a digest reply as it came, routed by
    its sections; otherwise only the rest, in the thread named after the meeting); an
    answer alone is not."""
    if not reading.rest:
        return Result("rsvp", "rsvp-words", mail.message_id, community.id)
    posting = mail if kind == "digest" else replace(
        mail, text=reading.rest, subject=f"Re: {meeting.title}")
    return post_mail(app, state, posting, key, community, now)


def _unproven(app: App, mail: Mail, community: Community, meeting: MeetingConfig,
              meeting_key: str, now: datetime) -> Result:
    """An answer that did not come through the member's own answer address: nothing is
    recorded; the member (never anyone else) is asked to answer by replying to this."""
    result = Result("rsvp", "rsvp-unproven", mail.message_id, community.id,
                    detail="answer not through the sender's signed address: not recorded")
    if app.verdict(mail).forged:
        return result  # the address's owner did not write it: they are not mailed
    notice = compose_notice(
        community, mail.from_addr, mail.from_name, "rsvp-again",
        ("Jawaban Anda belum tercatat: " if community.language == "id"
         else "Your answer is not recorded yet: ") + meeting.title, now, app.templates,
        key=f"rsvp-again:{mail.message_id}", in_reply_to=mail.message_id,
        reply_to=answer_address(app.secret, community.address, mail.from_addr),
        meeting=meeting)
    result.outgoing.append(notice)
    result.records.append({"t": "meeting-mail", "message_id": notice.message_id,
                           "kind": "rsvp-again", "meeting": meeting_key})
    return result


def _confirmation(app: App, state: State, mail: Mail, community: Community,
                  meeting: MeetingConfig, meeting_key: str, status: str,
                  occurrence: Occurrence | None, now: datetime, posted: bool) -> Outgoing:
    members = members_of(community, state)
    when = occurrence.id if occurrence else ""
    after = {e: state.rsvp_of(meeting_key, e, when) for e in members}
    after[mail.from_addr] = status
    return compose_notice(
        community, mail.from_addr, mail.from_name, "rsvp",
        ("Jawaban Anda tercatat: " if community.language == "id" else "Your answer: ")
        + meeting.title, now, app.templates, key=f"rsvp:{mail.message_id}",
        in_reply_to=mail.message_id,
        reply_to=answer_address(app.secret, community.address, mail.from_addr),
        meeting=meeting, status=status, start=occurrence.start if occurrence else None,
        coming=sum(1 for s in after.values() if s == "ACCEPTED"), posted=posted)


def meeting_of(community: Community, key: str | None) -> MeetingConfig | None:
    if key is None or not key.startswith(community.id + "/"):
        return None
    wanted = key.split("/", 1)[1]
    return next((m for m in community.meetings if m.id == wanted), None)


def _next_meeting(community: Community, now: datetime) -> MeetingConfig | None:
    """A digest is about the community's meetings: the one that meets next."""
    coming = [(o[0].start, m) for m in community.meetings
              if (o := upcoming(m, now, limit=1, language=community.language))]
    return min(coming, key=lambda c: c[0])[1] if coming else None


def rsvp_record(key: str, email: str, status: str, occurrence: str, stamp: datetime,
                message_id: str, source: str, reason: str = "", note: str = "") -> Record:
    record: Record = {"t": "rsvp", "meeting": key, "email": email, "status": status,
                      "occurrence": occurrence, "stamp": stamp.astimezone(UTC).isoformat(),
                      "message_id": message_id, "source": source}
    if reason:
        record["reason"] = reason[:120]
    if note:  # beside the answer, for the organizers: "save me a seat", "Pak Budi tidak bisa"
        record["note"] = note[:200]
    return record
