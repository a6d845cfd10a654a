"""Threads since a member's last digest -> Digest. Pure.

A Digest is built once for all members who share the same "since" (and role); compose.py
then only adds each member's own reply links.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mailer.calendar.occurrences import Occurrence, upcoming
from mailer.config import Community, MeetingConfig
from mailer.model import Attachment, Post, Thread

EXCERPT_CHARS = 280
WAITING_WINDOW = timedelta(days=30)  # older unanswered threads are no longer listed


@dataclass(frozen=True)
class DigestThread:
    number: int
    thread: Thread
    new_posts: tuple[Post, ...]
    is_new: bool
    waiting: bool  # started, nobody answered yet

    @property
    def authors(self) -> list[str]:
        return list(dict.fromkeys(p.name for p in self.new_posts))

    @property
    def excerpt(self) -> str:
        return excerpt(self.new_posts[-1].body)

    @property
    def files(self) -> list[tuple[Attachment, str]]:
        """The new posts' files members can have, with who shared each."""
        return [(a, p.name) for p in self.new_posts for a in p.attachments
                if a.withheld != "blocked"]


@dataclass(frozen=True)
class DigestMeeting:
    title: str
    start: datetime
    end: datetime
    online: str | None
    location: str | None
    coming: int  # members who said yes


@dataclass(frozen=True)
class Attention:
    """What waits for organizers and moderators; shown only to them."""

    holds: int = 0
    bouncing: tuple[str, ...] = ()
    unrouted: int = 0
    requests: tuple[str, ...] = ()  # "Budi <b@y>": listed in cop.toml, left by email
    complaints: tuple[str, ...] = ()  # reported our mail as spam (ARF): no mail to them
    # members' answers since the last attention mail: (name, status, day, reason)
    answers: tuple[tuple[str, str, str, str], ...] = ()
    quarantined: int = 0  # mail set aside, waiting for an organizer (cop quarantine)
    quarantine_lines: tuple[str, ...] = ()  # the newest: "q1 budi@x: subject (reason)"

    @property
    def any(self) -> bool:
        return bool(self.holds or self.bouncing or self.unrouted or self.requests
                    or self.complaints or self.answers or self.quarantined)


@dataclass(frozen=True)
class Digest:
    community: Community
    since: datetime | None
    until: datetime
    threads: tuple[DigestThread, ...]
    meetings: tuple[DigestMeeting, ...]
    prompt: str | None
    waiting: tuple[Thread, ...] = ()  # earlier threads nobody has answered yet
    new_members: tuple[str, ...] = ()  # names, never addresses
    attention: Attention = field(default_factory=Attention)

    @property
    def empty(self) -> bool:
        return not self.threads


HeadCount = Callable[[MeetingConfig, Occurrence], int]


def build_digest(community: Community, threads: list[Thread], since: datetime | None,
                 now: datetime, serial: int = 0, head_count: HeadCount | None = None,
                 new_members: tuple[str, ...] = (),
                 attention: Attention = Attention()) -> Digest:
    sections: list[DigestThread] = []
    for thread in sorted(threads, key=lambda t: t.last_activity):
        if thread.community != community.id:
            continue
        new = tuple(p for p in thread.posts if (since is None or p.date > since)
                    and p.date <= now)
        if not new:
            continue
        sections.append(DigestThread(
            number=len(sections) + 1, thread=thread, new_posts=new,
            is_new=since is None or thread.started > since, waiting=len(thread.posts) == 1))
    listed = {s.thread.id for s in sections}
    waiting = sorted((t for t in threads if t.community == community.id
                      and t.id not in listed and len(t.posts) == 1
                      and now - t.started <= WAITING_WINDOW), key=lambda t: t.started)
    meetings: list[DigestMeeting] = []
    for meeting in community.meetings:
        for occ in upcoming(meeting, now, limit=1, language=community.language):
            coming = head_count(meeting, occ) if head_count else 0
            meetings.append(DigestMeeting(meeting.title, occ.start, occ.end, meeting.online,
                                          meeting.location, coming))
    meetings.sort(key=lambda m: m.start)
    prompt = community.topics[serial % len(community.topics)] if community.topics else None
    return Digest(community, since, now, tuple(sections), tuple(meetings[:5]), prompt,
                  tuple(waiting[:5]), new_members, attention)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut + " …"
