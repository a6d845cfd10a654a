"""Attendance answers in members' own words (placeholder until the full reader lands). Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RsvpReading:
    answers: tuple[tuple[str, date | None], ...]
    rest: str
    reason: str


@dataclass(frozen=True)
class RollCallReading:
    present: frozenset[str]
    absent: frozenset[str]
    unmatched: tuple[str, ...]


_NO = re.compile(r"\b(tidak|tdk|gak|ga|nggak|enggak) (bisa|dapat|hadir|datang|ikut)\b|"
                 r"\bberhalangan\b|\bizin\b|\babsen\b|can'?t make it|unable to attend|"
                 r"^\s*no\b", re.I)
_MAYBE = re.compile(r"\b(mungkin|belum tahu|belum pasti|usahakan|maybe|not sure)\b", re.I)
_YES = re.compile(r"\b(hadir|datang|ikut|siap|yes|i'll be there|count me in)\b|^\s*ya\b",
                  re.I)
_QUESTION = re.compile(r"\?|^\s*(apakah|berapa|siapa|terima kasih)\b", re.I | re.M)
_MARK = re.compile(r"^[\s>]*\[\s*([xXvV✓✔*]?)\s*\][^<\n]*<([^<>\s]+@[^<>\s]+)>")


def read_rsvp(text: str, today: date, dates: Sequence[date] = ()) -> RsvpReading | None:
    first = text.strip().split("\n\n", 1)
    head = first[0]
    if _QUESTION.search(head) and not _NO.search(head):
        return None
    status = ("DECLINED" if _NO.search(head) else "TENTATIVE" if _MAYBE.search(head)
              else "ACCEPTED" if _YES.search(head) else None)
    if status is None:
        return None
    rest = first[1].strip() if len(first) > 1 else ""
    return RsvpReading(((status, None),), rest, "")


def read_roll_call(text: str, members: Mapping[str, str],
                   sender: str) -> RollCallReading | None:
    marks: dict[str, bool] = {}
    for line in text.splitlines():
        match = _MARK.match(line)
        if match and match.group(2).lower() in members:
            marks[match.group(2).lower()] = bool(match.group(1))
    if not marks:
        return None
    return RollCallReading(frozenset(e for e, p in marks.items() if p),
                           frozenset(e for e, p in marks.items() if not p), ())
