"""One archived message -> exactly one recorded state, plus the mail it causes.

    parse -> community -> classify -> (post: who may post -> route -> thread + post)
                                   -> records for the journal, Outgoing messages for the outbox

Records are returned, not written: the daemon appends them, queues the messages, flushes, and
only then marks the message done (in the archive and on the IMAP server). Running this twice
for the same message changes nothing: a Message-ID already recorded with the same content
becomes a `duplicate` (with other content it is another message: app.recorded_as). What
cannot be parsed is set aside by handle/quarantine.py.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from mailer.config import Community
from mailer.errors import MailError
from mailer.handle.app import (
    App,
    Result,
    as_member,
    find_community,
    may_answer,
    message_record,
    recorded_as,
)
from mailer.handle.bounces import record_bounce, record_complaint
from mailer.handle.commands import run_command
from mailer.handle.files import FileReader, send_files
from mailer.handle.meetings import answer_rsvp
from mailer.handle.members import leave_by_token
from mailer.handle.posts import BULK, hold_mail, post_mail
from mailer.handle.quarantine import Release, quarantine_mail, released
from mailer.handle.rollcall import answer_roll_call
from mailer.inbound.asks import asks_for_files
from mailer.inbound.classify import Context, classify_mail, report_parts
from mailer.inbound.parse import parse_mail
from mailer.membership import members_of
from mailer.model import Mail
from mailer.outbound.compose import compose_notice, list_id
from mailer.state import State
from mailer.tokens import plus_tag

log = logging.getLogger(__name__)


def process_message(app: App, state: State, key: str, raw: bytes, now: datetime,
                    files: FileReader = lambda sha256: None,
                    release: Release | None = None) -> Result:
    """`files` reads an attachment kept earlier, by sha256 (a member may ask for them);
    `release`: an organizer asked to process a quarantined message again."""
    try:
        mail = parse_mail(raw, app.config.inbound.max_message_bytes)
    except MailError as exc:
        return quarantine_mail(app, state, key, raw, str(exc), now, rule="parse",
                               release=release)
    message_id = (release.message_id if release and release.message_id else
                  recorded_as(state, mail.message_id, mail.fingerprint))
    if message_id is None:
        result = Result("duplicate", "message-id", mail.message_id)
        result.records.append({"t": "duplicate", "id": mail.message_id, "archive": key})
        return result
    if message_id != mail.message_id:  # another message under a Message-ID seen before
        mail = replace(mail, message_id=message_id)
    community = find_community(app.config, mail.to_addrs)
    result = _process(app, state, mail, raw, key, community, now, files)
    result.records.append(message_record(result, key, mail, now))
    return released(result, release, now) if release else result


def _process(app: App, state: State, mail: Mail, raw: bytes, key: str,
             community: Community | None, now: datetime, files: FileReader) -> Result:
    if community is None:
        return _unrouted(app, state, mail, raw, now)
    mail = as_member(community, mail)
    ctx = Context(community_address=community.address, list_id=list_id(community),
                  meeting_ids=state.meeting_mail.keys(),
                  members=members_of(community, state).keys(), report_parts=report_parts(raw),
                  authenticated=app.verdict(mail).authenticated)
    outcome = classify_mail(mail, ctx)
    if outcome.kind == "complaint":
        return record_complaint(state, mail, raw, community, outcome, now)
    unsubscribe = next((t for t in (plus_tag(a, community.address) for a in mail.to_addrs)
                        if t and t.startswith("u-")), None)
    if unsubscribe is not None and outcome.kind in ("automatic", "hold", "command", "post"):
        # a member's List-Unsubscribe address (a provider's button): honoured only with
        # the token mailed to that member; an automatic one is not answered
        return leave_by_token(app, state, mail, community, unsubscribe,
                              outcome.kind in ("automatic", "hold"), now)
    if outcome.kind in ("loop", "automatic"):
        return Result("automatic", outcome.rule, mail.message_id, community.id,
                      detail=outcome.detail)
    if outcome.kind == "bounce":
        return record_bounce(state, mail, raw, community, outcome, now)
    if outcome.kind == "hold":  # bulk mail from a member: a moderator decides
        return hold_mail(app, state, mail, key, community, outcome.rule,
                         f"{BULK} (Precedence: {outcome.detail})", now)
    roll_call = next((state.thread_of[i] for i in mail.in_reply_to
                      if state.thread_of.get(i, "").startswith("rollcall:")), None)
    if roll_call is not None:
        return answer_roll_call(app, state, mail, community, roll_call.removeprefix("rollcall:"),
                                now)
    if outcome.kind == "rsvp":
        return answer_rsvp(app, state, mail, key, community, outcome, now)
    if outcome.kind == "command":
        return run_command(app, state, mail, key, community, outcome, now)
    if asks_for_files(mail.text):
        return send_files(app, state, mail, community, files, now)
    return post_mail(app, state, mail, key, community, now)


def _unrouted(app: App, state: State, mail: Mail, raw: bytes, now: datetime) -> Result:
    """Mail for none of our communities (a BCC, an old address). Automatic mail is only
    recorded; a person we may answer (app.may_answer) is told, in both languages, where to
    write."""
    first = app.config.communities[0]
    ctx = Context(community_address=first.address, list_id=list_id(first),
                  report_parts=report_parts(raw))
    outcome = classify_mail(mail, ctx)
    if outcome.kind in ("loop", "automatic", "bounce", "complaint", "hold"):
        return Result("automatic", outcome.rule, mail.message_id, detail="no community")
    result = Result("unrouted", "no-community", mail.message_id,
                    detail="no community address among the recipients")
    if not may_answer(app, state, mail):
        result.detail += "; not answered (sender not verified)"
        return result
    result.outgoing.append(compose_notice(  # no community's [tag]: the sender wrote to none
        replace(first, subject_tag=""), mail.from_addr, mail.from_name, "unrouted",
        "Pesan Anda belum sampai / Your message was not delivered", now, app.templates,
        key=f"unrouted:{mail.message_id}", in_reply_to=mail.message_id,
        subject_of=mail.subject, communities=app.config.communities))
    return result
