"""Where each key of a TOML document stands: key path -> line number.

`tomllib` parses but forgets positions; validation messages must name the line. This module
reads the same text a second, shallow time and records, for every table header and every
`key = value`, the path tomllib gives that value, e.g. ("community", 0, "member", 1, "email").
Elements of a multi-line array get their own line too: ("community", 0, "meeting", 0,
"breaks", 2).

Only valid TOML is located (tomllib has already accepted it), so the scanner can be lenient.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

Path = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def locate_keys(text: str) -> dict[Path, int]:
    """Map every key path in `text` to the 1-based line where it is defined."""
    lines: dict[Path, int] = {}
    array_counts: dict[Path, int] = {}
    table: Path = ()
    chars = _Chars(text)
    while not chars.done():
        chars.skip_blank_and_comments()
        if chars.done():
            break
        line = chars.line
        if chars.peek() == "[":
            is_array = chars.peek(2) == "[["
            chars.advance(2 if is_array else 1)
            keys = chars.read_key()
            chars.skip_to_eol()
            table = _resolve(tuple(keys), array_counts)
            if is_array:
                index = array_counts.get(table, -1) + 1
                array_counts[table] = index
                table = (*table, index)
            lines.setdefault(table, line)
            continue
        keys = chars.read_key()
        if not keys:
            chars.skip_to_eol()
            continue
        path = (*table, *keys)
        lines[path] = line
        chars.expect("=")
        chars.read_value(path, lines)
    return lines


def line_of(lines: dict[Path, int], path: Path) -> int:
    """The line of `path`, or of its nearest located ancestor (1 if none)."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return 1


def _resolve(keys: Path, array_counts: dict[Path, int]) -> Path:
    """Turn a header's dotted name into a path, entering the latest element of each array."""
    resolved: Path = ()
    for key in keys:
        resolved = (*resolved, key)
        if resolved in array_counts and key is not keys[-1]:
            resolved = (*resolved, array_counts[resolved])
    return resolved


class _Chars:
    """A cursor over the text that knows the current line."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def done(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def advance(self, n: int = 1) -> None:
        chunk = self.text[self.pos : self.pos + n]
        self.line += chunk.count("\n")
        self.pos += n

    def skip_spaces(self) -> None:
        while self.peek() in (" ", "\t") and not self.done():
            self.advance()

    def skip_blank_and_comments(self) -> None:
        while not self.done():
            c = self.peek()
            if c in " \t\r\n":
                self.advance()
            elif c == "#":
                self.skip_to_eol()
            else:
                return

    def skip_to_eol(self) -> None:
        end = self.text.find("\n", self.pos)
        self.advance((len(self.text) if end < 0 else end + 1) - self.pos)

    def expect(self, c: str) -> None:
        self.skip_spaces()
        if self.peek() == c:
            self.advance()

    def read_key(self) -> list[str | int]:
        keys: list[str | int] = []
        while True:
            self.skip_spaces()
            c = self.peek()
            if c in ('"', "'"):
                keys.append(self.read_string())
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                if not match:
                    return keys
                keys.append(match.group())
                self.advance(match.end() - self.pos)
            self.skip_spaces()
            if self.peek() != ".":
                return keys
            self.advance()

    def read_string(self) -> str:
        quote = self.peek()
        if self.peek(3) == quote * 3:
            self.advance(3)
            end = self.text.find(quote * 3, self.pos)
            end = len(self.text) if end < 0 else end
            while self.text[end + 3 : end + 4] == quote:  # """a"""" ends with a quote inside
                end += 1
            value = self.text[self.pos : end]
            self.advance(end + 3 - self.pos)
            return value
        self.advance()
        out = []
        while not self.done() and self.peek() != quote and self.peek() != "\n":
            if quote == '"' and self.peek() == "\\":
                out.append(self.peek(2))
                self.advance(2)
                continue
            out.append(self.peek())
            self.advance()
        self.advance()
        return "".join(out)

    def read_value(self, path: Path, lines: dict[Path, int]) -> None:
        self.skip_spaces()
        c = self.peek()
        if c in ('"', "'"):
            self.read_string()
        elif c == "[":
            self.advance()
            for index in self._elements("]"):
                lines.setdefault((*path, index), self.line)
                self.read_value((*path, index), lines)
        elif c == "{":
            self.advance()
            for _ in self._elements("}"):
                keys = self.read_key()
                sub = (*path, *keys)
                lines.setdefault(sub, self.line)
                self.expect("=")
                self.read_value(sub, lines)
        else:
            while not self.done() and self.peek() not in ",]}\n#":
                self.advance()

    def _elements(self, close: str) -> Iterator[int]:
        """Yield 0, 1, 2 ... positioned at each element until `close`."""
        index = 0
        while True:
            self.skip_blank_and_comments()
            if self.done() or self.peek() == close:
                self.advance()
                return
            if self.peek() == ",":
                self.advance()
                continue
            start = self.pos
            yield index
            index += 1
            if self.pos == start:  # nothing consumed: avoid spinning on odd input
                self.advance()
