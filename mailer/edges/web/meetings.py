"""A meeting's page, for its members: the coming occurrences with who comes and the
member's own buttons; the past ones with who said they would come, the thread where notes
were shared after each (timed/cycle.py opens it), and for organizers who was there (the
roll-call). Names only: no member sees another's address."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailer.calendar.occurrences import Occurrence, expand
from mailer.config import Community, MeetingConfig
from mailer.edges.web.pages import denied, page, user_of
from mailer.edges.web.site import Site
from mailer.handle.web import readers_of
from mailer.membership import memberships
from mailer.timed.cycle import notes_message_id

COMING_SHOWN = 8  # the next occurrences on the page
PAST_SHOWN = 24  # and the latest past ones, newest first


def meeting_page(site: Site, request: Request) -> Response:
    community = site.community(request.path_params["community"])
    user = user_of(site, request)
    if community is None or not site.is_member(community, user):
        return denied(site, request)
    meeting = next((m for m in community.meetings
                    if m.id == request.path_params["meeting"]), None)
    if meeting is None:
        return denied(site, request)
    now = site.now()
    occurrences, _ = expand(meeting, community.language)
    coming = [o for o in occurrences if o.end > now][:COMING_SHOWN]
    past = [o for o in occurrences if o.end <= now][-PAST_SHOWN:][::-1]
    staff = site.is_staff(community, user)
    rows = [occurrence_row(site, community, meeting, o, user or "", False, False)
            for o in coming]
    rows += [occurrence_row(site, community, meeting, o, user or "", True, staff)
             for o in past]
    return page(site, request, "meeting", community, meeting=meeting, rows=rows)


def occurrence_row(site: Site, community: Community, meeting: MeetingConfig, o: Occurrence,
                   user: str, past: bool, staff: bool) -> dict[str, Any]:
    state, key = site.reader.state, f"{community.id}/{meeting.id}"
    people = readers_of(community, state)
    answers: dict[str, list[str]] = {"ACCEPTED": [], "TENTATIVE": [], "DECLINED": []}
    for email, name in sorted(people.items(), key=lambda p: p[1]):
        status = state.rsvp_of(key, email, o.id)
        if status in answers:
            answers[status].append(name)
    notes = state.threads.get(state.thread_of.get(notes_message_id(community, meeting, o), ""))
    present: list[str] | None = None
    if staff:  # the roll-call, once an organizer took it (left members too: they were there)
        marks = state.marks(key, o.id)
        names = {m.member.email.lower(): m.member.name for m in memberships(community, state)}
        present = sorted(names.get(e, e.split("@")[0]) for e, here in marks.items() if here) \
            if marks else None
    return {"occurrence": o, "day": o.id[:10], "answers": answers, "past": past,
            "mine": state.rsvp_of(key, user, o.id),
            "notes": notes if notes is not None and notes.community == community.id else None,
            "present": present}
