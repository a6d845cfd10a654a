"""Raw bytes -> Mail. Pure. Charsets degrade, never crash; one message's cost is bounded.

A message that breaks the bounds (size, header count, MIME depth or part count) or that the
`email` package cannot make sense of raises MailError: the daemon quarantines it, raw bytes
kept, and goes on; `read_heading` reads what it can of such a message (who sent it, its
Message-ID and subject) so that its sender and the organizers can be told.

Trace fields (Received and the like, which every server on the way adds) do not count
against the header limit: a member's post that came through a loop of forwards is read
with its newest MAX_TRACE_HEADERS of them.
"""

from __future__ import annotations

import codecs
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from mailer.errors import MailError
from mailer.inbound.flowed import unflow
from mailer.inbound.html import html_to_text
from mailer.model import Attachment, Mail

MAX_BYTES = 25 * 2**20
MAX_HEADERS = 500  # fields other than trace fields
MAX_TRACE_HEADERS = 100  # trace fields read, the newest; the archive keeps them all
MAX_HEAD_BYTES = 2**20  # what read_heading reads of a message it cannot parse
MAX_DEPTH = 20
MAX_PARTS = 500
MAX_TEXT_CHARS = 200_000
MAX_HEADER_CHARS = 2_000  # what processing reads of one header; the archive keeps it all
MAX_ADDRESS_CHARS = 20_000  # of one address header (To with a few hundred people fits)

KEPT_HEADERS = (
    "auto-submitted", "precedence", "x-autoreply", "x-autorespond", "x-auto-response-suppress",
    "list-id", "list-unsubscribe", "x-loop", "x-cop-loop", "return-path", "content-type",
    "sender", "reply-to", "x-failed-recipients", "x-mailer", "delivered-to",
)  # fmt: skip
ADDRESS_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "envelope-to",
                   "x-cop-envelope-to")
TRACE_HEADERS = (b"received", b"x-received", b"return-path", b"delivered-to", b"arc-",
                 b"authentication-results", b"dkim-signature", b"x-google-dkim-signature")
_MSGID = re.compile(r"<[^<>\s]{1,500}>")  # longer ones could not be written on one line
# RFC 5322 atext, ASCII
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_LAST_ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s]+)\s*>\s*$")


def parse_mail(raw: bytes, max_bytes: int = MAX_BYTES) -> Mail:
    if len(raw) > max_bytes:
        raise MailError(f"message is {len(raw)} bytes, over the limit of {max_bytes}")
    limited = _limit_headers(raw)
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(limited)
    except Exception as exc:  # the email package raises many kinds on hostile input
        raise MailError(f"unparseable message: {type(exc).__name__}: {exc}") from exc
    _check_structure(msg)
    from_name, from_addr = _sender(msg)
    to_addrs = tuple(
        addr.lower() for _, addr in getaddresses([_address_header(msg, h)
                                                  for h in ADDRESS_HEADERS])
        if "@" in addr
    )
    references = _MSGID.findall(_header(msg, "references"))
    in_reply_to = _MSGID.findall(_header(msg, "in-reply-to"))
    ids = tuple(dict.fromkeys([*in_reply_to, *reversed(references)]))
    text, attachments, calendar, files = _body(msg)
    return Mail(
        message_id=_first_id(_header(msg, "message-id")) or _synthetic_id(raw),
        from_addr=from_addr,
        from_name=from_name,
        to_addrs=tuple(dict.fromkeys(to_addrs)),
        subject=_header(msg, "subject").strip(),
        date=_date(_header(msg, "date")),
        in_reply_to=ids,
        headers={h: _header(msg, h) for h in KEPT_HEADERS if msg.get(h) is not None},
        text=text[:MAX_TEXT_CHARS],
        attachments=tuple(attachments),
        calendar=calendar,
        size=len(raw),
        auth_results=tuple(_header_text(v)
                           for v in (msg.get_all("authentication-results") or [])[:20]),
        files=files,
        fingerprint=_fingerprint(msg, raw),
    )


@dataclass(frozen=True)
class Heading:
    """What can be read of a message that cannot be processed: enough to tell its sender and
    the organizers about it, and to know it when it comes again."""

    message_id: str
    from_addr: str
    from_name: str
    subject: str
    to_addrs: tuple[str, ...]
    automatic: bool  # Auto-Submitted or Precedence bulk/junk/list: never answered
    fingerprint: str


def read_heading(raw: bytes) -> Heading:
    """The header fields of any bytes, never failing (at worst every field is empty)."""
    head = raw[:min(_head_end(raw), MAX_HEAD_BYTES)]
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(head + b"\r\n\r\n",
                                                              headersonly=True)
    except Exception:  # hostile bytes: the heading of nothing
        msg = Message()
    from_name, from_addr = _sender(msg)
    to_addrs = tuple(dict.fromkeys(
        addr.lower() for _, addr in getaddresses([_address_header(msg, h)
                                                  for h in ADDRESS_HEADERS])
        if "@" in addr))
    auto = _header(msg, "auto-submitted").strip().lower()
    automatic = (auto not in ("", "no")
                 or _header(msg, "precedence").strip().lower() in ("bulk", "junk", "list"))
    return Heading(_first_id(_header(msg, "message-id")) or _synthetic_id(raw), from_addr,
                   from_name, _header(msg, "subject").strip(), to_addrs, automatic,
                   _fingerprint(msg, raw))


def _sender(msg: Message) -> tuple[str, str]:
    """(name, address) from From. The address is parsed before any encoded word is decoded
    (RFC 2047 section 5): a name like =?utf-8?q?Siti=0D=0ABcc=3A_x=40evil=2Enet?= stays a
    name, never an address. When an unbalanced "(" or quote (a stray byte in a name) makes
    the whole field read as a comment, the last <address> in it is taken."""
    value = _address_header(msg, "from")
    name, address = parseaddr(value)
    if not _ADDRESS.match(address.strip()):
        match = _LAST_ANGLE_ADDRESS.search(value)
        if match is None or not _ADDRESS.match(match.group(1)):
            return "", ""  # no address we could ever answer: treated as no sender at all
        name, address = value[:match.start()].strip().strip('"'), match.group(1)
    return _header_text(name).strip(), address.strip().lower()


def _fingerprint(msg: Message, raw: bytes) -> str:
    """What a message says, to tell a second copy (same Message-ID, same content: a
    duplicate) from a different message under a reused Message-ID: sender, subject and the
    body's bytes, not the trace fields each copy gathers on its way."""
    digest = hashlib.sha256()
    for name in ("from", "subject"):
        value = msg.get(name)
        text = (value if isinstance(value, str) else str(value or ""))[:MAX_HEADER_CHARS]
        digest.update(" ".join(text.split()).encode("utf-8", "replace") + b"\x00")
    digest.update(raw[_head_end(raw):].replace(b"\r\n", b"\n").strip())
    return digest.hexdigest()[:16]


def _head_end(raw: bytes) -> int:
    """Where the header block ends (the blank line), or the end when there is none."""
    end = raw.find(b"\r\n\r\n")
    end = raw.find(b"\n\n") if end < 0 else end
    return len(raw) if end < 0 else end


def _limit_headers(raw: bytes) -> bytes:
    """`raw` to parse: over MAX_HEADERS fields (trace fields not counted) is an error; of
    the trace fields, the first MAX_TRACE_HEADERS (the newest) are kept, the rest left out."""
    end = _head_end(raw)
    kept: list[bytes] = []
    fields = traces = 0
    dropping = False
    for line in raw[:end].split(b"\n"):
        if line[:1] not in (b" ", b"\t"):  # a field's first line; the others fold it
            if line.split(b":", 1)[0].strip().lower().startswith(TRACE_HEADERS):
                traces += 1
                dropping = traces > MAX_TRACE_HEADERS
            else:
                fields += 1
                dropping = False
        if not dropping:
            kept.append(line)
    if fields > MAX_HEADERS:
        raise MailError(f"message has {fields} header fields, over the limit of "
                        f"{MAX_HEADERS} (Received and other trace fields not counted)")
    return raw if traces <= MAX_TRACE_HEADERS else b"\n".join(kept) + raw[end:]


def _check_structure(msg: Message) -> None:
    parts = 0
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        parts += 1
        if depth > MAX_DEPTH:
            raise MailError(f"MIME nesting deeper than {MAX_DEPTH} levels")
        if parts > MAX_PARTS:
            raise MailError(f"more than {MAX_PARTS} MIME parts")
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            stack.extend((p, depth + 1) for p in payload if isinstance(p, Message))


def _header(msg: Message, name: str) -> str:
    """A header decoded to text (RFC 2047, any charset, raw 8-bit); '' when absent."""
    value = msg.get(name)
    if value is None:
        return ""
    return _header_text(value)


def _address_header(msg: Message, name: str) -> str:
    """An address header as it came: encoded words left encoded, raw 8-bit read as UTF-8
    (RFC 6532), line breaks unfolded."""
    value = msg.get(name)
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    else:  # a Header when raw 8-bit: its chunks are the bytes as they came
        text = "".join(_decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
                       for chunk, charset in decode_header(value))
    return text.replace("\r", "").replace("\n", " ").replace("\x00", "")[:MAX_ADDRESS_CHARS]


def _header_text(value: object) -> str:
    # compat32 gives a str, or a Header object when the raw header held 8-bit bytes;
    # decode_header takes both and yields (bytes, charset) or (str, None) chunks (the
    # text around encoded words in a str comes back as raw-unicode-escape bytes)
    if isinstance(value, str):  # unfolded first: decode_header strips each line's start
        value = _FOLD.sub("", value[:MAX_HEADER_CHARS * 10])  # (encoded words are longer)
    try:
        chunks = decode_header(value)  # type: ignore[arg-type]
    except Exception:  # broken encoded words: keep the characters that are there
        chunks = [(repr(value) if not isinstance(value, str) else value, None)]
    text = "".join(_decode_bytes(chunk, charset or "raw-unicode-escape")
                   if isinstance(chunk, bytes) else chunk for chunk, charset in chunks)
    return text.replace("\r", "").replace("\n", " ").replace("\x00", "")[:MAX_HEADER_CHARS]


def _decode_bytes(data: bytes, charset: str | None) -> str:
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            codecs.lookup(candidate)
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("latin-1")  # never fails; better than dropping the text


def _first_id(value: str) -> str:
    match = _MSGID.search(value)
    return match.group() if match else ""


def _synthetic_id(raw: bytes) -> str:
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id.cop>"


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


def _body(msg: Message) -> tuple[str, list[Attachment], str | None, dict[str, bytes]]:
    plain: str | None = None
    html: str | None = None
    calendar: str | None = None
    attachments: list[Attachment] = []
    files: dict[str, bytes] = {}
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = part.get_filename()
        disposition = _header_text(part.get("content-disposition") or "").split(";")[0]
        disposition = disposition.strip().lower()
        data = _payload_bytes(part)
        if ctype == "text/calendar" and calendar is None:
            calendar = _decode_bytes(data, part.get_content_charset())
            continue
        if filename or disposition == "attachment" or not ctype.startswith("text/"):
            if ctype != "message/rfc822" or filename:
                attachments.append(_attachment(part, ctype, filename, data, len(attachments)))
                files[attachments[-1].sha256] = data
            continue
        text = _decode_bytes(data, part.get_content_charset())
        if ctype == "text/plain" and plain is None:
            plain = text
            if str(part.get_param("format") or "").lower() == "flowed":  # RFC 3676
                plain = unflow(text, str(part.get_param("delsp") or "").lower() == "yes")
        elif ctype == "text/html" and html is None:
            html = text
    if plain is not None and plain.strip():
        body = plain
    elif html is not None:
        body = html_to_text(html)
    else:
        body = plain or ""
    return body.replace("\r\n", "\n").replace("\x00", ""), attachments, calendar, files


def _attachment(part: Message, ctype: str, filename: str | None, data: bytes,
                number: int) -> Attachment:
    """A file as members will get it: a clean name, its hash, and its Content-ID when it is
    an image shown inside HTML mail."""
    content_id = ""
    if ctype.startswith("image/"):
        match = _CONTENT_ID.search(_header_text(part.get("content-id") or ""))
        content_id = match.group(1) if match else ""
    if not filename:
        extension = mimetypes.guess_extension(ctype) or ".bin"
        filename = f"{'gambar' if ctype.startswith('image/') else 'lampiran'}-{number + 1}" \
                   f"{extension}"
    return Attachment(_clean_name(_header_text(filename)), ctype, len(data),
                      sha256=hashlib.sha256(data).hexdigest(), content_id=content_id)


_CONTENT_ID = re.compile(r"<?([A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]{1,200})>?")


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    return payload.encode("utf-8", "replace") if isinstance(payload, str) else b""


def _clean_name(name: str) -> str:
    return re.sub(r"[\x00-\x1f/\\]", "_", name)[:200]
