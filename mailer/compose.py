"""Outgoing messages as EmailMessage objects: posts, notices, digests, invitations. Pure.

Every message is addressed to one member (no member sees another's address), from the
community address (DMARC-safe: a poster's name, never their address, in From), with list
headers (RFC 2369, RFC 2919, RFC 8058), our loop marker, and text + HTML parts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mailer.config import Community, Member
from mailer.digest import Digest
from mailer.ical import Series, build_calendar
from mailer.meetings import expand
from mailer.model import Post, Thread
from mailer.render import render
from mailer.route import clean_subject
from mailer.tokens import command_address, reply_address

MAX_HEADER_CHARS = 900
LOOP_HEADER = "X-Cop-Loop"


class HeaderInjection(ValueError):
    """A header value built from member or template data held a line break."""


def safe_header(value: str, limit: int = MAX_HEADER_CHARS) -> str:
    if "\r" in value or "\n" in value or "\x00" in value:
        raise HeaderInjection(f"line break in header value {value[:60]!r}")
    return value[:limit]


def clean_name(name: str) -> str:
    """A display name fit for a header: line breaks and angle brackets removed."""
    return " ".join(name.replace("<", "").replace(">", "").split())[:120]


def make_message_id(community: Community, *key: str) -> str:
    """A Message-ID derived from what the message is, so re-composing it gives the same."""
    digest = hashlib.sha256("\x00".join((community.id, *key)).encode()).hexdigest()[:24]
    return f"<cop.{digest}@{community.address.split('@', 1)[1]}>"


def list_id(community: Community) -> str:
    return f"{community.id}.{community.address.split('@', 1)[1]}"


@dataclass(frozen=True)
class Outgoing:
    """One message for one recipient, with what the outbox needs to know about it."""

    key: str  # stable: the same message for the same member always has the same key
    kind: str
    to: str
    message: EmailMessage


def unsubscribe_link(community: Community) -> str:
    return f"mailto:{command_address(community.address, 'leave')}?subject=leave"


def base_message(community: Community, member: Member, subject: str, *, from_name: str,
                 reply_to: str | None, message_id: str, now: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["MIME-Version"] = "1.0"  # set_content adds it, but invitations are built part by part
    msg["From"] = Address(safe_header(clean_name(from_name)), addr_spec=community.address)
    msg["To"] = Address(safe_header(clean_name(member.name)), addr_spec=member.email)
    msg["Subject"] = safe_header(subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["List-Id"] = f"{safe_header(clean_name(community.name))} <{list_id(community)}>"
    msg["List-Post"] = f"<mailto:{community.address}>"
    msg["List-Help"] = f"<mailto:{command_address(community.address, 'help')}?subject=help>"
    unsubscribe = [f"<{unsubscribe_link(community)}>"]
    if community.unsubscribe_url:
        unsubscribe.append(f"<{safe_header(community.unsubscribe_url)}>")
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["List-Unsubscribe"] = ", ".join(unsubscribe)
    if community.archive_url:
        msg["List-Archive"] = f"<{safe_header(community.archive_url)}>"
    msg["Precedence"] = "list"
    msg[LOOP_HEADER] = community.address
    return msg


def add_bodies(msg: EmailMessage, text: str, html: str) -> None:
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")


def tagged_subject(community: Community, subject: str) -> str:
    tag = community.subject_tag
    if tag and tag.lower() in subject.lower():
        return subject
    return f"{tag} {subject}".strip()


def compose_post(community: Community, thread: Thread, post: Post, member: Member,
                 secret: str, templates: Path | None, references: tuple[str, ...],
                 now: datetime) -> Outgoing:
    """One member's copy of a post. Same Message-ID on every copy: it is one post."""
    subject = post_subject(community, thread, post)
    thread_address = reply_address(secret, community.address, thread.id, member.email)
    if community.private_replies:
        reply_to = str(Address(clean_name(post.name), addr_spec=post.from_addr))
    else:
        reply_to = str(Address(clean_name(community.name), addr_spec=thread_address))
    msg = base_message(community, member, subject,
                       from_name=f"{post.name} via {community.name}",
                       reply_to=reply_to, message_id=post.message_id, now=now)
    if references:
        msg["In-Reply-To"] = references[0]
        msg["References"] = " ".join(reversed(references))
    data: dict[str, Any] = {
        "title": subject, "post": post, "thread": thread, "community": community,
        "unsubscribe": unsubscribe_link(community), "reply_address": thread_address,
    }
    add_bodies(msg, render("post.txt.j2", community.language, templates, **data),
               render("post.html.j2", community.language, templates, **data))
    return Outgoing(key=f"post:{post.message_id}:{member.email.lower()}", kind="post",
                    to=member.email, message=msg)


def post_subject(community: Community, thread: Thread, post: Post) -> str:
    subject = clean_subject(thread.subject) or "(no subject)"
    if thread.posts and thread.posts[0].message_id != post.message_id:
        subject = f"Re: {subject}"
    return tagged_subject(community, subject)


def compose_notice(community: Community, to_addr: str, to_name: str, template: str,
                   subject: str, now: datetime, templates: Path | None, key: str,
                   in_reply_to: str | None = None, **data: Any) -> Outgoing:
    """A message from the service itself (help, unrouted, held, welcome): auto-generated."""
    member = Member(email=to_addr, name=to_name or to_addr.split("@")[0], delivery="each")
    msg = base_message(community, member, tagged_subject(community, subject),
                       from_name=community.name, reply_to=None,
                       message_id=make_message_id(community, "notice", key), now=now)
    msg["Auto-Submitted"] = "auto-replied" if in_reply_to else "auto-generated"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    context = {"title": subject, "community": community, **data}
    text = render(f"{template}.txt.j2", community.language, templates, **context)
    add_bodies(msg, text, render("notice.html.j2", community.language, templates,
                                 text=text, **context))
    return Outgoing(key=f"notice:{key}:{to_addr.lower()}", kind="notice", to=to_addr,
                    message=msg)


def compose_invitation(series: Series, member: Member, method: str, now: datetime,
                       templates: Path | None) -> Outgoing:
    """An iMIP message: text, HTML and text/calendar in multipart/alternative, plus invite.ics.

    Layout (interop checklist MIME-5): multipart/mixed { multipart/alternative { text/plain,
    text/html, text/calendar; method=... }, application/ics invite.ics }.
    """
    community, meeting = series.community, series.meeting
    language = community.language
    ics = build_calendar(series, member, method, now)
    kind = "cancel" if method == "CANCEL" else ("update" if series.sequence else "invite")
    labels = INVITATION_SUBJECTS[language][kind]
    subject = f"{labels}: {meeting.title}"
    msg = base_message(community, member, tagged_subject(community, subject),
                       from_name=community.name, reply_to=None,
                       message_id=make_message_id(community, "invitation", series.uid,
                                                  str(series.sequence), method,
                                                  member.email.lower()), now=now)
    occurrences, skipped = expand(meeting, language)
    data: dict[str, Any] = {
        "title": subject, "community": community, "meeting": meeting, "member": member,
        "kind": kind, "next": [o for o in occurrences if o.end > now][:4],
        "skipped": [s for s in skipped if s.start > now][:6],
    }
    text = render("invitation.txt.j2", language, templates, **data)
    html = render("invitation.html.j2", language, templates, **data)
    alternative = EmailMessage()
    alternative.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    alternative.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    alternative.add_alternative(ics, maintype="text", subtype="calendar",
                                params={"method": method, "charset": "UTF-8"}, cte="base64")
    msg.make_mixed()
    msg.attach(alternative)
    msg.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    return Outgoing(key=f"inv:{series.uid}:{series.sequence}:{method}:{member.email.lower()}",
                    kind="invitation", to=member.email, message=msg)


INVITATION_SUBJECTS = {
    "id": {"invite": "Undangan", "update": "Undangan diperbarui", "cancel": "Dibatalkan"},
    "en": {"invite": "Invitation", "update": "Updated invitation", "cancel": "Cancelled"},
}


def compose_digest(digest: Digest, member: Member, secret: str, templates: Path | None,
                   message_id: str, now: datetime) -> Outgoing:
    community = digest.community
    language = community.language
    count = len(digest.threads)
    subject = (f"Rangkuman {community.name}: {count} topik" if language == "id"
               else f"{community.name} digest: {count} topics")
    msg = base_message(community, member, tagged_subject(community, subject),
                       from_name=community.name,
                       reply_to=str(Address(clean_name(community.name),
                                            addr_spec=community.address)),
                       message_id=message_id, now=now)
    links = {
        s.thread.id: reply_link(secret, community, s.thread, member) for s in digest.threads
    }
    data: dict[str, Any] = {"title": subject, "digest": digest, "community": community,
                            "member": member, "links": links,
                            "unsubscribe": unsubscribe_link(community)}
    add_bodies(msg, render("digest.txt.j2", language, templates, **data),
               render("digest.html.j2", language, templates, **data))
    return Outgoing(key=f"digest:{message_id}:{member.email.lower()}", kind="digest",
                    to=member.email, message=msg)


def reply_link(secret: str, community: Community, thread: Thread, member: Member) -> str:
    address = reply_address(secret, community.address, thread.id, member.email)
    subject = quote(f"Re: {clean_subject(thread.subject)}")
    return f"mailto:{address}?subject={subject}"
