"""The attendance ledger of one community over a period: meetings, one row per member and
meeting, a tally per member and semester, the community's count against 12 a year. Pure:
Community, State and the period in, plain rows out.

The rules:
    a meeting           an occurrence of a configured meeting (breaks and holidays skip a
                        date: no meeting), on the day it was held (a moved one: its new
                        date); marks are kept under its usual day (Occurrence.id)
    not yet             a meeting that has not started at `now` is left out
    a roll-call         any mark recorded for it; without one its record is "no record",
                        never absence; a member a roll-call did not list: "no record" too
    held                a roll-call with at least one member present; what counts
                        toward SEMESTER_TARGET a semester and YEAR_TARGET a year
    whose meeting       a member's, when it falls in one of their spans (spans.py); outside
                        them only when they were marked present; a former member's (no
                        known span) only where marked
    kept roll-calls     a roll-call on a date no configured occurrence has (the meeting was
                        removed from cop.toml, or the date later skipped or the rule
                        changed) is kept: with the meeting's time and length from cop.toml,
                        else from what was last sent (`retired`, the meeting metadata's
                        snapshot), else the date alone (time unknown, no hours)
    hours and JP        the meeting's length; 1 JP (jam pelajaran) = 45 minutes
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

from mailer.calendar.occurrences import expand
from mailer.config import Community, MeetingConfig
from mailer.ledger.spans import Person, people_of
from mailer.state import Record, State, day

SEMESTER_TARGET = 6  # meetings held a semester: 12 a year, as KKG/MGMP guidelines ask
YEAR_TARGET = 12
JP_MINUTES = 45  # one jam pelajaran, as Indonesian PD reports count hours

Mark = Literal["present", "absent", "no record"]


def semester_of(moment: date) -> str:
    """'2026-1' (January-June) or '2026-2' (July-December)."""
    return f"{moment.year}-{1 if moment.month <= 6 else 2}"


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # both included

    @classmethod
    def semester(cls, text: str) -> Period:
        """'2026-2' -> 1 July to 31 December 2026. ValueError for anything else."""
        year, sep, half = text.strip().partition("-")
        if not sep or not year.isdigit() or len(year) != 4 or half not in ("1", "2"):
            raise ValueError(f"{text!r} is not a semester; write it as 2026-1 or 2026-2")
        y = int(year)
        return cls(date(y, 1, 1), date(y, 6, 30)) if half == "1" else \
            cls(date(y, 7, 1), date(y, 12, 31))


@dataclass(frozen=True)
class Meeting:
    key: str  # community/meeting
    meeting_id: str
    title: str
    start: datetime  # when it was held, in the meeting's zone
    end: datetime
    occurrence: str  # what its answers and marks are kept under (Occurrence.id)
    usual: datetime | None  # its usual start, when it was moved
    marks: Mapping[str, bool]  # the roll-call, email -> present; empty: none taken
    kept: bool = False  # a roll-call kept though cop.toml no longer schedules this date
    time_known: bool = True

    @property
    def semester(self) -> str:
        return semester_of(self.start.date())

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def roll_call(self) -> bool:
        return bool(self.marks)

    @property
    def held(self) -> bool:
        return any(self.marks.values())

    @property
    def present(self) -> int:
        return sum(1 for p in self.marks.values() if p)


@dataclass(frozen=True)
class Row:
    meeting: Meeting
    person: Person
    record: Mark
    rsvp: str


@dataclass(frozen=True)
class Tally:
    person: Person
    semester: str
    meetings: int  # meetings that were theirs
    attended: int
    absent: int
    no_record: int
    minutes: int  # of the meetings attended

    @property
    def rate(self) -> float | None:
        """Attended over the meetings with a record for them; None without any."""
        recorded = self.attended + self.absent
        return self.attended / recorded if recorded else None


@dataclass(frozen=True)
class Totals:
    semester: str
    meetings: int  # in the period
    held: int
    no_record: int  # meetings without a roll-call
    year_held: int  # held from 1 January to the end of this semester (or `now`)

    @property
    def year(self) -> int:
        return int(self.semester[:4])

    @property
    def met_semester(self) -> bool:
        return self.held >= SEMESTER_TARGET

    @property
    def met_year(self) -> bool:
        return self.year_held >= YEAR_TARGET


@dataclass(frozen=True)
class Ledger:
    community: Community
    period: Period
    now: datetime | None
    meetings: tuple[Meeting, ...]
    people: tuple[Person, ...]
    rows: tuple[Row, ...]
    tallies: tuple[Tally, ...]
    totals: tuple[Totals, ...]  # one per semester with meetings, oldest first


def hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def jp(minutes: int) -> float:
    return round(minutes / JP_MINUTES, 2)


def _within(start: datetime, first: date, last: date, now: datetime | None) -> bool:
    return first <= start.date() <= last and (now is None or start <= now)


def meetings_of(community: Community, state: State, first: date, last: date,
                now: datetime | None = None,
                retired: Iterable[MeetingConfig] = ()) -> list[Meeting]:
    """The community's meetings from `first` to `last` (local dates), oldest first."""
    configured = {m.id for m in community.meetings}
    configs = [*community.meetings, *(m for m in retired if m.id not in configured)]
    found: list[Meeting] = []
    placed: set[tuple[str, str]] = set()
    for config in configs:
        key = f"{community.id}/{config.id}"
        occurrences, _ = expand(config, community.language)
        for occ in occurrences:
            marks = state.marks(key, occ.id)
            placed.add((key, day(occ.id)))
            if config.id not in configured and not marks:
                continue  # a removed meeting keeps only what was recorded
            if _within(occ.start, first, last, now):
                found.append(Meeting(key, config.id, config.title, occ.start, occ.end,
                                     occ.id, occ.usual, dict(marks),
                                     kept=config.id not in configured))
    by_id = {c.id: c for c in configs}
    for (key, marked_day), marks in state.attendance.items():
        if not key.startswith(community.id + "/") or not marks or (key, marked_day) in placed:
            continue
        meeting_id = key.split("/", 1)[1]
        when = date.fromisoformat(marked_day)
        known = by_id.get(meeting_id)
        if known is not None:
            start = datetime.combine(when, known.start.time(), tzinfo=known.timezone)
            held = Meeting(key, meeting_id, known.title, start, start + known.duration,
                           marked_day, None, dict(marks), kept=True)
        else:
            start = datetime.combine(when, time(0), tzinfo=community.timezone)
            held = Meeting(key, meeting_id, meeting_id, start, start, marked_day, None,
                           dict(marks), kept=True, time_known=False)
        if _within(start, first, last, now):
            found.append(held)
    found.sort(key=lambda m: (m.start, m.key))
    return found


def _record(meeting: Meeting, person: Person) -> Mark | None:
    """What the ledger says of this person at this meeting; None: not their meeting."""
    mark = meeting.marks.get(person.email)
    if person.source == "former" and mark is None:
        return None
    if mark is not True and person.source != "former" \
            and not person.member_during(meeting.start, meeting.end):
        return None
    if mark is None:
        return "no record"
    return "present" if mark else "absent"


def _tallies(rows: list[Row], order: list[Person]) -> list[Tally]:
    """A tally per person and semester: by semester, then in the order of `order`."""
    counts: dict[tuple[str, str], list[int]] = {}
    people = {p.email: p for p in order}
    for row in rows:
        c = counts.setdefault((row.person.email, row.meeting.semester), [0, 0, 0, 0, 0])
        c[0] += 1
        if row.record == "present":
            c[1] += 1
            c[4] += row.meeting.minutes
        elif row.record == "absent":
            c[2] += 1
        else:
            c[3] += 1
    rank = {p.email: n for n, p in enumerate(order)}
    return [Tally(people[email], semester, *c) for (email, semester), c
            in sorted(counts.items(), key=lambda kv: (kv[0][1], rank[kv[0][0]]))]


def build_ledger(community: Community, state: State, period: Period,
                 now: datetime | None = None, history: Iterable[Record] | None = None,
                 retired: Iterable[MeetingConfig] = ()) -> Ledger:
    """The ledger of `community` from period.first to period.last, leaving out meetings not
    started at `now` (None: every one in the period). `history`: the journal's member
    records, oldest first (spans.py); `retired`: meetings no longer in cop.toml, as last
    sent, so that their roll-calls keep their time and length."""
    retired = tuple(retired)
    meetings = meetings_of(community, state, period.first, period.last, now, retired)
    marked = {e for m in meetings for e in m.marks}
    people = people_of(community, state, history, marked)
    rows = []
    for meeting in meetings:
        for person in people:
            record = _record(meeting, person)
            if record is not None:
                rows.append(Row(meeting, person, record,
                                state.rsvp_of(meeting.key, person.email, meeting.occurrence)))
    totals = []
    years: dict[int, list[Meeting]] = {}
    for semester in sorted({m.semester for m in meetings}):
        mine = [m for m in meetings if m.semester == semester]
        year = int(semester[:4])
        if year not in years:
            years[year] = meetings_of(community, state, date(year, 1, 1),
                                      date(year, 12, 31), now, retired)
        end = Period.semester(semester).last
        year_held = sum(1 for m in years[year] if m.held and m.start.date() <= end)
        totals.append(Totals(semester, len(mine), sum(1 for m in mine if m.held),
                             sum(1 for m in mine if not m.roll_call), year_held))
    return Ledger(community, period, now, tuple(meetings), tuple(people), tuple(rows),
                  tuple(_tallies(rows, people)), tuple(totals))
