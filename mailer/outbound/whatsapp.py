"""A digest as a WhatsApp message, for an organizer to paste into the group. Pure.

Short: per thread its title in *bold*, who wrote, one or two first lines and one link (the
thread's web page when `[web] base_url` is configured, else a mailto: with the thread's
shared reply address and a subject, which Android WhatsApp makes tappable). It names no
member's address: the reply address is the thread's own, issued to no one. At most
MAX_THREADS threads, and fewer while the text is longer than a few phone screens; the rest
are counted ("… dan 4 topik lain").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from mailer.inbound.route import clean_subject
from mailer.model import Post
from mailer.outbound.digest import Digest, DigestThread, excerpt, post_lines
from mailer.outbound.render import render
from mailer.tokens import shared_reply_address

MAX_THREADS = 8
LINE_CHARS = 160  # one post's line
TITLE_CHARS = 80
SCREENS_CHARS = 3500  # a few screens of a phone; threads are dropped to stay under it
WHATSAPP_MAX_CHARS = 65_000  # WhatsApp refuses longer messages
_FORMATTING = re.compile(r"[*_~`]")  # WhatsApp's markers: kept out of titles and names


@dataclass(frozen=True)
class WhatsAppThread:
    number: int
    title: str
    is_new: bool
    new_replies: int  # new posts after the opening one
    waiting: bool
    lines: tuple[tuple[str, str], ...]  # (who, their first line)
    link: str


def plain(text: str, limit: int) -> str:
    """A title or a name without WhatsApp's formatting markers, shortened."""
    return excerpt(_FORMATTING.sub("", text), limit)


def whatsapp_thread(section: DigestThread, digest: Digest, secret: str) -> WhatsAppThread:
    thread = section.thread
    replies = section.replies
    # a new thread: its question and the latest answer; else the two latest answers
    posts: list[Post] = [thread.posts[0]] if section.is_new and thread.posts else []
    posts += replies[len(posts) - 2:]
    lines = tuple((plain(p.name, 40), " ".join(post_lines(p.body, 2, LINE_CHARS)))
                  for p in posts)
    if section.web:
        link = section.web
    else:
        address = shared_reply_address(secret, digest.community.address, thread.id)
        link = f"mailto:{address}?subject={quote('Re: ' + clean_subject(thread.subject))}"
    return WhatsAppThread(section.number, plain(thread.subject, TITLE_CHARS), section.is_new,
                          len(replies), section.waiting, lines, link)


def whatsapp_text(digest: Digest, secret: str, templates: Path | None) -> str:
    """The digest in WhatsApp's formatting, a few screens at most."""
    community = digest.community
    threads = [whatsapp_thread(s, digest, secret) for s in digest.threads]
    shown = min(len(threads), MAX_THREADS)
    while True:
        text = render("digest.whatsapp.j2", community.language, templates, digest=digest,
                      community=community, threads=threads[:shown],
                      more=len(threads) - shown)
        if len(text) <= SCREENS_CHARS or shown <= 1:
            break
        shown -= 1
    if len(text) > WHATSAPP_MAX_CHARS:  # an organizer's template, or a very long prompt
        text = text[:WHATSAPP_MAX_CHARS - 2].rstrip() + " …"
    return text
