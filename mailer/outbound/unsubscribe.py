"""List-Unsubscribe (RFC 2369) and one-click unsubscribe (RFC 8058) of one copy. Pure.

Every member's copy carries their own signed mailto (tokens.unsubscribe_address: mail to it
from them leaves at once). With [web] it also carries their own https link first
(links.unsubscribe_url), and List-Unsubscribe-Post: a provider's one-click POST to it leaves
at once. Without [web], a static `unsubscribe_url` of the community is kept as before.
"""

from __future__ import annotations

from datetime import datetime

from mailer.config import Community
from mailer.links import unsubscribe_url
from mailer.outbound.mime import check_header
from mailer.tokens import command_address, unsubscribe_address

ONE_CLICK = ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")


def unsubscribe_link(community: Community) -> str:
    return f"mailto:{command_address(community.address, 'leave')}?subject=leave"


def unsubscribe_headers(community: Community, address: str = "",
                        web: str = "") -> list[tuple[str, str]]:
    """`address` is a member's own signed address; without one, the plain +leave address,
    where a leave is confirmed by a reply first. `web`: the member's own https link."""
    unsubscribe = [f"<mailto:{address}>" if address
                   else f"<{unsubscribe_link(community)}>"]
    headers = []
    if web:
        unsubscribe.insert(0, f"<{check_header(web)}>")
        headers.append(ONE_CLICK)
    elif community.unsubscribe_url and not community.web_url:
        unsubscribe.append(f"<{check_header(community.unsubscribe_url)}>")
        headers.append(ONE_CLICK)
    return [*headers, ("List-Unsubscribe", ", ".join(unsubscribe))]


def member_unsubscribe(community: Community, secret: str, email: str,
                       now: datetime) -> list[tuple[str, str]]:
    web = unsubscribe_url(community.web_url, secret, community.id, email, now) \
        if community.web_url else ""
    return unsubscribe_headers(community, unsubscribe_address(secret, community.address,
                                                              community.id, email, now), web)
