"""A post's plain text, read on a phone: lines a mail program wrapped at ~72 columns
joined again, so the HTML part does not show short broken lines. Pure.

A line counts as wrapped when the next line's first word would not have fitted on it
within the widest line of the message: the test a wrapping program applied. Short lines
(a greeting, a signature, a poem), list items, indented and quoted lines and the
signature separator are kept as they are. format=flowed text arrives unflowed already
(inbound/flowed.py), its paragraphs one line each, and goes through unchanged.
"""

from __future__ import annotations

import re

MIN_WIDTH = 60  # below this, nothing was wrapped by a program
_LIST = re.compile(r"^(?:[-*•+·]|\d{1,3}[.)]|[a-zA-Z][.)])\s")


def reflow(text: str) -> str:
    lines = text.split("\n")
    if max(map(len, lines)) < MIN_WIDTH:  # so is every width below: nothing to join
        return text
    plain = [len(line.rstrip()) for line in lines  # lines kept as written set no width
             if line.strip() and not _kept(line) and not _as_written(line)]
    width = max(plain, default=0)
    if width < MIN_WIDTH:
        return text
    out: list[str] = []
    previous = ""  # the last physical line added, as written
    for line in lines:
        if out and _wrapped(previous, line, width):
            out[-1] = out[-1].rstrip() + " " + line
        else:
            out.append(line)
        previous = line
    return "\n".join(out)


def _kept(line: str) -> bool:
    return line.startswith(">") or line.rstrip() == "--"


def _as_written(line: str) -> bool:
    """Indented lines and list items: never joined to the line before."""
    return line[0].isspace() or bool(_LIST.match(line))


def _wrapped(previous: str, line: str, width: int) -> bool:
    if not previous.strip() or not line.strip() or _kept(previous) or _kept(line):
        return False
    if _as_written(line):
        return False
    first_word = line.split(maxsplit=1)[0]
    return len(previous.rstrip()) + 1 + len(first_word) > width
