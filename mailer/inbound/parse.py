"""Raw bytes -> Mail. Pure. Charsets degrade, never crash; one message's cost is bounded.

A message that breaks the bounds (size, header count, MIME depth or part count) or that the
`email` package cannot make sense of raises MailError: the daemon quarantines it, raw bytes
kept, and goes on.
"""

from __future__ import annotations

import codecs
import hashlib
import mimetypes
import re
from datetime import datetime
from email import policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from mailer.errors import MailError
from mailer.model import Attachment, Mail

MAX_BYTES = 25 * 2**20
MAX_HEADERS = 500
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
_MSGID = re.compile(r"<[^<>\s]+>")
# RFC 5322 atext, ASCII
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def parse_mail(raw: bytes, max_bytes: int = MAX_BYTES) -> Mail:
    if len(raw) > max_bytes:
        raise MailError(f"message is {len(raw)} bytes, over the limit of {max_bytes}")
    _check_header_count(raw)
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    except Exception as exc:  # the email package raises many kinds on hostile input
        raise MailError(f"unparseable message: {type(exc).__name__}: {exc}") from exc
    _check_structure(msg)
    message_id = _first_id(_header(msg, "message-id")) or _synthetic_id(raw)
    # addresses are parsed before any encoded word is decoded (RFC 2047 section 5): a name
    # like =?utf-8?q?Siti=0D=0ABcc=3A_x=40evil=2Enet?= stays a name, never an address
    from_name, from_addr = parseaddr(_address_header(msg, "from"))
    from_name = _header_text(from_name)
    if not _ADDRESS.match(from_addr.strip()):
        from_addr = ""  # no address we could ever answer: treated as no sender at all
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
        message_id=message_id,
        from_addr=from_addr.strip().lower(),
        from_name=from_name.strip(),
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
    )


def _check_header_count(raw: bytes) -> None:
    end = raw.find(b"\r\n\r\n")
    end = raw.find(b"\n\n") if end < 0 else end
    head = raw if end < 0 else raw[:end]
    count = sum(1 for line in head.splitlines() if line[:1] not in (b" ", b"\t"))
    if count > MAX_HEADERS:
        raise MailError(f"message has {count} header lines, over the limit of {MAX_HEADERS}")


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
    """An address header as it came: encoded words left encoded, line breaks unfolded."""
    value = msg.get(name)
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)  # a Header when raw 8-bit
    return text.replace("\r", "").replace("\n", " ").replace("\x00", "")[:MAX_ADDRESS_CHARS]


def _header_text(value: object) -> str:
    # compat32 gives a str, or a Header object when the raw header held 8-bit bytes;
    # decode_header takes both and yields (bytes, charset) or (str, None) chunks
    try:
        chunks = decode_header(value)  # type: ignore[arg-type]
    except Exception:  # broken encoded words: keep the characters that are there
        chunks = [(repr(value) if not isinstance(value, str) else value, None)]
    text = "".join(_decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
                   for chunk, charset in chunks)
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


def html_to_text(html: str) -> str:
    """Readable text from HTML mail: paragraphs kept, links kept as 'text (url)'."""
    import html2text

    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True  # no **bold** around Outlook's "From:" and the like
    converter.inline_links = True
    converter.protect_links = False
    converter.use_automatic_links = False
    converter.unicode_snob = True
    try:
        text = converter.handle(html)
    except Exception:  # html2text on hostile markup: fall back to stripping tags
        text = re.sub(r"<[^>]+>", " ", html)
    text = _MARKDOWN_LINK.sub(_readable_link, text)
    text = re.sub(r"^[ \t]*\* \* \*[ \t]*$", "_" * 32, text, flags=re.M)  # <hr>
    text = "\n".join(line.rstrip() for line in text.replace("\xa0", " ").split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)(?: \"[^\"]*\")?\)")


def _readable_link(match: re.Match[str]) -> str:
    """[text](url) as members read it: 'text (url)', or just the URL or address."""
    text, url = match.group(1).strip(), match.group(2)
    if not text or text == url or url == f"mailto:{text}":
        return text or url
    return f"{text} ({url})"
