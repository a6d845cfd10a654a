"""What an inbound message is, as named stages in order. Pure.

    stage        rule names (they appear in the log)      outcome
    loop         own-loop-header, own-list-id              never answered, never posted
    report       arf-report, mdn-report                    a complaint (ARF, RFC 5965) stops
                                                           delivery to the member it names; a
                                                           read receipt (MDN) is only recorded
    bounce       verp-address, dsn-report,                 read in handle/bounces.py and
                 failure-notice                            recorded against the member
    automatic    auto-submitted, x-autoreply,              never answered, never posted
                 auto-response-suppress, vacation-subject,
                 null-sender, robot-sender, robot-envelope,
                 precedence
    hold         precedence-member                         Precedence: bulk/junk from a member
                                                           whose From the receiving server
                                                           vouched for: a moderator decides
    setting      plus-setting, subject-setting,            a member's own delivery: digest,
                 body-setting                              each, pause until a day, resume
                                                           (inbound/settings.py: the whole
                                                           message is the setting, never a
                                                           post that mentions it); kind
                                                           "command", handle/settings.py
    rsvp         calendar-reply, meeting-reply             handled in handle/meetings.py:
                                                           a reply to our meeting mail that
                                                           says nothing of coming is posted
    command      plus-command, subject-command,            join / leave / help
                 body-command
    post         post                                      routed to a thread (route.py)

The first stage whose rule matches decides. A robot is told by its address's local part
(mailer-daemon, postmaster, noreply, bounce*, dmarc*, ...: ROBOT below), in From or in the
envelope sender (Return-Path, written by the receiving server or our own receiver); a
null envelope sender (<>) is a robot's by definition (RFC 5321 section 4.5.5).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from mailer.inbound.settings import (
    PLUS,
    SIGN_OFF,
    Setting,
    could_be_setting,
    read_setting,
    setting_in_body,
)
from mailer.model import Mail
from mailer.tokens import plus_tag

COMMANDS = {
    "join": "join", "gabung": "join", "subscribe": "join", "daftar": "join",
    "leave": "leave", "keluar": "leave", "unsubscribe": "leave", "berhenti": "leave",
    "help": "help", "bantuan": "help", "tolong": "help",
    "confirm": "confirm", "konfirmasi": "confirm",
}  # fmt: skip
_VACATION = re.compile(
    r"^\s*(auto(matic)?[ -]?reply|auto:|autoreply|out of (the )?office|ooo\b|on vacation|"
    r"away from (the )?office|balasan otomatis|pesan otomatis|sedang cuti|"
    r"di luar kantor|abwesenheit|réponse automatique|automatisch antwoord)",
    re.I,
)
ROBOT = re.compile(
    r"^(mailer[-_.]?daemon|m?daemon|mailer|postmaster|post[-_.]master|hostmaster|abuse|"
    r"(.*[-_.])?no[-_.]?reply([-_.+].*)?|(.*[-_.])?do[-_.]?not[-_.]?reply.*|dont[-_.]?reply.*|"
    r"bounces?([-_.+=].*)?|.*[-_.+]bounces?|dmarc.*|opendmarc.*|.*[-_.]dmarc([-_.].*)?|"
    r"fbl([-_.].*)?|feedback[-_.]?loop.*|auto[-_.]?(reply|respon(se|der)|mailer|notify).*|"
    r"mail[-_.]?delivery.*|delivery[-_.]?(status|notification).*|notifications?|"
    r"listserv|majordomo|.*-request|owner-.*|.*-owner|.+-admin|msprvs\d*|nobody|devnull)@",
    re.I)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver(ed|able)|delivery (status|failure|has failed|notification|problem)|"
    r"(mail|message) delivery (failed|failure|subsystem|problem)|returned mail|"
    r"failure notice|permanent (delivery )?(failure|error)|non[- ]?delivery|"
    r"could not (be )?(deliver|sent)|mail (system )?error|delivery failed|"
    r"failed delivery|mail failed|returning message to sender|nicht zustellbar|"
    r"unzustellbar|non remis|no entregado|pesan tidak terkirim|tidak dapat dikirim|"
    r"gagal terkirim|メールエラー|不達)",
    re.I,
)


@dataclass(frozen=True)
class Context:
    """What the stages need to know beyond the message itself."""

    community_address: str
    list_id: str
    # Message-IDs of every mail we sent about a meeting (invitations, reminders, notes,
    # digests, roll-calls): a reply to one may be an answer (handle/meetings.py reads it)
    meeting_ids: Collection[str] = ()
    members: Collection[str] = ()  # the community's active members, lower-cased
    # the report parts anywhere in the message (report_parts() below): delivery-status,
    # feedback-report, disposition-notification
    report_parts: Collection[str] = ()
    authenticated: bool = False  # the trusted server vouched for the From (verify.py)


@dataclass(frozen=True)
class Outcome:
    kind: str  # loop | complaint | bounce | automatic | hold | rsvp | command | post
    rule: str
    detail: str = ""


Rule = Callable[[Mail, Context], Outcome | None]


def classify_mail(mail: Mail, ctx: Context) -> Outcome:
    for rule in RULES:
        outcome = rule(mail, ctx)
        if outcome is not None:
            return outcome
    return Outcome("post", "post")


def _own_loop(mail: Mail, ctx: Context) -> Outcome | None:
    ours = ctx.community_address.lower()
    for name in ("x-loop", "x-cop-loop"):
        if ours in mail.headers.get(name, "").lower():
            return Outcome("loop", "own-loop-header")
    if ctx.list_id and ctx.list_id.lower() in mail.headers.get("list-id", "").lower():
        return Outcome("loop", "own-list-id")
    return None


# matched in lower case: a pattern that starts with a fixed string is looked for at C speed
# (with re.I it is tried at every byte: 3 ms for a 140 KB mail, more than parsing it)
_REPORT_PART = re.compile(
    rb"content-type:[ \t]*(?:\r?\n[ \t]+)?message/(?:global-)?"
    rb"(delivery-status|feedback-report|disposition-notification)")
_HOTMAIL = b"x-hmxmroriginalrecipient:"


def report_parts(raw: bytes) -> frozenset[str]:
    """Which report parts a message carries anywhere, by a bounded look at its bytes: the
    parsed Mail keeps the top-level Content-Type only, and reports are often wrapped."""
    head = raw[:2_000_000].lower()
    found = {m.decode() for m in _REPORT_PART.findall(head)}
    if head.startswith(_HOTMAIL) or b"\n" + _HOTMAIL in head:
        found.add("hotmail-complaint")  # Hotmail's complaints from before ARF
    return frozenset(found)


def is_robot(address: str) -> bool:
    return bool(address) and bool(ROBOT.match(address))


def envelope_sender(mail: Mail) -> str | None:
    """The envelope sender from Return-Path: '' for the null sender, None when unknown."""
    if "return-path" not in mail.headers:
        return None
    value = mail.headers["return-path"].strip()
    found = re.search(r"<([^<>]*)>", value)
    address = (found.group(1) if found else value).strip().lower()
    return address if "@" in address else ""


def _report(mail: Mail, ctx: Context) -> Outcome | None:
    ctype = mail.headers.get("content-type", "").lower()
    if "feedback-report" in ctype or "feedback-report" in ctx.report_parts \
            or "hotmail-complaint" in ctx.report_parts:
        return Outcome("complaint", "arf-report")
    if "disposition-notification" in ctype or "disposition-notification" in ctx.report_parts:
        return Outcome("automatic", "mdn-report")
    return None


def _bounce(mail: Mail, ctx: Context) -> Outcome | None:
    for address in mail.to_addrs:
        tag = plus_tag(address, ctx.community_address)
        if tag and tag.startswith("b-"):
            return Outcome("bounce", "verp-address", tag[2:])
    ctype = mail.headers.get("content-type", "").lower()
    if ("multipart/report" in ctype and "delivery-status" in ctype) \
            or "delivery-status" in ctx.report_parts:
        return Outcome("bounce", "dsn-report")
    envelope = envelope_sender(mail)
    robot = is_robot(mail.from_addr) or not mail.from_addr or envelope == "" \
        or is_robot(envelope or "")
    bounce_words = _BOUNCE_SUBJECT.search(mail.subject) or "x-failed-recipients" in mail.headers
    if robot or (bounce_words and mail.from_addr not in ctx.members):
        # read as a failure report; one that names no failed address ends as automatic,
        # under the rule that tells why (detail)
        automatic = _automatic(mail, ctx)
        return Outcome("bounce", "failure-notice", automatic.rule if automatic else "")
    return None


def _automatic(mail: Mail, ctx: Context) -> Outcome | None:
    auto = mail.headers.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return Outcome("automatic", "auto-submitted", auto)
    if "x-autoreply" in mail.headers or "x-autorespond" in mail.headers:
        return Outcome("automatic", "x-autoreply")
    suppress = mail.headers.get("x-auto-response-suppress", "").lower()
    if suppress and any(w in suppress for w in ("all", "oof", "autoreply")):
        return Outcome("automatic", "auto-response-suppress")
    if _VACATION.match(mail.subject):
        return Outcome("automatic", "vacation-subject")
    envelope = envelope_sender(mail)
    if envelope == "":
        return Outcome("automatic", "null-sender")
    if not mail.from_addr or is_robot(mail.from_addr):
        return Outcome("automatic", "robot-sender", mail.from_addr)
    if envelope and is_robot(envelope):
        return Outcome("automatic", "robot-envelope", envelope)
    precedence = mail.headers.get("precedence", "").strip().lower()
    if precedence in ("bulk", "junk") and mail.from_addr in ctx.members and ctx.authenticated:
        return Outcome("hold", "precedence-member", precedence)
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return Outcome("automatic", "precedence", precedence)
    return None


_REPLY = re.compile(r"^\s*(re|bls|balas|aw|fwd?|tr)\s*:", re.I)


def _setting(mail: Mail, ctx: Context) -> Outcome | None:
    """A member's own delivery setting; before rsvp, as a digest reader answers the
    digest ("setiap pesan"). Detail: "digest", "each", "resume", "pause <date as written>"."""
    if mail.calendar:
        return None
    for address in mail.to_addrs:
        what = PLUS.get(plus_tag(address, ctx.community_address) or "")
        if what == "pause":  # the date: in the subject, else on the body's first line
            text = _new_text(mail.text)
            written = read_setting(mail.subject) or setting_in_body(text)
            until = written.until if written and written.what == "pause" else \
                (mail.subject.strip() or (text.strip().splitlines() or [""])[0])
            until = re.sub(r"^\s*(sampai|hingga|until|till)\s+", "", until, flags=re.I)
            return Outcome("command", "plus-setting", f"pause {until.strip().lower()}".strip())
        if what:
            return Outcome("command", "plus-setting", what)
    subject = read_setting(mail.subject) if not _REPLY.match(mail.subject) else None
    if subject is not None and not mail.attachments:
        text = _new_text(mail.text) if mail.text.strip() else ""
        lines = [line for line in text.splitlines() if line.strip()]
        # "Rangkuman" is also the title of a post: beside it only a sign-off or the setting
        # again; a pause or a resume may carry a line of its own ("saya cuti")
        beside = not lines or setting_in_body(text) is not None or (
            len(lines) <= 4 and all(SIGN_OFF.match(line.strip()) for line in lines))
        short = len(lines) == 1 and len(lines[0]) <= 80 and subject.what != "digest"
        if beside or short:
            return Outcome("command", "subject-setting", _detail(subject))
    if could_be_setting(mail.text):
        body = setting_in_body(_new_text(mail.text))
        if body is not None:
            return Outcome("command", "body-setting", _detail(body))
    return None


def _detail(setting: Setting) -> str:
    return f"pause {setting.until}" if setting.what == "pause" else setting.what


def _new_text(text: str) -> str:
    from mailer.inbound.replies import new_text

    return new_text(text)


def _rsvp(mail: Mail, ctx: Context) -> Outcome | None:
    if mail.calendar and re.search(r"^METHOD:\s*REPLY\s*$", mail.calendar, re.I | re.M):
        return Outcome("rsvp", "calendar-reply")
    if ctx.meeting_ids and any(i in ctx.meeting_ids for i in mail.in_reply_to):
        return Outcome("rsvp", "meeting-reply")
    return None


def _command(mail: Mail, ctx: Context) -> Outcome | None:
    for address in mail.to_addrs:
        tag = plus_tag(address, ctx.community_address)
        if tag in COMMANDS:
            return Outcome("command", "plus-command", COMMANDS[tag])
        if tag and tag.startswith("m-"):
            return Outcome("command", "moderation", tag)
        if tag and tag.startswith(("c-", "k-", "s-")):  # confirming a join, leave, setting
            return Outcome("command", "confirm", tag)
    subject = re.sub(r"^\s*((re|bls|balas|aw|fwd?|tr)\s*:\s*)*", "", mail.subject, flags=re.I)
    word = subject.strip().lower()
    if word in COMMANDS:
        return Outcome("command", "subject-command", COMMANDS[word])
    body = _one_word_body(mail.text)
    if body in COMMANDS:
        return Outcome("command", "body-command", COMMANDS[body])
    return None


def _one_word_body(text: str) -> str:
    """The body when it is a single word (a command typed on a phone), else ''."""
    from mailer.inbound.replies import new_text

    stripped = text.strip()
    first = stripped.split("\n", 1)[0].strip().strip(".!").lower()
    if first not in COMMANDS:  # cheap, and true of nearly every post: no second pass
        return ""
    written = new_text(stripped).strip().strip(".!").lower()
    return written if written and " " not in written and "\n" not in written else ""


RULES: tuple[Rule, ...] = (_own_loop, _report, _bounce, _automatic, _setting, _rsvp, _command)
