"""A post -> its thread, by an ordered table of named rules. Pure.

    rule          what it looks at
    reply-token   the signed plus-address we issued for a thread to one member
    in-reply-to   In-Reply-To / References against every Message-ID we sent or received
    digest-section  a reply to a digest, split by the quoted sections it answers
    subject       the subject without Re:/Fwd:/Bls:/Balas:/Tr:/AW:/WG:/[tag], recent threads
                  of the same community only
    new-thread    none of the above

Who may post is decided here too, from the From address only (never Sender or Reply-To).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from mailer.model import Mail, Thread
from mailer.tokens import SHARED, member_hash, plus_tag, read_token

SUBJECT_WINDOW = timedelta(days=30)
_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|bls|balas|tr|aw|wg|antw|sv|vs|r|rif|res|enc)\s*(\[\d+\])?\s*:\s*"
    r"|\[[^\]]{1,40}\]\s*)", re.I)


@dataclass(frozen=True)
class Route:
    thread: str | None  # None: a new thread
    rule: str
    hold: str | None = None  # a reason to hold for a moderator, or None
    # a reply to a digest: (thread or None for a new one, the text written for it)
    sections: tuple[tuple[str | None, str], ...] = ()


@dataclass(frozen=True)
class RouteInput:
    mail: Mail
    community_id: str
    community_address: str
    secret: str
    threads: Mapping[str, Thread]
    thread_of: Mapping[str, str]  # Message-ID -> thread id
    now: datetime


RouteRule = Callable[[RouteInput], Route | None]


def route_mail(r: RouteInput) -> Route:
    for rule in ROUTE_RULES:
        route = rule(r)
        if route is not None:
            return route
    return Route(None, "new-thread")


def clean_subject(subject: str) -> str:
    previous = None
    while previous != subject:
        previous = subject
        subject = _PREFIX.sub("", subject, count=1)
    return " ".join(subject.split())


def _reply_token(r: RouteInput) -> Route | None:
    for address in r.mail.to_addrs:
        tag = plus_tag(address, r.community_address)
        if not tag or not tag.startswith("r-"):
            continue
        token = read_token(r.secret, tag)
        if token is None:
            return Route(None, "reply-token", hold="reply address with a bad signature")
        thread = r.threads.get(token.thread)
        if thread is None or thread.community != r.community_id:
            return Route(None, "reply-token", hold="reply address for an unknown thread")
        if token.member_hash not in (member_hash(r.secret, r.mail.from_addr),
                                     member_hash(r.secret, SHARED)):
            return Route(thread.id, "reply-token",
                         hold="reply address issued to another member than the sender")
        return Route(thread.id, "reply-token")
    return None


def _in_reply_to(r: RouteInput) -> Route | None:
    for message_id in r.mail.in_reply_to:
        thread_id = r.thread_of.get(message_id)
        thread = r.threads.get(thread_id) if thread_id else None
        if thread is not None and thread.community == r.community_id:
            return Route(thread.id, "in-reply-to")
    return None


_SECTION = re.compile(r"^\s*(?:>\s*)+=== \[\d+\] .*\(#(t\d+)\) ===\s*$")
_THREAD_MENTION = re.compile(r"(?:#(t\d+)\b|\[(\d+)\])")


def _digest_section(r: RouteInput) -> Route | None:
    """A reply to a digest: text written under a quoted section goes to that section's
    thread; text above all quotes goes to the thread it clearly answers (the only section,
    or one it names as [2] or #t12), else it starts a new thread."""
    if not any(r.thread_of.get(i, "").startswith("digest:") for i in r.mail.in_reply_to):
        return None
    sections = split_digest_reply(r.mail.text)
    known = {t for t, _ in sections if t and t in r.threads
             and r.threads[t].community == r.community_id}
    quoted = [t for t in _quoted_sections(r.mail.text) if t in r.threads]
    out: list[tuple[str | None, str]] = []
    for thread, text in sections:
        if thread is None:
            thread = _top_posted_target(text, quoted, known)
        elif thread not in known:
            thread = None
        out.append((thread, text))
    if not out:
        return None
    return Route(out[0][0], "digest-section", sections=tuple(out))


def _top_posted_target(text: str, quoted: list[str], answered: set[str]) -> str | None:
    if answered:
        return sorted(answered)[0] if len(answered) == 1 else None
    if len(quoted) == 1:
        return quoted[0]
    for match in _THREAD_MENTION.finditer(text):
        if match.group(1) in quoted:
            return match.group(1)
        if match.group(2) and 0 < int(match.group(2)) <= len(quoted):
            return quoted[int(match.group(2)) - 1]
    return None


def _quoted_sections(text: str) -> list[str]:
    return [m.group(1) for line in text.splitlines() if (m := _SECTION.match(line))]


def split_digest_reply(text: str) -> list[tuple[str | None, str]]:
    """[(thread or None for text above all quotes, new text)], in the order written."""
    from mailer.inbound.replies import new_text

    lines = text.replace("\r\n", "\n").split("\n")
    first_quote = next((i for i, line in enumerate(lines) if line.lstrip().startswith(">")),
                       len(lines))
    buckets: list[tuple[str | None, list[str]]] = [(None, lines[:first_quote])]
    for line in lines[first_quote:]:
        marker = _SECTION.match(line)
        if marker:
            buckets.append((marker.group(1), []))
        elif not line.lstrip().startswith(">"):
            buckets[-1][1].append(line)
    out: list[tuple[str | None, str]] = []
    for thread, body in buckets:
        written = new_text("\n".join(body))
        if written:
            out.append((thread, written))
    return out


def _subject(r: RouteInput) -> Route | None:
    if clean_subject(r.mail.subject) == r.mail.subject.strip():
        return None  # no Re:/Fwd: -> a new topic, even with a familiar subject
    wanted = clean_subject(r.mail.subject).lower()
    if not wanted:
        return None
    recent = [t for t in r.threads.values()
              if t.community == r.community_id and r.now - t.last_activity <= SUBJECT_WINDOW
              and clean_subject(t.subject).lower() == wanted]
    if recent:
        return Route(max(recent, key=lambda t: t.last_activity).id, "subject")
    return None


ROUTE_RULES: tuple[RouteRule, ...] = (_reply_token, _in_reply_to, _digest_section, _subject)


def content_hold(mail: Mail, community_address: str, max_bytes: int, max_recipients: int,
                 held_words: tuple[str, ...]) -> str | None:
    """Why a message's content must wait for a moderator (size, recipients, listed words)."""
    if mail.size > max_bytes:
        return "message is larger than the community allows"
    others = [a for a in mail.to_addrs if plus_tag(a, community_address) is None
              and a != community_address.lower()]
    if len(others) >= max_recipients:
        return "message is addressed to many other people too"
    text = f"{mail.subject}\n{mail.text}".lower()
    for word in held_words:
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text):
            return f"message contains a listed word ({word})"
    return None


def posting_hold(posting: str, is_member: bool, is_moderator: bool,
                 first_post_held: bool = False) -> str | None:
    """Why a post must wait for a moderator, or None. Decided from the From address."""
    if is_moderator:
        return None
    if posting == "moderated":
        return "community is moderated"
    if posting == "members" and not is_member:
        return "sender is not a member"
    if first_post_held:
        return "first post of a new member"
    return None
