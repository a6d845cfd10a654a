"""The nouns of CoP Mailer, as plain frozen data."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Attachment:
    """A file that came with a post. Its bytes are kept once, by sha256, in the store."""

    filename: str
    content_type: str
    size: int
    sha256: str = ""
    content_id: str = ""  # an inline image's Content-ID (without <>), shown in the HTML
    withheld: str = ""  # why members' copies leave it out: "" | "blocked" | "large"


@dataclass(frozen=True)
class Mail:
    """An inbound message, parsed: what the routing rules look at."""

    message_id: str
    from_addr: str  # lower-cased address from the From header only
    from_name: str
    to_addrs: tuple[str, ...]  # To + Cc + Delivered-To/X-Original-To, lower-cased
    subject: str
    date: datetime | None
    in_reply_to: tuple[str, ...]  # In-Reply-To then References, newest first
    headers: dict[str, str]  # lower-cased names of the headers the rules need
    text: str  # the readable body (text/plain, or HTML converted)
    attachments: tuple[Attachment, ...] = ()
    calendar: str | None = None  # a text/calendar part, when there is one
    size: int = 0
    auth_results: tuple[str, ...] = ()  # Authentication-Results headers, top first
    files: Mapping[str, bytes] = field(default_factory=dict)  # sha256 -> an attachment's bytes
    fingerprint: str = ""  # what it says (sender, subject, body): a copy has the same one
    # the From as written when it is a member's alias (from_addr is then the member's own
    # address: handle/app.as_member); authentication is of this one
    from_alias: str = ""


@dataclass(slots=True)  # one per post ever: no per-instance __dict__
class Post:
    message_id: str
    thread: str
    from_addr: str
    name: str
    date: datetime
    body: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(slots=True)
class Thread:
    id: str
    community: str
    subject: str
    started: datetime
    last_activity: datetime
    # the posts, oldest first; None until read: a thread from the store's index reads its
    # posts (bodies and all) through `post_loader` when something first looks at them
    post_list: list[Post] | None = field(default_factory=list)
    post_loader: Callable[[str], list[Post]] | None = field(default=None, repr=False,
                                                            compare=False)

    @property
    def posts(self) -> list[Post]:
        if self.post_list is None:
            self.post_list = self.post_loader(self.id) if self.post_loader else []
        return self.post_list


@dataclass
class Hold:
    id: str
    community: str
    from_addr: str
    subject: str
    reason: str
    received: datetime
    message_id: str
    archive_key: str
    state: str = "held"  # held | approved | rejected
    trusted: bool = True  # the sender is authenticated or known: their subject may be shown
    notified: bool = True  # the moderators got a mail of its own (else: the summary)
    decided_by: str = ""  # who approved or rejected it: a moderator's address, or a login
    decided_at: datetime | None = None


@dataclass
class Quarantine:
    """A message that could not be processed: its raw bytes stay in the archive, and what
    could be read of it is kept here for the organizers."""

    id: str
    message_id: str
    from_addr: str
    subject: str
    reason: str
    received: datetime
    archive_key: str
    community: str | None = None
    state: str = "quarantined"  # quarantined | released | discarded


@dataclass
class OutboxItem:
    id: str
    to: str
    subject: str
    kind: str  # post | digest | invitation | notice | ...
    state: str  # queued | sent | deferred | failed
    attempts: int = 0
    next_try: datetime | None = None
    error: str | None = None
    envelope_from: str = ""
    message_id: str = ""
    queued: datetime | None = None
    updated: datetime | None = None
    # where the message's bytes are: its own part, then a part its copies share (a post)
    spool: tuple[tuple[str, int, int], ...] = ()
