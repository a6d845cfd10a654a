"""What organizers and moderators see of their community: held messages, quarantine,
members with their state, and attendance per occurrence. Reading only: deciding stays with
`cop holds` and replies to the hold notice."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mailer.calendar.occurrences import expand
from mailer.edges.web.pages import denied, page, user_of
from mailer.edges.web.site import Site
from mailer.membership import memberships


def admin_page(site: Site, request: Request) -> Response:
    community = site.community(request.path_params["community"])
    if community is None or not site.is_staff(community, user_of(site, request)):
        return denied(site, request)
    state = site.reader.state
    holds = [h for h in state.holds.values()
             if h.community == community.id and h.state == "held"]
    quarantine = [q for q in state.quarantine.values()
                  if q.community in (community.id, None) and q.state == "quarantined"]
    members = memberships(community, state)
    now = site.now()
    attendance = []
    for meeting in community.meetings:
        key = f"{community.id}/{meeting.id}"
        emails = [m.member.email.lower() for m in members if m.state == "active"]
        occurrences, _ = expand(meeting, community.language)
        for o in [o for o in occurrences if o.start <= now][-6:]:
            marks = state.marks(key, o.id)
            attendance.append({"meeting": meeting, "occurrence": o,
                               "coming": state.head_count(key, o.id, emails),
                               "present": sum(1 for v in marks.values() if v),
                               "taken": bool(marks)})
    return page(site, request, "admin", community, holds=holds, quarantine=quarantine,
                members=members, attendance=attendance)
