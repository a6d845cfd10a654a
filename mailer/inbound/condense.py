"""A long text as reply trimming reads it: line by line at its head and tail and around the
lines that could start history; each long stretch of plain text between them as one line.
Pure.

A pasted document or an HTML list of 5,000 items has few lines where history could start (a
quote header or header block ends in a colon or names an address; a separator, a device
line or a signature starts with dashes or a known word; quoted text starts with '>').
`candidate_lines` finds them with a few searches of the whole text at C speed, never a
regular expression per line; `condense` keeps them and their neighbourhood, and stands in
for every stretch of plain lines between with at most three lines: its first run of text
lines, its first blank line, and the rest. Trimming then costs what the head, the tail and
the marked lines cost, whatever the length, and reads each stretch as it would have read it
whole: its lines were never examined one by one (only `_plain_kind`: text or blank), and
what trimming looks at around a line it examines (up to 28 lines, for a signature) stays
as it was written, MARGIN lines on each side.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import pairwise

from mailer.inbound.plainlines import rarest
from mailer.inbound.quote_headers import MAX_LINE

# Past its head and tail a long text is examined line by line only around the lines that
# could start history: everything else there is the member's text or '>'-quoted.
EXAMINE_HEAD, EXAMINE_TAIL, EXAMINE_AROUND = 300, 80, 6
MARGIN = 32  # plain lines kept as written on each side of a condensed stretch
_MAY_MARK = re.compile(
    r"^\s*(?:[-_=*#~]{2}|(?:\*\*)?[^\W\d_]{1,12}\s?:\s|sent |dikirim |enviado |envoy|get outlook|"
    r"dapatkan outlook|von meinem|verzonden|inviato)|[:：>]\s*$|@", re.I)
# Every line that _MAY_MARK finds something in, that is quoted, or that could be a separator
# or a header field (replies._forwards) has one of these characters in it, or starts (after
# blanks, '>' and '*') the way _MAY_MARK's first branch and a separator start. Searched in
# the whole text joined with a "\n" in front: a pattern that starts with a fixed character
# is looked for at C speed.
_MARK_CHARS = ":：>@"
_PAIRED = "-_=*#~"
_WORDS = ("sent ", "dikirim ", "enviado ", "envoy", "get outlook", "dapatkan outlook",
          "von meinem", "verzonden", "inviato")
_MAY_START = re.compile(rf"\n(?:[>*]|[^\S\n])*(?:[{re.escape(_PAIRED)}]{{2}}|{'|'.join(_WORDS)})",
                        re.I)
# the dotless i, the capital I with a dot and the long s match "i" and "s" under re.I, and
# lower() does not make them so
_FOLDED = "\u0131\u0130\u017f"
_BLANK_LINE = re.compile(r"\n[^\S\n]*(?=\n)")  # the "\n" before a line of only white space


def candidate_lines(lines: list[str], text: str | None = None) -> list[int]:
    """The lines that could mark history, be quoted, or be a header field or a separator
    (in order): a superset, each to be tested by what reads it. `text`: the lines joined
    with "\n", when the caller has it."""
    text = "\n".join(lines) if text is None else text
    found: set[int] = set()
    if _may_start(text):
        found.update(_lines_of(text, _start_of_mark))  # a line after a "\n"
        if lines and _MAY_START.match("\n" + lines[0]):
            found.add(0)
    for char in _MARK_CHARS:
        if char in text:
            found.update(_lines_of(text, partial(_find, char)))
    return sorted(found)


def _may_start(text: str) -> bool:
    """Whether _MAY_START can find anything at all: it needs two of _PAIRED in a row or one
    of its words. A few looks for fixed strings, where it tries every line (1 ms a 5,000
    line list)."""
    paired = [c for c in _PAIRED if c in text]
    if any(a + b in text for a in paired for b in paired):
        return True
    lowered = text.lower()
    return any(word in lowered for word, looks in _WORD_LOOKS
               if all(c in lowered for c in looks)) or any(c in text for c in _FOLDED)


_WORD_LOOKS = tuple((word, rarest(word)) for word in _WORDS)


def _find(char: str, text: str, pos: int) -> int:
    return text.find(char, pos)


def _start_of_mark(text: str, pos: int) -> int:
    m = _MAY_START.search(text, pos)
    return -1 if m is None else m.start()


def _lines_of(text: str, locate: Callable[[str, int], int]) -> Iterator[int]:
    """The numbers of the lines `locate(text, pos)` finds something in (-1: nothing more),
    each once: after a find the search goes on from the end of its line. A find at a "\n"
    counts for the line after it (where a _MAY_START line starts)."""
    line = counted = pos = 0
    while (at := locate(text, pos)) >= 0:
        line += text.count("\n", counted, at + 1)
        counted = at + 1
        yield line
        pos = text.find("\n", at + 1)
        if pos < 0:
            return


@dataclass(frozen=True)
class Condensed:
    """`lines` as trimming reads them, whether each is `examined` line by line, and the
    lines of the text each stands for (`origin`, start and stop; None: each for itself)."""

    lines: list[str]
    examined: list[bool] | None  # None: every line
    origin: list[tuple[int, int]] | None

    def expand(self, text: list[str], indexes: Iterable[int]) -> list[str]:
        """The lines of `text` that the condensed lines at `indexes` stand for."""
        if self.origin is None:
            return [text[i] for i in indexes]
        out: list[str] = []
        for i in indexes:
            start, stop = self.origin[i]
            out.extend(text[start:stop])
        return out


def condense(lines: list[str], candidates: Iterable[int], text: str | None = None) -> Condensed:
    """`lines` with each long stretch of plain lines far from any line that could mark
    history, or be quoted, made one to three lines (see the module's text). `text`: the
    lines joined with "\n", when the caller has it."""
    n = len(lines)
    if n <= EXAMINE_HEAD + EXAMINE_TAIL:
        return Condensed(lines, None, None)
    middle = range(EXAMINE_HEAD, n - EXAMINE_TAIL)
    near: set[int] = set()
    fixed = [EXAMINE_HEAD - 1, n - EXAMINE_TAIL]  # lines that stay as they are
    for i in candidates:
        if i not in middle:
            continue
        if len(lines[i]) <= MAX_LINE and _MAY_MARK.search(lines[i]):
            near.update(range(i - EXAMINE_AROUND, i + EXAMINE_AROUND + 1))
            fixed += (i - EXAMINE_AROUND, i + EXAMINE_AROUND)
        elif lines[i].strip().startswith(">"):
            fixed.append(i)
    stretches = _stretches(lines, sorted(fixed))
    if not stretches:
        return Condensed(lines, [i < EXAMINE_HEAD or i >= n - EXAMINE_TAIL or i in near
                                 for i in range(n)], None)
    text = "\n".join(lines) if text is None else text
    line = at = 0  # where line `line` starts in text
    out: list[str] = []
    seen: list[bool] = []
    origin: list[tuple[int, int]] = []
    position = 0
    for first, last in stretches:
        for i in range(position, first):
            out.append(lines[i])
            seen.append(i < EXAMINE_HEAD or i >= n - EXAMINE_TAIL or i in near)
            origin.append((i, i + 1))
        at += sum(map(len, lines[line:first])) + first - line
        stop = at + sum(map(len, lines[first:last + 1])) + last - first
        line = first
        blank = _first_blank(text, first, at, stop)
        parts = [(first, last + 1)] if blank is None else \
            [(first, blank), (blank, blank + 1), (blank + 1, last + 1)]
        for start, stop in parts:
            out.append(lines[stop - 1])  # a text line for a run of text, a blank for a blank
            seen.append(False)
            origin.append((start, stop))
        position = last + 1
    for i in range(position, n):
        out.append(lines[i])
        seen.append(i < EXAMINE_HEAD or i >= n - EXAMINE_TAIL or i in near)
        origin.append((i, i + 1))
    return Condensed(out, seen, origin)


def _stretches(lines: list[str], fixed: list[int]) -> list[tuple[int, int]]:
    """(first, last) of each stretch worth condensing: at least MARGIN lines away from any
    fixed line, starting and ending with a line of text."""
    out = []
    for before, after in pairwise(fixed):
        first, last = before + 1 + MARGIN, after - 1 - MARGIN
        while first < last and not lines[first].strip():
            first += 1
        while last > first and not lines[last].strip():
            last -= 1
        if last - first >= 8:
            out.append((first, last))
    return out


def _first_blank(text: str, first: int, start: int, stop: int) -> int | None:
    """The first line of only white space among lines `first`... (from `start` in text, line
    `first`'s start, to `stop`, the end of the last one), or None."""
    m = _BLANK_LINE.search(text, start, stop)
    return None if m is None else first + text.count("\n", start, m.start() + 1)
