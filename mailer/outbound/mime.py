"""A small MIME writer for the messages we build ourselves. Pure.

Python's `email` package parses every header it is given into objects and back, which costs
more than everything else in sending a post (measured: ~22 header parses, ~4 ms per copy).
Our own messages have a fixed shape, so they are written directly: header lines (RFC 2047
for non-ASCII), quoted-printable text parts (binascii, in C), CRLF throughout. A post is
written once; each member's copy is that plus its own To and Reply-To lines.
"""

from __future__ import annotations

import binascii
import hashlib
from email.utils import formataddr

MAX_LINE = 998


class HeaderInjection(ValueError):
    """A header value built from member or template data held a line break."""


def check_header(value: str, limit: int = MAX_LINE - 100) -> str:
    if "\r" in value or "\n" in value or "\x00" in value:
        raise HeaderInjection(f"line break in header value {value[:60]!r}")
    return value[:limit]


def encode_text(value: str) -> str:
    """An unstructured header value (Subject), RFC 2047 words when it is not plain ASCII.
    Cut at `check_header`'s limit; any length and script folds (see `encode_words`). White
    space around it means nothing in a header and readers drop it unevenly: it goes."""
    value = check_header(value).strip()
    return value if _plain(value) else encode_words(value)


def encode_address(name: str, address: str) -> str:
    """'Budi Santoso <budi@example.org>', the name quoted or RFC 2047-encoded as needed."""
    name, address = check_header(name), check_header(address)
    if not name or _plain(name):
        return formataddr((name, address))
    return f"{encode_words(name, phrase=True)} <{address}>"


def encode_words(text: str, phrase: bool = False) -> str:
    """`text` for a header, folding at any length and in any script: plain ASCII words stay
    as they are, each run of the others becomes RFC 2047 encoded words of at most 75
    characters (68 here), so `_fold` can break the line between any two words and no line
    grows past 78 characters. A word holds whole characters (RFC 2047 section 5) and
    breaks after a space where it can: readers join adjacent encoded words without the
    space between them (Python's address parser keeps it, so a break inside a word shows
    there as a space). In a display name (`phrase`) a plain word must be an atom."""
    out: list[str] = []
    run: list[str] = []
    for token in text.split(" "):
        if (token or not run) and _plain_word(token, phrase):
            if run:
                out += _encoded_run(" ".join(run))
                run = []
            out.append(token)
        else:
            run.append(token)
    if run:
        out += _encoded_run(" ".join(run))
    return " ".join(out)


def _encoded_run(text: str) -> list[str]:
    """Encoded words for `text`, base64 or Q (whichever is shorter; Q with only the
    characters a display name allows, so the same words serve everywhere)."""
    data = text.encode("utf-8")
    base64 = 4 * -(-len(data) // 3) < _q_length(data)
    words: list[str] = []
    chunk: list[bytes] = []
    after_space = 0  # where `chunk` may break: just after its last space
    for char in text:
        raw = char.encode("utf-8")
        while chunk and _encoded_length([*chunk, raw], base64) > _ROOM:
            cut = after_space or len(chunk)
            words.append(_word(b"".join(chunk[:cut]), base64))
            chunk, after_space = chunk[cut:], 0
        chunk.append(raw)
        if char == " ":
            after_space = len(chunk)
    words.append(_word(b"".join(chunk), base64))
    return words


def _encoded_length(chunk: list[bytes], base64: bool) -> int:
    data = b"".join(chunk)
    return 4 * -(-len(data) // 3) if base64 else _q_length(data)


def _q_length(data: bytes) -> int:
    return len(data) + 2 * sum(1 for byte in data if byte not in _Q_SAFE and byte != 0x20)


# RFC 2047 allows 75 characters a word; 68 keep even the first line, "Reply-To: " and a
# word, within 78
_ROOM = 68 - len("=?utf-8?b??=")  # what one encoded word has for its encoded text
_Q_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/")
_ATEXT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                   "!#$%&'*+-/=?^_`{|}~")


def _word(data: bytes, base64: bool) -> str:
    if base64:
        return f"=?utf-8?b?{binascii.b2a_base64(data, newline=False).decode()}?="
    text = "".join(chr(b) if b in _Q_SAFE else "_" if b == 0x20 else f"={b:02X}" for b in data)
    return f"=?utf-8?q?{text}?="


def _plain(value: str) -> bool:
    """Whether a value can go as it is: ASCII, printable, no word too long to fold, and
    nothing a reader would take for an encoded word."""
    return (value.isascii() and value.isprintable() and "=?" not in value
            and all(len(word) <= 76 for word in value.split(" ")))


def _plain_word(word: str, phrase: bool) -> bool:
    """An empty word (two spaces in a row) is plain unless it follows encoded text: between
    two encoded words, readers would drop the spaces."""
    return _plain(word) and (not phrase or all(c in _ATEXT for c in word))


def header_lines(headers: list[tuple[str, str]]) -> bytes:
    """Header lines, each value already encoded; long ones folded at a space."""
    out = []
    for name, value in headers:
        check_header(value, MAX_LINE)
        out.append(_fold(f"{name}: {value}"))
    return "".join(out).encode("utf-8")


def _fold(line: str) -> str:
    if len(line) <= 78:
        return line + "\r\n"
    name, *words = line.split(" ")
    parts, current = [], name
    for i, word in enumerate(words):
        # the value's first word stays beside the field name: some readers take a value
        # that starts on the next line to begin with a space
        if i and current.strip() and len(current) + 1 + len(word) > 78:
            parts.append(current)
            current = word
        else:
            current = f"{current} {word}"
    parts.append(current)
    return "\r\n ".join(parts) + "\r\n"


def text_part(content: str, subtype: str) -> bytes:
    """A text/plain or text/html part, UTF-8, quoted-printable."""
    if "\r" in content:
        content = content.replace("\r\n", "\n")
    body = content.encode("utf-8").replace(b"\n", b"\r\n")  # no UTF-8 sequence has a \n
    head = (f"Content-Type: text/{subtype}; charset=\"utf-8\"\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n")
    # the CRLF before a boundary belongs to the boundary (RFC 2046 5.1.1): one more keeps
    # the text's own last line break
    return b"".join((head.encode(), binascii.b2a_qp(body, istext=True), b"\r\n"))


def alternative(text: str, html: str) -> bytes:
    """multipart/alternative with the plain-text part first, headers included."""
    plain, rich = text_part(text, "plain"), text_part(html, "html")
    digest = hashlib.sha256(plain)
    digest.update(rich)
    boundary = "=_cop_" + digest.hexdigest()[:24]
    head = f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"
    return b"".join((f"{head}--{boundary}\r\n".encode(), plain, f"--{boundary}\r\n".encode(),
                     rich, f"--{boundary}--\r\n".encode()))
