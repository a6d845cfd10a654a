"""One archived message -> exactly one recorded state, plus the mail it causes.

    parse -> community -> classify -> (post: who may post -> route -> thread + post)
                                   -> records for the journal, Outgoing messages for the outbox

Records are returned, not written: the daemon appends them, queues the messages, flushes, and
only then marks the message done (in the archive and on the IMAP server). Running this twice
for the same message changes nothing: a Message-ID already recorded becomes a `duplicate`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailer.classify import Context, Outcome, classify_mail
from mailer.compose import Outgoing, compose_notice, compose_posts, list_id
from mailer.config import Community, Config, MeetingConfig
from mailer.errors import MailError
from mailer.meetings import upcoming
from mailer.membership import members_of, paused
from mailer.model import Hold, Mail, Post, Thread
from mailer.parse import parse_mail
from mailer.replies import new_text
from mailer.route import RouteInput, clean_subject, content_hold, posting_hold, route_mail
from mailer.rsvp import read_calendar_reply
from mailer.state import Record, State
from mailer.tokens import (
    confirm_address,
    confirms,
    moderation_address,
    plus_tag,
    read_moderation,
)
from mailer.verify import forged_from

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class App:
    """What processing needs from the configuration, resolved once per config load."""

    config: Config
    secret: str

    @property
    def templates(self) -> Path | None:
        return self.config.service.templates


@dataclass
class Result:
    state: str
    rule: str
    message_id: str
    community: str | None = None
    thread: str | None = None
    records: list[Record] = field(default_factory=list)
    outgoing: list[Outgoing] = field(default_factory=list)
    detail: str = ""
    # a moderator's decision: (hold id, approve | reject, reason, by); the daemon reads the
    # held message from the archive and calls release_hold
    decisions: list[tuple[str, str, str, str]] = field(default_factory=list)


def process_message(app: App, state: State, key: str, raw: bytes, now: datetime) -> Result:
    try:
        mail = parse_mail(raw, app.config.inbound.max_message_bytes)
    except MailError as exc:
        return quarantined(key, str(exc), now, rule="parse")
    if mail.message_id in state.messages:
        result = Result("duplicate", "message-id", mail.message_id)
        result.records.append({"t": "duplicate", "id": mail.message_id, "archive": key})
        return result
    community = find_community(app.config, mail)
    result = _process(app, state, mail, raw, key, community, now)
    result.records.append(_message_record(result, key, mail, now))
    return result


def quarantined(key: str, reason: str, now: datetime, rule: str = "error") -> Result:
    """Set a message aside with its reason; its raw bytes stay in the archive."""
    result = Result("quarantined", rule, message_id="", detail=reason[:300])
    result.records.append(_message_record(result, key, None, now))
    return result


def find_community(config: Config, mail: Mail) -> Community | None:
    for address in mail.to_addrs:
        for community in config.communities:
            own = community.address.lower()
            if address == own or plus_tag(address, own) is not None:
                return community
    return config.communities[0] if len(config.communities) == 1 else None


def _process(app: App, state: State, mail: Mail, raw: bytes, key: str,
             community: Community | None, now: datetime) -> Result:
    if community is None:
        return _unrouted(app, mail, now)
    ctx = Context(community_address=community.address, list_id=list_id(community),
                  invitation_ids=state.invitation_of.keys())
    outcome = classify_mail(mail, ctx)
    if outcome.kind in ("loop", "automatic"):
        result = Result("automatic", outcome.rule, mail.message_id, community.id,
                        detail=outcome.detail)
        if any(plus_tag(a, community.address) == "leave" for a in mail.to_addrs):
            # a mail provider's unsubscribe button (List-Unsubscribe): honoured, not answered
            result.records += _leave_records(state, community, mail.from_addr, now)
            result.detail = "unsubscribed" if result.records else result.detail
        return result
    if outcome.kind == "bounce":
        return _bounce(state, mail, raw, community, outcome, now)
    roll_call = next((state.thread_of[i] for i in mail.in_reply_to
                      if state.thread_of.get(i, "").startswith("rollcall:")), None)
    if roll_call is not None:
        return _roll_call(state, mail, community, roll_call.removeprefix("rollcall:"))
    if outcome.kind == "rsvp":
        return _rsvp(app, state, mail, community, outcome, now)
    if outcome.kind == "command":
        return _command(app, state, mail, community, outcome, now)
    return _post(app, state, mail, key, community, now)


def _unrouted(app: App, mail: Mail, now: datetime) -> Result:
    """Mail for none of our communities (a BCC, an old address). Automatic mail is only
    recorded; a person is told, in both languages, where to write."""
    first = app.config.communities[0]
    ctx = Context(community_address=first.address, list_id=list_id(first))
    outcome = classify_mail(mail, ctx)
    if outcome.kind in ("loop", "automatic", "bounce"):
        return Result("automatic", outcome.rule, mail.message_id, detail="no community")
    result = Result("unrouted", "no-community", mail.message_id,
                    detail="no community address among the recipients")
    result.outgoing.append(compose_notice(
        first, mail.from_addr, mail.from_name, "unrouted",
        "Pesan Anda belum sampai / Your message was not delivered", now, app.templates,
        key=f"unrouted:{mail.message_id}", in_reply_to=mail.message_id,
        subject_of=mail.subject, communities=app.config.communities))
    return result


def _rsvp(app: App, state: State, mail: Mail, community: Community, outcome: Outcome,
          now: datetime) -> Result:
    result = Result("rsvp", outcome.rule, mail.message_id, community.id)
    members = members_of(community, state)
    if outcome.rule == "calendar-reply":
        answers = read_calendar_reply(mail.calendar or "")
        for answer in answers:
            key = state.meeting_of_uid.get(answer.uid)
            meeting = _meeting(community, key)
            if key is None or meeting is None or answer.email not in members:
                result.detail += f"ignored uid={answer.uid} attendee={answer.email}; "
                continue
            occurrence = (answer.occurrence.astimezone(meeting.timezone).isoformat()
                          if answer.occurrence else "")
            result.records.append(_rsvp_record(key, answer.email, answer.status, occurrence,
                                               answer.stamp or now, mail.message_id))
        if not answers:
            result.detail = "calendar reply without a readable answer"
        return result
    key, invited = next(state.invitation_of[i] for i in mail.in_reply_to
                        if i in state.invitation_of)
    meeting = _meeting(community, key)
    if meeting is None or mail.from_addr != invited:
        result.detail = f"plain answer from {mail.from_addr} to an invitation for {invited}"
        return result
    upcoming_ = upcoming(meeting, now, limit=1, language=community.language)
    occurrence = upcoming_[0].start.isoformat() if upcoming_ else ""
    result.records.append(_rsvp_record(key, invited, outcome.detail, occurrence, now,
                                       mail.message_id))
    state_after = {e: state.rsvp_of(key, e, occurrence) for e in members}
    state_after[invited] = outcome.detail
    coming = sum(1 for s in state_after.values() if s == "ACCEPTED")
    result.outgoing.append(compose_notice(
        community, mail.from_addr, mail.from_name, "rsvp",
        ("Jawaban Anda tercatat: " if community.language == "id" else "Your answer: ")
        + meeting.title, now, app.templates, key=f"rsvp:{mail.message_id}",
        in_reply_to=mail.message_id, meeting=meeting, status=outcome.detail,
        start=upcoming_[0].start if upcoming_ else None, coming=coming))
    result.detail = outcome.detail
    return result


_MARK = re.compile(r"^[\s>]*\[\s*([xXvV✓✔*]?)\s*\][^<\n]*<([^<>\s]+@[^<>\s]+)>")


def _roll_call(state: State, mail: Mail, community: Community, target: str) -> Result:
    """An organizer's answer to a roll-call: [x] present, [ ] absent, one member a line.
    Only organizers may take the roll; marks are read from the reply, quoted or not."""
    result = Result("attendance", "roll-call", mail.message_id, community.id)
    staff = {e.lower() for e in (*community.organizers, *community.moderators)}
    if mail.from_addr not in staff:
        result.detail = f"roll-call answered by {mail.from_addr}, who is not an organizer"
        return result
    key, _, occurrence = target.partition(":")
    members = members_of(community, state)
    marks: dict[str, bool] = {}
    for line in mail.text.splitlines():
        match = _MARK.match(line)
        if match and match.group(2).lower() in members:
            marks[match.group(2).lower()] = bool(match.group(1))
    for email, present in marks.items():
        result.records.append({"t": "attendance", "meeting": key, "occurrence": occurrence,
                               "email": email, "present": present, "source": "roll-call",
                               "by": mail.from_addr, "message_id": mail.message_id})
    result.detail = f"present={sum(marks.values())} absent={len(marks) - sum(marks.values())}"
    return result


def _meeting(community: Community, key: str | None) -> MeetingConfig | None:
    if key is None or not key.startswith(community.id + "/"):
        return None
    wanted = key.split("/", 1)[1]
    return next((m for m in community.meetings if m.id == wanted), None)


def _rsvp_record(key: str, email: str, status: str, occurrence: str, stamp: datetime,
                 message_id: str) -> Record:
    return {"t": "rsvp", "meeting": key, "email": email, "status": status,
            "occurrence": occurrence, "stamp": stamp.astimezone(UTC).isoformat(),
            "message_id": message_id}


def _bounce(state: State, mail: Mail, raw: bytes, community: Community,
            outcome: Outcome, now: datetime) -> Result:
    """A delivery failure report: whose address failed, and how (dead, DMARC, temporary).

    Our envelope sender names the outbox item (VERP), which names the member; without it,
    Mailman's detectors read the report (RFC 3464 and the common non-standard formats)."""
    result = Result("bounce", outcome.rule, mail.message_id, community.id)
    kind = bounce_kind(mail.text)
    failed: dict[str, str] = {}
    for address in mail.to_addrs:
        tag = plus_tag(address, community.address)
        if tag and tag.startswith("b-") and tag[2:] in state.outbox:
            failed[state.outbox[tag[2:]].to.lower()] = kind
    if not failed:
        temporary, permanent = _detect_failures(raw)
        failed = {a: "temporary" for a in temporary} | {a: kind for a in permanent}
    members = members_of(community, state)
    for email, how in sorted(failed.items()):
        result.records.append({"t": "bounce", "community": community.id, "email": email,
                               "kind": how, "member": email in members,
                               "message_id": mail.message_id, "at": now.isoformat()})
    result.detail = " ".join(f"{e}={k}" for e, k in sorted(failed.items())) or "unattributed"
    return result


_DMARC = re.compile(r"dmarc|5\.7\.26|policy reasons|authentication.{0,40}(fail|requir)"
                    r"|unauthenticated", re.I)
_TEMPORARY = re.compile(r"\b4\.\d{1,3}\.\d{1,3}\b|mailbox (is )?full|over quota|"
                        r"try again later|temporar", re.I)


def bounce_kind(report: str) -> str:
    """dmarc (our mail was refused for its authentication: not the member's fault),
    temporary (full mailbox, greylisting), or dead (the address does not work)."""
    if _DMARC.search(report):
        return "dmarc"
    if _TEMPORARY.search(report):
        return "temporary"
    return "dead"


def _detect_failures(raw: bytes) -> tuple[set[str], set[str]]:
    from email import message_from_bytes

    from flufl.bounce import all_failures

    try:
        temporary, permanent = all_failures(message_from_bytes(raw))
    except Exception:  # a detector on a malformed report: attribute nothing, keep the mail
        return set(), set()
    return _addresses(temporary), _addresses(permanent)


def _addresses(found: frozenset[bytes]) -> set[str]:
    return {a.decode(errors="replace").lower() for a in found}


def _command(app: App, state: State, mail: Mail, community: Community, outcome: Outcome,
             now: datetime) -> Result:
    result = Result("command", outcome.rule, mail.message_id, community.id,
                    detail=outcome.detail)
    if outcome.rule == "moderation":
        return _moderation(app, mail, community, outcome.detail, result)
    if outcome.detail == "help":
        result.outgoing.append(compose_notice(
            community, mail.from_addr, mail.from_name, "help",
            "Bantuan" if community.language == "id" else "Help", now, app.templates,
            key=f"help:{mail.message_id}", in_reply_to=mail.message_id))
    elif outcome.detail == "join":
        _join(app, state, mail, community, now, result)
    elif outcome.detail == "leave":
        _leave(app, state, mail, community, now, result)
    elif outcome.rule == "confirm":
        _confirm(app, state, mail, community, outcome.detail, now, result)
    return result


def _notice(app: App, community: Community, mail: Mail, template: str, subject_id: str,
            subject_en: str, now: datetime, **data: Any) -> Outgoing:
    return compose_notice(community, mail.from_addr, mail.from_name, template,
                          subject_id if community.language == "id" else subject_en, now,
                          app.templates, key=f"{template}:{mail.message_id}",
                          in_reply_to=mail.message_id, **data)


def _join(app: App, state: State, mail: Mail, community: Community, now: datetime,
          result: Result) -> None:
    """Double opt-in: the person confirms by replying to a signed address sent only to
    them (never a link a mail scanner could follow)."""
    if mail.from_addr in members_of(community, state):
        result.outgoing.append(_notice(app, community, mail, "membership", "Anda sudah anggota",
                                       "You are already a member", now, situation="already"))
        result.detail = "join: already a member"
        return
    result.records.append({"t": "member", "community": community.id, "email": mail.from_addr,
                           "name": mail.from_name, "state": "pending", "source": "email",
                           "at": now.isoformat()})
    result.outgoing.append(compose_notice(
        community, mail.from_addr, mail.from_name, "confirm",
        f"Konfirmasi: bergabung dengan {community.name}" if community.language == "id"
        else f"Confirm: joining {community.name}", now, app.templates,
        key=f"confirm:{mail.message_id}", in_reply_to=mail.message_id,
        reply_to=confirm_address(app.secret, community.address, mail.from_addr)))
    result.detail = "join: confirmation sent"


def _confirm(app: App, state: State, mail: Mail, community: Community, tag: str,
             now: datetime, result: Result) -> None:
    record = state.members.get((community.id, mail.from_addr))
    if not confirms(app.secret, tag, mail.from_addr) or record is None \
            or record["state"] != "pending":
        result.detail = "confirm: not a pending request of this sender"
        return
    result.records.append({**record, "state": "active", "at": now.isoformat()})
    recent = state.threads_newest_first(community.id)[:5]
    coming = [(m, o) for m in community.meetings
              for o in upcoming(m, now, limit=1, language=community.language)]
    result.outgoing.append(_notice(
        app, community, mail, "welcome", f"Selamat datang di {community.name}",
        f"Welcome to {community.name}", now, recent=recent,
        next_meeting=min(coming, key=lambda mo: mo[1].start) if coming else None))
    result.detail = "joined"


def _leave(app: App, state: State, mail: Mail, community: Community, now: datetime,
           result: Result) -> None:
    forged = forged_from(mail.auth_results, mail.from_addr)
    if forged:  # somebody else unsubscribing a member: nothing happens, nobody is mailed
        result.detail = f"leave ignored: {FORGED} ({forged})"
        return
    records = _leave_records(state, community, mail.from_addr, now)
    if not records:
        result.outgoing.append(_notice(app, community, mail, "membership",
                                       "Alamat Anda tidak terdaftar",
                                       "Your address is not a member", now,
                                       situation="not-member"))
        result.detail = "leave: not a member"
        return
    result.records += records
    result.outgoing.append(_notice(app, community, mail, "goodbye",
                                   f"Sampai jumpa dari {community.name}",
                                   f"Goodbye from {community.name}", now))
    result.detail = "left"


def _leave_records(state: State, community: Community, email: str,
                   now: datetime) -> list[Record]:
    member = members_of(community, state).get(email)
    if member is None:
        return []
    return [{"t": "member", "community": community.id, "email": email, "name": member.name,
             "state": "left", "source": "email", "at": now.isoformat()}]


APPROVE_WORDS = ("approve", "approved", "setuju", "disetujui", "terima", "ok", "oke", "ya",
                 "yes", "boleh")
REJECT_WORDS = ("reject", "rejected", "tolak", "ditolak", "tidak", "no", "jangan")


def _moderation(app: App, mail: Mail, community: Community, tag: str,
                result: Result) -> Result:
    """A moderator's reply to a hold notice: "setuju" / "approve" or "tolak <reason>"."""
    moderators = {e.lower() for e in (*community.moderators, *community.organizers)}
    hold_id = read_moderation(app.secret, tag, mail.from_addr)
    if hold_id is None or mail.from_addr not in moderators:
        result.detail = f"moderation reply not from the moderator it was sent to ({tag})"
        return result
    lines = [line.strip() for line in new_text(mail.text).splitlines() if line.strip()]
    first = lines[0] if lines else ""
    word = re.split(r"[\s,.:;!]+", first.lower(), maxsplit=1)[0] if first else ""
    if word in APPROVE_WORDS:
        result.decisions.append((hold_id, "approve", "", mail.from_addr))
    elif word in REJECT_WORDS:
        reason = " ".join([first[len(word):].lstrip(" ,.:;-"), *lines[1:]]).strip()
        result.decisions.append((hold_id, "reject", reason, mail.from_addr))
    else:
        result.detail = f"moderation reply for {hold_id} without approve/setuju or reject/tolak"
        return result
    result.detail = f"{result.decisions[0][1]} {hold_id}"
    return result


def release_hold(app: App, state: State, hold: Hold, raw: bytes, decision: str, reason: str,
                 by: str, now: datetime) -> Result:
    """Carry out a moderator's decision: approve posts the message as if it had not been
    held; reject tells the sender (with the moderator's reason, if any)."""
    community = app.config.community(hold.community)
    result = Result("held", f"moderation-{decision}", hold.message_id, hold.community)
    if hold.state != "held" or community is None:
        result.detail = f"{hold.id} is {hold.state}, nothing to do"
        return result
    mail = parse_mail(raw, app.config.inbound.max_message_bytes)
    if decision == "approve":
        result = _post(app, state, mail, hold.archive_key, community, now, approved=True)
    else:
        result.outgoing.append(compose_notice(
            community, hold.from_addr, mail.from_name, "rejected",
            "Pesan Anda tidak diteruskan" if community.language == "id"
            else "Your message was not passed on", now, app.templates,
            key=f"rejected:{hold.id}", in_reply_to=hold.message_id,
            subject_of=hold.subject, reason=reason))
    if decision == "approve":
        result.records.append({"t": "poster", "community": hold.community,
                               "email": hold.from_addr})
    state_name = "approved" if decision == "approve" else "rejected"
    result.records.append({"t": "hold-state", "id": hold.id, "state": state_name,
                           "by": by, "reason": reason, "at": now.isoformat()})
    result.detail = f"{hold.id} {state_name} by {by}"
    return result


def _post(app: App, state: State, mail: Mail, key: str, community: Community,
          now: datetime, approved: bool = False) -> Result:
    members = members_of(community, state)
    sender = mail.from_addr
    is_moderator = sender in {m.lower() for m in (*community.moderators,
                                                  *community.organizers)}
    route = route_mail(RouteInput(
        mail=mail, community_id=community.id, community_address=community.address,
        secret=app.secret, threads=state.threads, thread_of=state.thread_of, now=now))
    first_post = community.moderate_first_post and (community.id, sender) not in state.posters
    forged = forged_from(mail.auth_results, sender)
    hold = ((f"{FORGED} ({forged})" if forged else None)
            or posting_hold(community.posting, sender in members, is_moderator, first_post)
            or route.hold
            or (None if is_moderator else content_hold(
                mail, community.address, community.max_post_bytes, community.max_recipients,
                community.held_words)))
    if hold and not approved:
        return _hold(app, state, mail, key, community, route.rule, hold, now)
    result = Result("posted", route.rule, mail.message_id, community.id)
    member = members.get(sender)
    name = mail.from_name or (member.name if member else sender.split("@")[0])
    sections = route.sections or (
        (route.thread, new_text(mail.text, new_thread=route.thread is None)),)
    recipients = [m for m in members.values()
                  if m.delivery == "each" and m.email.lower() != sender
                  and not paused(state, m.email, now)]
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
                    date=now, body=body, attachments=mail.attachments if n == 0 else ())
        result.records.append({
            "t": "post", "thread": thread.id, "message_id": post.message_id, "from": sender,
            "name": name, "date": now.isoformat(), "body": post.body,
            "attachments": [a.__dict__ for a in post.attachments],
        })
        references = _references(thread, mail) if not route.sections else tuple(
            p.message_id for p in reversed(thread.posts))[:10]
        result.outgoing += compose_posts(community, thread, post, recipients, app.secret,
                                         app.templates, references, now)
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


def _hold(app: App, state: State, mail: Mail, key: str, community: Community, rule: str,
          reason: str, now: datetime) -> Result:
    result = Result("held", rule, mail.message_id, community.id, detail=reason)
    hold_id = state.new_hold_id()
    result.records.append({
        "t": "hold", "id": hold_id, "community": community.id, "from": mail.from_addr,
        "subject": mail.subject, "reason": reason, "received": now.isoformat(),
        "message_id": mail.message_id, "archive": key,  # approval re-reads the raw mail
    })
    if not reason.startswith(FORGED):  # the address's owner did not send it: no backscatter
        result.outgoing.append(compose_notice(
            community, mail.from_addr, mail.from_name, "held",
            "Pesan Anda menunggu moderator" if community.language == "id"
            else "Your message is waiting for a moderator",
            now, app.templates, key=f"held:{mail.message_id}", in_reply_to=mail.message_id,
            subject_of=mail.subject, reason=reason,
            reason_text=_reason_text(reason, community.language)))
    excerpt = "\n".join(new_text(mail.text).splitlines()[:15])
    for moderator in sorted({e.lower() for e in community.moderators}):
        result.outgoing.append(compose_notice(
            community, moderator, moderator, "hold",
            ("Perlu persetujuan: " if community.language == "id" else "Needs approval: ")
            + (mail.subject or "-"), now, app.templates, key=f"hold:{hold_id}",
            reply_to=moderation_address(app.secret, community.address, hold_id, moderator),
            hold_id=hold_id, sender=mail.from_addr, sender_name=mail.from_name,
            subject_of=mail.subject, reason_text=_reason_text(reason, community.language),
            excerpt=excerpt))
    return result


def _reason_text(reason: str, language: str) -> str:
    """A hold reason as the sender reads it; listed words are not repeated back."""
    return HOLD_REASONS.get(reason.split(" (", 1)[0], {}).get(language, reason)


FORGED = "sender address failed verification"
HOLD_REASONS = {
    FORGED: {"id": "server penerima menilai alamat pengirim dipalsukan",
             "en": "the receiving server found the sender's address forged"},
    "message contains a listed word": {
        "id": "pesan memuat kata yang diperiksa moderator",
        "en": "the message contains a word the moderators check"},
    "sender is not a member": {"id": "alamat Anda belum terdaftar sebagai anggota",
                               "en": "your address is not a member yet"},
    "message is larger than the community allows": {
        "id": "ukuran pesan melebihi batas komunitas", "en": "the message is very large"},
    "message is addressed to many other people too": {
        "id": "pesan juga dikirim ke banyak alamat lain",
        "en": "the message also went to many other addresses"},
    "first post of a new member": {"id": "pesan pertama anggota baru diperiksa moderator dulu",
                                   "en": "a new member's first message is checked first"},
    "community is moderated": {"id": "setiap pesan di komunitas ini diperiksa moderator",
                               "en": "every message in this community is checked first"},
    "reply address issued to another member than the sender": {
        "id": "alamat balasan yang dipakai milik anggota lain",
        "en": "the reply address used belongs to another member"},
}


def _message_record(result: Result, key: str, mail: Mail | None, now: datetime) -> Record:
    return {
        "t": "message", "id": result.message_id or f"<quarantined.{key}@cop>",
        "state": result.state, "rule": result.rule, "community": result.community,
        "thread": result.thread, "from": mail.from_addr if mail else "",
        "subject": mail.subject if mail else "", "received": now.isoformat(),
        "archive": key, "detail": result.detail,
    }
