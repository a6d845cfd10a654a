"""Who is a member: cop.toml's list and what people did by email, together. Pure.

The rule when they disagree: cop.toml is the organizers' list, and a person's own request
wins for that person. Someone listed in cop.toml who sends "leave" is left (nobody is mailed
after asking to leave) until they join again by email; organizers see it in their digest
and may remove the entry. Someone who joined by email stays a member while cop.toml does
not list them.

A member's own delivery setting by email ("rangkuman", "setiap pesan": handle/settings.py)
is member state, kept in the journal; cop.toml is never rewritten. The later change wins:
the setting holds while cop.toml still says for that member what it said when they chose
(the record keeps it as "listed"); once an organizer writes another delivery for them,
that edit is the later change and cop.toml's value holds again. A pause ("jeda sampai 2
Januari") stops posts, digests, reminders and the notes mail until that day begins in the
community's zone; invitations, their updates and cancellations still go (a calendar must
stay right), and so do answers to the member's own mail. Aliases (cop.toml `aliases`) are
other addresses of a listed member: their mail is the member's (handle/app.as_member), and
copies go to the member's own address only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from mailer.config import Community, Member
from mailer.state import State

DEFAULT_DELIVERY = "digest"  # people who join by email read the digest; organizers may
# list them in cop.toml with delivery = "each"


@dataclass(frozen=True)
class Membership:
    member: Member  # with the delivery in force (their own setting, or cop.toml's)
    state: str  # active | pending | left
    source: str  # cop.toml | email
    paused_until: date | None = None  # their own pause: nothing but invitations before it


def memberships(community: Community, state: State) -> list[Membership]:
    """Everyone the community knows, with their state and where it came from."""
    listed = {m.email.lower(): m for m in community.members}
    out: list[Membership] = []
    for email, member in listed.items():
        record = state.members.get((community.id, email))
        left = record is not None and record["state"] == "left"
        setting = state.settings.get((community.id, email), {})
        out.append(Membership(_with_setting(member, setting, member.delivery),
                              "left" if left else "active", "cop.toml", _until(setting)))
    for (cid, email), record in sorted(state.members.items()):
        if cid != community.id or email in listed or community.member(email) is not None:
            continue  # listed, or an alias of someone listed: their mail is the member's
        setting = state.settings.get((community.id, email), {})
        member = Member(email, record.get("name") or email.split("@")[0], DEFAULT_DELIVERY)
        out.append(Membership(_with_setting(member, setting, None), record["state"],
                              "email", _until(setting)))
    return out


def _with_setting(member: Member, setting: dict[str, Any], listed: str | None) -> Member:
    """The member with their own delivery setting, unless cop.toml changed since (later
    change wins: see the module's docstring)."""
    chosen = setting.get("delivery")
    if not chosen or (listed is not None and setting.get("listed", listed) != listed):
        return member
    return Member(member.email, member.name, chosen, member.aliases)


def _until(setting: dict[str, Any]) -> date | None:
    value = setting.get("paused_until")
    return date.fromisoformat(value) if value else None


def on_pause(community: Community, state: State, email: str, now: datetime) -> date | None:
    """The day a member's own pause ends, while it lasts (in the community's zone)."""
    until = _until(state.settings.get((community.id, email.lower()), {}))
    return until if until is not None and now.astimezone(community.timezone).date() < until \
        else None


def receivers(community: Community, state: State, now: datetime,
              delivery: str) -> list[Member]:
    """The active members with this delivery (each, digest) whose mail goes now: neither
    paused for failing or a complaint, nor by their own pause."""
    return [m for m in members_of(community, state).values()
            if m.delivery == delivery and not paused(state, m.email, now)
            and on_pause(community, state, m.email, now) is None]


BOUNCE_PAUSE = 3.0  # failures in 30 days (dead 1, full 0.5, temporary 0.25) that bring a probe
PROBE_WAIT = timedelta(days=2)  # how long a probe's bounce is waited for
PAUSE = timedelta(days=30)  # how long delivery pauses after the probe bounced


def paused(state: State, email: str, now: datetime) -> bool:
    """Delivery to this address pauses. Nobody is removed for it (small groups know why a
    colleague's mailbox is full); organizers are told.

    Mailman's way: when mail to an address keeps failing (BOUNCE_PAUSE), a probe goes to it
    with its own bounce address (timed/attention.py). While it is out (PROBE_WAIT) nothing
    else is sent there; if the probe bounces, delivery pauses for PAUSE; if it does not, the
    failures before it are forgiven and delivery goes on. A member who reported our mail as
    spam (ARF) gets nothing until they join again by email."""
    email = email.lower()
    if complained(state, email):
        return True
    failed = state.probe_failed.get(email)
    if failed is not None and failed <= now < failed + PAUSE:
        return True
    sent = state.probe_sent.get(email)
    return sent is not None and sent <= now < sent + PROBE_WAIT \
        and (failed is None or failed < sent)


def needs_probe(state: State, email: str, now: datetime) -> bool:
    """Mail to this address keeps failing and no probe is out, nor has one bounced."""
    email = email.lower()
    if paused(state, email, now):
        return False
    return state.bounce_score(email, now, since=state.probe_sent.get(email)) >= BOUNCE_PAUSE


def complained(state: State, email: str) -> bool:
    """They reported our mail as spam, and have not asked to join since."""
    complaint = state.complaints.get(email.lower())
    if complaint is None:
        return False
    when = datetime.fromisoformat(complaint["at"])
    return not any(e == email.lower() and r.get("state") == "active" and r.get("at")
                   and datetime.fromisoformat(r["at"]) > when
                   for (_, e), r in state.members.items())


def members_of(community: Community, state: State) -> dict[str, Member]:
    """The active members, by lower-cased address."""
    return {m.member.email.lower(): m.member for m in memberships(community, state)
            if m.state == "active"}


def invitees(community: Community, state: State) -> dict[str, Member]:
    """The active members who get meeting mail (everyone but delivery "none")."""
    return {e: m for e, m in members_of(community, state).items() if m.delivery != "none"}


def name_of(community: Community, state: State, email: str) -> str:
    """The person's name as the community knows it (cop.toml, else what they gave when
    joining by email); "" when it knows none: mail to them then shows the address alone."""
    listed = community.member(email)
    if listed is not None:
        return listed.name
    record = state.members.get((community.id, email.lower()))
    return str(record.get("name") or "") if record else ""
