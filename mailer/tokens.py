"""Signed reply addresses: community+r-<thread>-<member>-<mac>@domain. Pure.

The token names the thread and the member it was issued to (a keyed hash of their address,
so the address itself never appears), and is signed with the service secret so that nobody
can forge one for another thread or member.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

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


def moderation_address(secret: str, community_address: str, hold: str, moderator: str) -> str:
    """Where one moderator answers about one held message: only their reply to it counts."""
    local, domain = community_address.split("@", 1)
    return f"{local}+m-{hold}-{_mac(secret, 'moderate', hold, moderator.lower())[:12]}@{domain}"


def read_moderation(secret: str, tag: str, sender: str) -> str | None:
    """The hold a moderator's reply is about, if the address was issued to this sender."""
    match = re.match(r"^m-(h\d+)-([0-9a-f]{12})$", tag)
    if not match:
        return None
    expected = _mac(secret, "moderate", match.group(1), sender.lower())[:12]
    return match.group(1) if hmac.compare_digest(match.group(2), expected) else None


def confirm_address(secret: str, community_address: str, email: str) -> str:
    """Where a person confirms they want to join: replying from their own address."""
    local, domain = community_address.split("@", 1)
    return f"{local}+c-{_mac(secret, 'confirm', email.lower())[:12]}@{domain}"


def confirms(secret: str, tag: str, sender: str) -> bool:
    """Whether `tag` is the confirmation address issued to this sender."""
    expected = "c-" + _mac(secret, "confirm", sender.lower())[:12]
    return hmac.compare_digest(tag, expected)


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
