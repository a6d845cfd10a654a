"""The moderators' summary of held messages that got no mail of their own.

handle/posts.py mails the moderators about each hold up to HOLD_NOTICES_PER_HOUR a
community; past that (a flood of spam) a hold waits here, and one mail an hour lists every
such hold with an answer address for each. However many messages are held, a moderator
gets at most HOLD_NOTICES_PER_HOUR + 1 mails an hour from one community.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from mailer.handle.app import App
from mailer.handle.reasons import reason_text
from mailer.membership import name_of
from mailer.outbound.compose import compose_notice
from mailer.outbound.outbox import queue
from mailer.outbound.wording import counted
from mailer.store import Store
from mailer.tokens import moderation_address

SUMMARY_EVERY = timedelta(hours=1)
SUMMARY_LIMIT = 200  # holds listed in one summary; the rest come in the next


def summarize_holds(app: App, store: Store, now: datetime) -> int:
    queued = 0
    for community in app.config.communities:
        meta = store.get_meta("hold-summary", community.id) or {"last": "", "holds": []}
        if meta["last"] and now - datetime.fromisoformat(meta["last"]) < SUMMARY_EVERY:
            continue
        told = set(meta["holds"])
        waiting = sorted((h for h in store.state.holds.values()
                          if h.community == community.id and h.state == "held"
                          and not h.notified and h.id not in told),
                         key=lambda h: int(h.id.lstrip("h")))[:SUMMARY_LIMIT]
        if not waiting:
            continue
        key = f"hold-summary:{community.id}:{now.isoformat()}"
        for moderator in sorted({e.lower() for e in community.moderators}):
            holds = [{"id": h.id, "sender": h.from_addr,
                      "subject": h.subject if h.trusted else "",
                      "reason": reason_text(h.reason, community.language, to="moderator"),
                      "address": moderation_address(app.secret, community.address,
                                                    community.id, h.id, moderator, now)}
                     for h in waiting]
            queued += queue(store, compose_notice(
                community, moderator, name_of(community, store.state, moderator),
                "hold-summary",
                counted(len(holds), "pesan" if community.language == "id" else "message",
                        language=community.language)
                + (" menunggu persetujuan" if community.language == "id"
                   else " waiting for approval"), now, app.templates,
                key=key, holds=holds), community.address, now)
        still = {h.id for h in store.state.holds.values() if h.state == "held"}
        store.put_meta("hold-summary", community.id, {
            "last": now.isoformat(),
            "holds": sorted((told & still) | {h.id for h in waiting})})
    return queued
