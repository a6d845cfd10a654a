"""Outgoing messages as wire bytes: posts, notices, digests, invitations. Pure.

Every message is addressed to one member (no member sees another's address), from the
community address (DMARC-safe: a poster's name, never their address, in From), with list
headers (RFC 2369, RFC 2919, RFC 8058), our loop marker, and text + HTML parts.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape as html_escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mailer.calendar.ical import Series, build_calendar
from mailer.config import Community, MeetingConfig, Member
from mailer.inbound.route import clean_subject
from mailer.links import STATUSES, rsvp_until, rsvp_urls, thread_url
from mailer.model import Attachment, Post, Thread
from mailer.outbound.attachments import post_body
from mailer.outbound.digest import Digest
from mailer.outbound.meetingtext import invitation_words
from mailer.outbound.mime import (
    check_header,
    encode_address,
    encode_text,
    header_lines,
)
from mailer.outbound.render import exists, render
from mailer.outbound.unsubscribe import member_unsubscribe, unsubscribe_headers, unsubscribe_link
from mailer.outbound.wording import counted, sender_name
from mailer.tokens import (
    answer_address,
    command_address,
    reply_address,
    reply_addresses,
)

LOOP_HEADER = "X-Cop-Loop"


def clean_name(name: str) -> str:
    """A display name fit for a header: line breaks and angle brackets removed."""
    return " ".join(name.replace("<", "").replace(">", "").split())[:120]


def make_message_id(community: Community, *key: str) -> str:
    """A Message-ID derived from what the message is, so re-composing it gives the same."""
    digest = hashlib.sha256("\x00".join((community.id, *key)).encode()).hexdigest()[:24]
    return f"<cop.{digest}@{community.address.split('@', 1)[1]}>"


def list_id(community: Community) -> str:
    return f"{community.id}.{community.address.split('@', 1)[1]}"


class Shared:
    """Bytes that every copy of one message carries (a post's headers, text and files): the
    store keeps them once, however many members get the post."""

    __slots__ = ("data", "ref")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.ref: tuple[str, int, int] | None = None  # where the store put them, once queued


@dataclass(frozen=True)
class Outgoing:
    """One message for one recipient, as it goes on the wire (CRLF, headers encoded): its own
    bytes, then the bytes it shares with the other copies of the same message."""

    key: str  # stable: the same message for the same member always has the same key
    kind: str
    to: str
    subject: str
    message_id: str
    own: bytes
    shared: Shared | None = None

    @property
    def data(self) -> bytes:
        """The whole message (a copy of the shared bytes: for tests and previews)."""
        return self.own + self.shared.data if self.shared is not None else self.own


def list_headers(community: Community, subject: str, *, from_name: str, message_id: str,
                 now: datetime, unsubscribe: str | None = "") -> list[tuple[str, str]]:
    """The headers every copy of a message shares: From, Subject, list headers, loop marker.

    To and Reply-To are per recipient and added by the caller; so is List-Unsubscribe when
    `unsubscribe` is None (a member's own, member_unsubscribe).
    """
    headers = [
        ("MIME-Version", "1.0"),
        ("From", encode_address(clean_name(from_name), community.address)),
        ("Subject", encode_text(subject)),
        ("Date", format_datetime(now.astimezone(community.timezone))),
        ("Message-ID", message_id),
        ("List-Id", f"{encode_text(clean_name(community.name))} <{list_id(community)}>"),
        ("List-Post", f"<mailto:{community.address}>"),
        ("List-Help", f"<mailto:{command_address(community.address, 'help')}?subject=help>"),
    ]
    if unsubscribe is not None:
        headers += unsubscribe_headers(community, unsubscribe)
    if community.archive_url:
        headers.append(("List-Archive", f"<{check_header(community.archive_url)}>"))
    headers += [("Precedence", "list"), (LOOP_HEADER, community.address)]
    return headers


def tagged_subject(community: Community, subject: str) -> str:
    tag = community.subject_tag
    if tag and tag.lower() in subject.lower():
        return subject
    return f"{tag} {subject}".strip()


def compose_posts(community: Community, thread: Thread, post: Post,
                  members: list[Member], secret: str, templates: Path | None,
                  references: tuple[str, ...], now: datetime,
                  files: Mapping[str, bytes] | None = None) -> list[Outgoing]:
    """Every member's copy of a post: rendered once, only To and Reply-To differ; the rest,
    files included (`files`: sha256 -> bytes), is one Shared body kept once.

    The copies share the post's Message-ID: it is one post, and a client that gets it twice
    (a retry after a crash) shows it once.
    """
    if not members:
        return []
    subject = post_subject(community, thread, post)
    data: dict[str, Any] = {
        "title": subject, "post": post, "thread": thread, "community": community,
        "unsubscribe": unsubscribe_link(community),
        "thread_url": thread_url(community.web_url, community.id, thread.id)
        if community.web_url else "",
    }
    body = post_body(render("post.txt.j2", community.language, templates, **data),
                     render("post.html.j2", community.language, templates, **data),
                     post.attachments, files or {})
    headers = list_headers(community, subject, from_name=sender_name(post.name, community.name),
                           message_id=post.message_id, now=now, unsubscribe=None)
    if references:
        headers += [("In-Reply-To", references[0]),
                    ("References", " ".join(reversed(references[:20])))]
    shared = Shared(header_lines(headers) + body)
    private = (encode_address(clean_name(post.name), post.from_addr)
               if community.private_replies else None)
    copies = []
    for member in members:
        reply_to = private or encode_address(
            clean_name(community.name),
            reply_address(secret, community.address, thread.id, member.email))
        own = header_lines([("To", encode_address(clean_name(member.name), member.email)),
                            ("Reply-To", reply_to),
                            *member_unsubscribe(community, secret, member.email, now)])
        copies.append(Outgoing(key=f"post:{post.message_id}:{member.email.lower()}",
                               kind="post", to=member.email, subject=subject,
                               message_id=post.message_id, own=own, shared=shared))
    return copies


def post_subject(community: Community, thread: Thread, post: Post) -> str:
    subject = clean_subject(thread.subject) or "(no subject)"
    if thread.posts and thread.posts[0].message_id != post.message_id:
        subject = f"Re: {subject}"
    return tagged_subject(community, subject)


def _single(community: Community, to_name: str, to_addr: str, subject: str, *,
            from_name: str, message_id: str, now: datetime,
            reply_to: str | None = None, unsubscribe: str | None = "") -> list[tuple[str, str]]:
    """The headers of a message for one recipient (invitations, notices). They are written
    by mime.header_lines, the body by EmailMessage: the email package's own folding drops
    the space at the edge of an encoded word (CPython), and a long subject lost words."""
    headers = list_headers(community, subject, from_name=from_name, message_id=message_id,
                           now=now, unsubscribe=unsubscribe)
    headers.append(("To", encode_address(clean_name(to_name), to_addr)))
    if reply_to:
        headers.append(("Reply-To", reply_to))
    return headers


def _outgoing(headers: list[tuple[str, str]], body: EmailMessage, key: str, kind: str,
              to: str, subject: str) -> Outgoing:
    del body["MIME-Version"]  # among `headers` already
    return Outgoing(key=key, kind=kind, to=to, subject=subject,
                    message_id=dict(headers)["Message-ID"],
                    own=header_lines(headers) + body.as_bytes(policy=policy.SMTP))


def add_bodies(msg: EmailMessage, text: str, html: str) -> None:
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")


def compose_notice(community: Community, to_addr: str, to_name: str, template: str,
                   subject: str, now: datetime, templates: Path | None, key: str,
                   in_reply_to: str | None = None, reply_to: str | None = None,
                   attach: Sequence[tuple[Attachment, bytes]] = (), **data: Any) -> Outgoing:
    """A message from the service itself (help, unrouted, held, welcome): auto-generated.
    `attach`: files it carries (a member asked for a post's files)."""
    subject = tagged_subject(community, subject)
    listed = community.member(to_addr)  # the name cop.toml gives, never an address as name
    name = listed.name if listed else ("" if "@" in to_name else to_name)
    headers = _single(community, name, to_addr, subject,
                      from_name=community.name,
                      message_id=make_message_id(community, "notice", key), now=now,
                      reply_to=reply_to)
    headers.append(("Auto-Submitted", "auto-replied" if in_reply_to else "auto-generated"))
    if in_reply_to:
        headers += [("In-Reply-To", in_reply_to), ("References", in_reply_to)]
    msg = EmailMessage()
    context = {"title": subject, "community": community, "reply_to": reply_to or "", **data}
    text = render(f"{template}.txt.j2", community.language, templates, **context)
    page = f"{template}.html.j2"  # a notice with buttons has its own page; the rest, its text
    add_bodies(msg, text, render(page if exists(page, community.language, templates)
                                 else "notice.html.j2", community.language, templates,
                                 text=text, **context))
    for attachment, content in attach:
        maintype, _, subtype = attachment.content_type.partition("/")
        if not (maintype and subtype) or maintype in ("text", "multipart", "message"):
            maintype, subtype = "application", "octet-stream"  # bytes as they came, untouched
        msg.add_attachment(content, maintype=maintype, subtype=subtype,
                           filename=attachment.filename)
    return _outgoing(headers, msg, f"notice:{key}:{to_addr.lower()}", "notice", to_addr,
                     subject)


def compose_invitation(series: Series, member: Member, method: str, now: datetime,
                       templates: Path | None, first_for_member: bool = False,
                       reply_to: str | None = None, secret: str = "",
                       previous: MeetingConfig | None = None, leaving: bool = False) -> Outgoing:
    """An iMIP message: text, HTML and text/calendar in multipart/alternative, plus invite.ics.
    `previous`: the meeting as last sent (an update says what changed); `leaving`: a CANCEL
    that takes the meeting off the calendar of someone no longer invited (it goes on).

    Layout (interop checklist MIME-5): multipart/mixed { multipart/alternative { text/plain,
    text/html, text/calendar; method=... }, application/ics invite.ics }.
    """
    community = series.community
    language = community.language
    ics = build_calendar(series, member, method, now)
    kind = ("leave" if leaving else "cancel") if method == "CANCEL" else (
        "update" if series.sequence and not first_for_member else "invite")
    words = invitation_words(series, kind, now, previous)
    subject = tagged_subject(community, words.pop("subject"))
    headers = _single(community, member.name, member.email, subject,
                      from_name=community.name,
                      message_id=make_message_id(community, "invitation", series.uid,
                                                 str(series.sequence), method,
                                                 member.email.lower()), now=now,
                      reply_to=reply_to, unsubscribe=None if secret else "")
    headers += member_unsubscribe(community, secret, member.email, now) if secret else []
    data: dict[str, Any] = {
        "title": subject, "community": community, "member": member,
        "help": command_address(community.address, "help"), **words,
        "rsvp": rsvp_urls(community.web_url, secret, community.id, member.email, series.meeting,
                          "", now) if community.web_url and secret and method != "CANCEL" else {},
    }
    text = render("invitation.txt.j2", language, templates, **data)
    html = render("invitation.html.j2", language, templates, **data)
    alternative = EmailMessage()
    alternative.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    alternative.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    alternative.add_alternative(ics, maintype="text", subtype="calendar",
                                params={"method": method, "charset": "UTF-8"}, cte="base64")
    msg = EmailMessage()
    msg.make_mixed()
    msg.attach(alternative)
    msg.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    key = f"inv:{series.uid}:{series.sequence}:{method}:{member.email.lower()}"
    return _outgoing(headers, msg, key, "invitation", member.email, subject)


LINK = "\x00link:{}\x00"  # where a member's own link goes in a rendered digest
_LINK_RE = re.compile("\x00link:(t\\d+|r\\d+\\.[a-z]+)\x00")  # a reply link; an RSVP link


def compose_digests(digest: Digest, members: list[Member], secret: str,
                    templates: Path | None, message_id: str, now: datetime) -> list[Outgoing]:
    """Each member's copy of one digest. Rendered and encoded once; per member only the
    lines that carry their reply links are encoded (quoted-printable works line by line,
    so the result is the same bytes as encoding the whole text) and To is added. With the
    members' web, each upcoming meeting carries the member's own Ya / Tidak / Mungkin links."""
    if not members:
        return []
    community = digest.community
    language = community.language
    count = len(digest.threads)
    by_id = {m.id: m for m in community.meetings}
    rsvp_meetings = {i: (by_id[m.meeting_id], m.occurrence, rsvp_until(by_id[m.meeting_id], now))
                     for i, m in enumerate(digest.meetings)
                     if community.web_url and m.meeting_id in by_id}
    subject = tagged_subject(community, f"Rangkuman {community.name}: {count} topik"
                             if language == "id" else
                             f"{community.name} digest: {counted(count, 'topic')}")
    data: dict[str, Any] = {
        "title": subject, "digest": digest, "community": community,
        "links": {s.thread.id: LINK.format(s.thread.id) for s in digest.threads},
        "unsubscribe": unsubscribe_link(community),
        "rsvp": {i: {w: LINK.format(f"r{i}.{w}") for w in STATUSES} for i in rsvp_meetings},
    }
    text = _Prepared(render("digest.txt.j2", language, templates, **data), "plain")
    html = _Prepared(render("digest.html.j2", language, templates, **data), "html")
    boundary = "=_cop_" + hashlib.sha256(text.fingerprint + html.fingerprint).hexdigest()[:24]
    headers = list_headers(community, subject, from_name=community.name,
                           message_id=message_id, now=now, unsubscribe=None)
    head = header_lines(headers) + (
        f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"
        f"--{boundary}\r\n").encode()
    middle, tail = f"--{boundary}\r\n".encode(), f"--{boundary}--\r\n".encode()
    threads = [s.thread.id for s in digest.threads]
    subjects = {s.thread.id: "?subject=" + quote(f"Re: {clean_subject(s.thread.subject)}")
                for s in digest.threads}  # the same for every member
    copies = []
    for member in members:
        addresses = reply_addresses(secret, community.address, threads, member.email)
        links = {t: f"mailto:{a}{subjects[t]}" for t, a in addresses.items()}
        for i, (meeting, occurrence, until) in rsvp_meetings.items():
            urls = rsvp_urls(community.web_url, secret, community.id, member.email, meeting,
                             occurrence, now, until)
            links |= {f"r{i}.{w}": url for w, url in urls.items()}
        to = header_lines([  # replies come from the member's own answer address
            ("To", encode_address(clean_name(member.name), member.email)),
            ("Reply-To", encode_address(clean_name(community.name), answer_address(
                secret, community.address, member.email))),
            *member_unsubscribe(community, secret, member.email, now)])
        data_ = b"".join((to, head, text.fill(links), middle, html.fill(links), tail))
        copies.append(Outgoing(key=f"digest:{message_id}:{member.email.lower()}",
                               kind="digest", to=member.email, subject=subject,
                               message_id=message_id, own=data_))
    return copies


class _Prepared:
    """A rendered text part split into encoded static runs and lines holding links."""

    def __init__(self, content: str, subtype: str) -> None:
        self.head = (f"Content-Type: text/{subtype}; charset=\"utf-8\"\r\n"
                     "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode()
        self.chunks: list[bytes | str] = []
        static: list[str] = []
        for line in content.replace("\r\n", "\n").split("\n"):
            if "\x00link:" in line:
                if static:
                    self.chunks.append(_qp_lines(static))
                    static = []
                self.chunks.append(line)
            else:
                static.append(line)
        if static:
            self.chunks.append(_qp_lines(static))
        self.fingerprint = b"".join(c for c in self.chunks if isinstance(c, bytes))
        self.escape = html_escape if subtype == "html" else str

    def fill(self, links: dict[str, str]) -> bytes:
        out = [self.head]
        for chunk in self.chunks:
            if isinstance(chunk, bytes):
                out.append(chunk)
            else:
                line = _LINK_RE.sub(lambda m: self.escape(links.get(m.group(1), "")), chunk)
                out.append(_qp_lines([line]))
        out.append(b"\r\n")  # the CRLF before a boundary belongs to the boundary
        return b"".join(out)


def _qp_lines(lines: list[str]) -> bytes:
    return binascii.b2a_qp(("\r\n".join(lines) + "\r\n").encode("utf-8"), istext=True)


def compose_digest(digest: Digest, member: Member, secret: str, templates: Path | None,
                   message_id: str, now: datetime) -> Outgoing:
    """One member's copy (previews, tests)."""
    return compose_digests(digest, [member], secret, templates, message_id, now)[0]

