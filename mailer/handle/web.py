"""What the web asks the daemon to do (data_dir/requests, `{"t": "web", ...}`). Pure.

The web process reads the store and never writes it: a sign-in mail, an RSVP, a one-click
unsubscribe and an organizer's pin, tag or hide of a resource come here as requests, checked
again (the person is still a member, the meeting exists), and end as the same records the
mail paths write (an `rsvp` record, a `member` record with state left) or as a notice.

    signin     {"community", "email", "nonce"}        the magic link, mailed as a notice
    rsvp       {"community", "email", "meeting", "day", "status"}
    leave      {"community", "email"}                 one-click or the confirm page
    resource   {"community", "resource", "by", "pin"?, "hide"?, "tags"?}
"""

from __future__ import annotations

from datetime import datetime

from mailer.calendar.occurrences import expand
from mailer.config import Community
from mailer.handle.app import App, Result
from mailer.handle.meetings import rsvp_record
from mailer.handle.members import leave_records
from mailer.links import SIGNIN_TTL, signin_url
from mailer.membership import members_of
from mailer.outbound.compose import Outgoing, compose_notice
from mailer.state import Record, State

STATUSES = ("ACCEPTED", "DECLINED", "TENTATIVE")


def staff_of(community: Community) -> set[str]:
    return {e.lower() for e in (*community.organizers, *community.moderators)}


def readers_of(community: Community, state: State) -> dict[str, str]:
    """Who may sign in to a community's pages: its active members and its staff, by
    lower-cased address -> name."""
    people = {e: m.name for e, m in members_of(community, state).items()}
    for email in staff_of(community):
        people.setdefault(email, email.split("@")[0])
    return people


def web_request(app: App, state: State, request: Record, now: datetime) -> Result:
    community = app.config.community(str(request.get("community", "")))
    action = str(request.get("action", ""))
    result = Result("command", f"web-{action}", "", community.id if community else None)
    email = str(request.get("email", "")).lower()
    if community is None:
        result.detail = "web request for an unknown community"
        return result
    people = readers_of(community, state)
    if action == "resource":
        if str(request.get("by", "")).lower() not in staff_of(community):
            result.detail = "resource change not by an organizer"
            return result
        result.records.append({k: v for k, v in request.items() if k != "action"}
                              | {"t": "resource", "at": now.isoformat()})
    elif email not in people:
        result.detail = "web request for someone who is not a member"
    elif action == "signin":
        result.outgoing.append(_signin_mail(app, community, email, people[email],
                                            str(request.get("nonce", "")), now))
        result.detail = "sign-in link sent"
    elif action == "leave":
        result.records += leave_records(state, community, email, now)
        result.detail = "left (web)" if result.records else "leave: not a member"
    elif action == "rsvp":
        record = _rsvp(community, request, email, now)
        if record is None:
            result.detail = "rsvp for no such meeting or day"
        else:
            result.records.append(record)
            result.state, result.detail = "rsvp", f"{record['status']} (web)"
    return result


def _signin_mail(app: App, community: Community, email: str, name: str, nonce: str,
                 now: datetime) -> Outgoing:
    url = signin_url(community.web_url, app.secret, community.id, email, nonce, now)
    return compose_notice(
        community, email, name, "signin",
        f"Tautan masuk ke {community.name}" if community.language == "id"
        else f"Your sign-in link for {community.name}", now, app.templates,
        key=f"signin:{nonce}", url=url, minutes=int(SIGNIN_TTL.total_seconds() // 60))


def _rsvp(community: Community, request: Record, email: str, now: datetime) -> Record | None:
    status = str(request.get("status", ""))
    meeting = next((m for m in community.meetings if m.id == request.get("meeting")), None)
    if meeting is None or status not in STATUSES:
        return None
    day = str(request.get("day", ""))
    occurrence = ""
    if day:
        occurrences, _ = expand(meeting, community.language)
        found = next((o for o in occurrences if o.id[:10] == day), None)
        if found is None:
            return None
        occurrence = found.id
    return rsvp_record(f"{community.id}/{meeting.id}", email, status, occurrence, now, "",
                       "web")
