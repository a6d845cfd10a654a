"""Who counts when: a member's spans of membership, from cop.toml and the journal. Pure.

    listed in cop.toml          a member from the start (a span with no beginning), unless
                                their first record is a join by email: from then (they
                                joined by email, and organizers listed them later)
    "member" record, active     joined by email (the confirm's `at`): a span begins
    "member" record, left       left by email (`at`): the open span ends
    later active record         joined again: a new span
    only in roll-calls          a former member (taken out of cop.toml, no record by
                                email): no known span, their marks are all we know

The journal's member records are passed in oldest first (`history`); without them the
state's latest record per member is used, which knows the last join or leave only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from mailer.config import Community
from mailer.state import Record, State


@dataclass(frozen=True)
class Span:
    start: datetime | None  # None: from the start (listed in cop.toml)
    end: datetime | None  # None: still a member

    def covers(self, start: datetime, end: datetime) -> bool:
        """The meeting (start to end) falls in the span: it ended after they joined and
        started before they left."""
        return (self.start is None or end > self.start) and \
            (self.end is None or start < self.end)


@dataclass(frozen=True)
class Person:
    email: str  # lower-cased
    name: str
    source: str  # cop.toml | email | former
    spans: tuple[Span, ...]

    def member_during(self, start: datetime, end: datetime) -> bool:
        return any(s.covers(start, end) for s in self.spans)


def _at(record: Record) -> datetime | None:
    value = record.get("at")
    return datetime.fromisoformat(value) if value else None


def _walk(spans: list[Span], opened: datetime | None, is_open: bool,
          records: list[Record]) -> list[Span]:
    """Fold one member's records, oldest first, into spans."""
    for record in records:
        if record.get("state") == "active" and not is_open:
            opened, is_open = _at(record), True
        elif record.get("state") == "left" and is_open:
            ended = _at(record)
            if ended is not None and (opened is None or ended > opened):
                spans.append(Span(opened, ended))
            is_open = False
    if is_open:
        spans.append(Span(opened, None))
    return spans


def people_of(community: Community, state: State,
              history: Iterable[Record] | None = None,
              marked: Iterable[str] = ()) -> list[Person]:
    """Everyone who was a member at some time: cop.toml's list in its order, then those who
    joined by email (by name), then former members known only from roll-call marks."""
    if history is None:
        history = state.members.values()
    records: dict[str, list[Record]] = {}
    for record in history:
        if record.get("t", "member") == "member" and record.get("community") == community.id:
            records.setdefault(str(record["email"]).lower(), []).append(record)
    people: list[Person] = []
    for member in community.members:
        email = member.email.lower()
        mine = records.pop(email, [])
        first = next((r["state"] for r in mine if r.get("state") in ("active", "left")), None)
        spans = _walk([], None, first != "active", mine)
        people.append(Person(email, member.name, "cop.toml", tuple(spans)))
    joined = []
    for email, mine in records.items():
        spans = _walk([], None, False, mine)
        if spans:  # only asked to join (pending) and never confirmed: never a member
            name = next((r["name"] for r in reversed(mine) if r.get("name")),
                        email.split("@")[0])
            joined.append(Person(email, name, "email", tuple(spans)))
    people += sorted(joined, key=lambda p: (p.name.lower(), p.email))
    known = {p.email for p in people}
    for email in sorted({e.lower() for e in marked} - known):
        people.append(Person(email, email.split("@")[0], "former", ()))
    return people
