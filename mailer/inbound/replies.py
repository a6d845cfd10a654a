"""The new text of a reply: what the member wrote, with quoted history, quote headers,
forwarded and Outlook header blocks, signatures, device lines and list footers removed,
in any of the languages mail programs write. Pure.

Order of work, one pass each (linear in the length of the mail):
1. classify every line: empty, quoted ('>'), text, a quote header (quote_headers.py), a
   header block, a separator, a device line, "-- ", a list footer (signatures.py);
2. history starts at the first separator, header block, quote header followed by
   unquoted text, device line, "-- " or list footer that has text of the member's above
   it; such a marker with nothing above it (a forward, or an answer written below the
   history) is dropped alone and the text after it kept;
3. quoted lines: history nobody answers below is dropped; a single quoted block with its
   quote header and the answer below it is a bottom-posted reply (the block goes, the
   answer stays); quoted lines answered in between (interleaved) stay, each above its
   answer;
4. a signature block without "-- " at the end goes;
5. never lose the words: when all that is left is nothing or a greeting while the member
   wrote more, the text is kept untrimmed but for its '>'-quoted lines, and that is logged
   and returned as `Trimmed.kept_untrimmed`.

A long text (a pasted document, an HTML list of 5,000 items) is read condensed
(condense.py): line by line at its head and tail and around lines that could start history,
each long stretch of plain text between them as one line; the result is the same.

Callers: new_text(body, new_thread) -> str, or trim_reply(body, new_thread) -> Trimmed
to know whether the words were kept untrimmed. The shapes live in quote_headers.py
(headers, header blocks, separators) and signatures.py (footers, signatures, greetings).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mailer.inbound.condense import EXAMINE_HEAD, EXAMINE_TAIL, candidate_lines, condense
from mailer.inbound.plainlines import plain_lines
from mailer.inbound.quote_headers import (
    MAX_LINE,
    Header,
    broken_quote_header,
    field,
    header_block,
    inline_header,
    is_separator,
    quote_header,
)
from mailer.inbound.signatures import (
    footer_start,
    is_device_line,
    is_greeting,
    is_rule,
    is_sig_dash,
    signature_start,
)

log = logging.getLogger(__name__)

EMPTY, QUOTE, TEXT, HEADER, BLOCK, SEPARATOR, DEVICE, SIG, FOOTER, RULE = "eqthbdmslr"


@dataclass(frozen=True)
class Trimmed:
    """The new text of a reply; `kept_untrimmed` when trimming would have left nothing (or
    only a greeting) of what the member wrote, so the text was kept as written."""

    text: str
    kept_untrimmed: bool = False


def new_text(body: str, new_thread: bool = False) -> str:
    """The text the writer added. For a new thread a forwarded message is the content
    (someone shares a circular with the group), so forwarded blocks are kept."""
    return trim_reply(body, new_thread).text


def trim_reply(body: str, new_thread: bool = False) -> Trimmed:
    """new_text(), and whether it had to keep the text untrimmed."""
    lines = _split(body)
    long = len(lines) > EXAMINE_HEAD + EXAMINE_TAIL
    joined = None  # the lines joined, for the searches of the whole text: the body itself
    if long:  # when _split had nothing to take apart
        joined = body if "\r" not in body and ":" not in body else "\n".join(lines)
    candidates = candidate_lines(lines, joined) if long else range(len(lines))
    if new_thread and _forwards(lines, candidates):
        return Trimmed(_tidy([line for line in lines if not is_device_line(line)]))
    view = condense(lines, candidates, joined)
    mail = _Mail(view.lines, view.examined)
    text = _tidy(view.expand(lines, mail.new_lines()))
    if _says_nothing(text):
        attached = {j for h in mail.attached for j in range(h.start, h.end + 1)}
        untrimmed = _tidy(view.expand(lines, (
            i for i in range(len(view.lines))
            if mail.kinds[i] not in (QUOTE, DEVICE) and i not in attached)))
        if _words(untrimmed) > _words(text):
            log.info("reply kept untrimmed: trimming left %d of its %d words",
                     _words(text), _words(untrimmed))
            return Trimmed(untrimmed, kept_untrimmed=True)
    return Trimmed(text)


def _split(body: str) -> list[str]:
    """Lines, with a quote header that shares its line with text split off it."""
    if "\r" in body:
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    lines = body.split("\n")
    if ":" not in body:
        return lines
    out: list[str] = []
    for line in lines:
        # an inline header ends "wrote:" or names a time: never without a colon
        found = inline_header(line) if ":" in line and len(line) <= MAX_LINE else None
        if found is None:
            out.append(line)
            continue
        start, end = found
        before, header, after = line[:start].rstrip(" -"), line[start:end], line[end:]
        out.extend(part for part in (before, header) if part.strip())
        if after.strip():
            out.append(after.strip())
    return out


class _Mail:
    """The lines of one mail, classified once; those not `examined` only as text, blank or
    quoted."""

    def __init__(self, lines: list[str], seen: list[bool] | None = None) -> None:
        self.lines = lines
        # a line that can only be plain text, blank or quoted is read as one
        plain = plain_lines(lines)
        examined: Callable[[int], bool] = (
            (lambda i: not plain[i]) if seen is None else (lambda i: seen[i] and not plain[i]))
        self.kinds = [_kind(lines, i) if examined(i) else _plain_kind(lines[i])
                      for i in range(len(lines))]
        for i in range(1, len(lines) - 1):
            if self.kinds[i] == TEXT and _wrapped_quote(lines, self.kinds, i):
                self.kinds[i] = QUOTE
        self.blocks: dict[int, int] = {}
        parsed = [field(line) if kind == TEXT and examined(i) else None
                  for i, (line, kind) in enumerate(zip(lines, self.kinds, strict=True))]
        i = 0
        while i < len(lines):
            if parsed[i] is None or (i > 0 and parsed[i - 1] is not None):
                i += 1  # a block starts at the first of its fields
                continue
            end = header_block(lines, i, parsed)
            if end is not None:
                self.blocks[i] = end
                self.kinds[i:end] = [BLOCK] * (end - i)
                i = end
            else:
                i += 1
        self.attached: list[Header] = []  # quote headers above quoted text
        self.cutting: dict[int, Header] = {}  # quote headers above unquoted history
        for i in range(len(lines)):
            if not examined(i):
                continue
            if self.kinds[i] == QUOTE:
                header = broken_quote_header(lines, i)
                if header is None or any(self.kinds[j] not in (TEXT, EMPTY)
                                         for j in range(header.start, header.end)):
                    continue
            elif self.kinds[i] == TEXT:
                header = quote_header(lines, i)
                if header is None or any(self.kinds[j] != TEXT
                                         for j in range(header.start, header.end + 1)):
                    continue
            else:
                continue
            after = _next_kind(self.kinds, i + 1)
            if after in (QUOTE, None):  # quoted text follows, or nothing does
                self.attached.append(header)
            elif header.strong or (header.needs_gap and (
                    i + 1 >= len(lines) or self.kinds[i + 1] in (EMPTY, BLOCK))):
                self.cutting[header.start] = header
            else:
                continue
            self.kinds[header.start:header.end + 1] = [HEADER] * (header.end - header.start + 1)

    def new_lines(self) -> list[int]:
        """The indexes of the lines the member wrote, in order."""
        region = self._before_history()
        region = self._without_history_quotes(region)
        last_text = next((i for i in reversed(region) if self.kinds[i] == TEXT), -1)
        kept = [i for i in region if self.kinds[i] != DEVICE
                and (self.kinds[i] != RULE or i < last_text)]  # a rule inside a post stays
        start = signature_start([self.lines[i] for i in kept])
        return kept if start is None else kept[:start]

    def _before_history(self) -> list[int]:
        """Lines before history starts; markers of history with nothing above them are
        dropped alone (a forward without a word, or an answer written below)."""
        kinds, n = self.kinds, len(self.lines)
        if not self.blocks and not self.cutting and not any(
                k in kinds for k in (SEPARATOR, FOOTER, DEVICE, SIG)):
            return list(range(n))  # no marker of history
        answered_after = _answered_quotes_after(kinds)
        dropped: set[int] = set()
        text_above = False
        i = 0
        while i < n:
            kind, span = kinds[i], None
            if i in self.blocks:
                span = range(i, self.blocks[i])
            elif kind == SEPARATOR:
                j = i + 1
                while j < n and kinds[j] == EMPTY:
                    j += 1
                span = range(i, self.blocks.get(j, i + 1))
            elif i in self.cutting:
                span = range(i, self.cutting[i].end + 1)
            elif kind == FOOTER:
                span = range(i, n)
            elif kind in (DEVICE, SIG):
                if text_above and not answered_after[i]:
                    return [j for j in range(i) if j not in dropped]
                span = range(i, _signature_end(kinds, i) if kind == SIG else i + 1)
                dropped.update(span)
                i = span.stop
                continue
            if span is not None:
                if text_above:
                    return [j for j in range(i) if j not in dropped]
                dropped.update(span)
                i = span.stop
                continue
            text_above = text_above or kind == TEXT
            i += 1
        return [j for j in range(n) if j not in dropped]

    def _without_history_quotes(self, region: list[int]) -> list[int]:
        """`region` without quoted history: quoted runs nobody answers, the one quoted run
        of a bottom-posted reply, quote headers; answered runs of interleaved replies stay."""
        kinds = self.kinds
        if QUOTE not in kinds and HEADER not in kinds:
            return region
        headers = {h.end: h for h in self.attached}
        runs: list[tuple[int, int, Header | None]] = []  # positions in region, inclusive
        p = 0
        while p < len(region):
            if kinds[region[p]] != QUOTE:
                p += 1
                continue
            start = end = p
            while p < len(region) and kinds[region[p]] in (QUOTE, EMPTY):
                if kinds[region[p]] == QUOTE:
                    end = p
                p += 1
            above = start - 1
            while above >= 0 and kinds[region[above]] == EMPTY:
                above -= 1
            header = headers.get(region[above]) if above >= 0 else None
            if header is None and _starts_with_header(self.lines, region[start]):
                header = Header(region[start], region[start], strong=True)
            runs.append((start, end, header))
            p = end + 1
        last_text = max((p for p, i in enumerate(region) if kinds[i] == TEXT), default=-1)
        answered = [end < last_text for _, end, _ in runs]
        bottom_post = sum(answered) == 1 and runs[answered.index(True)][2] is not None
        drop: set[int] = {p for p, i in enumerate(region) if kinds[i] == HEADER}
        for (start, end, header), is_answered in zip(runs, answered, strict=True):
            first = start
            while first > 0 and kinds[region[first - 1]] == EMPTY and header is not None:
                first -= 1
                drop.add(first)  # the blank lines between a dropped header and its quote
            if is_answered and not bottom_post:
                while start <= end and _empty_quote(self.lines[region[start]]):
                    drop.add(start)
                    start += 1
                while end >= start and _empty_quote(self.lines[region[end]]):
                    drop.add(end)
                    end -= 1
                continue
            stop = end + 1
            while stop < len(region) and kinds[region[stop]] == EMPTY:
                stop += 1  # the blank lines after a dropped quote go with it
            drop.update(range(start, stop))
        return [i for p, i in enumerate(region) if p not in drop]


def _plain_kind(line: str) -> str:
    s = line.strip()
    return EMPTY if not s else QUOTE if s.startswith(">") else TEXT


def _kind(lines: list[str], i: int) -> str:
    """What line i is, on its own (headers and header blocks are found afterwards)."""
    line = lines[i]
    s = line.strip()
    if not s or s == "ᐧ":
        return EMPTY
    if len(line) > MAX_LINE:
        return TEXT
    if s.startswith(">"):
        return QUOTE
    if is_sig_dash(line):
        return SIG
    if is_separator(s):
        return SEPARATOR
    if is_device_line(s):
        return DEVICE
    if footer_start(lines, i):
        return FOOTER
    if is_rule(s):
        return RULE
    return TEXT


def _starts_with_header(lines: list[str], i: int) -> bool:
    """Quoted text that opens with its own quote header (Apple Mail quotes the header)."""
    unquoted = [re.sub(r"^\s*>\s?", "", line) for line in lines[i:i + 3]]
    return any((h := quote_header(unquoted, end)) is not None and h.start == 0
               for end in range(len(unquoted)))


def _wrapped_quote(lines: list[str], kinds: list[str], i: int) -> bool:
    """An unquoted line inside quoted text that is the tail of the quoted line above it,
    wrapped by a mail program: it continues a long line (or an open parenthesis) in
    lower case, and quoted text goes on right below it."""
    if kinds[i - 1] != QUOTE or kinds[i + 1] != QUOTE:
        return False
    above, s = lines[i - 1].strip(), lines[i].strip()
    if above.endswith(("?", "!", ":")):
        return False  # a question, answered right below it
    if s[0] in "(<" and "http" in s:
        return True  # a link a program moved onto its own line
    return (s[0].islower() or s[0] in "_)]") and (
        len(above) >= 60 or above.count("(") > above.count(")"))


def _next_kind(kinds: list[str], i: int) -> str | None:
    while i < len(kinds) and kinds[i] == EMPTY:
        i += 1
    return kinds[i] if i < len(kinds) else None


def _answered_quotes_after(kinds: list[str]) -> list[bool]:
    """[i]: quoted lines after line i are followed by text (an interleaved answer)."""
    out = [False] * len(kinds)
    seen_text = answered = False
    for i in range(len(kinds) - 1, -1, -1):
        out[i] = answered
        if kinds[i] == TEXT:
            seen_text = True
        elif kinds[i] == QUOTE and seen_text:
            answered = True
    return out


def _signature_end(kinds: list[str], i: int) -> int:
    """The end (exclusive) of a "-- " signature starting on line i: up to a blank line,
    quoted text or a quote header."""
    j = i + 1
    while j < len(kinds) and kinds[j] not in (EMPTY, QUOTE, HEADER):
        j += 1
    return j


def _empty_quote(line: str) -> bool:
    return not line.strip().lstrip(">").strip()


def _forwards(lines: list[str], candidates: Iterable[int]) -> bool:
    """A separator or a header block: only a line with a colon or a pair of dashes can
    start one (`candidates` has them all)."""
    return any(is_separator(lines[i].strip()) or (field(lines[i]) is not None
                                                  and header_block(lines, i) is not None)
               for i in candidates)


def _says_nothing(text: str) -> bool:
    # the first line that is no greeting decides, nearly always in the first few: those are
    # looked at before the whole text is split (the last line of the look may be cut)
    look = text[:1000].splitlines()[:-1] if len(text) > 1000 else []
    if any(line.strip() and not is_greeting(line) for line in look):
        return False
    return all(is_greeting(line) for line in text.splitlines() if line.strip())


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def _tidy(lines: list[str]) -> str:
    """Trailing spaces, blank lines and rules (left above cut history) out; runs of blank
    lines made one."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or is_rule(lines[end - 1])
                   or lines[end - 1].strip() == "ᐧ"):
        end -= 1
    text = "\n".join(map(str.rstrip, lines[:end]))
    return (_BLANK_RUN.sub("\n\n", text) if "\n\n\n" in text else text).strip()


_BLANK_RUN = re.compile(r"\n\n\n+")
