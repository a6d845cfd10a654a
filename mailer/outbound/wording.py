"""Small words that depend on what they stand beside. Pure.

    counted(1, "copy", "copies", "en")      "1 copy"     (Indonesian nouns take no plural)
    after("Pertemuan rutin", "pertemuan")   "Pertemuan rutin", not "pertemuan Pertemuan rutin"
    sender_name("KKG", "KKG")               "KKG", not "KKG via KKG"
"""

from __future__ import annotations


def counted(count: int, one: str, many: str | None = None, language: str = "en") -> str:
    """A number and its noun: '1 topic', '2 topics'; in Indonesian the noun as written ('2
    topik'; a reduplicated plural after a number is wrong Indonesian, so none is made)."""
    if language == "id" or count == 1:
        return f"{count} {one}"
    return f"{count} {many if many is not None else one + 's'}"


def after(title: str, word: str) -> str:
    """A title after a word that names what it is: 'pertemuan KKG Gugus 3', but 'Pertemuan
    rutin' alone when the title begins with that word already. The word keeps the case it
    is given in (capitalized at the start of a sentence)."""
    first = title.split(maxsplit=1)[0] if title.strip() else ""
    if first.casefold().strip(".,:;\"'") == word.casefold():
        return title
    return f"{word} {title}".strip()


def sender_name(author: str, community: str) -> str:
    """The From name of a post: 'Siti Rahayu via KKG Matematika', or the community's name
    alone when the community itself wrote it (a notes thread)."""
    if not author.strip() or author.strip().casefold() == community.strip().casefold():
        return community
    return f"{author} via {community}"
