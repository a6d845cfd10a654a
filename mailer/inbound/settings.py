"""A member's own delivery setting, asked for by email: what it says. Pure.

    "rangkuman", "rangkuman saja", "digest"           -> Setting("digest")
    "setiap pesan", "each", "every post"              -> Setting("each")
    "jeda sampai 2 Januari", "pause until 2027-01-02" -> Setting("pause", "2 januari")
    "lanjut", "resume"                                -> Setting("resume")

Recognition is conservative: a post that merely contains one of these words is a post.
A setting is the whole of one of these (classify.py's "setting" stage):
    plus-setting     sent to kkg+rangkuman@, kkg+each@, kkg+jeda@ (the date then in the
                     subject or the body), ...
    subject-setting  the subject is the setting, not a reply's ("Re: Rangkuman" is a
                     thread), no files, and at most a line of text beside it
    body-setting     the new text (quotes and signatures gone) is the setting on its first
                     line, with at most a polite word and a short sign-off around it
The date of a pause is read against today (read_until): "2 Januari" is the next 2 January.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from mailer.config.days import MONTHS

_DIGEST = r"(?:(?:kirim(?:kan)? |minta |hanya |cukup )?(?:rangkuman|ringkasan)(?: saja| aja)?" \
          r"|(?:the |send (?:me )?(?:the )?|just (?:the )?)?digest(?: only| please)?" \
          r"|(?:only|just) the digest)"
_EACH = r"(?:(?:kirim(?:kan)? )?(?:setiap|tiap|semua) (?:pesan|email|posting)(?: lagi)?" \
        r"|each(?: post| message| mail)?|every (?:post|message|mail)|all (?:posts|messages))"
_PAUSE = r"(?:jeda|libur|berhenti sementara|pause|pause (?:my )?(?:mail|delivery))" \
         r" (?:sampai(?: dengan)?|hingga|s/d|sd|until|till|to) (?P<until>.{3,40}?)"
_RESUME = r"(?:lanjut(?:kan)?(?: lagi)?|mulai lagi|kirim lagi|resume|unpause|start again)"
_POLITE = r"(?:(?:mohon|tolong|minta|saya (?:mau|ingin|minta)|please|i(?:'d| would) like)\s+)?"
_THANKS = r"(?:[,.!\s]+(?:ya|yah|pak|bu|terima ?kasih|makasih|trims|thanks|thank you|please))*"
_WHOLE = re.compile(rf"^{_POLITE}(?:(?P<digest>{_DIGEST})|(?P<each>{_EACH})|{_PAUSE}"
                    rf"|(?P<resume>{_RESUME})){_THANKS}[.!\s]*$")
PLUS = {"rangkuman": "digest", "digest": "digest", "ringkasan": "digest",
        "setiap-pesan": "each", "each": "each", "jeda": "pause", "pause": "pause",
        "lanjut": "resume", "resume": "resume"}  # fmt: skip
# a short sign-off may stand under the setting: "Salam,", "Terima kasih, Budi", or a name
# whose every word is capitalized ("Budi Santoso, S.Pd.", "SDN 1 Sukamaju")
SIGN_OFF = re.compile(r"^(?:(?i:salam|regards|best|cheers|wassalam\w*|hormat saya|"
                       r"terima ?kasih|makasih|thanks?|thank you|trims)\b[\w.,'! -]{0,30}"
                       r"|[A-Z][\w.,'-]*(?:[ ,]+[A-Z0-9][\w.,'-]*){0,4})$")
_FIRST_WORDS = frozenset(("rangkuman", "ringkasan", "digest", "setiap", "tiap", "semua",
                          "each", "every", "all", "jeda", "libur", "berhenti", "pause",
                          "lanjut", "lanjutkan", "mulai", "kirim", "kirimkan", "resume",
                          "unpause", "start", "mohon", "tolong", "minta", "saya", "please",
                          "i'd", "i", "the", "send", "just", "only", "hanya", "cukup"))


MAX_CHARS = 160


@dataclass(frozen=True)
class Setting:
    what: str  # digest | each | pause | resume
    until: str = ""  # a pause's date as written, lower-cased ("2 januari", "02/01/2027")


def read_setting(text: str) -> Setting | None:
    """The setting `text` is, as a whole (one line), else None."""
    if len(text) > MAX_CHARS:  # a setting is a few words; a long line is not read at all
        return None
    line = " ".join(text.lower().split()).strip()
    match = _WHOLE.match(line)
    if match is None:
        return None
    for what in ("digest", "each", "resume"):
        if match.group(what):
            return Setting(what)
    return Setting("pause", match.group("until").strip(" .,!"))


def setting_in_body(new_text: str) -> Setting | None:
    """The setting a message's new text is: its first line, with nothing after it but a
    short sign-off (at most four lines of a few words each)."""
    lines = [line.strip() for line in new_text.strip().splitlines()]
    if not lines or not lines[0]:
        return None
    first = lines[0].lower().split(maxsplit=1)[0].strip(".,!") if lines[0].split() else ""
    if first not in _FIRST_WORDS:  # cheap, and true of nearly every post
        return None
    rest = [line for line in lines[1:] if line]
    if len(rest) > 4 or any(not SIGN_OFF.match(line) or "?" in line for line in rest):
        return None
    return read_setting(lines[0])


def could_be_setting(text: str) -> bool:
    """A cheap look before the new text is worked out: its first line starts like one."""
    stripped = text.lstrip()
    words = stripped.split(maxsplit=1)
    return bool(words) and words[0].lower().strip(".,!") in _FIRST_WORDS


_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}|\d{2}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_MONTH = re.compile(r"^(?:tanggal |tgl\.? |the )?(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)\.?"
                        r"(?:,? (\d{4}))?$")
_MONTH_DAY = re.compile(r"^([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?$")


def read_until(text: str, today: date) -> date | None:
    """The day a pause ends (mail comes again from that day on): "2 Januari", "January 2",
    "02/01/2027" (day first), "2/1", "2027-01-02", "2 Jan 2027". Without a year, the
    next such day after today. None when it is no date, or not after today. A reason
    after the date is left aside: "2 Januari, saya cuti" is 2 January."""
    words = text.lower().replace(",", " ").replace(";", " ").split()
    for end in range(len(words), 0, -1):  # the longest start of it that is a date
        found = _read_date(" ".join(words[:end]), today)
        if found is not None or _is_date(" ".join(words[:end])):
            return found
    return None


def _is_date(text: str) -> bool:
    """Whether `text` is written as a date, whichever day it names."""
    return bool(_ISO.match(text) or _NUMERIC.match(text) or _DAY_MONTH.match(text)
                or _MONTH_DAY.match(text))


def _read_date(text: str, today: date) -> date | None:
    text = re.sub(r"^(?:tanggal|tgl\.?|hari)\s+|\s*(?:ya|nanti|depan)$", "", text)
    year: int | None
    try:
        if (iso := _ISO.match(text)) is not None:
            found = date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
            return found if found > today else None
        if (numeric := _NUMERIC.match(text)) is not None:
            day, month = int(numeric.group(1)), int(numeric.group(2))
            year = int(numeric.group(3)) if numeric.group(3) else None
        elif (named := _DAY_MONTH.match(text)) is not None and named.group(2) in MONTHS:
            day, month = int(named.group(1)), MONTHS[named.group(2)]
            year = int(named.group(3)) if named.group(3) else None
        elif (named := _MONTH_DAY.match(text)) is not None and named.group(1) in MONTHS:
            day, month = int(named.group(2)), MONTHS[named.group(1)]
            year = int(named.group(3)) if named.group(3) else None
        else:
            return None
        if year is not None:
            found = date(year + 2000 if year < 100 else year, month, day)
            return found if found > today else None
        found = date(today.year, month, day)
        return found if found > today else date(today.year + 1, month, day)
    except ValueError:  # 31/02, 29 February of a common year
        return None
