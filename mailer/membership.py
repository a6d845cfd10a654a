"""Who is a member: cop.toml's list and what people did by email, together. Pure.

The rule when they disagree: cop.toml is the organizers' list, and a person's own request
wins for that person. Someone listed in cop.toml who sends "leave" is left (nobody is mailed
after asking to leave) until they join again by email; organizers see it in their digest
and may remove the entry. Someone who joined by email stays a member while cop.toml does
not list them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


BOUNCE_PAUSE = 3.0  # failures (dead = 1, temporary = 0.25) in 30 days that pause delivery


def paused(state: State, email: str, now: datetime) -> bool:
    """Delivery to this address pauses: mail to it keeps failing. Nobody is removed for it
    (small groups know why a colleague's mailbox is full); organizers are told."""
    return state.bounce_score(email, now) >= BOUNCE_PAUSE


def members_of(community: Community, state: State) -> dict[str, Member]:
    """The active members, by lower-cased address."""
    return {m.member.email.lower(): m.member for m in memberships(community, state)
            if m.state == "active"}


def invitees(community: Community, state: State) -> dict[str, Member]:
    """The active members who get meeting mail (everyone but delivery "none")."""
    return {e: m for e, m in members_of(community, state).items() if m.delivery != "none"}
