"""Threads since a member's last digest -> Digest. Pure.

A Digest is built once for all members who share the same "since" (and role); compose.py
then only adds each member's own reply links.

Each thread's section says what the thread is about and what is new: the opening post's
first lines (who started it, and when), then each new reply's author, time and first lines
(the post bodies are kept as new text already: quotes and signatures removed). A long
thread shows its first replies and its latest, and says how many are left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mailer.calendar.occurrences import Occurrence, upcoming
from mailer.config import Community, MeetingConfig
from mailer.links import thread_url
from mailer.model import Attachment, Post, Thread

EXCERPT_CHARS = 280
EXCERPT_LINES = 3  # a post's first lines in a digest
OPENING_LINES = 2  # the opening post of a thread that started before this digest's period
REPLIES_SHOWN = 5  # new replies written out; with more, the first 4, a gap, the latest
WAITING_WINDOW = timedelta(days=30)  # older unanswered threads are no longer listed
# a line that could pass for a section marker ("=== [2] ... (#t5) ===") when quoted back
_MARKER_LIKE = re.compile(r"^\s*=+")


@dataclass(frozen=True)
class DigestPost:
    """One post as a digest shows it: who, when, its first lines, its files."""

    name: str
    date: datetime
    lines: tuple[str, ...]
    files: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class DigestThread:
    number: int
    thread: Thread
    new_posts: tuple[Post, ...]
    is_new: bool
    waiting: bool  # started, nobody answered yet
    web: str | None = None  # the thread's page, when the members' web is configured

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

    @property
    def opening(self) -> DigestPost | None:
        """The post that started the thread: with more lines when it is new."""
        if not self.thread.posts:
            return None
        return digest_post(self.thread.posts[0],
                           EXCERPT_LINES if self.is_new else OPENING_LINES)

    @property
    def replies(self) -> tuple[Post, ...]:
        """The new posts, the opening one left out (it is shown as the opening)."""
        first = self.thread.posts[0].message_id if self.thread.posts else None
        return tuple(p for p in self.new_posts if p.message_id != first)

    @property
    def shown(self) -> tuple[DigestPost, ...]:
        """The new replies written out before the gap (all of them when few)."""
        replies = self.replies
        cut = len(replies) if len(replies) <= REPLIES_SHOWN else REPLIES_SHOWN - 1
        return tuple(digest_post(p) for p in replies[:cut])

    @property
    def more(self) -> int:
        """How many new replies are left out ("… and 3 more replies")."""
        return max(0, len(self.replies) - REPLIES_SHOWN)

    @property
    def latest(self) -> tuple[DigestPost, ...]:
        """The newest reply, after the gap, when some are left out."""
        return (digest_post(self.replies[-1]),) if self.more else ()


@dataclass(frozen=True)
class DigestMeeting:
    title: str
    start: datetime
    end: datetime
    online: str | None
    location: str | None
    coming: int  # members who said yes
    meeting_id: str = ""  # which meeting and occurrence: each member's RSVP links name them
    occurrence: str = ""


@dataclass(frozen=True)
class Attention:
    """What waits for organizers and moderators; shown only to them."""

    holds: int = 0
    bouncing: tuple[str, ...] = ()
    unrouted: int = 0
    requests: tuple[str, ...] = ()  # "Budi <b@y>": listed in cop.toml, left by email
    complaints: tuple[str, ...] = ()  # reported our mail as spam (ARF): no mail to them
    # members' answers since the last attention mail: (name, status, day, reason; note)
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
        if thread.community != community.id or (since is not None
                                                 and thread.last_activity <= since):
            continue  # nothing new: its posts are not read (from disk, in a big store)
        new = tuple(p for p in thread.posts if (since is None or p.date > since)
                    and p.date <= now)
        if not new:
            continue
        sections.append(DigestThread(
            number=len(sections) + 1, thread=thread, new_posts=new,
            is_new=since is None or thread.started > since, waiting=len(thread.posts) == 1,
            web=thread_url(community.web_url, community.id, thread.id)
            if community.web_url else None))
    listed = {s.thread.id for s in sections}
    waiting = sorted((t for t in threads if t.community == community.id
                      and t.id not in listed and now - t.started <= WAITING_WINDOW
                      and len(t.posts) == 1), key=lambda t: t.started)
    meetings: list[DigestMeeting] = []
    for meeting in community.meetings:
        for occ in upcoming(meeting, now, limit=1, language=community.language):
            coming = head_count(meeting, occ) if head_count else 0
            meetings.append(DigestMeeting(meeting.title, occ.start, occ.end, meeting.online,
                                          meeting.location, coming, meeting.id, occ.id))
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


def post_lines(text: str, lines: int = EXCERPT_LINES, limit: int = EXCERPT_CHARS
               ) -> tuple[str, ...]:
    """A post's first non-empty lines, each with its spaces collapsed, at most `limit`
    characters in all; " …" ends the last one when something is left out. A line that could
    pass for a digest's section marker loses its leading "="."""
    found = [" ".join(_MARKER_LIKE.sub("", line).split()) for line in text.splitlines()]
    found = [line for line in found if line]
    out: list[str] = []
    room = limit
    for line in found[:lines]:
        if len(line) > room:
            out.append(excerpt(line, max(room, 20)))
            return tuple(out)
        out.append(line)
        room -= len(line)
    if len(found) > lines and out:
        out[-1] += " …"
    return tuple(out)


def digest_post(post: Post, lines: int = EXCERPT_LINES) -> DigestPost:
    return DigestPost(post.name, post.date, post_lines(post.body, lines),
                      tuple(a for a in post.attachments if a.withheld != "blocked"))
