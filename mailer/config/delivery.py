"""Who gets what: [[community.member]] (each post, the digest, or nothing) and
[community.digest] (how often, which day, what time)."""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from typing import Any

from mailer.config.model import DELIVERY, DigestConfig, Member
from mailer.config.reader import Reader
from mailer.config.tomlpos import line_of
from mailer.config.values import parse_every, parse_time_of_day, parse_weekday
from mailer.config.words import Words

MEMBER_KEYS = ("email", "name", "delivery", "aliases")
DIGEST_KEYS = ("every", "on", "at", "send_empty")


def read_members(r: Reader, raw: Any, p: tuple[str | int, ...],
                 language: str = "id") -> tuple[Member, ...]:
    if not isinstance(raw, list):
        r.problem(p, Words("members must be written as [[community.member]]",
                           "anggota ditulis sebagai [[community.member]]"),
                  Words("use double brackets: [[community.member]]",
                        "pakai kurung ganda: [[community.member]]"))
        return ()
    members: list[tuple[int, Member]] = []  # with its place in the file
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
        members.append((i, Member(email=email, name=name or email.split("@")[0],
                                  delivery=delivery, aliases=_aliases(r, t, mp))))
    return _without_clashes(r, members, p, language)


def _aliases(r: Reader, t: dict[str, Any], mp: tuple[str | int, ...]) -> tuple[str, ...]:
    """aliases = [...]: the member's other addresses, each a valid one, lower-cased."""
    out: list[str] = []
    for i, alias in enumerate(r.strings(t, mp, "aliases")):
        checked = r.email(alias, (*mp, "aliases", i), Words("alias", "alias"))
        if checked is not None:
            out.append(checked.lower())
    return tuple(out)


def _without_clashes(r: Reader, members: list[tuple[int, Member]], p: tuple[str | int, ...],
                     language: str) -> tuple[Member, ...]:
    """An alias names one person only: not a member's own address, not another member's
    alias, not twice. Said in the community's language, with the alias's line."""
    owner: dict[str, tuple[int, tuple[str | int, ...]]] = {
        m.email.lower(): (i, (*p, i, "email")) for i, m in members}
    listed = dict(members)
    kept: list[Member] = []
    for i, member in members:
        mine: list[str] = []
        for j, alias in enumerate(member.aliases):
            where = (*p, i, "aliases", j)
            if alias in owner:
                other, at = owner[alias]
                line = line_of(r.lines, at)
                if other == i and at[-1] == "email":
                    what = Words(f"alias {alias} is {member.email}'s own address",
                                 f"alias {alias} adalah alamat {member.email} sendiri")
                    fix = Words("remove it from aliases", "hapus dari aliases")
                elif other == i:
                    what = Words(f"alias {alias} is written twice",
                                 f"alias {alias} tertulis dua kali")
                    fix = Words("remove one of the two", "hapus salah satu")
                else:
                    who = listed[other].email
                    what = Words(f"alias {alias} is already {who}'s address (line {line})",
                                 f"alias {alias} sudah menjadi alamat {who} (baris {line})")
                    fix = Words("an address belongs to one member only: remove it from "
                                "one of them", "satu alamat hanya untuk satu anggota: hapus "
                                "dari salah satunya")
                said = (what.pick(language), fix.pick(language))
                r.problem(where, Words(said[0], said[0]), Words(said[1], said[1]))
                continue
            owner[alias] = (i, where)
            mine.append(alias)
        kept.append(replace(member, aliases=tuple(mine)))
    return tuple(kept)


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
