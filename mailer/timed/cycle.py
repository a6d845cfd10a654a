"""The meeting cycle: a reminder before each meeting; after it, a thread for notes and good
practice, and a roll-call for the organizers to answer (the attendance ledger)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from mailer.calendar.occurrences import Occurrence, expand
from mailer.config import Community, MeetingConfig
from mailer.handle.app import App
from mailer.links import rsvp_urls
from mailer.membership import invitees, on_pause, paused, receivers
from mailer.model import Post, Thread
from mailer.outbound.compose import compose_notice, compose_posts, make_message_id
from mailer.outbound.dates import format_day
from mailer.outbound.outbox import queue, queued_before
from mailer.outbound.render import render
from mailer.store import Store
from mailer.tokens import answer_address

log = logging.getLogger(__name__)

NOTES_AFTER = timedelta(hours=1)  # the notes thread opens this long after a meeting ends
NOTES_WINDOW = timedelta(days=2)  # and not at all if the daemon was down longer than this


def _recent_and_coming(meeting: MeetingConfig, community: Community,
                       now: datetime) -> list[Occurrence]:
    occurrences, _ = expand(meeting, community.language)
    return [o for o in occurrences
            if now - NOTES_WINDOW - NOTES_AFTER <= o.end and o.start - timedelta(days=8) <= now]


def send_reminders(app: App, store: Store, now: datetime) -> int:
    """A reminder `remind` before each meeting, to every member who has not declined and
    whose delivery is not paused (mail to them fails, they reported ours as spam, or they
    paused it themselves)."""
    queued = 0
    for community in app.config.communities:
        members = {e: m for e, m in invitees(community, store.state).items()
                   if not paused(store.state, e, now)
                   and on_pause(community, store.state, e, now) is None}
        for meeting in community.meetings:
            key = f"{community.id}/{meeting.id}"
            for occ in _recent_and_coming(meeting, community, now):
                for before in meeting.remind:
                    if not occ.start - before <= now < occ.start:
                        continue
                    notice_key = f"remind:{key}:{occ.start.isoformat()}:{before}"
                    for email, member in members.items():
                        if store.state.rsvp_of(key, email, occ.id) == "DECLINED":
                            continue
                        if queued_before(store, f"notice:{notice_key}:{email}"):
                            continue
                        reminder = compose_notice(
                            community, member.email, member.name, "reminder",
                            ("Pengingat: " if community.language == "id" else "Reminder: ")
                            + meeting.title, now, app.templates, key=notice_key,
                            reply_to=answer_address(app.secret, community.address, email),
                            meeting=meeting, start=occ.start,
                            answer=store.state.rsvp_of(key, email, occ.id),
                            rsvp=rsvp_urls(community.web_url, app.secret, community.id, email,
                                           meeting, occ.id, now) if community.web_url else {})
                        queued += queue(store, reminder, community.address, now)
                        if reminder.message_id not in store.state.meeting_mail:
                            store.record({"t": "meeting-mail", "kind": "reminder",
                                          "message_id": reminder.message_id,
                                          "meeting": key, "occurrence": occ.id})
    return queued


def after_meetings(app: App, store: Store, now: datetime) -> int:
    """After each meeting: a thread for sharing notes and good practice, and a roll-call
    for the organizers to answer (who was there), for the attendance ledger."""
    queued = 0
    for community in app.config.communities:
        for meeting in community.meetings:
            key = f"{community.id}/{meeting.id}"
            for occ in _recent_and_coming(meeting, community, now):
                if not occ.end + NOTES_AFTER <= now <= occ.end + NOTES_AFTER + NOTES_WINDOW:
                    continue
                queued += _notes_thread(app, store, community, meeting, occ, now)
                queued += _roll_call(app, store, community, key, meeting, occ, now)
    return queued


def notes_message_id(community: Community, meeting: MeetingConfig, occ: Occurrence) -> str:
    """The Message-ID of the post that opens an occurrence's notes thread (the meeting page
    on the web finds the thread by it)."""
    return make_message_id(community, "notes", meeting.id, occ.start.isoformat())


def _notes_thread(app: App, store: Store, community: Community, meeting: MeetingConfig,
                  occ: Occurrence, now: datetime) -> int:
    message_id = notes_message_id(community, meeting, occ)
    if message_id in store.state.thread_of:
        return 0
    language = community.language
    subject = (f"Catatan pertemuan: {meeting.title}, {format_day(occ.start, language)}"
               if language == "id" else
               f"Meeting notes: {meeting.title}, {format_day(occ.start, language)}")
    thread = Thread(id=store.state.new_thread_id(), community=community.id, subject=subject,
                    started=now, last_activity=now)
    body = render("notes.txt.j2", language, app.templates, meeting=meeting, start=occ.start,
                  community=community)
    post = Post(message_id=message_id, thread=thread.id, from_addr=community.address,
                name=community.name, date=now, body=body.strip())
    store.record({"t": "thread", "id": thread.id, "community": community.id,
                  "subject": subject, "started": now.isoformat()})
    store.record({"t": "post", "thread": thread.id, "message_id": message_id,
                  "from": community.address, "name": community.name, "date": now.isoformat(),
                  "body": post.body, "attachments": []})
    recipients = receivers(community, store.state, now, "each")
    queued = 0
    for outgoing in compose_posts(community, store.state.threads[thread.id], post, recipients,
                                  app.secret, app.templates, (), now):
        queued += queue(store, outgoing, community.address, now)
    # a reply to the notes may say who comes next time
    store.record({"t": "meeting-mail", "kind": "notes", "message_id": message_id,
                  "meeting": f"{community.id}/{meeting.id}"})
    log.info("notes thread community=%s meeting=%s thread=%s", community.id, meeting.id,
             thread.id)
    return queued


def _roll_call(app: App, store: Store, community: Community, key: str,
               meeting: MeetingConfig, occ: Occurrence, now: datetime) -> int:
    occurrence = occ.id
    members = invitees(community, store.state)
    queued = 0
    for staff in sorted({e.lower() for e in community.organizers}):
        notice_key = f"rollcall:{key}:{occurrence}"
        if queued_before(store, f"notice:{notice_key}:{staff}"):
            continue
        rows = [(m, store.state.attended(key, occurrence, e),
                 store.state.rsvp_of(key, e, occurrence)) for e, m in sorted(members.items())]
        outgoing = compose_notice(
            community, staff, staff, "rollcall",
            ("Daftar hadir: " if community.language == "id" else "Roll-call: ")
            + f"{meeting.title}, {format_day(occ.start, community.language)}", now,
            app.templates, key=notice_key, meeting=meeting, start=occ.start, rows=rows,
            reply_to=answer_address(app.secret, community.address, staff))
        if queue(store, outgoing, community.address, now):
            queued += 1
            store.record({"t": "sent-id", "message_id": outgoing.message_id,
                          "thread": f"rollcall:{key}:{occurrence}"})
    return queued
