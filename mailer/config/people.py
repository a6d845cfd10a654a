"""People as organizers list them, and the short tag in front of a subject. Pure.

    parse_people("Sri Wahyuni, S.Pd. <sri@example.org>, Budi <budi@example.org>")
        -> [Person("Sri Wahyuni, S.Pd.", "sri@example.org"), Person("Budi", "budi@...")]

A list is split on line breaks and semicolons, and on a comma only where a new entry
begins: each entry ends with its address, so a name keeps its degrees and commas
("Sri Wahyuni, S.Pd.", "Drs. H. Ahmad, M.Pd."). An address may stand alone, or be followed
by the name in brackets ("sri@example.org (Sri Wahyuni)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailer.config.model import EMAIL
from mailer.config.words import Words, WordsError

_ADDRESS = re.compile(r"<\s*([^<>\s]*)\s*>|([^\s<>,;()\"']+@[^\s<>,;()\"']+)")
ENTRY_HELP = Words("write Name <address>, e.g. Sri Wahyuni, S.Pd. <sri@example.org>",
                   "tulis Nama <alamat>, misalnya Sri Wahyuni, S.Pd. <sri@example.org>")


@dataclass(frozen=True)
class Person:
    name: str  # "" when only the address was given
    email: str


def parse_people(text: str) -> list[Person]:
    """Everyone in a list of "Name <address>" and bare addresses (each address once)."""
    people: list[Person] = []
    seen: set[str] = set()
    for chunk in re.split(r"[;\n]", text):
        pos = 0
        for match in _ADDRESS.finditer(chunk):
            email = (match.group(1) or match.group(2) or "").strip().rstrip(".")
            name, end = chunk[pos:match.start()], match.end()
            after = re.match(r"\s*\(([^)]*)\)", chunk[end:])
            if after and not _clean(name):
                name, end = after.group(1), end + after.end()
            if not EMAIL.match(email):
                raise WordsError(Words(f"{email or match.group(0)!r} is not an email address",
                                       f"{email or match.group(0)!r} bukan alamat email"),
                                 ENTRY_HELP)
            if email.lower() not in seen:
                seen.add(email.lower())
                people.append(Person(_clean(name), email))
            pos = end
        rest = _clean(chunk[pos:])
        if rest:
            raise WordsError(Words(f"{rest!r} has no email address",
                                   f"{rest!r} tidak punya alamat email"), ENTRY_HELP)
    return people


def _clean(name: str) -> str:
    name = re.sub(r"\s+", " ", name).strip(" ,\t")
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
        name = name[1:-1].strip()
    return name


# Words that say where, and mean little at the end of a shortened name.
_TRAILING = {"kecamatan", "kec", "kec.", "kabupaten", "kab", "kab.", "kota", "desa", "dan",
             "di", "se", "untuk", "the", "of", "and", "for", "in", "-", "–"}


def propose_tag(name: str, limit: int = 20) -> str:
    """A short subject tag from the community's name: "KKG Gugus III Kecamatan Selaparang"
    -> "[KKG Gugus III]" (at most `limit` characters with the brackets)."""
    words = name.split()
    kept: list[str] = []
    for word in words:
        if len(" ".join([*kept, word])) + 2 > limit:
            break
        kept.append(word)
    if len(kept) < len(words):
        while kept and kept[-1].lower() in _TRAILING:
            kept.pop()
    text = " ".join(kept) or (words[0][:limit - 2] if words else "")
    return f"[{text}]" if text else ""


def normal_tag(text: str) -> str:
    """The tag as typed -> as written: brackets added; "-", "tidak", "none" -> no tag."""
    text = text.strip()
    if text.lower() in ("", "-", "tidak", "tidak ada", "none", "no"):
        return ""
    return text if text.startswith("[") else f"[{text.strip('[]').strip()}]"
