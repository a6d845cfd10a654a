"""Meeting invitations kept in step with cop.toml (RFC 5546 iTIP over iMIP).

    new meeting     -> REQUEST to every invitee
    changed         -> REQUEST with SEQUENCE+1 (only more dates skipped: a CANCEL of those)
    removed         -> CANCEL
    member added    -> REQUEST to them (from the next meeting on); removed -> CANCEL to them

What was sent is kept in the `meeting` metadata table. Outbox keys are derived from (uid,
sequence, method, member), so after a crash between queueing and the metadata flush,
running again queues nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mailer.calendar.ical import Series
from mailer.calendar.occurrences import expand
from mailer.config import Break, Community, MeetingConfig, Member, Move
from mailer.config.values import parse_timezone
from mailer.handle.app import App
from mailer.membership import invitees
from mailer.outbound.compose import compose_invitation
from mailer.outbound.outbox import queue
from mailer.store import Store
from mailer.tokens import answer_address

log = logging.getLogger(__name__)


def fingerprint(meeting: MeetingConfig) -> str:
    """What, when changed, makes members' calendars need an update."""
    return hashlib.sha256(json.dumps(snapshot(meeting), sort_keys=True).encode()).hexdigest()[:16]


def snapshot(meeting: MeetingConfig) -> dict[str, Any]:
    return {
        "id": meeting.id, "title": meeting.title, "start": meeting.start.isoformat(),
        "duration": meeting.duration.total_seconds(), "timezone": meeting.timezone.key,
        "rrule": meeting.rrule, "until": meeting.until.isoformat() if meeting.until else None,
        "count": meeting.count, "online": meeting.online, "location": meeting.location,
        "skip_holidays": meeting.skip_holidays, "agenda": meeting.agenda,
        "breaks": [[b.start.isoformat(), b.end.isoformat(), b.name] for b in meeting.breaks],
        "remind": [r.total_seconds() for r in meeting.remind],
        "moved": [[m.date.isoformat(), m.start.isoformat()] for m in meeting.moved],
    }


def from_snapshot(data: dict[str, Any]) -> MeetingConfig:
    zone = parse_timezone(data["timezone"])
    return MeetingConfig(
        id=data["id"], title=data["title"], start=in_zone(data["start"], zone),
        duration=timedelta(seconds=data["duration"]), timezone=zone, rrule=data["rrule"],
        until=date.fromisoformat(data["until"]) if data["until"] else None,
        count=data["count"], online=data["online"], location=data["location"],
        skip_holidays=data["skip_holidays"],
        breaks=tuple(Break(date.fromisoformat(a), date.fromisoformat(b), n)
                     for a, b, n in data["breaks"]),
        remind=tuple(timedelta(seconds=s) for s in data["remind"]), agenda=data["agenda"],
        moved=tuple(Move(date.fromisoformat(d), in_zone(s, zone))
                    for d, s in data.get("moved", [])),
    )


def in_zone(text: str, zone: ZoneInfo) -> datetime:
    """A date-time read back from JSON, in its meeting's zone again: JSON keeps only the
    offset, and a calendar needs the zone's name (TZID) to match DTSTART and EXDATE."""
    return datetime.fromisoformat(text).astimezone(zone)


def sync_meetings(app: App, store: Store, now: datetime) -> int:
    queued = 0
    configured: set[str] = set()
    for community in app.config.communities:
        members = invitees(community, store.state)
        for meeting in community.meetings:
            key = f"{community.id}/{meeting.id}"
            configured.add(key)
            queued += _sync_one(app, store, community, meeting, members, key, now)
    for key, sent in list(store.meta_items("meeting")):
        if key in configured or sent.get("status") == "cancelled":
            continue
        queued += _cancel_removed(app, store, key, sent, now)
    return queued


def _sync_one(app: App, store: Store, community: Community, meeting: MeetingConfig,
              members: dict[str, Member], key: str, now: datetime) -> int:
    sent = store.get_meta("meeting", key)
    print_ = fingerprint(meeting)
    cancelled = 0
    if sent is not None and sent.get("status") != "cancelled" \
            and sent["fingerprint"] != print_ and _only_more_skipped(sent, meeting, community):
        cancelled = _cancel_dates(app, store, community, meeting, members, key, sent, now)
        sent = store.get_meta("meeting", key)  # what is left to do: joiners and leavers
    if sent is None or sent.get("status") == "cancelled":
        if not _has_future(meeting, community, now):
            return 0
        domain = community.address.split("@", 1)[1]
        uid = sent["uid"] if sent else f"{uuid.uuid4()}@{domain}"
        sequence = sent["sequence"] + 1 if sent else 0
        targets, cancel_to = list(members), []
    elif sent["fingerprint"] != print_:
        uid, sequence = sent["uid"], sent["sequence"] + 1
        targets, cancel_to = list(members), [e for e in sent["members"] if e not in members]
    else:
        uid, sequence = sent["uid"], sent["sequence"]
        targets = [e for e in members if e not in sent["members"]]
        cancel_to = [e for e in sent["members"] if e not in members]
        if not targets and not cancel_to:
            return cancelled
    series = Series(community, meeting, uid, sequence)
    if uid not in store.state.meeting_of_uid:
        store.record({"t": "meeting-uid", "uid": uid, "meeting": key})
    # members who join a running series get it from the next meeting on, and keep that start
    firsts: dict[str, str] = dict(sent.get("firsts", {})) if sent else {}
    previous = from_snapshot(sent["snapshot"]) if sent and sent.get("status") != "cancelled" \
        and sent["fingerprint"] != print_ else None  # an update says what changed
    queued = 0
    for email in targets:
        joining = sent is not None and email not in sent["members"]
        if sent and sent.get("status") != "cancelled" and joining:
            upcoming_start = _next_usual_start(meeting, community, now)
            if upcoming_start is not None and upcoming_start > meeting.start:
                firsts[email] = upcoming_start.isoformat()
        first = in_zone(firsts[email], meeting.timezone) if email in firsts else None
        invitation = compose_invitation(
            replace(series, first=first), members[email], "REQUEST", now, app.templates,
            first_for_member=joining, secret=app.secret, previous=previous,
            reply_to=answer_address(app.secret, community.address, email))
        if queue(store, invitation, community.address, now):
            queued += 1
            store.record({"t": "sent-id", "message_id": invitation.message_id,
                          "thread": f"invitation:{key}", "to": email})
    for email in cancel_to:
        gone = Member(email=email, name=sent["names"].get(email, email) if sent else email,
                      delivery="each")
        queued += queue(store, compose_invitation(series, gone, "CANCEL", now, app.templates,
                                                  leaving=True), community.address, now)
    store.put_meta("meeting", key, {
        "uid": uid, "sequence": sequence, "fingerprint": print_, "status": "active",
        "community": community.id, "members": sorted(members),
        "names": {e: m.name for e, m in members.items()}, "snapshot": snapshot(meeting),
        "firsts": {e: f for e, f in firsts.items() if e in members},
    })
    if queued:
        log.info("meeting community=%s meeting=%s sequence=%d requests=%d cancels=%d",
                 community.id, meeting.id, sequence, len(targets), len(cancel_to))
    return cancelled + queued


def _cancel_dates(app: App, store: Store, community: Community, meeting: MeetingConfig,
                  members: dict[str, Member], key: str, sent: dict[str, Any],
                  now: datetime) -> int:
    """Dates newly skipped (a break or a cancelled day): a CANCEL of just those occurrences,
    RECURRENCE-ID each, SEQUENCE+1; later REQUESTs carry them as EXDATEs."""
    sequence = sent["sequence"] + 1
    newly = tuple(_newly_skipped(sent, meeting, community))
    series = Series(community, meeting, sent["uid"], sequence, cancelled=newly)
    queued = 0
    for email in sent["members"]:
        if email in members:
            queued += queue(store, compose_invitation(
                replace(series, first=_first_of(sent, email, meeting)), members[email],
                "CANCEL", now, app.templates), community.address, now)
    store.put_meta("meeting", key, {**sent, "sequence": sequence,
                                    "fingerprint": fingerprint(meeting),
                                    "snapshot": snapshot(meeting)})
    log.info("meeting dates cancelled community=%s meeting=%s sequence=%d dates=%s",
             community.id, meeting.id, sequence, ",".join(d.date().isoformat() for d in newly))
    return queued


def _skipped_starts(meeting: MeetingConfig, community: Community) -> set[datetime]:
    _, skipped = expand(meeting, community.language)
    return {s.start for s in skipped}


def _only_more_skipped(sent: dict[str, Any], meeting: MeetingConfig,
                       community: Community) -> bool:
    """The edit only cancels dates: same meeting otherwise, more of it skipped."""
    before = sent["snapshot"]
    after = snapshot(meeting)
    same = {k: v for k, v in before.items() if k not in ("breaks", "skip_holidays")} == {
        k: v for k, v in after.items() if k not in ("breaks", "skip_holidays")}
    old = _skipped_starts(from_snapshot(before), community)
    new = _skipped_starts(meeting, community)
    return same and old < new


def _newly_skipped(sent: dict[str, Any], meeting: MeetingConfig,
                   community: Community) -> list[datetime]:
    old = _skipped_starts(from_snapshot(sent["snapshot"]), community)
    return sorted(_skipped_starts(meeting, community) - old)


def _first_of(sent: dict[str, Any], email: str, meeting: MeetingConfig) -> datetime | None:
    first = sent.get("firsts", {}).get(email)
    return in_zone(first, meeting.timezone) if first else None


def _next_usual_start(meeting: MeetingConfig, community: Community,
                      now: datetime) -> datetime | None:
    """Where the series' next meeting falls in the RRULE (its usual start, if moved)."""
    if not meeting.rrule:
        return None
    occurrences, _ = expand(meeting, community.language)
    coming = [o.usual or o.start for o in occurrences if o.end > now]
    return min(coming) if coming else None


def _has_future(meeting: MeetingConfig, community: Community, now: datetime) -> bool:
    occurrences, _ = expand(meeting, community.language)
    return any(o.end > now for o in occurrences)


def _cancel_removed(app: App, store: Store, key: str, sent: dict[str, Any],
                    now: datetime) -> int:
    community = app.config.community(sent["community"])
    if community is None:
        log.warning("meeting %s belongs to a community no longer configured; no cancel sent",
                    key)
        return 0
    meeting = from_snapshot(sent["snapshot"])
    series = Series(community, meeting, sent["uid"], sent["sequence"] + 1)
    queued = 0
    for email in sent["members"]:
        member = Member(email=email, name=sent["names"].get(email, email), delivery="each")
        queued += queue(store, compose_invitation(series, member, "CANCEL", now,
                                                  app.templates), community.address, now)
    store.put_meta("meeting", key, {**sent, "sequence": series.sequence,
                                    "status": "cancelled"})
    log.info("meeting cancelled community=%s meeting=%s sequence=%d cancels=%d",
             community.id, meeting.id, series.sequence, queued)
    return queued
