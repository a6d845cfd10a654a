"""The outbox: every outgoing message is recorded before any attempt to send it.

    queue(store, outgoing, now)     keep the message's bytes, then journal an `outbox` record.
                                    The id comes from what the message is (its key), so
                                    queueing the same message again after a crash is a no-op.
    deliver(store, transport, ...)  send what is due; journal `outbox-state` after each
                                    send and fsync it at once, so the only window for a
                                    duplicate is between the server's 250 and that fsync
                                    (a copy sent twice keeps its Message-ID: clients drop it).
                                    With several workers (PostgreSQL) `claim` takes batches
                                    and flush_records(behind=True) marks the copy sent: the
                                    window stays one copy (edges/pg/marks.py).

States: queued -> sent | deferred (next_try, attempts) -> ... | failed (reason).
4xx replies and connection failures defer with exponential backoff and jitter; 5xx fails
that recipient and is recorded for the membership rules.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from mailer.model import OutboxItem
from mailer.outbound.compose import Outgoing
from mailer.store import Store

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=6)
GIVE_UP_AFTER = timedelta(days=5)


class TransientFailure(Exception):
    """Try again later (4xx, connection refused or dropped, timeout)."""


class ServerUnavailable(TransientFailure):
    """The server cannot be reached or refuses our login: no message can go now."""


class PermanentFailure(Exception):
    """This recipient will not take this message (5xx)."""


class Transport(Protocol):
    def send(self, envelope_from: str, to: str, data: bytes, item_id: str) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Limits:
    per_minute: int | None = None
    per_day: int | None = None


def outbox_id(key: str) -> str:
    return "o" + hashlib.sha256(key.encode()).hexdigest()[:20]


def bounce_address(community_address: str, item_id: str) -> str:
    """The envelope sender of one outgoing copy: bounces come back tagged with the item."""
    local, domain = community_address.split("@", 1)
    return f"{local}+b-{item_id}@{domain}"


def backoff(attempts: int, rng: Callable[[], float] = random.random) -> timedelta:
    """1 min, 2, 4, ... capped at 6 h, each +-20% so retries do not arrive in step."""
    base = min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 20)), LAST_RETRY)
    return base * (0.8 + 0.4 * rng())


def queue(store: Store, outgoing: Outgoing, community_address: str, now: datetime) -> bool:
    """Record one message for sending; False when it was queued before. The message is
    durable at the store's next flush, which comes before any attempt to send it."""
    item_id = outbox_id(outgoing.key)
    if item_id in store.state.outbox:
        return False
    parts = [store.add_outgoing(outgoing.own)]
    shared = outgoing.shared
    if shared is not None:  # kept once for every copy of the message
        if shared.ref is None:
            shared.ref = store.add_outgoing(shared.data)
        parts.append(shared.ref)
    store.record({
        "t": "outbox", "id": item_id, "to": outgoing.to, "kind": outgoing.kind,
        "subject": outgoing.subject, "message_id": outgoing.message_id,
        "envelope_from": bounce_address(community_address, item_id),
        "queued": now.isoformat(), "spool": [list(part) for part in parts],
    })
    return True


def queued_before(store: Store, key: str) -> bool:
    """Whether the message with this key was queued already (checked before composing)."""
    return outbox_id(key) in store.state.outbox


def due(store: Store, now: datetime) -> list[OutboxItem]:
    waiting = (store.state.outbox[i] for i in store.state.outbox_waiting)
    items = [i for i in waiting
             if i.state == "queued" or (i.next_try is not None and i.next_try <= now)]
    return sorted(items, key=lambda i: (i.queued or now, i.id))


def deliver(store: Store, transport: Transport, now: datetime, limits: Limits = Limits(),
            progress: Callable[[Iterable[OutboxItem]], Iterable[OutboxItem]] | None = None,
            claim: Callable[[str, datetime], bool] | None = None) -> dict[str, int]:
    """Send every due item once; return counts per outcome. `progress` may wrap the items
    (the CLI shows a progress bar with it). With several workers, `claim` says whether an
    item is this one's to send (Store.claim_outgoing); its record ends the claim."""
    store.flush()  # whatever is about to be sent is on disk, and so is its record
    counts = {"sent": 0, "deferred": 0, "failed": 0, "limited": 0}
    budget = _budget(store, now, limits)
    items: Iterable[OutboxItem] = due(store, now)
    if progress is not None:
        items = progress(items)
    unavailable: tuple[str, datetime] | None = None
    for item in items:
        if claim is not None and not claim(item.id, now):
            continue  # another worker is sending it, or sent it
        if unavailable is not None:  # the server is down: the rest wait with the first
            reason, retry_at = unavailable
            _record_state(store, item.id, "deferred", item.attempts, now, retry_at,
                          f"not tried: {reason}")
            counts["deferred"] += 1
            continue
        if budget is not None and budget <= 0:
            counts["limited"] += 1
            continue
        data = store.read_outgoing(item.spool)
        attempts = item.attempts + 1
        try:
            transport.send(item.envelope_from, item.to, data, item.id)
        except TransientFailure as exc:
            giving_up = item.queued is not None and now - item.queued > GIVE_UP_AFTER
            state = "failed" if giving_up else "deferred"
            next_try = None if giving_up else now + backoff(attempts)
            _record_state(store, item.id, state, attempts, now, next_try, str(exc))
            counts[state] += 1
            log.warning("deferred outbox=%s attempts=%d error=%s", item.id, attempts,
                        _one_line(exc))
            if isinstance(exc, ServerUnavailable) and next_try is not None:
                unavailable = (_one_line(exc), next_try)
            continue
        except PermanentFailure as exc:
            _record_state(store, item.id, "failed", attempts, now, None, str(exc))
            counts["failed"] += 1
            log.warning("failed outbox=%s error=%s", item.id, _one_line(exc))
            continue
        _record_state(store, item.id, "sent", attempts, now, None, None)
        # the duplicate window closes when this fsync is done; it runs while the next
        # message is sent, and the next record waits for it
        store.flush_records(behind=True)
        counts["sent"] += 1
        if budget is not None:
            budget -= 1
    store.flush_records()
    return counts


def _budget(store: Store, now: datetime, limits: Limits) -> int | None:
    budgets = []
    for limit, window in ((limits.per_minute, timedelta(minutes=1)),
                          (limits.per_day, timedelta(days=1))):
        if limit is not None:
            recent = 0
            for sent in reversed(store.state.sent_times):  # newest first: stop at the window
                if now - sent >= window:
                    break
                recent += 1
            budgets.append(limit - recent)
    return min(budgets) if budgets else None


def _record_state(store: Store, item_id: str, state: str, attempts: int, now: datetime,
                  next_try: datetime | None, error: str | None) -> None:
    store.record({
        "t": "outbox-state", "id": item_id, "state": state, "attempts": attempts,
        "at": now.isoformat(), "next_try": next_try.isoformat() if next_try else None,
        "error": _one_line(error) if error else None,
    })


def _one_line(text: object) -> str:
    return " ".join(str(text).split())[:300]
