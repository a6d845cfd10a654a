"""Delivery reports read as a mail server reads them: who failed, and how. Pure.

    read_report(raw, ignore) -> Report: the failed recipients, the returned message's
    envelope and To, and an ARF complaint's fields. In order, the first that names someone:

    1. RFC 3464 message/delivery-status: per recipient Final-/Original-Recipient, Action,
       Status, Diagnostic-Code. The Status decides (grade_failure).
    2. Mailman's detectors (flufl.bounce) for the vendor formats without a Status.
    3. The report's own words (vendors.py): an address next to a failure phrase, a
       RCPT TO that got a 5xx, X-Failed-Recipients.
    4. The returned message: our copies go to one member each, so its To names them.

How a failure is graded (RFC 3463, with the exceptions list servers make):

    status / words                 kind       why
    4.x.x, Action: delayed,        temporary  the server will retry or gave up retrying;
      expired, greylisted                     the address may work tomorrow
    x.2.2, mailbox full, quota     full       a full mailbox empties again (5.2.2 too:
                                              RFC 3463 calls it persistent-transient)
    5.7.x with DMARC/SPF/DKIM or   dmarc      our mail was refused for its authentication:
      5.7.23-5.7.29                           our fault, never the member's
    5.7.x otherwise, 5.6.x,        policy     our mail (content, size, reputation) was
      5.3.4, 5.2.3                            refused, not the address
    every other 5.x.x (5.1.1 ...)  dead       the address does not take mail
    no status                      by the words of the report; a failure with no words: dead
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses

from mailer.inbound.vendors import context_of, report_addresses, report_lines

_STATUS = re.compile(r"(?<![\d.])([45])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)")
_TEXT_FIELDS = re.compile(r"^(final|original)-recipient:", re.I | re.M)
_REPLY = re.compile(r"(?<![\d.])([45])\d\d(?=[ \-])")
_DMARC = re.compile(r"dmarc|\bspf\b|\bdkim\b|authenticat|5\.7\.2[3-9]|sender policy framework"
                    r"|domainkeys|unauthenticated|arc validation", re.I)
_FULL = re.compile(r"mailbox (is |was )?full|full mailbox|over ?quota|quota (exceeded|full)"
                   r"|exceed\w* (the |his |her |their |its |storage |mailbox )*(quota|storage)"
                   r"|insufficient (system )?storage|mailbox size limit|out of (disk )?space"
                   r"|disk quota|storage (space )?(exceeded|full|limit)|user is over|mailbox "
                   r"has exceeded|too much mail|mail ?box(es)? (is |are )?over", re.I)
_TEMPORARY = re.compile(r"temporar|try (again )?later|deferr|delayed|greylist|graylist"
                        r"|retry|will be retried|not yet been delivered|timed? ?out|expired"
                        r"|could not be delivered within|no answer from|connection (refused|"
                        r"reset|lost)|too many (connections|concurrent)|rate limit|throttl"
                        r"|warning: (could not|message)|resources temporarily|have been failing"
                        r"|last tried|not accepting (connections|mail)|service (unavailable|"
                        r"refused|not available)|too many errors|host not reachable|no route to"
                        r"|unable to connect|could not connect|connection timed|warning only"
                        r"|still being retried|will retry|try later", re.I)
_POLICY = re.compile(r"spam|block|blacklist|\brbl\b|reputation|virus|content (was )?"
                     r"(rejected|filter)|message content|denied by policy|policy (violation|"
                     r"reasons|rejection)|relay(ing)? (access )?denied|not permitted to relay"
                     r"|too (large|big)|size (limit|exceeds)|message size|reverse dns|\bptr\b"
                     r"|banned|suspicious|junk|prohibited|not allowed|refused to accept", re.I)
_DEAD = re.compile(r"unknown|no such|not (found|exist|valid|a valid|known)|does ?n[o']t "
                   r"exist|invalid|disabled|inactive|deactivated|suspended|closed|deleted"
                   r"|(mailbox|user|recipient|account|address) (is )?unavailable|no longer"
                   r"|not our customer|unrouteable|undeliverable address"
                   r"|bad destination|no mailbox|couldn't be found|could not be found|has moved"
                   r"|mailbox not available|is not a valid|rejected: recipient|nxdomain|null mx"
                   r"|illegal alias|account (has been )?(expired|locked)", re.I)


@dataclass(frozen=True)
class Failure:
    address: str
    kind: str  # dead | full | temporary | dmarc | policy
    status: str = ""  # RFC 3463, as reported or read from the words; '' when none
    diagnostic: str = ""
    original_recipient: str = ""  # RFC 3464 Original-Recipient, when it differs


@dataclass(frozen=True)
class Report:
    failures: tuple[Failure, ...] = ()
    original_to: tuple[str, ...] = ()  # the returned message's To
    original_envelope: str = ""  # its envelope sender (Return-Path, ARF Original-Mail-From)
    original_id: str = ""
    feedback_type: str = ""  # ARF (RFC 5965): abuse, fraud, ...; '' when not a complaint
    feedback_recipients: tuple[str, ...] = ()  # ARF Original-Rcpt-To, Removal-Recipient


def read_report(raw: bytes, ignore: Collection[str] = ()) -> Report:
    """Whoever the report says failed; `ignore` names our own addresses (never a member)."""
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(raw)
        return _read(msg, raw, {a.lower() for a in ignore})
    except Exception:  # a report too broken to read: nothing attributed, the mail is kept
        return Report()


def grade_failure(status: str, words: str, action: str = "failed") -> str:
    """dead | full | temporary | dmarc | policy; see the table above."""
    status = best_status(status, words)
    if action.lower().startswith(("delayed", "delay")) or status.startswith("4"):
        return "full" if status.startswith("4.2.2") else "temporary"
    _, subject, detail = [*status.split("."), "", "", ""][:3]
    if status and subject == "7":
        if _DMARC.search(words) or detail in {str(n) for n in range(23, 30)}:
            return "dmarc"
        return "policy"
    if status and (subject == "6" or (subject, detail) in {("3", "4"), ("2", "3")}):
        return "policy"
    if status and (subject, detail) == ("2", "2"):
        return "dead" if _DEAD.search(words) and not _FULL.search(words) else "full"
    if status and subject == "1":
        return "dead"
    if _FULL.search(words):
        return "full"
    if _DMARC.search(words) and not _DEAD.search(words):
        return "dmarc"
    if subject in ("", "0", "3", "4", "5") and _TEMPORARY.search(words) \
            and not _DEAD.search(words):
        return "temporary"  # a server or the path failed (5.0.0, 5.4.x), not the mailbox
    if _POLICY.search(words) and not _DEAD.search(words):
        return "policy"
    return "dead"


def best_status(status: str, words: str) -> str:
    """The Status field, made specific by the diagnostic's own code (Postfix writes 5.0.0
    for a 550 5.1.1), else the reply code's class; '' when neither says."""
    field = _STATUS.search(status or "")
    said = _STATUS.search(words or "")
    if field and said and field.group(1) == said.group(1) and field.group(2, 3) == ("0", "0"):
        return said.group(0)
    if field:
        return field.group(0)
    if said:
        return said.group(0)
    reply = _REPLY.search(words or "")
    return f"{reply.group(1)}.0.0" if reply else ""


def _read(msg: Message, raw: bytes, ignore: set[str]) -> Report:
    blocks: list[Message] = []
    feedback: list[Message] = []
    originals: list[Message] = []
    texts: list[str] = []
    _collect(msg, blocks, feedback, originals, texts)
    if not blocks:  # RFC 3464 fields written into the text part (Amazon WorkMail, ...)
        blocks = [HeaderParser().parsestr(b.strip() + "\n")
                  for t in texts for b in re.split(r"\n[ \t]*\n", t.replace("\r", ""))
                  if _TEXT_FIELDS.search(b)]
    original = originals[0] if originals else Message()
    text = "\n".join(texts)
    fields = _fields(feedback)
    envelope = _address(fields.get("original-mail-from", "")) or _address(
        str(original.get("return-path", "")))
    own = ignore | {_address(str(msg.get("from", "")))}  # the reporter is not the failure
    report_to = tuple(a.lower() for _, a in getaddresses(
        [str(v) for v in original.get_all("to") or []]) if "@" in a)
    failures = _from_dsn(blocks, text) or _from_detectors(msg, text, own) \
        or _from_words(msg, text, own) or _from_original(report_to, text, own, msg)
    return Report(
        failures=tuple(failures), original_to=report_to, original_envelope=envelope,
        original_id=str(original.get("message-id", "")).strip(),
        feedback_type=fields.get("feedback-type", "").strip().lower() if feedback
        else ("abuse" if original.get("x-hmxmroriginalrecipient") else ""),
        feedback_recipients=tuple(a for a in (_address(fields.get(k, "")) for k in
                                              ("original-rcpt-to", "removal-recipient")) if a)
        + tuple(_address(str(v)) for v in original.get_all("x-hmxmroriginalrecipient") or []))


def _collect(part: Message, blocks: list[Message], feedback: list[Message],
             originals: list[Message], texts: list[str]) -> None:
    ctype = part.get_content_type()
    payload = part.get_payload()
    if ctype in ("message/delivery-status", "message/global-delivery-status"):
        if isinstance(payload, list):
            blocks.extend(p for p in payload if isinstance(p, Message))
        elif isinstance(payload, str):  # not split into blocks: read the fields ourselves
            blocks.extend(HeaderParser().parsestr(b.strip() + "\n")
                          for b in re.split(r"\n\s*\n", _decoded(part)) if b.strip())
    elif ctype in ("message/feedback-report",):
        if isinstance(payload, list):
            feedback.extend(p for p in payload if isinstance(p, Message))
        else:
            feedback.append(HeaderParser().parsestr(_decoded(part)))
    elif ctype in ("message/rfc822", "message/global") and isinstance(payload, list):
        originals.extend(p for p in payload[:1] if isinstance(p, Message))
    elif ctype in ("text/rfc822-headers", "message/rfc822-headers",
                   "text/global-headers"):
        originals.append(HeaderParser().parsestr(_decoded(part)))
    elif part.is_multipart() and isinstance(payload, list):
        for sub in payload:
            if isinstance(sub, Message):
                _collect(sub, blocks, feedback, originals, texts)
    elif ctype.startswith("multipart/") and isinstance(payload, str):
        texts.append(payload)  # its boundary is not in it (a redacted or broken report)
    elif ctype == "text/plain" or (ctype == "text/html" and not texts):
        text = _decoded(part)
        texts.append(re.sub(r"<[^>]+>", " ", text) if ctype == "text/html" else text)


def _decoded(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode("latin-1")


def _fields(blocks: Iterable[Message]) -> dict[str, str]:
    found: dict[str, str] = {}
    for block in blocks:
        for name, value in block.items():
            found.setdefault(name.lower(), str(value))
    return found


def _address(value: str) -> str:
    """'rfc822; <a@b>' or '<a@b>' -> 'a@b'; '' when there is no address."""
    value = value.split(";", 1)[1] if ";" in value else value
    value = value.strip().strip("<>").strip()
    found = re.search(r"[^\s<>\"'(),;:]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", value)
    return found.group(0).lower().rstrip(".") if found else ""


def _from_dsn(blocks: list[Message], text: str) -> list[Failure]:
    failures: dict[str, Failure] = {}
    for block in blocks:
        finals = block.get_all("final-recipient") or block.get_all("original-recipient") or []
        originals = block.get_all("original-recipient") or []
        for n, final in enumerate(finals):
            address = _address(str(final))
            action = str(block.get("action", "failed")).strip().lower()
            if not address or action.startswith(("delivered", "relayed", "expanded")):
                continue
            diagnostic = " ".join(str(block.get("diagnostic-code", "")).split())
            diagnostic = diagnostic.split(";", 1)[1].strip() if ";" in diagnostic[:12] \
                else diagnostic
            status = str(block.get("status", ""))
            words = diagnostic or context_of(text, address) or text[:2000]
            status = best_status(status, words)
            original = _address(str(originals[n])) if n < len(originals) else ""
            failures.setdefault(address, Failure(
                address, grade_failure(status, words, action), status, diagnostic[:300],
                original if original != address else ""))
    return list(failures.values())


def _from_detectors(msg: Message, text: str, own: set[str]) -> list[Failure]:
    from flufl.bounce import all_failures

    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # one of its detectors on a malformed report
        return []
    failures = []
    for found, temp in ((permanent, False), (temporary, True)):
        for value in sorted(found):
            address = _address(value.decode(errors="replace") if isinstance(value, bytes)
                               else str(value))
            if not address or address in own or not _plausible(address):
                continue
            words = context_of(text, address) or text[:2000]
            status = best_status("", words) or best_status("", _head(text))
            kind = "temporary" if temp else grade_failure(status, words)
            failures.append(Failure(address, kind, status, " ".join(words.split())[:300]))
    return _unique(failures)


def _from_words(msg: Message, text: str, own: set[str]) -> list[Failure]:
    named = [_address(a) for a in str(msg.get("x-failed-recipients", "")).split(",")]
    found = [(a, context_of(text, a) or text[:2000]) for a in named if a and a not in own]
    found += [(a, w) for a, w in report_addresses(text) if a not in own and _plausible(a)]
    failures = []
    for address, words in found:
        status = best_status("", words) or best_status("", _head(text))
        failures.append(Failure(address, grade_failure(status, words), status,
                                " ".join(words.split())[:300]))
    return _unique(failures)


def _head(text: str) -> str:
    """The report's own words, without the returned message."""
    return "\n".join(report_lines(text))


def _from_original(original_to: tuple[str, ...], text: str, own: set[str],
                   msg: Message) -> list[Failure]:
    """A report that names nobody in words, about a copy of ours to one person."""
    people = [a for a in original_to if a not in own]
    subject = str(msg.get("subject", ""))
    if len(people) != 1 or not re.search(
            r"fail|undeliver|not (be )?delivered|returned|error|rejected|unable|"
            r"エラー|不達|unzustellbar|non remis|no entregado", subject + "\n" + text[:3000],
            re.I):
        return []
    status = best_status("", text[:3000])
    return [Failure(people[0], grade_failure(status, text[:3000]), status)]


def _plausible(address: str) -> bool:
    local = address.split("@", 1)[0]
    return not re.match(r"^(mailer-daemon|postmaster|abuse|root|noreply|no-reply)$", local)


def _unique(failures: list[Failure]) -> list[Failure]:
    seen: dict[str, Failure] = {}
    for failure in failures:
        seen.setdefault(failure.address, failure)
    return list(seen.values())
