"""Who gets what: [[community.member]] (each post, the digest, or nothing) and
[community.digest] (how often, which day, what time)."""

from __future__ import annotations

from datetime import time
from typing import Any

from mailer.config.model import DELIVERY, DigestConfig, Member
from mailer.config.reader import Reader
from mailer.config.tomlpos import line_of
from mailer.config.values import parse_every, parse_time_of_day, parse_weekday
from mailer.config.words import Words

MEMBER_KEYS = ("email", "name", "delivery")
DIGEST_KEYS = ("every", "on", "at", "send_empty")


def read_members(r: Reader, raw: Any, p: tuple[str | int, ...]) -> tuple[Member, ...]:
    if not isinstance(raw, list):
        r.problem(p, Words("members must be written as [[community.member]]",
                           "anggota ditulis sebagai [[community.member]]"),
                  Words("use double brackets: [[community.member]]",
                        "pakai kurung ganda: [[community.member]]"))
        return ()
    members: list[Member] = []
    seen: dict[str, int] = {}
    for i, m_raw in enumerate(raw):
        mp = (*p, i)
        t = r.table(m_raw, mp, "community.member", MEMBER_KEYS)
        email = r.email(r.value(t, mp, "email", str, hint='"budi@example.org"'),
                        (*mp, "email"), Words("member email", "email anggota"))
        name = r.value(t, mp, "name", str, "") or ""
        delivery = r.choice(t, mp, "delivery", DELIVERY, "digest")
        if email is None:
            continue
        key = email.lower()
        if key in seen:
            other = line_of(r.lines, (*p, seen[key], "email"))
            r.problem((*mp, "email"),
                      Words(f"member {email} is listed twice in this community",
                            f"anggota {email} tertulis dua kali di komunitas ini"),
                      Words(f"remove one of the two entries (the other is on line {other})",
                            f"hapus salah satu (yang lain di baris {other})"))
            continue
        seen[key] = i
        members.append(Member(email=email, name=name or email.split("@")[0],
                              delivery=delivery))
    return tuple(members)


def read_digest(r: Reader, raw: Any, p: tuple[str | int, ...]) -> DigestConfig:
    t = r.table(raw, p, "community.digest", DIGEST_KEYS)
    every = r.value(t, p, "every", str, "week", parse_every) or "week"
    on = r.value(t, p, "on", (str, int), "friday")
    weekday, day = 4, None
    if isinstance(on, int):
        if every != "month" or not 1 <= on <= 28:
            r.problem((*p, "on"), Words(f"'on = {on}' needs every = \"month\" and a day from 1 "
                                        "to 28", f"'on = {on}' hanya untuk every = \"month\" "
                                        "dengan tanggal 1 sampai 28"),
                      Words("or write a weekday, e.g. on = \"friday\"",
                            "atau tulis nama hari, misalnya on = \"jumat\""))
        day = on
    elif isinstance(on, str):
        try:
            weekday = parse_weekday(on)
        except ValueError as exc:
            r.value_problem((*p, "on"), "on", exc)
    at = r.value(t, p, "at", str, time(15, 0), parse_time_of_day) or time(15, 0)
    send_empty = bool(r.value(t, p, "send_empty", bool, False))
    return DigestConfig(every=every, weekday=weekday, day=day, at=at, send_empty=send_empty)
