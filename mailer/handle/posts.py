"""A post: who may post, which thread it joins, every member's copy; or a hold for a
moderator, with a notice to the sender (only one we may answer) and to each moderator.

A copy shows the name cop.toml gives the member, never the name the sender wrote (a member
could call themselves "Siti Rahayu (moderator)"); a stranger's own name is marked as such.
Moderators get one mail a hold, up to HOLD_NOTICES_PER_HOUR a community; the rest wait for
the hourly summary (timed/holds.py). An unverified stranger's subject is never repeated.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from mailer.config import Community
from mailer.handle.app import App, Result, known_sender, may_answer
from mailer.handle.reasons import BULK, EMPTY, FORGED, HOLD_REASONS, NOT_MEMBER, reason_text
from mailer.inbound.replies import new_text
from mailer.inbound.route import RouteInput, clean_subject, content_hold, posting_hold, route_mail
from mailer.membership import members_of, name_of, receivers
from mailer.model import Mail, Post, Thread
from mailer.outbound.attachments import judge_files
from mailer.outbound.compose import compose_notice, compose_posts
from mailer.state import State
from mailer.tokens import moderation_address

__all__ = ["BULK", "EMPTY", "FORGED", "HOLD_REASONS", "hold_mail", "post_mail",
           "reason_text"]


def post_mail(app: App, state: State, mail: Mail, key: str, community: Community,
              now: datetime, approved: bool = False, added: bool = False) -> Result:
    """`approved`: a moderator passed it on; `added`: and made its sender a member."""
    members = members_of(community, state)
    sender = mail.from_addr
    is_moderator = sender in {m.lower() for m in (*community.moderators,
                                                  *community.organizers)}
    route = route_mail(RouteInput(
        mail=mail, community_id=community.id, community_address=community.address,
        secret=app.secret, threads=state.threads, thread_of=state.thread_of, now=now))
    first_post = community.moderate_first_post and (community.id, sender) not in state.posters
    verdict = app.verdict(mail)
    hold = ((f"{FORGED} ({verdict.reason})" if verdict.forged else None)
            or posting_hold(community.posting, sender in members, is_moderator, first_post)
            or route.hold
            or (None if is_moderator else content_hold(
                mail, community.address, community.max_post_bytes, community.max_recipients,
                community.held_words)))
    sections = route.sections or (
        (route.thread, new_text(mail.text, new_thread=route.thread is None)),)
    if not hold and not any(text for _, text in sections) and not mail.attachments:
        hold = EMPTY  # only quoted text: sent by mistake, most likely; never an empty post
    if hold and not approved:  # the excerpt is what a reply's trimming kept, once
        return hold_mail(app, state, mail, key, community, route.rule, hold, now,
                         None if route.sections or route.thread is None else sections[0][1])
    result = Result("posted", route.rule, mail.message_id, community.id)
    attachments = judge_files(mail.attachments, community.max_attachments_bytes)
    result.files = {a.sha256: mail.files[a.sha256] for a in attachments
                    if a.withheld != "blocked" and a.sha256 in mail.files}
    withheld = [f"{a.withheld}:{a.filename}" for a in attachments if a.withheld]
    if withheld:
        result.detail = "files withheld " + " ".join(withheld)[:200]
    member = members.get(sender)
    name = member.name if member else (mail.from_name or sender.split("@")[0])
    if member is None and not is_moderator and not added:
        name += " (bukan anggota)" if community.language == "id" else " (not a member)"
    recipients = [m for m in receivers(community, state, now, "each")
                  if m.email.lower() != sender]
    threads = []
    for n, (thread_id, body) in enumerate(sections):
        thread = state.threads.get(thread_id) if thread_id else None
        if thread is None:
            subject = (_first_line(body) if route.sections else clean_subject(mail.subject))
            thread = Thread(id=state.new_thread_id(), community=community.id,
                            subject=subject or _no_subject(community), started=now,
                            last_activity=now)
            result.records.append({"t": "thread", "id": thread.id,
                                   "community": community.id, "subject": thread.subject,
                                   "started": now.isoformat()})
        message_id = mail.message_id if n == 0 else f"<part{n + 1}.{mail.message_id[1:]}"
        post = Post(message_id=message_id, thread=thread.id, from_addr=sender, name=name,
                    date=now, body=body, attachments=attachments if n == 0 else ())
        result.records.append({
            "t": "post", "thread": thread.id, "message_id": post.message_id, "from": sender,
            "name": name, "date": now.isoformat(), "body": post.body,
            "attachments": [a.__dict__ for a in post.attachments],
        })
        references = _references(thread, mail) if not route.sections else tuple(
            p.message_id for p in reversed(thread.posts))[:10]
        result.outgoing += compose_posts(community, thread, post, recipients, app.secret,
                                         app.templates, references, now, result.files)
        threads.append(thread.id)
    result.thread = ",".join(threads)
    return result


def _first_line(text: str, limit: int = 80) -> str:
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rsplit(" ", 1)[0] + "…"


def _references(thread: Thread, mail: Mail) -> tuple[str, ...]:
    """In-Reply-To first: what the member answered, else the thread's latest post."""
    if mail.in_reply_to:
        return mail.in_reply_to
    return tuple(p.message_id for p in reversed(thread.posts))[:10]


def _no_subject(community: Community) -> str:
    return "(tanpa judul)" if community.language == "id" else "(no subject)"


HOLD_NOTICES_PER_HOUR = 3  # a mail to the moderators per hold, up to this many an hour


def hold_notices_left(state: State, community: Community, now: datetime) -> bool:
    """Whether the moderators get a mail of its own about one more hold this hour."""
    hour_ago = now - timedelta(hours=1)
    recent = sum(1 for h in state.holds.values()
                 if h.community == community.id and h.notified and h.received > hour_ago)
    return recent < HOLD_NOTICES_PER_HOUR


def hold_mail(app: App, state: State, mail: Mail, key: str, community: Community, rule: str,
              reason: str, now: datetime, trimmed: str | None = None) -> Result:
    """`trimmed`: new_text(mail.text), when the caller has it."""
    result = Result("held", rule, mail.message_id, community.id, detail=reason)
    hold_id = state.new_hold_id()
    trusted = not reason.startswith(FORGED) and (app.verdict(mail).authenticated
                                                 or known_sender(app, state, mail))
    notify = hold_notices_left(state, community, now)
    result.records.append({
        "t": "hold", "id": hold_id, "community": community.id, "from": mail.from_addr,
        "subject": mail.subject, "reason": reason, "received": now.isoformat(),
        "message_id": mail.message_id, "archive": key,  # approval re-reads the raw mail
        "trusted": trusted, "notified": notify,
    })
    if not reason.startswith(FORGED) and may_answer(app, state, mail):
        result.outgoing.append(compose_notice(
            community, mail.from_addr, mail.from_name, "held",
            "Pesan Anda menunggu moderator" if community.language == "id"
            else "Your message is waiting for a moderator",
            now, app.templates, key=f"held:{mail.message_id}", in_reply_to=mail.message_id,
            subject_of=mail.subject, reason=reason,
            reason_text=reason_text(reason, community.language)))
    if not notify:  # the hourly summary tells the moderators
        return result
    excerpt = "\n".join(_first_lines(new_text(mail.text) if trimmed is None else trimmed, 15))
    subject = mail.subject if trusted else ""
    sender_name = (name_of(community, state, mail.from_addr) or mail.from_name) if trusted \
        else ""
    title = (("Perlu persetujuan: " if community.language == "id" else "Needs approval: ")
             + (subject or hold_id)) if not rule.startswith("join") else (  # unverified:
        ("Permintaan bergabung (" if community.language == "id" else "Request to join (")
        + hold_id + ")")  # its address, chosen by whoever wrote, stays out of the subject
    for moderator in sorted({e.lower() for e in community.moderators}):
        result.outgoing.append(compose_notice(
            community, moderator, name_of(community, state, moderator), "hold",
            title, now, app.templates, key=f"hold:{hold_id}",
            reply_to=moderation_address(app.secret, community.address, community.id, hold_id,
                                        moderator, now),
            hold_id=hold_id, sender=mail.from_addr,
            sender_name=sender_name, subject_of=subject,
            reason_text=reason_text(reason, community.language, to="moderator"),
            excerpt=excerpt, trusted=trusted, may_add=reason.startswith(NOT_MEMBER),
            join=rule.startswith("join")))  # approving sends the address a confirmation
    return result


def _first_lines(text: str, count: int) -> list[str]:
    """text.splitlines()[:count], without splitting a long text whole: lines read from a
    piece of its start are the text's own when more than `count` of them end in it."""
    lines = text[:count * 200].splitlines()
    return lines[:count] if len(lines) > count else text.splitlines()[:count]
