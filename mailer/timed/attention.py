"""What waits for the organizers (holds, quarantined mail, bouncing members, spam
complaints, unrouted mail, members who left by email), and the short mail that tells them:
at most one a day. Before
that, a probe to each address whose mail keeps failing (membership.py says when)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from mailer.calendar.occurrences import expand
from mailer.config import Community, Member
from mailer.handle.app import App
from mailer.handle.reasons import JOIN_APPROVAL
from mailer.inbound.classify import is_robot
from mailer.membership import complained, members_of, name_of, needs_probe, paused
from mailer.outbound.compose import compose_notice
from mailer.outbound.dates import format_day
from mailer.outbound.digest import Attention
from mailer.outbound.outbox import outbox_id, queue, queued_before
from mailer.store import Store


def needs_attention(app: App, store: Store, now: datetime) -> int:
    """A short mail to the organizers when something waits for them; at most one a day."""
    queued = 0
    for community in app.config.communities:
        attention = attention_of(store, community, now)
        if not attention.any:
            continue
        day = now.astimezone(community.timezone).date().isoformat()
        key = f"attention:{community.id}:{day}"
        sent = 0
        for organizer in sorted({e.lower() for e in community.organizers}):
            own = _without_mailed_holds(store, community, organizer, attention)
            if not own.any or queued_before(store, f"notice:{key}:{organizer}"):
                continue
            sent += queue(store, compose_notice(
                community, organizer, name_of(community, store.state, organizer), "attention",
                ("Perlu perhatian: " if community.language == "id" else "Needs attention: ")
                + community.name, now, app.templates, key=key, attention=own),
                community.address, now)
        if sent:  # the answers in it are told; the next mail tells only newer ones
            store.put_meta("attention", community.id, {"at": now.isoformat()})
        queued += sent
    return queued


def _without_mailed_holds(store: Store, community: Community, organizer: str,
                         attention: Attention) -> Attention:
    """One mail per held message: a moderator got a mail about each hold (its own, or the
    hourly summary), and every organizer one about each join waiting for approval; the
    attention mail counts only the holds this organizer was not mailed about."""
    if not attention.holds:
        return attention
    moderator = organizer in {e.lower() for e in community.moderators}
    holds = sum(1 for h in store.state.holds.values()
                if h.community == community.id and h.state == "held" and not moderator
                and not h.reason.startswith(JOIN_APPROVAL))
    return replace(attention, holds=holds)


def attention_of(store: Store, community: Community, now: datetime) -> Attention:
    holds = sum(1 for h in store.state.holds.values()
                if h.community == community.id and h.state == "held")
    members = members_of(community, store.state)
    complaints = tuple(sorted(e for e in members if complained(store.state, e)))
    bouncing = tuple(sorted(e for e in members
                            if paused(store.state, e, now) and e not in complaints))
    unrouted = store.state.unrouted
    # mail set aside and still waiting, for this community or for none we could tell
    waiting = sorted((e for e in store.state.quarantine.values() if e.state == "quarantined"
                      and e.community in (community.id, None)), key=lambda e: e.received)
    # people listed in cop.toml who left by email since the last attention mail (told
    # once): the organizers may remove the entry
    last = (store.get_meta("attention", community.id) or {}).get("at", "")
    requests = tuple(f"{listed.name} <{e}>" for (c, e), r in store.state.members.items()
                     if c == community.id and r["state"] == "left" and r.get("at", "") > last
                     and (listed := community.member(e)) is not None)
    return Attention(holds=holds, bouncing=bouncing, unrouted=unrouted, requests=requests,
                     complaints=complaints, answers=_answers(store, community, members),
                     quarantined=len(waiting),
                     quarantine_lines=tuple(
                         f"{e.id} {e.from_addr or '?'}: {_cut(e.subject or '-', 80)} "
                         f"({_cut(e.reason, 120)})" for e in waiting[-QUARANTINE_LINES:]))


QUARANTINE_LINES = 20  # the newest entries named in the mail; `cop quarantine` has them all


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _answers(store: Store, community: Community,
             members: dict[str, Member]) -> tuple[tuple[str, str, str, str], ...]:
    """Members' answers about meetings since the last attention mail, latest per member
    and day: the organizers hear who comes without a mail per answer."""
    last = (store.get_meta("attention", community.id) or {}).get("at", "")
    since = datetime.fromisoformat(last) if last else None
    latest: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    for rec in store.state.answers:
        if not rec["meeting"].startswith(community.id + "/"):
            continue
        if since is not None and datetime.fromisoformat(rec["stamp"]) <= since:
            continue
        member = members.get(rec["email"])
        name = member.name if member else rec["email"]
        day = held_on(community, rec["meeting"], rec.get("occurrence", ""))
        told = "; ".join(t for t in (rec.get("reason", ""), rec.get("note", "")) if t)
        latest[(rec["email"], day)] = (name, rec["status"], day, told)
    return tuple((name, status, _day(community, day), reason)  # "Jumat, 4 Desember 2026"
                 for name, status, day, reason in sorted(latest.values(),
                                                         key=lambda a: (a[2], a[0])))


def _day(community: Community, day: str) -> str:
    """An occurrence's day (ISO, "" for a whole series) in the community's words."""
    try:
        return format_day(datetime.fromisoformat(day), community.language) if day else ""
    except ValueError:
        return day


def send_probes(app: App, store: Store, now: datetime) -> int:
    """A short notice, with its own bounce address, to each member whose mail keeps failing
    (Mailman's probe): only its bounce pauses their delivery (membership.paused)."""
    queued = 0
    probed: set[str] = set()
    for community in app.config.communities:
        day = now.astimezone(community.timezone).date().isoformat()
        for email, member in members_of(community, store.state).items():
            if email in probed or is_robot(email) or not needs_probe(store.state, email, now):
                continue
            probed.add(email)
            outgoing = compose_notice(
                community, member.email, member.name, "probe",
                "Email untuk Anda tidak sampai" if community.language == "id"
                else "Mail to you is not arriving", now, app.templates,
                key=f"probe:{day}", failures=round(store.state.bounce_score(email, now), 2))
            if queue(store, outgoing, community.address, now):
                store.record({"t": "probe", "community": community.id, "email": email,
                              "item": outbox_id(outgoing.key), "at": now.isoformat()})
                queued += 1
    return queued


def held_on(community: Community, meeting_key: str, occurrence: str) -> str:
    """The day (ISO) an occurrence is held: a moved one's new day, not the usual one its
    answers are kept under; "" for the whole series."""
    meeting = next((m for m in community.meetings if f"{community.id}/{m.id}" == meeting_key),
                   None)
    if meeting is not None and occurrence:
        for occ in expand(meeting, community.language)[0]:
            if occ.usual is not None and occ.usual.date().isoformat() == occurrence[:10]:
                return occ.start.date().isoformat()
    return occurrence[:10]
