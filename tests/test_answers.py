"""Attendance answers in members' own words: every case in tests/data/answers (README.md
there tells the format), each its own test."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from mailer.inbound.answers import read_roll_call, read_rsvp

DATA = Path(__file__).resolve().parent / "data" / "answers"
DOMAIN = "example.org"


@dataclass(frozen=True)
class RsvpCase:
    name: str  # file:line
    text: str
    today: date
    dates: tuple[date, ...]
    answers: tuple[tuple[str, date | None], ...] | None  # None: no answer
    flags: frozenset[str]
    xfail: str = ""


@dataclass(frozen=True)
class RollCallCase:
    name: str
    text: str
    members: dict[str, str]
    sender: str
    present: frozenset[str] | None  # None: nothing can be read
    absent: frozenset[str] = frozenset()
    unmatched: tuple[str, ...] = ()
    xfail: str = ""


@dataclass
class _Block:
    line: int
    head: str
    body: list[str] = field(default_factory=list)
    xfail: str = ""


def _blocks(path: Path, settings: dict[str, str]) -> list[tuple[_Block, dict[str, str]]]:
    """The cases of a file, each with the settings (today:, dates:, sender:, ...) in force."""
    found: list[tuple[_Block, dict[str, str]]] = []
    current: _Block | None = None
    for number, line in enumerate(path.read_text().split("\n"), 1):
        setting = re.match(r"^(today|dates|sender|members?):\s*(.*)$", line)
        if line.startswith("=== ") or setting:
            current = None
        if setting:
            key, value = setting.groups()
            if key == "members":
                settings = {k: v for k, v in settings.items() if not k.startswith("member:")}
            elif key == "member":
                local, _, name = value.partition("=")
                settings = {**settings, "member:" + local.strip(): name.strip()}
            else:
                settings = {**settings, key: value.strip()}
        elif line.startswith("=== "):
            current = _Block(number, line[4:].strip())
            found.append((current, settings))
        elif current is not None:
            if not current.body and line.startswith("xfail:"):
                current.xfail = line[6:].strip()
            else:
                current.body.append(line)
    return found


def rsvp_cases() -> list[RsvpCase]:
    cases = []
    for path in sorted(DATA.glob("rsvp-*.txt")):
        for block, settings in _blocks(path, {}):
            expect, *flags = [p.strip() for p in block.head.split("|")]
            answers = None if expect == "none" else tuple(
                (status, date.fromisoformat(day) if day else None)
                for status, _, day in (a.strip().partition("@") for a in expect.split(",")))
            cases.append(RsvpCase(
                f"{path.stem}:{block.line}", "\n".join(block.body).strip("\n"),
                date.fromisoformat(settings["today"]),
                tuple(date.fromisoformat(d.strip()) for d in settings["dates"].split(",")),
                answers, frozenset(flags), block.xfail))
    return cases


def roll_call_cases() -> list[RollCallCase]:
    cases = []
    for path, (block, settings) in ((p, b) for p in sorted(DATA.glob("rollcall*.txt"))
                                    for b in _blocks(p, {})):
        members = {f"{k[7:]}@{DOMAIN}": v for k, v in settings.items() if k.startswith("member:")}
        parts = dict(p.strip().partition(":")[::2] for p in block.head.split("|"))

        def emails(value: str, members: dict[str, str] = members) -> frozenset[str]:
            chosen: set[str] = set()
            for word in value.split():
                if word == "*":
                    chosen |= set(members)
                elif word.startswith("-"):
                    chosen.discard(f"{word[1:]}@{DOMAIN}")
                else:
                    chosen.add(f"{word}@{DOMAIN}")
            return frozenset(chosen)

        none = block.head.strip() == "none"
        cases.append(RollCallCase(
            f"{path.stem}:{block.line}", "\n".join(block.body).strip("\n"), members,
            f"{settings['sender']}@{DOMAIN}",
            None if none else emails(parts.get("present", "")),
            emails(parts.get("absent", "")),
            tuple(n.strip() for n in parts.get("unmatched", "").split(";") if n.strip()),
            block.xfail))
    return cases


def rsvp_right(case: RsvpCase) -> bool:
    """The bench's measure: the answers, statuses and days, exactly as expected."""
    reading = read_rsvp(case.text, case.today, case.dates)
    return (reading.answers if reading else None) == case.answers


def roll_call_right(case: RollCallCase) -> bool:
    reading = read_roll_call(case.text, case.members, case.sender)
    if reading is None or case.present is None:
        return reading is None and case.present is None
    return (reading.present, reading.absent, set(reading.unmatched)) == (
        case.present, case.absent, set(case.unmatched))


def _param(case: RsvpCase | RollCallCase) -> object:
    marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
    return pytest.param(case, id=case.name, marks=marks)


RSVP = rsvp_cases()
ROLL_CALLS = roll_call_cases()


def test_the_sets_are_large_enough() -> None:
    indonesian = sum(1 for c in RSVP if c.name.startswith("rsvp-id"))
    assert len(RSVP) >= 150 and indonesian >= len(RSVP) * 0.45 and len(ROLL_CALLS) >= 40


@pytest.mark.parametrize("case", [_param(c) for c in RSVP])
def test_rsvp(case: RsvpCase) -> None:
    reading = read_rsvp(case.text, case.today, case.dates)
    assert (reading.answers if reading else None) == case.answers, reading
    if reading is not None:
        assert bool(reading.rest) == ("rest" in case.flags), reading
        assert bool(reading.reason) == ("reason" in case.flags), reading
        assert reading.late == ("late" in case.flags), reading
        assert bool(reading.note) == ("note" in case.flags), reading
        assert len(reading.reason) <= 120


@pytest.mark.parametrize("case", [_param(c) for c in ROLL_CALLS])
def test_roll_call(case: RollCallCase) -> None:
    reading = read_roll_call(case.text, case.members, case.sender)
    if case.present is None:
        assert reading is None
        return
    assert reading is not None
    assert (reading.present, reading.absent) == (case.present, case.absent), reading
    assert set(reading.unmatched) == set(case.unmatched), reading


def test_an_organizer_addressed_by_name_is_no_third_person() -> None:
    """"Maaf Bu Siti tidak bisa hadir" to Siti (an organizer) is said to her; the same words
    about someone the reply is not written to are that person's, never the writer's."""
    today, dates = date(2026, 12, 7), (date(2026, 12, 12),)
    for text, status in [("Maaf Bu Siti tidak bisa hadir", "DECLINED"),
                         ("Bu Siti nyusul ya", "ACCEPTED"),
                         ("Iya pak Agus insyaallah hadir", "ACCEPTED")]:
        reading = read_rsvp(text, today, dates, frozenset({"siti", "rahayu", "agus"}))
        assert reading is not None and reading.answers == ((status, None),), text
        assert read_rsvp(text.replace("iti", "ri").replace("Agus", "Budi"), today, dates,
                         frozenset({"siti", "rahayu", "agus"})) is None, text


def test_someone_else_named_in_any_clause_is_not_the_writer() -> None:
    today, dates = date(2026, 12, 7), (date(2026, 12, 12),)
    for text in ["Pak Budi telat bu", "Bu Ani sakit", "beliau sedang dirawat",
                 "Istri saya tidak bisa datang", "Teman sy gak bisa ikut",
                 "My wife can't make it", "Maaf Bu, Pak Kepsek berhalangan hadir",
                 "Pak Budi tidak bisa hadir. Beliau sakit."]:
        assert read_rsvp(text, today, dates) is None, text
    for text, status in [("Saya dan Bu Ani hadir", "ACCEPTED"),
                         ("Bu Ani dan saya tidak bisa hadir", "DECLINED"),
                         ("Saya hadir mewakili Pak Kepsek", "ACCEPTED"),
                         ("Saya diwakili oleh Bu Ani", "DECLINED")]:
        reading = read_rsvp(text, today, dates)
        assert reading is not None and reading.answers == ((status, None),), text


def test_a_huge_mail_is_read_quickly() -> None:
    """200,000 characters of adversarial text: no regex may backtrack its way through it."""
    import time

    today, dates = date(2026, 12, 7), (date(2026, 12, 12),)
    texts = ["hadir " * 40_000, "tidak " * 40_000, "a" * 200_000, "tanggal 1 dan " * 20_000,
             ("Bu Sri, " * 25_000), "mungkin kalau " * 20_000, "ya " * 70_000,
             "[x] " * 50_000, "Hadir: " + "Pak Made, " * 20_000]
    members = {f"m{i}@{DOMAIN}": f"Made Nomor{i}" for i in range(300)}
    for text in texts:
        start = time.perf_counter()
        read_rsvp(text, today, dates)
        read_roll_call(text, members, f"m0@{DOMAIN}")
        assert time.perf_counter() - start < 2.0, text[:30]
