"""A member asks for a post's files ("kirim lampiran" / "send files" to a post's reply
address): they come back in one or more mails to that member only, never to the list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mailer.config import Community
from mailer.handle.app import App, Result, notice
from mailer.inbound.route import RouteInput, route_mail
from mailer.membership import members_of
from mailer.model import Attachment, Mail, Post
from mailer.state import State

FileReader = Callable[[str], bytes | None]
PER_MAIL = 18 * 2**20  # a mail's files together: under the common 20-25 MB limits


def send_files(app: App, state: State, mail: Mail, community: Community, files: FileReader,
               now: datetime) -> Result:
    result = Result("command", "send-files", mail.message_id, community.id)
    sender = mail.from_addr
    staff = {e.lower() for e in (*community.moderators, *community.organizers)}
    route = route_mail(RouteInput(
        mail=mail, community_id=community.id, community_address=community.address,
        secret=app.secret, threads=state.threads, thread_of=state.thread_of, now=now))
    if (sender not in members_of(community, state) and sender not in staff) or route.hold:
        result.detail = f"files asked for by {sender}, who may not have them"
        return result
    thread = state.threads.get(route.thread or "")
    posts = [] if thread is None else _wanted(thread.posts, mail)
    found = [(a, data) for post in posts for a in post.attachments
             if a.withheld != "blocked" and (data := files(a.sha256)) is not None]
    batches, too_big = _batches(found)
    for n, batch in enumerate(batches or [[]]):
        result.outgoing.append(notice(
            app, community, mail, "files", "Lampiran yang Anda minta",
            "The files you asked for", now, key_suffix=f":{n}", attach=batch,
            part=(n + 1, len(batches)), too_big=too_big, found=bool(found),
            thread=thread))
    result.thread = thread.id if thread else None
    result.detail = f"files sent={len(found) - len(too_big)} mails={len(batches)}"
    return result


def _wanted(posts: list[Post], mail: Mail) -> list[Post]:
    """The post answered (In-Reply-To), else every post of the thread, newest first."""
    answered = [p for p in posts if p.message_id in mail.in_reply_to and p.attachments]
    return answered or [p for p in reversed(posts) if p.attachments]


def _batches(found: list[tuple[Attachment, bytes]]
             ) -> tuple[list[list[tuple[Attachment, bytes]]], list[Attachment]]:
    """Files grouped into mails under PER_MAIL each; those larger than that on their own."""
    batches: list[list[tuple[Attachment, bytes]]] = []
    size = PER_MAIL
    too_big = []
    for attachment, data in found:
        if len(data) > PER_MAIL:
            too_big.append(attachment)
            continue
        if size + len(data) > PER_MAIL:
            batches.append([])
            size = 0
        batches[-1].append((attachment, data))
        size += len(data)
    return batches, too_big
