"""Delivery failure reports: whose address failed, and how (dead, DMARC, temporary)."""

from __future__ import annotations

import re
from datetime import datetime

from mailer.config import Community
from mailer.handle.app import Result
from mailer.inbound.classify import Outcome
from mailer.membership import members_of
from mailer.model import Mail
from mailer.state import State
from mailer.tokens import plus_tag


def record_bounce(state: State, mail: Mail, raw: bytes, community: Community,
            outcome: Outcome, now: datetime) -> Result:
    """A delivery failure report: whose address failed, and how (dead, DMARC, temporary).

    Our envelope sender names the outbox item (VERP), which names the member; without it,
    Mailman's detectors read the report (RFC 3464 and the common non-standard formats)."""
    result = Result("bounce", outcome.rule, mail.message_id, community.id)
    kind = bounce_kind(mail.text)
    failed: dict[str, str] = {}
    for address in mail.to_addrs:
        tag = plus_tag(address, community.address)
        if tag and tag.startswith("b-") and tag[2:] in state.outbox:
            failed[state.outbox[tag[2:]].to.lower()] = kind
    if not failed:
        temporary, permanent = _detect_failures(raw)
        failed = {a: "temporary" for a in temporary} | {a: kind for a in permanent}
    members = members_of(community, state)
    for email, how in sorted(failed.items()):
        result.records.append({"t": "bounce", "community": community.id, "email": email,
                               "kind": how, "member": email in members,
                               "message_id": mail.message_id, "at": now.isoformat()})
    result.detail = " ".join(f"{e}={k}" for e, k in sorted(failed.items())) or "unattributed"
    return result


_DMARC = re.compile(r"dmarc|5\.7\.26|policy reasons|authentication.{0,40}(fail|requir)"
                    r"|unauthenticated", re.I)
_TEMPORARY = re.compile(r"\b4\.\d{1,3}\.\d{1,3}\b|mailbox (is )?full|over quota|"
                        r"try again later|temporar", re.I)


def bounce_kind(report: str) -> str:
    """dmarc (our mail was refused for its authentication: not the member's fault),
    temporary (full mailbox, greylisting), or dead (the address does not work)."""
    if _DMARC.search(report):
        return "dmarc"
    if _TEMPORARY.search(report):
        return "temporary"
    return "dead"


def _detect_failures(raw: bytes) -> tuple[set[str], set[str]]:
    from email import message_from_bytes

    from flufl.bounce import all_failures

    try:
        temporary, permanent = all_failures(message_from_bytes(raw))
    except Exception:  # a detector on a malformed report: attribute nothing, keep the mail
        return set(), set()
    return _addresses(temporary), _addresses(permanent)


def _addresses(found: frozenset[bytes]) -> set[str]:
    return {a.decode(errors="replace").lower() for a in found}
