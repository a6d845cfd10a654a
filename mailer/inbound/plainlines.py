"""Which lines of a text trimming can read as plain text, blank or quoted without asking
each what else it could be. Pure.

Reply trimming (replies.py) asks of every line it examines whether it is a signature
separator, a separator, a device line, the start of a list footer, a rule, a "Label:
value" field or the end of a quote header: ten patterns and calls a line, 4 us. Each of
them can only answer yes for a line that has one of a few marks in it: a colon, two of
"-=_" or "**" in a row, a few words (the ones those patterns are spelled with), a last
character that ends a rule or a header ("-", "_", "=", "+", "~", "#", "*", ".", ">"), a
character outside ASCII, or more than MAX_LINE characters. Those are found with a few
searches of the whole text at C speed; the lines without any are plain.

The words are looked for in the text in lower case, which is what the patterns' re.I
compares in ASCII; a line with any other character is never called plain (re.I matches
the dotless i to "i", the long s to "s", and the lower case of the dotted capital I is two
characters). So the words only need to cover what the patterns can find in ASCII:
"skickat från" or "wysłane z" cannot be there. A new shape in quote_headers.py or
signatures.py needs its mark here and an example in tests/test_plainlines.py.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

from mailer.inbound.quote_headers import MAX_LINE

# One for each way a pattern can find something in a line of ASCII; each is a piece of
# the pattern that whatever it matches has in it (in lower case).
MARKS = (
    # fields, quote headers, separators, footers (quote_headers.py: _FIELD, could_end_header,
    # _SEPARATOR, _QUOTED_TAIL; signatures.py: _FOOTER), and Markdown links (device lines)
    ":", "**", "--", "-=", "-_", "=-", "==", "=_", "_-", "_=", "__", "](", "gmt",
    # device lines (signatures.py _DEVICE)
    "sent", "sendt fra ", "from my ", "from mobile", "outlook", "typed on ", "dikirim ",
    "kirim dari ", "dihantar ", "enviado ", "envoy", "inviato ", "gesendet", "verzonden ",
    "verstuurd ",
    # list footers and the names of lists (signatures.py _FOOTER, _LIST_NAME; a byline
    # ends in a full stop)
    "received this", "anda menerima", "unsubscribe from this", "berhenti berlangganan",
    "balas email ini", "reply to this email", "mailing list",
    # "wrote" at the end of a quote header (quote_headers.py _VERBS: "sent" is above,
    # "crit" is in "ha scritto"; the dotless i of Turkish "yazd\u0131" matches "i")
    "wrote", "writes", "written", "nulis", "schrieb", "schreef", "geschreven", "crit",
    "nous a dit", "escribi", "escreveu", "skrev", "napisa", "napsal", "yazd",
    "kirjoitti", "irta", "a scris", "kirjutas", "rakst",
)  # fmt: skip
# letters by how seldom they are written (Indonesian and English), the rarest first
_RARE_FIRST = "qxzjvwfykpbhgcmdlousnrtiae"


def rarest(word: str, count: int = 2) -> str:
    """The characters of `word` least likely to be in a text (signs first, a space last):
    a word is only where each of its characters is, and a look for one character costs
    next to nothing (memchr), where a look for a word reads the text (40 us for 64 KB)."""
    return "".join(sorted(set(word), key=lambda c: (c == " ", _RARE_FIRST.find(c), c)))[:count]


_MARK_LOOKS = tuple((word, rarest(word)) for word in MARKS)
_LAST = re.compile(r"[-_=+~#*.>][^\S\n]*\n")  # the last character, before white space
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


def plain_lines(lines: list[str]) -> list[bool]:
    """[i]: line i is plain text, blank or '>'-quoted, and nothing else trimming looks for
    (no field, no quote header ends on it)."""
    text = "\n".join(lines) + "\n"
    lowered = text.lower()
    plain = [True] * len(lines)
    if len(lowered) != len(text):  # a character whose lower case is two
        return [False] * len(lines)
    ends = list(accumulate(len(line) + 1 for line in lines))  # where each line's next starts

    def mark(position: int) -> int:
        """The line at `position` is not plain; returns where the next line starts."""
        line = bisect_right(ends, position)
        plain[line] = False
        return ends[line]

    for word, looks in _MARK_LOOKS:
        at = lowered.find(word) if all(c in lowered for c in looks) else -1
        while at >= 0:
            at = lowered.find(word, mark(at))
    for pattern in (_LAST, _NOT_ASCII) if not text.isascii() else (_LAST,):
        found = pattern.search(text)
        while found is not None:
            found = pattern.search(text, mark(found.start()))
    if max(map(len, lines), default=0) > MAX_LINE:
        for i, line in enumerate(lines):
            plain[i] = plain[i] and len(line) <= MAX_LINE
    return plain
