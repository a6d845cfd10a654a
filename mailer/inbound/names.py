"""Members' names as people write them, and an organizer's answer to a roll-call. Pure.

A written name matches a member when every word of it, honorifics (Bu, Pak, Mbak, Mr, ...)
and degrees (S.Pd., M.Pd., Gr., ...) left out, matches a word of the member's display name:
the same word, a close spelling (difflib ratio >= 0.8 for words of 4 letters or more), or
its initial. Balinese and Sasak name parts (I, Ni, Made, Baiq, Lalu, ...) are words like the
others, and also tell whether the member is a man or a woman, which settles "Pak Made"
against "Ni Made ...". A name that fits several members equally well is not guessed: it is
unmatched, and listed in `ambiguous` with the members it could be. "saya", "aku", "me", "I"
are the sender.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mailer.inbound.spelling import words_of

# ---- names -----------------------------------------------------------------------------
HONORIFICS = frozenset(words_of("bu ibu pak bapak bpk mas mbak mba kak kakak ms mr mrs miss mister "
                       "madam sdr sdri saudara saudari bunda ustadz ustadzah ustad om tante "
                       "bang teh dik adik prof hj haji hajah"))
_FEMALE = frozenset(words_of("bu ibu mbak mba ms mrs miss madam sdri saudari bunda ustadzah "
                           "tante teh hj hajah ni luh baiq dende"))
_MALE = frozenset(words_of("pak bapak bpk mas mr mister sdr saudara ustadz ustad om bang i lalu "
                  "gede"))
DEGREES = frozenset(words_of(
    "spd mpd spdsd spdi gr sag mag dra drs dr se sh mm mh ssi msi skom mkom "
    "sst ss shum mhum lc ma mba ir st mt ssos msos sps spsi apt amapd amd "
    "ama amk phd med bed bsc msc ba sth mth sfil sip sikom"))
ME = frozenset({"saya", "me", "i", "myself", "saya sendiri", "sendiri", "aku", "diri saya"})


def namewords_of(name: str) -> list[str]:
    """The words of a name, lower-case, without honorifics or degrees: "Sri Wahyuni,
    S.Pd." -> ["sri", "wahyuni"]; "Bu Baiq Rina" -> ["baiq", "rina"]."""
    words: list[str] = []
    for part_no, part in enumerate(name.split(",")):
        for raw in part.split():
            word = raw.strip(".()[]'\"").lower()
            flat = word.replace(".", "")
            if not flat or flat in DEGREES or (flat in HONORIFICS and not words) \
                    or (part_no > 0 and (flat in DEGREES or "." in raw)) \
                    or re.fullmatch(r"(?:[a-z]{1,3}\.){2,}[a-z]*", word):
                continue
            words.append(flat)
    return words


def _gender(words: Iterable[str]) -> str:
    found = {"f" for w in words if w in _FEMALE} | {"m" for w in words if w in _MALE}
    return found.pop() if len(found) == 1 else ""


@dataclass(frozen=True)
class Member:
    email: str
    words: tuple[str, ...]
    gender: str


def member_index(members: Mapping[str, str]) -> list[Member]:
    index = []
    for email, name in members.items():
        words = [w for w in namewords_of(name) if w not in HONORIFICS]
        index.append(Member(email.lower(), tuple(words), _gender(namewords_of(name))))
    return index


def _fit(written: str, member: str) -> float:
    if written == member:
        return 1.0
    if len(written) == 1:
        return 0.5 if member.startswith(written) else 0.0
    if len(written) >= 4 and len(member) >= 4:
        if member.startswith(written):  # "Wahyu" for Wahyuni
            return 0.85
        ratio = difflib.SequenceMatcher(None, written, member).ratio()
        return ratio if ratio >= 0.8 else 0.0
    return 0.0


def _score(written: list[str], member: Member) -> float:
    """How well the written words fit the member's name; 0 when one of them fits none."""
    left, total = list(member.words), 0.0
    for word in written:
        fits = [(_fit(word, m), m) for m in left]
        best = max(fits, default=(0.0, ""))
        if best[0] == 0.0:
            joined = "".join(member.words)
            return 0.9 if len(written) == 1 and _fit(word, joined) >= 0.9 else 0.0
        left.remove(best[1])
        total += best[0]
    return total


def match_name(written: str, index: list[Member],
               sender: str) -> tuple[str | None, tuple[str, ...]]:
    """(email, ()) for the one member the written name fits, (None, candidates) when it fits
    several equally, (None, ()) when it fits none."""
    found = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", written)
    if found:
        email = found.group(0).lower()
        return (email, ()) if any(m.email == email for m in index) else (None, ())
    words = namewords_of(written)
    if " ".join(words) in ME or (not words and written.strip().lower() in ME):
        return sender.lower(), ()
    core = [w for w in words if w not in HONORIFICS]
    if not core:
        return None, ()
    gender = _gender(words)
    scored = sorted(((_score(core, m), m.email) for m in index
                     if not (gender and m.gender and m.gender != gender)), reverse=True)
    scored = [(s, e) for s, e in scored if s > 0]
    if not scored:
        return None, ()
    best = [e for s, e in scored if s == scored[0][0]]
    return (best[0], ()) if len(best) == 1 else (None, tuple(sorted(best)))


@dataclass(frozen=True)
class RollCallReading:
    present: frozenset[str]  # member emails
    absent: frozenset[str]
    unmatched: tuple[str, ...]  # names written that matched no member, as written
    # the names among `unmatched` that fit several members, with the members they could be
    ambiguous: tuple[tuple[str, tuple[str, ...]], ...] = ()


def read_roll_call(text: str, members: Mapping[str, str], sender: str) -> RollCallReading | None:
    """An organizer's answer to a roll-call. `members`: email -> display name. `sender`: the
    organizer's email ("saya"/"me"/"I" = the sender). None when no attendance can be read."""
    index = member_index(members)
    limit = max(4000, 160 * len(index))  # the checklist as mailed has a line a member
    statements, everyone = _statements(text[:limit])
    marks: dict[str, bool] = {}
    unmatched: list[str] = []
    ambiguous: list[tuple[str, tuple[str, ...]]] = []
    seen: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    for written, present, sure in statements:
        if len(written) > 80:
            continue  # not a name
        if written not in seen:
            seen[written] = match_name(written, index, sender)
        email, candidates = seen[written]
        if email is not None:
            marks[email] = present
        elif written not in unmatched and (candidates or (sure and _looks_like_name(written))):
            unmatched.append(written)
            if candidates:
                ambiguous.append((written, candidates))
    if everyone is not None:
        for member in index:
            marks.setdefault(member.email, everyone)
    if not marks and not unmatched:
        return None
    return RollCallReading(frozenset(e for e, p in marks.items() if p),
                           frozenset(e for e, p in marks.items() if not p),
                           tuple(unmatched), tuple(ambiguous))


# ---- the shapes of a roll-call answer ----------------------------------------------------
_CHECK = re.compile(r"^\s*((?:>\s*)*)[-*•]?\s*\[\s*([^\]\s]?)\s*\]\s*(.+?)\s*$")
_TEMPLATE = re.compile(r"beri tanda|balas email ini|tanda yang sudah|daftar ini masuk|"
                       r"^\s*daftar hadir .*,|reply to this|marks already|attendance ledger|"
                       r"^\s*roll-call for", re.I)
_NEG = r"(?:tidak|tdk|tak|gak|ga|nggak|ngga|enggak|belum|blm|not|did ?n[o']?t|could ?n[o']?t|" \
       r"can ?n[o']?t|cannot|was ?n[o']?t|were ?n[o']?t|wasn't|weren't|didn't|couldn't)"
_ABSENT = re.compile(
    rf"\b{_NEG} (?:bisa |bs |dapat |jadi |sempat |make it |able to )?(?:hadir|datang|dtg|ikut|"
    r"masuk|come|came|attend|attended|present|there|join)\b|\b(?:absen|absent|izin|ijin|sakit|"
    r"berhalangan|alpa|alpha|bolos|cuti|missing|missed|excused|sick|away|dinas luar|"
    r"apologies|apologised|apologized)\b", re.I)
_PRESENT = re.compile(r"\b(?:hadir|datang|dtg|ikut|masuk|present|came|attended|joined|here|"
                      r"was there|were there|in attendance|datang terlambat)\b|[✓✔√]", re.I)
_CODE = re.compile(r"[-:=(\[]\s*([HISA])\s*[)\]]?\s*$")
_ALL = re.compile(r"\b(?:semua|semuanya|seluruh|seluruhnya|all|everyone|everybody)\b|"
                  r"\blengkap\b|\bfull (?:house|attendance|team)\b", re.I)
_EXCEPT = re.compile(r"\b(?:kecuali|selain|except|but|minus|kec)\b", re.I)
_NONE_ABSENT = re.compile(r"\b(?:tidak|tdk|gak|ga) ada yang (?:absen|tidak hadir|izin|bolos|"
                          r"berhalangan|alpa)|\b(?:nobody|no one|none) (?:was )?(?:absent|"
                          r"missing|missed)|\bno absen", re.I)
_NONE_PRESENT = re.compile(r"\b(?:tidak|tdk|gak|ga) ada yang (?:hadir|datang)|"
                           r"\b(?:nobody|no one) (?:came|attended|showed up|was there)", re.I)
_OTHERS = re.compile(r"\b(?:yang lain(?:nya)?|lainnya|sisanya|selebihnya|the rest|others|"
                     r"everyone else|everybody else)\b", re.I)
_ONLY = re.compile(r"\b(?:hanya|cuma|only|just)\b", re.I)
_FILLER = re.compile(
    r"\b(?:yang|yg|td|juga|sudah|saja|aja|hanya|cuma|only|just|also|too|was|were|is|are|hari ini|"
    r"tadi|kemarin|today|yesterday|di|pada|dalam|pertemuan|rapat|kegiatan|alhamdulillah|"
    r"sebanyak|orang|total|tepat waktu|terlambat|telat|late|on time|tetap|akhirnya|ternyata|"
    r"the meeting|at the meeting|lengkap)\b|\(.*?\)|\d+|[:=\-–]+|^\W+|\W+$", re.I)
_REASON = re.compile(r"\s*\b(?:karena|karna|krn|sebab|soalnya|because|due to|since|ada "
                     r"(?:acara|rapat|tugas)|yang)\b.*$", re.I)
_SPLIT = re.compile(r"\s*(?:,|;|/|&|\+|\bdan\b|\band\b|\bserta\b|\bsama\b)\s*", re.I)
_SENTENCE = re.compile(r"(?:(?<=[a-z]{3})|(?<=\)))[.!?]+\s+|;\s*|[.!?]+\s*$|(?:^|\s)\d{1,2}[.)]\s+")

Statement = tuple[str, bool, bool]  # (a name as written, present, clearly meant as a name)


def _statements(text: str) -> tuple[list[Statement], bool | None]:
    """Every (name, present, sure) written, and the mark for everyone not named (None: not
    said). Checklist lines ([x] / [ ]) not quoted win over quoted ones."""
    lines = [line[:500] for line in text.replace("\r", "").split("\n")]
    checks = [(bool(m[1].strip()), m[2].strip().lower() not in ("", " "), m[3])
              for line in lines if (m := _CHECK.match(line))]
    mine = [c for c in checks if not c[0]] or checks
    found: list[Statement] = [(name, present, True) for _, present, name in mine]
    everyone: bool | None = None
    carry: bool | None = None
    for line in lines:
        if _CHECK.match(line) or line.lstrip().startswith(">") or _TEMPLATE.search(line):
            continue
        line = re.sub(r"^\s*[-*•–]\s+", "", line)
        if not line.strip():
            carry = None
            continue
        head, colon, tail = line.partition(":")
        label = _status(head) if colon and len(head) < 40 else None
        if label is not None and not _FILLER.sub(" ", _strip(head, label)).strip():
            carry, line = label[0], tail  # "Yang hadir: A, B dan saya", items may follow below
        for sentence in _SENTENCE.split(line):
            said = _sentence(sentence, carry, found)
            everyone = said if said is not None else everyone
    return found, everyone


def _sentence(text: str, carry: bool | None, found: list[Statement]) -> bool | None:
    """Read one sentence into `found`; return the mark it gives everyone else, if any."""
    if _NONE_ABSENT.search(text) or _NONE_PRESENT.search(text):
        return bool(_NONE_ABSENT.search(text))
    forward, pending, others = carry, [], None
    for chunk in _SPLIT.split(text):
        head, *tail = _EXCEPT.split(chunk, maxsplit=1)
        every, said = _ALL.search(head), _status(head)
        if every and not _OTHERS.search(head) and (said or every[0].lower() in ("lengkap",)
                                                   or "full" in every[0].lower()):
            others = said[0] if said else True  # "hadir semua (kecuali Yusuf ...)"
            forward = not others if tail else None
            _add(found, _clean(tail[0]) if tail else "", not others, True)
            continue
        if tail and not head.strip() and others is not None:  # "semua hadir, kecuali X"
            forward = not others
            _add(found, _clean(tail[0]), forward, True)
            continue
        said = _status(chunk)
        if said and _OTHERS.search(chunk):
            others = said[0]
            continue
        name = _clean(_strip(chunk, said) if said else chunk)
        if said is None:
            if forward is not None:
                _add(found, name, forward, True)
            elif name:
                pending.append(name)
        elif said[1] == "before" and name:
            _add(found, name, said[0], True)
            forward = said[0]
        else:
            for written in [*pending, name]:
                _add(found, written, said[0], True)
            pending, forward = [], (said[0] if not name else None)
    for written in pending:
        _add(found, written, True, False)  # a bare list of names: those who came
    if others is None and _ONLY.search(text) and (status := _status(text)):
        others = not status[0]
    return others


def _status(text: str) -> tuple[bool, str, int, int] | None:
    """(present, 'before' | 'after' the name, span) of the attendance word in a chunk."""
    code = _CODE.search(text)
    if code and not _PRESENT.search(text) and not _ABSENT.search(text):
        return code[1].upper() == "H", "after", code.start(), code.end()
    found = _ABSENT.search(text) or _PRESENT.search(text)
    if found is None:
        return None
    before = not _FILLER.sub(" ", text[:found.start()]).strip()
    return found.re is _PRESENT, "before" if before else "after", found.start(), found.end()


def _strip(chunk: str, said: tuple[bool, str, int, int]) -> str:
    """The chunk without its attendance word: the name before it, or after it."""
    return _REASON.sub("", chunk[said[3]:] if said[1] == "before" else chunk[:said[2]])


def _clean(name: str) -> str:
    name = _REASON.sub("", re.sub(r"\(.*?\)|\[.*?\]", " ", name))
    return re.sub(r"\s+", " ", _FILLER.sub(" ", name)).strip(" .,;:!-")


def _add(found: list[Statement], name: str, present: bool, sure: bool) -> None:
    if name:
        found.append((name, present, sure))


_STOP = frozenset(words_of(
    "salam terima kasih thanks thank regards wassalam assalamualaikum hormat "
    "best note catatan info link zoom hari tanggal bapak ibu semua rekan "
    "teman"))


def _looks_like_name(written: str) -> bool:
    words = [w for w in re.split(r"\s+", written.strip()) if w]
    return 0 < len(words) <= 5 and all(
        (w[:1].isupper() or w.lower().strip(".") in HONORIFICS | ME)
        and w.lower().strip(".,") not in _STOP for w in words)
