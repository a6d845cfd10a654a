"""What waits for the organizers (holds, bouncing members, unrouted mail, members who left
by email), and the short mail that tells them: at most one a day."""

from __future__ import annotations

from datetime import datetime

from mailer.config import Community
from mailer.handle.app import App
from mailer.membership import members_of, paused
from mailer.outbound.compose import compose_notice
from mailer.outbound.digest import Attention
from mailer.outbound.outbox import queue, queued_before
from mailer.store import Store


def needs_attention(app: App, store: Store, now: datetime) -> int:
    """A short mail to the organizers when something waits for them; at most one a day."""
    queued = 0
    for community in app.config.communities:
        attention = attention_of(store, community, now)
        if not attention.any:
            continue
        day = now.astimezone(community.timezone).date().isoformat()
        for organizer in sorted({e.lower() for e in community.organizers}):
            key = f"attention:{community.id}:{day}"
            if queued_before(store, f"notice:{key}:{organizer}"):
                continue
            queued += queue(store, compose_notice(
                community, organizer, organizer, "attention",
                ("Perlu perhatian: " if community.language == "id" else "Needs attention: ")
                + community.name, now, app.templates, key=key, attention=attention),
                community.address, now)
    return queued


def attention_of(store: Store, community: Community, now: datetime) -> Attention:
    holds = sum(1 for h in store.state.holds.values()
                if h.community == community.id and h.state == "held")
    bouncing = tuple(sorted(e for e in members_of(community, store.state)
                            if paused(store.state, e, now)))
    unrouted = store.state.unrouted
    # people listed in cop.toml who left by email: the organizers may remove the entry
    requests = tuple(f"left: {e}" for (c, e), r in store.state.members.items()
                     if c == community.id and r["state"] == "left"
                     and community.member(e) is not None)
    return Attention(holds=holds, bouncing=bouncing, unrouted=unrouted, requests=requests)
