"""What an inbound message is, as named stages in order. Pure.

    stage        rule names (they appear in the log)      outcome
    loop         own-loop-header, own-list-id              never answered, never posted
    bounce       dsn-report, mailer-daemon-notice          recorded against the member
    automatic    auto-submitted, precedence, x-autoreply,  never answered, never posted
                 auto-response-suppress, vacation-subject,
                 null-sender, robot-sender
    rsvp         calendar-reply, rsvp-words                handled in handle/meetings.py
    command      plus-command, subject-command,            join / leave / help
                 body-command
    post         post                                      routed to a thread (route.py)

The first stage whose rule matches decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from mailer.model import Mail
from mailer.tokens import plus_tag

COMMANDS = {
    "join": "join", "gabung": "join", "subscribe": "join", "daftar": "join",
    "leave": "leave", "keluar": "leave", "unsubscribe": "leave", "berhenti": "leave",
    "help": "help", "bantuan": "help", "tolong": "help",
    "confirm": "confirm", "konfirmasi": "confirm",
}  # fmt: skip
RSVP_WORDS = {
    "ACCEPTED": ("hadir", "ya", "yes", "insya allah hadir", "insyaallah hadir", "insha allah",
                 "saya hadir", "ikut", "bisa", "accept", "accepted", "i will attend", "siap hadir"),
    "DECLINED": ("tidak bisa", "tidak hadir", "tidak", "no", "berhalangan", "maaf tidak bisa",
                 "decline", "declined", "can't make it", "cannot attend", "izin"),
    "TENTATIVE": ("mungkin", "maybe", "belum tahu", "belum pasti", "tentative",
                  "insya allah", "insyaallah"),
}
_VACATION = re.compile(
    r"^\s*(auto(matic)?[ -]?reply|auto:|autoreply|out of (the )?office|ooo\b|on vacation|"
    r"away from (the )?office|balasan otomatis|pesan otomatis|sedang cuti|"
    r"di luar kantor|abwesenheit|réponse automatique|automatisch antwoord)",
    re.I,
)
_ROBOT = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)@", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver(ed|able)|delivery (status notification|failure|has failed)|"
    r"mail delivery (failed|subsystem)|returned mail|failure notice|"
    r"pesan tidak terkirim|tidak dapat dikirim|gagal terkirim)",
    re.I,
)


@dataclass(frozen=True)
class Context:
    """What the stages need to know beyond the message itself."""

    community_address: str
    list_id: str
    invitation_ids: Collection[str] = ()  # Message-IDs of invitations we sent


@dataclass(frozen=True)
class Outcome:
    kind: str  # loop | bounce | automatic | rsvp | command | post
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


def _bounce(mail: Mail, ctx: Context) -> Outcome | None:
    ctype = mail.headers.get("content-type", "").lower()
    if "multipart/report" in ctype and "delivery-status" in ctype:
        return Outcome("bounce", "dsn-report")
    robot = _ROBOT.match(mail.from_addr) or not mail.from_addr
    if robot and (_BOUNCE_SUBJECT.search(mail.subject) or "x-failed-recipients" in mail.headers):
        return Outcome("bounce", "mailer-daemon-notice")
    return None


def _automatic(mail: Mail, ctx: Context) -> Outcome | None:
    auto = mail.headers.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return Outcome("automatic", "auto-submitted", auto)
    precedence = mail.headers.get("precedence", "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return Outcome("automatic", "precedence", precedence)
    if "x-autoreply" in mail.headers or "x-autorespond" in mail.headers:
        return Outcome("automatic", "x-autoreply")
    suppress = mail.headers.get("x-auto-response-suppress", "").lower()
    if suppress and any(w in suppress for w in ("all", "oof", "autoreply")):
        return Outcome("automatic", "auto-response-suppress")
    if _VACATION.match(mail.subject):
        return Outcome("automatic", "vacation-subject")
    return_path = mail.headers.get("return-path", "").strip()
    if return_path in ("<>", "") and "return-path" in mail.headers:
        return Outcome("automatic", "null-sender")
    if not mail.from_addr or _ROBOT.match(mail.from_addr):
        return Outcome("automatic", "robot-sender")
    return None


def _rsvp(mail: Mail, ctx: Context) -> Outcome | None:
    if mail.calendar and re.search(r"^METHOD:\s*REPLY\s*$", mail.calendar, re.I | re.M):
        return Outcome("rsvp", "calendar-reply")
    if ctx.invitation_ids and any(i in ctx.invitation_ids for i in mail.in_reply_to):
        answer = rsvp_answer(mail.text)
        if answer:
            return Outcome("rsvp", "rsvp-words", answer)
    return None


def rsvp_answer(text: str) -> str | None:
    """'Insya Allah hadir' -> ACCEPTED; the first non-empty line decides."""
    from mailer.inbound.replies import new_text

    first = next((line for line in new_text(text).splitlines() if line.strip()), "")
    words = re.sub(r"[^\w' ]+", " ", first.lower()).strip()
    # longest phrase first, so "tidak bisa" beats "bisa" and "insya allah hadir" beats "ya"
    phrases = sorted(((p, k) for k, ps in RSVP_WORDS.items() for p in ps),
                     key=lambda pk: -len(pk[0]))
    for phrase, answer in phrases:
        if words == phrase or words.startswith(phrase + " "):
            return answer
    return None


def _command(mail: Mail, ctx: Context) -> Outcome | None:
    for address in mail.to_addrs:
        tag = plus_tag(address, ctx.community_address)
        if tag in COMMANDS:
            return Outcome("command", "plus-command", COMMANDS[tag])
        if tag and tag.startswith("m-"):
            return Outcome("command", "moderation", tag)
        if tag and tag.startswith("c-"):
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


RULES: tuple[Rule, ...] = (_own_loop, _bounce, _automatic, _rsvp, _command)
