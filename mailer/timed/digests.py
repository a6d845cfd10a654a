"""Digests: each community's when its slot has passed (several missed slots while the daemon
was down -> one digest), each member getting what is new since their own last one.

What was sent is kept in the `digest` and `digest-seen` metadata tables; outbox keys are
(digest Message-ID, member), so running again after a crash queues nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from mailer.calendar.occurrences import Occurrence
from mailer.config import Community, MeetingConfig, Member
from mailer.handle.app import App
from mailer.membership import invitees, members_of, receivers
from mailer.model import Thread
from mailer.outbound.compose import compose_digests, make_message_id
from mailer.outbound.digest import (
    WAITING_WINDOW,
    Attention,
    Digest,
    HeadCount,
    build_digest,
)
from mailer.outbound.outbox import queue
from mailer.store import Store
from mailer.timed.attention import attention_of
from mailer.timed.schedule import due_slot

log = logging.getLogger(__name__)


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


def asked_digest(app: App, store: Store, community: Community, now: datetime,
                 key: str | None = None) -> tuple[int, str]:
    """The digest an organizer asked for (`cop digest send`), sent even when empty: the
    number queued and its Message-ID. When a slot is due (passed, and not sent yet), it is
    that slot's digest, keyed as the daemon keys it: the daemon sends no second one for
    that period, and were both to run, the copies are the same. Otherwise it is one more,
    keyed by `key` (the request's name: carried out again after a crash, the same) or by
    the moment asked."""
    last = store.get_meta("digest", community.id)
    slot = due_slot(community.digest, community.timezone, now,
                    datetime.fromisoformat(last["slot"]) if last else None)
    name = None if slot is not None else key
    queued = send_digest(app, store, community, now, slot=slot, force=True, key=name)
    return queued, make_message_id(community, "digest", name or (slot or now).isoformat())


def send_digest(app: App, store: Store, community: Community, now: datetime,
                slot: datetime | None = None, force: bool = False,
                key: str | None = None) -> int:
    """Queue one community's digest for its `digest` members; record it as sent (as the
    digest of `slot`, else of `now`). Its Message-ID is keyed by `key`, else that moment.

    Each member gets what is new since their own last digest; members who share that moment
    (and role) share one rendering."""
    last = store.get_meta("digest", community.id) or {"since": None, "serial": 0}
    serial = int(last.get("serial", 0))
    seen: dict[str, str] = (store.get_meta("digest-seen", community.id) or {}).get(
        "members", {})
    readers = receivers(community, store.state, now, "digest")
    known = set(last.get("members", []))
    new_members = tuple(m.name for m in members_of(community, store.state).values()
                        if known and m.email.lower() not in known)
    staff = {e.lower() for e in (*community.organizers, *community.moderators)}
    groups: dict[tuple[str | None, bool], list[Member]] = {}
    for member in readers:
        since = seen.get(member.email.lower(), last.get("since"))
        groups.setdefault((since, member.email.lower() in staff), []).append(member)
    stamp = (slot or now).isoformat()
    message_id = make_message_id(community, "digest", key or stamp)
    queued, sent_any, threads = 0, False, _candidates(store, [s for s, _ in groups], now)
    for (since, is_staff), members in sorted(groups.items(), key=lambda g: str(g[0])):
        digest = build_digest(
            community, threads, datetime.fromisoformat(since) if since else None, now, serial,
            head_count=_head_counter(store, community), new_members=new_members,
            # members' answers go in the attention mail, not in the digest
            attention=replace(attention_of(store, community, now), answers=()) if is_staff
            else Attention())
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


def _candidates(store: Store, sinces: list[str | None], now: datetime) -> list[Thread]:
    """The threads a digest since any of `sinces` can show: active since the earliest, or
    started within the waiting window. A big store walks past the rest, keeping none."""
    if not sinces:
        return []
    if None in sinces:
        return list(store.state.threads.values())
    earliest = min(datetime.fromisoformat(s) for s in sinces if s is not None)
    return [t for t in store.state.threads.values()
            if t.last_activity > earliest or now - t.started <= WAITING_WINDOW]


def _head_counter(store: Store, community: Community) -> HeadCount:
    invited = sorted(invitees(community, store.state))

    def count(meeting: MeetingConfig, occurrence: Occurrence) -> int:
        return store.state.head_count(f"{community.id}/{meeting.id}",
                                      occurrence.id, invited)
    return count


def preview_digest(app: App, store: Store, community: Community, now: datetime) -> Digest:
    """The next digest as a member who had the last one would get it."""
    last = store.get_meta("digest", community.id) or {}
    since = datetime.fromisoformat(last["since"]) if last.get("since") else None
    return build_digest(community, list(store.state.threads.values()), since, now,
                        int(last.get("serial", 0)), head_count=_head_counter(store, community))
