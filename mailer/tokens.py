"""Signed plus-addresses of a community. Pure: the time is passed in.

    r-<thread>-<member>-<mac>        a reply to a thread (posts, digests); never expires, so
                                     replies to mail sent long ago still find their thread
                                     (member "*": the thread's shared address, for a group)
    c-<expires>-<mac>                confirm joining            (purpose join, 7 days)
    k-<expires>-<mac>                confirm leaving            (purpose leave, 7 days)
    s-<expires>-<mac>                confirm a delivery setting asked for by email
                                     ("rangkuman", "jeda sampai ..."; purpose setting, 7 days)
    u-<expires>-<mac>                the unsubscribe button of one member's copies
                                     (List-Unsubscribe; purpose unsubscribe, 90 days)
    m-<hold>-<expires>-<mac>         one moderator's answer about one hold (30 days)

A reply token names the thread and the member it was issued to (a keyed hash of their
address, so the address itself never appears). The others are bound by their MAC to the
community, the purpose, the person they were mailed to (checked against the From of the
answer) and the day they expire (`expires`: days since 1970 in base 36), all signed with the
service secret: one issued for one community, purpose or person is worth nothing for
another, and none is worth anything after its day.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime

_TOKEN = re.compile(r"^r-(t\d+)-([0-9a-f]{8})-([0-9a-f]{12})$")


@dataclass(frozen=True)
class ReplyToken:
    thread: str
    member_hash: str


def member_hash(secret: str, email: str) -> str:
    return _mac(secret, "member", email.lower())[:8]


def reply_address(secret: str, community_address: str, thread: str, member: str) -> str:
    local, domain = community_address.split("@", 1)
    m = member_hash(secret, member)
    return f"{local}+r-{thread}-{m}-{_mac(secret, 'reply', thread, m)[:12]}@{domain}"


SHARED = "*"  # the member of a thread's shared reply address (no address is "*")


def shared_reply_address(secret: str, community_address: str, thread: str) -> str:
    """A thread's reply address for a group (the WhatsApp text): issued to no one, so it
    names no member and anyone's reply through it goes to the thread; who may post is
    decided by the From address, as for any post."""
    return reply_address(secret, community_address, thread, SHARED)


def reply_addresses(secret: str, community_address: str, threads: list[str],
                    member: str) -> dict[str, str]:
    """reply_address for many threads of one member (a digest), the member hashed once."""
    local, domain = community_address.split("@", 1)
    m = member_hash(secret, member)
    key = secret.encode()
    out = {}
    for thread in threads:
        mac = hmac.digest(key, f"reply{SEP}{thread}{SEP}{m}".encode(), "sha256").hex()[:12]
        out[thread] = f"{local}+r-{thread}-{m}-{mac}@{domain}"
    return out


CONFIRM_DAYS = 7  # a confirmation (join, leave, setting) must be answered within a week
CONFIRM_LETTERS = {"join": "c", "leave": "k", "setting": "s"}
MODERATE_DAYS = 30
UNSUBSCRIBE_DAYS = 90  # the unsubscribe button of a copy received three months ago works


def moderation_address(secret: str, community_address: str, community: str, hold: str,
                       moderator: str, now: datetime) -> str:
    """Where one moderator answers about one held message: only their reply to it counts."""
    tag = signed_tag(secret, "m", "moderate", community, moderator, now, MODERATE_DAYS, hold)
    return tagged_address(community_address, tag)


def read_moderation(secret: str, tag: str, community: str, sender: str,
                    now: datetime) -> str | None:
    """The hold a moderator's reply is about, if the address was issued to this sender in
    this community and has not expired."""
    return read_tag(secret, tag, "m", "moderate", community, sender, now)


def confirm_address(secret: str, community_address: str, community: str, email: str,
                    now: datetime, purpose: str = "join") -> str:
    """Where a person confirms joining (or, purpose "leave", leaving; "setting", a
    delivery setting): replying from their own address, within CONFIRM_DAYS."""
    letter = CONFIRM_LETTERS[purpose]
    tag = signed_tag(secret, letter, purpose, community, email, now, CONFIRM_DAYS)
    return tagged_address(community_address, tag)


def confirms(secret: str, tag: str, community: str, sender: str, now: datetime) -> str | None:
    """"join", "leave" or "setting" when `tag` is a confirmation address issued to this
    sender in this community, not expired; else None."""
    for purpose, letter in CONFIRM_LETTERS.items():
        if read_tag(secret, tag, letter, purpose, community, sender, now) is not None:
            return purpose
    return None


def unsubscribe_address(secret: str, community_address: str, community: str, member: str,
                        now: datetime) -> str:
    """The List-Unsubscribe mailto of one member's copies: mail to it from that member
    leaves at once (a mail provider's unsubscribe button sends exactly that)."""
    tag = signed_tag(secret, "u", "unsubscribe", community, member, now, UNSUBSCRIBE_DAYS)
    return tagged_address(community_address, tag)


def unsubscribes(secret: str, tag: str, community: str, sender: str, now: datetime) -> bool:
    return read_tag(secret, tag, "u", "unsubscribe", community, sender, now) is not None


def signed_tag(secret: str, letter: str, purpose: str, community: str, person: str,
               now: datetime, days: int, extra: str = "") -> str:
    expires = _base36(_day(now) + days)
    mac = _mac(secret, purpose, community, person.lower(), extra, expires)[:12]
    return "-".join(p for p in (letter, extra, expires, mac) if p)


_SIGNED = re.compile(r"^([a-z])-(?:(h\d+)-)?([0-9a-z]{1,6})-([0-9a-f]{12})$")


def read_tag(secret: str, tag: str, letter: str, purpose: str, community: str, person: str,
             now: datetime) -> str | None:
    """The tag's extra part ('' if none) when it is valid for all of these; else None."""
    match = _SIGNED.match(tag)
    if not match or match.group(1) != letter:
        return None
    extra, expires, mac = match.group(2) or "", match.group(3), match.group(4)
    expected = _mac(secret, purpose, community, person.lower(), extra, expires)[:12]
    if not hmac.compare_digest(mac, expected) or int(expires, 36) < _day(now):
        return None
    return extra


def tagged_address(community_address: str, tag: str) -> str:
    local, domain = community_address.split("@", 1)
    return f"{local}+{tag}@{domain}"


def _day(now: datetime) -> int:
    return int(now.timestamp() // 86400)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def answer_address(secret: str, community_address: str, member: str) -> str:
    """Where one person answers the community's meeting mail (invitations, reminders, the
    digest, roll-calls): only their own reply to it counts as their answer."""
    local, domain = community_address.split("@", 1)
    m = member_hash(secret, member)
    return f"{local}+a-{m}-{_mac(secret, 'answer', community_address.lower(), m)[:12]}@{domain}"


def answers_for(secret: str, tag: str, community_address: str, sender: str) -> bool:
    """Whether `tag` is the answer address issued to this sender in this community."""
    m = member_hash(secret, sender)
    expected = f"a-{m}-{_mac(secret, 'answer', community_address.lower(), m)[:12]}"
    return hmac.compare_digest(tag, expected)


def command_address(community_address: str, command: str) -> str:
    local, domain = community_address.split("@", 1)
    return f"{local}+{command}@{domain}"


def plus_tag(address: str, community_address: str) -> str | None:
    """'kkg+join@x' -> 'join' when it is a plus-address of the community; else None."""
    local, _, domain = address.lower().partition("@")
    c_local, _, c_domain = community_address.lower().partition("@")
    if domain != c_domain or not local.startswith(c_local + "+"):
        return None
    return local[len(c_local) + 1 :]


def read_token(secret: str, tag: str) -> ReplyToken | None:
    """A verified token from a plus tag, or None if it is not one or the signature is wrong."""
    match = _TOKEN.match(tag)
    if not match:
        return None
    thread, m, mac = match.groups()
    if not hmac.compare_digest(mac, _mac(secret, "reply", thread, m)[:12]):
        return None
    return ReplyToken(thread=thread, member_hash=m)


SEP = "\x00"


def _mac(secret: str, *parts: str) -> str:
    return hmac.new(secret.encode(), SEP.join(parts).encode(), hashlib.sha256).hexdigest()
