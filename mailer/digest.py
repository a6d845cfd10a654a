"""Threads since the last digest -> Digest. Pure.

The shared parts (threads, excerpts, meetings) are built once per community; per member only
the reply links differ (compose.py adds them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailer.config import Community
from mailer.meetings import Occurrence, upcoming
from mailer.model import Post, Thread

EXCERPT_CHARS = 280


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


@dataclass(frozen=True)
class DigestMeeting:
    title: str
    start: datetime
    end: datetime
    online: str | None
    location: str | None


@dataclass(frozen=True)
class Digest:
    community: Community
    since: datetime | None
    until: datetime
    threads: tuple[DigestThread, ...]
    meetings: tuple[DigestMeeting, ...]
    prompt: str | None

    @property
    def empty(self) -> bool:
        return not self.threads


def build_digest(community: Community, threads: list[Thread], since: datetime | None,
                 now: datetime, serial: int = 0) -> Digest:
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
    meetings: list[DigestMeeting] = []
    for meeting in community.meetings:
        for occ in upcoming(meeting, now, limit=1, language=community.language):
            meetings.append(_digest_meeting(meeting.title, occ, meeting.online,
                                            meeting.location))
    meetings.sort(key=lambda m: m.start)
    prompt = community.topics[serial % len(community.topics)] if community.topics else None
    return Digest(community, since, now, tuple(sections), tuple(meetings[:5]), prompt)


def _digest_meeting(title: str, occ: Occurrence, online: str | None,
                    location: str | None) -> DigestMeeting:
    return DigestMeeting(title, occ.start, occ.end, online, location)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut + " …"
