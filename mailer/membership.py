"""Who is a member: cop.toml's list and what people did by email, together. Pure.

The rule when they disagree: cop.toml is the organizers' list, and a person's own request
wins for that person. Someone listed in cop.toml who sends "leave" is left (nobody is mailed
after asking to leave) until they join again by email; organizers see it in their digest
and may remove the entry. Someone who joined by email stays a member while cop.toml does
not list them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mailer.config import Community, Member
from mailer.state import State

DEFAULT_DELIVERY = "digest"  # people who join by email read the digest; organizers may
# list them in cop.toml with delivery = "each"


@dataclass(frozen=True)
class Membership:
    member: Member
    state: str  # active | pending | left
    source: str  # cop.toml | email


def memberships(community: Community, state: State) -> list[Membership]:
    """Everyone the community knows, with their state and where it came from."""
    listed = {m.email.lower(): m for m in community.members}
    out: list[Membership] = []
    for email, member in listed.items():
        record = state.members.get((community.id, email))
        left = record is not None and record["state"] == "left"
        out.append(Membership(member, "left" if left else "active", "cop.toml"))
    for (cid, email), record in sorted(state.members.items()):
        if cid != community.id or email in listed:
            continue
        out.append(Membership(Member(email, record.get("name") or email.split("@")[0],
                                     DEFAULT_DELIVERY), record["state"], "email"))
    return out


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
