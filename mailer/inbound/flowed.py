"""format=flowed text (RFC 3676) -> the paragraphs its writer typed. Pure.

A flowed line ends in a space: it goes on in the next line of the same quote depth. A
line with no trailing space (or the signature separator "-- ") ends a paragraph. One
leading space is stuffing, added by the sender, and removed. With DelSp=yes the trailing
space was added too, and goes.
"""

from __future__ import annotations

import re

_QUOTES = re.compile(r"^>+")


def unflow(text: str, delsp: bool = False) -> str:
    """The text with its soft line breaks joined; quoted lines keep their '>' marks."""
    out: list[str] = []
    depth_of_open: int | None = None  # quote depth of a paragraph still flowing
    for raw in text.replace("\r\n", "\n").split("\n"):
        quotes = _QUOTES.match(raw)
        depth = len(quotes.group(0)) if quotes else 0
        line = raw[depth:]
        if line.startswith(" "):
            line = line[1:]  # space-stuffing (also the space after quote marks)
        flowed = line.endswith(" ") and line != "-- "
        if flowed and delsp:
            line = line[:-1]
        if depth_of_open is not None and depth_of_open == depth:
            out[-1] += line
        else:
            out.append((">" * depth + " " if depth else "") + line)
        depth_of_open = depth if flowed else None
    return "\n".join(out)
