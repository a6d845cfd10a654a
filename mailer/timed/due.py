"""Mail that is due because of the time or the configuration, not because of an inbound message.

    sync_meetings   compare each meeting in cop.toml with what members were sent:
                    new -> REQUEST; changed -> REQUEST with SEQUENCE+1; removed -> CANCEL;
                    a member added -> REQUEST to them; removed -> CANCEL to them.
    send_digests    each community's digest when its slot has passed (several missed slots
                    while the daemon was down -> one digest).

What was sent is kept in the `meeting` and `digest` metadata tables. Outbox keys are derived
from (uid, sequence, method, member) and (digest Message-ID, member), so after a crash
between queueing and the metadata flush, running again queues nothing twice.
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

from mailer.compose import (
    compose_digests,
    compose_invitation,
    compose_notice,
    compose_posts,
    make_message_id,
)
from mailer.config import Break, Community, MeetingConfig, Member, Move
from mailer.dates import format_day
from mailer.digest import Attention, Digest, HeadCount, build_digest
from mailer.edges.store import Store
from mailer.ical import Series
from mailer.meetings import Occurrence, expand
from mailer.membership import members_of, paused
from mailer.model import Post, Thread
from mailer.outbox import queue, queued_before
from mailer.process import App
from mailer.render import render
from mailer.schedule import due_slot
from mailer.state import State
from mailer.values import parse_timezone

log = logging.getLogger(__name__)


def run_due(app: App, store: Store, now: datetime) -> int:
    """Every job, each on its own: one that fails (a broken template, say) is logged and
    tried again next tick, and does not stop the others, nor mail processing or delivery."""
    queued = 0
    for job in (sync_meetings, send_reminders, after_meetings, send_digests, needs_attention):
        try:
            queued += job(app, store, now)
        except Exception:
            log.exception("job failed, will retry next tick job=%s", job.__name__)
    return queued


def needs_attention(app: App, store: Store, now: datetime) -> int:
    """A short mail to the organizers when something waits for them; at most one a day."""
    queued = 0
    for community in app.config.communities:
        attention = _attention(store, community, now)
        if not attention.any:
            continue
        day = now.astimezone(community.timezone).date().isoformat()
        for organizer in sorted({e.lower() for e in community.organizers}):
            key = f"attention:{community.id}:{day}"
            if queued_before(store, f"notice:{key}:{organizer}"):
                continue
            queued += queue(store, compose_notice(
                community, organizer, organizer, "attention",
                ("Perlu perhatian: " if community.language == "id" else "Needs attention: ")
                + community.name, now, app.templates, key=key, attention=attention),
                community.address, now)
    return queued


# --- reminders and the meeting cycle ---------------------------------------------------

NOTES_AFTER = timedelta(hours=1)  # the notes thread opens this long after a meeting ends
NOTES_WINDOW = timedelta(days=2)  # and not at all if the daemon was down longer than this


def _recent_and_coming(meeting: MeetingConfig, community: Community,
                       now: datetime) -> list[Occurrence]:
    occurrences, _ = expand(meeting, community.language)
    return [o for o in occurrences
            if now - NOTES_WINDOW - NOTES_AFTER <= o.end and o.start - timedelta(days=8) <= now]


def send_reminders(app: App, store: Store, now: datetime) -> int:
    """A reminder `remind` before each meeting, to every member who has not declined."""
    queued = 0
    for community in app.config.communities:
        members = invitees(community, store.state)
        for meeting in community.meetings:
            key = f"{community.id}/{meeting.id}"
            for occ in _recent_and_coming(meeting, community, now):
                for before in meeting.remind:
                    if not occ.start - before <= now < occ.start:
                        continue
                    notice_key = f"remind:{key}:{occ.start.isoformat()}:{before}"
                    for email, member in members.items():
                        if store.state.rsvp_of(key, email, occ.start.isoformat()) == "DECLINED":
                            continue
                        if queued_before(store, f"notice:{notice_key}:{email}"):
                            continue
                        queued += queue(store, compose_notice(
                            community, member.email, member.name, "reminder",
                            ("Pengingat: " if community.language == "id" else "Reminder: ")
                            + meeting.title, now, app.templates, key=notice_key,
                            meeting=meeting, start=occ.start,
                            answer=store.state.rsvp_of(key, email, occ.start.isoformat())),
                            community.address, now)
    return queued


def after_meetings(app: App, store: Store, now: datetime) -> int:
    """After each meeting: a thread for sharing notes and good practice, and a roll-call
    for the organizers to answer (who was there), for the attendance ledger."""
    queued = 0
    for community in app.config.communities:
        for meeting in community.meetings:
            key = f"{community.id}/{meeting.id}"
            for occ in _recent_and_coming(meeting, community, now):
                if not occ.end + NOTES_AFTER <= now <= occ.end + NOTES_AFTER + NOTES_WINDOW:
                    continue
                queued += _notes_thread(app, store, community, meeting, occ, now)
                queued += _roll_call(app, store, community, key, meeting, occ, now)
    return queued


def _notes_thread(app: App, store: Store, community: Community, meeting: MeetingConfig,
                  occ: Occurrence, now: datetime) -> int:
    message_id = make_message_id(community, "notes", meeting.id, occ.start.isoformat())
    if message_id in store.state.thread_of:
        return 0
    language = community.language
    subject = (f"Catatan pertemuan: {meeting.title}, {format_day(occ.start, language)}"
               if language == "id" else
               f"Meeting notes: {meeting.title}, {format_day(occ.start, language)}")
    thread = Thread(id=store.state.new_thread_id(), community=community.id, subject=subject,
                    started=now, last_activity=now)
    body = render("notes.txt.j2", language, app.templates, meeting=meeting, start=occ.start,
                  community=community)
    post = Post(message_id=message_id, thread=thread.id, from_addr=community.address,
                name=community.name, date=now, body=body.strip())
    store.record({"t": "thread", "id": thread.id, "community": community.id,
                  "subject": subject, "started": now.isoformat()})
    store.record({"t": "post", "thread": thread.id, "message_id": message_id,
                  "from": community.address, "name": community.name, "date": now.isoformat(),
                  "body": post.body, "attachments": []})
    recipients = [m for m in members_of(community, store.state).values()
                  if m.delivery == "each" and not paused(store.state, m.email, now)]
    queued = 0
    for outgoing in compose_posts(community, store.state.threads[thread.id], post, recipients,
                                  app.secret, app.templates, (), now):
        queued += queue(store, outgoing, community.address, now)
    log.info("notes thread community=%s meeting=%s thread=%s", community.id, meeting.id,
             thread.id)
    return queued


def _roll_call(app: App, store: Store, community: Community, key: str,
               meeting: MeetingConfig, occ: Occurrence, now: datetime) -> int:
    occurrence = occ.start.isoformat()
    members = invitees(community, store.state)
    queued = 0
    for staff in sorted({e.lower() for e in community.organizers}):
        notice_key = f"rollcall:{key}:{occurrence}"
        if queued_before(store, f"notice:{notice_key}:{staff}"):
            continue
        rows = [(m, store.state.attended(key, occurrence, e),
                 store.state.rsvp_of(key, e, occurrence)) for e, m in sorted(members.items())]
        outgoing = compose_notice(
            community, staff, staff, "rollcall",
            ("Daftar hadir: " if community.language == "id" else "Roll-call: ")
            + f"{meeting.title}, {format_day(occ.start, community.language)}", now,
            app.templates, key=notice_key, meeting=meeting, start=occ.start, rows=rows)
        if queue(store, outgoing, community.address, now):
            queued += 1
            store.record({"t": "sent-id", "message_id": outgoing.message_id,
                          "thread": f"rollcall:{key}:{occurrence}"})
    return queued


# --- meetings --------------------------------------------------------------------------

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


def invitees(community: Community, state: State) -> dict[str, Member]:
    return {e: m for e, m in members_of(community, state).items() if m.delivery != "none"}


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
    queued = 0
    for email in targets:
        joining = sent is not None and email not in sent["members"]
        if sent and sent.get("status") != "cancelled" and joining:
            upcoming_start = _next_usual_start(meeting, community, now)
            if upcoming_start is not None and upcoming_start > meeting.start:
                firsts[email] = upcoming_start.isoformat()
        first = in_zone(firsts[email], meeting.timezone) if email in firsts else None
        invitation = compose_invitation(replace(series, first=first), members[email],
                                        "REQUEST", now, app.templates, first_for_member=joining)
        if queue(store, invitation, community.address, now):
            queued += 1
            store.record({"t": "sent-id", "message_id": invitation.message_id,
                          "thread": f"invitation:{key}", "to": email})
    for email in cancel_to:
        gone = Member(email=email, name=sent["names"].get(email, email) if sent else email,
                      delivery="each")
        queued += queue(store, compose_invitation(series, gone, "CANCEL", now, app.templates),
                        community.address, now)
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


# --- digests ---------------------------------------------------------------------------

def send_digests(app: App, store: Store, now: datetime) -> int:
    queued = 0
    for community in app.config.communities:
        last = store.get_meta("digest", community.id)
        last_slot = datetime.fromisoformat(last["slot"]) if last else None
        if last is None:
            # first start: begin the schedule here, include everything so far in the next
            store.put_meta("digest", community.id, {"slot": now.isoformat(), "since": None,
                                                    "serial": 0})
            continue
        slot = due_slot(community.digest, community.timezone, now, last_slot)
        if slot is None:
            continue
        queued += send_digest(app, store, community, now, slot=slot)
    return queued


def send_digest(app: App, store: Store, community: Community, now: datetime,
                slot: datetime | None = None, force: bool = False) -> int:
    """Queue one community's digest for its `digest` members; record it as sent.

    Each member gets what is new since their own last digest; members who share that moment
    (and role) share one rendering."""
    last = store.get_meta("digest", community.id) or {"since": None, "serial": 0}
    serial = int(last.get("serial", 0))
    seen: dict[str, str] = (store.get_meta("digest-seen", community.id) or {}).get(
        "members", {})
    readers = [m for m in members_of(community, store.state).values()
               if m.delivery == "digest" and not paused(store.state, m.email, now)]
    known = set(last.get("members", []))
    new_members = tuple(m.name for m in members_of(community, store.state).values()
                        if known and m.email.lower() not in known)
    staff = {e.lower() for e in (*community.organizers, *community.moderators)}
    groups: dict[tuple[str | None, bool], list[Member]] = {}
    for member in readers:
        since = seen.get(member.email.lower(), last.get("since"))
        groups.setdefault((since, member.email.lower() in staff), []).append(member)
    stamp = (slot or now).isoformat()
    message_id = make_message_id(community, "digest", stamp)
    queued, sent_any, threads = 0, False, list(store.state.threads.values())
    for (since, is_staff), members in sorted(groups.items(), key=lambda g: str(g[0])):
        digest = build_digest(
            community, threads, datetime.fromisoformat(since) if since else None, now, serial,
            head_count=_head_counter(store, community), new_members=new_members,
            attention=_attention(store, community, now) if is_staff else Attention())
        if digest.empty and not community.digest.send_empty and not force \
                and not digest.attention.any:
            continue
        for outgoing in compose_digests(digest, members, app.secret, app.templates,
                                        message_id, now):
            queued += queue(store, outgoing, community.address, now)
        sent_any = sent_any or not digest.empty
        for member in members:
            seen[member.email.lower()] = now.isoformat()
    if queued:
        store.record({"t": "sent-id", "message_id": message_id,
                      "thread": f"digest:{community.id}"})
        log.info("digest community=%s recipients=%d groups=%d", community.id, queued,
                 len(groups))
    store.put_meta("digest-seen", community.id, {"members": seen})
    store.put_meta("digest", community.id, {
        "slot": stamp, "since": now.isoformat(), "serial": serial + (1 if sent_any else 0),
        "members": sorted(m.email.lower() for m in members_of(community, store.state).values())})
    return queued


def _head_counter(store: Store, community: Community) -> HeadCount:
    invited = sorted(invitees(community, store.state))

    def count(meeting: MeetingConfig, occurrence: Occurrence) -> int:
        return store.state.head_count(f"{community.id}/{meeting.id}",
                                      occurrence.start.isoformat(), invited)
    return count


def _attention(store: Store, community: Community, now: datetime) -> Attention:
    holds = sum(1 for h in store.state.holds.values()
                if h.community == community.id and h.state == "held")
    bouncing = tuple(sorted(e for e in members_of(community, store.state)
                            if paused(store.state, e, now)))
    unrouted = store.state.unrouted
    # people listed in cop.toml who left by email: the organizers may remove the entry
    requests = tuple(f"left: {e}" for (c, e), r in store.state.members.items()
                     if c == community.id and r["state"] == "left"
                     and community.member(e) is not None)
    return Attention(holds=holds, bouncing=bouncing, unrouted=unrouted, requests=requests)


def preview_digest(app: App, store: Store, community: Community, now: datetime) -> Digest:
    """The next digest as a member who had the last one would get it."""
    last = store.get_meta("digest", community.id) or {}
    since = datetime.fromisoformat(last["since"]) if last.get("since") else None
    return build_digest(community, list(store.state.threads.values()), since, now,
                        int(last.get("serial", 0)), head_count=_head_counter(store, community))

