"""`cop report`: what organizers want to know about a period. Pure.

Posts and replies per member, threads nobody has answered, how many answered invitations
and came, and the quiet members (to invite personally, not to shame).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from mailer.calendar.occurrences import expand
from mailer.config import Community
from mailer.membership import members_of
from mailer.outbound.dates import format_iso
from mailer.state import State


@dataclass
class Activity:
    name: str
    threads: int = 0
    replies: int = 0
    last: str | None = None


def build_report(community: Community, state: State, start: datetime,
                 end: datetime) -> dict[str, Any]:
    members = members_of(community, state)
    zone = community.timezone  # every time in the community's zone (outbound/dates.format_iso)
    activity = {e: Activity(m.name) for e, m in members.items()}
    unanswered = []
    for thread in state.threads.values():
        if thread.community != community.id:
            continue
        for n, post in enumerate(thread.posts):
            row = activity.get(post.from_addr.lower())
            if row is None or not start <= post.date < end:
                continue
            if n == 0:
                row.threads += 1
            else:
                row.replies += 1
            stamp = format_iso(post.date, zone)
            row.last = stamp if row.last is None or post.date > _moment(row.last) else row.last
        if len(thread.posts) == 1 and start <= thread.started < end:
            unanswered.append({"id": thread.id, "subject": thread.subject,
                               "by": thread.posts[0].name,
                               "started": format_iso(thread.started, zone)})
    meetings = []
    for meeting in community.meetings:
        key = f"{community.id}/{meeting.id}"
        occurrences, _ = expand(meeting, community.language)
        for occ in occurrences:
            if not start <= occ.start < end:
                continue
            answers = [state.rsvp_of(key, e, occ.id) for e in members]
            marks = state.marks(key, occ.id)
            meetings.append({
                "meeting": meeting.id, "start": format_iso(occ.start, zone),
                "invited": len(members),
                "answered": sum(1 for a in answers if a != "NEEDS-ACTION"),
                "accepted": sum(1 for a in answers if a == "ACCEPTED"),
                "roll_call": bool(marks), "present": sum(1 for p in marks.values() if p),
            })
    quiet = sorted((row.name, e) for e, row in activity.items()
                   if not row.threads and not row.replies)
    return {
        "community": community.id, "from": format_iso(start, zone), "to": format_iso(end, zone),
        "members": [{"email": e, **asdict(row)} for e, row in sorted(activity.items())],
        "unanswered": sorted(unanswered, key=lambda t: _moment(t["started"])),
        "meetings": meetings,
        "quiet": [{"name": n, "email": e} for n, e in quiet],
    }


def _moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)
