"""Whose coming a clause of a reply speaks of: the writer's own, nobody's in particular, or a
third person's. Pure. Used by answers.py on words already through `spelling.plain`.

"Saya hadir", "Maaf bu, tidak bisa" (no subject: the writer), "saya dan Bu Ani hadir" and
"saya yang datang" are the writer's (MINE). "yang hadir", "semua", "diharapkan hadir",
"daftar hadir" are nobody's answer (NOBODY). "Pak Budi tidak bisa", "beliau berhalangan",
"istri saya tidak bisa datang", "my colleague can't come", "diwakilkan oleh Bu Rina" name
someone else (OTHER): never the writer's answer, since only the person answers for
themselves; answers.py passes such words on to the organizers as a note.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from mailer.inbound.names import HONORIFICS
from mailer.inbound.spelling import words_of

__all__ = ["MINE", "NOBODY", "OTHER", "stands_in", "whose"]

MINE, NOBODY, OTHER = "mine", "nobody", "other"
_ME = frozenset(words_of("saya kami i we"))
# words before "hadir" that make it nobody's answer (a group, a question), or a request
_GROUP = frozenset(words_of(
    "yang semua semuanya kalian everyone anyone peserta teman rekan siapa who bagi "
    "hadirin mereka they you anda"))
_ASKING = _GROUP | frozenset(words_of(
    "diharapkan dimohon harap wajib mohon ditunggu silakan silahkan please should "
    "must expected encouraged invited undang mengundang diundang selamat daftar "
    "perlu all tidak belum not never"))
# one person other than the writer, named without a name
_THIRD = frozenset(words_of(
    "beliau dia ia he she kepsek kasek kepala pengawas korwil wife husband son daughter "
    "child kids mother father mom dad colleague colleagues friend boss principal "
    "headmaster partner anaknya istrinya suaminya ibunya ayahnya keluarganya"))
# "istri saya": the word before "saya" makes it someone of mine, not me
_KIN = frozenset(words_of(
    "istri suami anak ayah mertua kakak adik keluarga teman rekan kepala atasan siswa murid "
    "kawan sahabat ponakan keponakan"))
_WITH = frozenset(words_of("dan serta sama bersama dengan and with"))
# after an honorific, words that leave it a form of address ("Maaf bu, tidak bisa";
# "Maaf pak ketua kali ini tidak bisa"), not a person's name ("Pak Budi tidak bisa")
_NOT_NAME = HONORIFICS | _ME | frozenset(words_of(
    "ya yah nih dong deh kok sih ok oke okay insyaallah ketua admin koordinator panitia mohon "
    "maaf sorry this kali ini itu mungkin sepertinya kayaknya juga sudah masih lagi sedang nanti "
    "akan jadi sekalian kalau untuk hari besok the so please semua sekali"))
_STAND_IN = re.compile(r"\b(?:diwakili|diwakilkan|digantikan|diganti) (?:oleh |sama |ke |"
                       r"dengan )?(?!saya\b|kami\b|me\b)\w")


def whose(before: list[str], asking: bool = False, addressed: Collection[str] = ()) -> str:
    """Whose coming the words `before` a yes or no speak of. `asking`: a yes, which words
    like "mohon", "tidak", "daftar" before it also make nobody's answer. `addressed`: names
    (lower-case words) of those the reply is written to: "Bu Siti" is then a form of
    address."""
    group = _ASKING if asking else _GROUP
    for i in range(len(before) - 1, -1, -1):
        word = before[i]
        if word in _ME:
            return OTHER if i and before[i - 1] in _KIN else MINE
        if word == "yang" and i and before[i - 1] in _ME:
            return MINE  # "saya yang datang"
        if word in _THIRD or (word in HONORIFICS and i + 1 < len(before)
                              and before[i + 1] not in _NOT_NAME
                              and before[i + 1] not in addressed):
            with_me = i >= 2 and before[i - 1] in _WITH and before[i - 2] in _ME
            return MINE if with_me else OTHER  # "saya dan Bu Ani hadir"
        if word in group:
            return NOBODY
    return MINE


def stands_in(words: str) -> bool:
    """Whether the words name someone who comes in another's place, not the writer
    ("diwakilkan oleh Bu Rina"; "diwakilkan oleh saya" is the writer coming)."""
    return bool(_STAND_IN.search(words))
