"""What an organizer asked for with a `cop` verb that writes, carried out once, with the
answer the verb prints. Plain functions over the Store; the daemon and `cop` pass the steps.

    carry_out(name, records, store, steps)  one request's records -> an answer (a dict):
                                            {"code": 0|1, "out": "...", "err": "...",
                                             "digest": {...} when it queued a digest}
    finish(answer, state)                   after delivery: how the mail it queued fared

The same request is carried out by `cop` itself when no daemon runs, or by the running
daemon at its next tick (data_dir/requests, edges/store/archive.py). Keyed by the request's
name in the `request` metadata table, durable with what it did: a daemon that stopped after
carrying it out and before answering answers from there and does nothing twice. What it
does is keyed too (a digest by the slot it stands for, else by the moment the verb's --now
named or the request's name; its copies by member), so even a stop between the records
and the metadata repeats nothing.
A request carries `now` only when the verb was given --now: else whoever carries it out
uses its own clock (the running daemon's tick, `cop run --now ...` included).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mailer.handle.app import App, Result
from mailer.state import Record, State
from mailer.store import Store
from mailer.timed.digests import asked_digest

Answer = dict[str, Any]


@dataclass(frozen=True)
class Steps:
    """What carrying out a request needs of the daemon: each applies what it did (records,
    mail queued) and returns the handler's Result."""

    app: App
    now: datetime
    decide: Callable[[str, str, str, str], Result]  # hold id, decision, reason, by
    release: Callable[[str, str], Result]  # quarantine entry id, by
    web: Callable[[Record], Result]  # a member's action on the web (handle/web.py)


def carry_out(name: str | None, records: list[Record], store: Store, steps: Steps) -> Answer:
    """Carry out one request (`name` None: asked by `cop` at once, nothing to remember)."""
    if name is not None:
        done = store.get_meta("request", name)
        if done is not None:
            answer: Answer = done["answer"]
            return answer
    answer = _carry(records, store, steps, name)
    if name is not None:
        store.put_meta("request", name, {"answer": answer, "at": steps.now.isoformat()})
    return answer


def _carry(records: list[Record], store: Store, steps: Steps, name: str | None) -> Answer:
    marks = [r for r in records if r["t"] == "attendance"]
    for record in marks:
        store.record(record)
    if marks:
        return _ok(f"recorded {len(marks)} mark(s)")
    answers = [_one(record, store, steps, name) for record in records]
    failed = [a for a in answers if a["code"]]
    if failed or not answers:
        return failed[0] if failed else _fail("nothing asked")
    return answers[0] if len(answers) == 1 else {
        "code": 0, "out": "\n".join(a["out"] for a in answers), "err": ""}


def _one(record: Record, store: Store, steps: Steps, name: str | None) -> Answer:
    kind, state = record["t"], store.state
    if kind == "hold-decision":
        hold_id, decision = record["id"], record["decision"]
        hold = state.holds.get(hold_id)
        if hold is None:
            return _fail(f"no held message '{hold_id}'; `cop holds` lists them")
        if hold.state != "held":
            by = f" by {hold.decided_by}" if hold.decided_by else ""
            return _fail(f"{hold_id} is already {hold.state}{by}")
        result = steps.decide(hold_id, decision, record.get("reason", ""),
                              record.get("by", "cop"))
        now_state = state.holds[hold_id].state
        if now_state == "held":
            return _fail(f"{hold_id}: still held: {result.detail}")
        added = ", sender added as a member" if decision == "approve-add" else ""
        return _ok(f"{hold_id}: {now_state}{added}")
    if kind in ("quarantine-release", "quarantine-state"):
        entry_id = record["id"]
        entry = state.quarantine.get(entry_id)
        if entry is None:
            return _fail(f"no quarantined message '{entry_id}'; `cop quarantine --all` "
                         "lists them")
        if entry.state != "quarantined":
            return _fail(f"{entry_id} is already {entry.state}")
        if kind == "quarantine-state":  # when: as the verb said, else the daemon's clock
            store.record({**record, "at": record.get("at") or steps.now.isoformat()})
            return _ok(f"{entry_id}: {record['state']}")
        result = steps.release(entry_id, record.get("by", "cop"))
        if result.state == "quarantined":
            return _fail(f"{entry_id}: still quarantined: {result.detail}")
        return _ok(f"{entry_id}: released, {result.state}")
    if kind == "digest-send":
        return _send_digest(record, store, steps, name)
    if kind == "web":
        return _ok(steps.web(record).detail)
    return _fail(f"cannot carry out a {kind!r} request")


def _send_digest(record: Record, store: Store, steps: Steps, name: str | None) -> Answer:
    """The verb's --now when it was given one; else the clock of whoever carries it out:
    the running daemon's (`cop run --now ...` included), or `cop`'s own when alone."""
    community = steps.app.config.community(record["community"])
    if community is None:
        return _fail(f"no community '{record['community']}' in cop.toml")
    asked = record.get("now")  # the moment keys the digest; without it, the request's name
    now = datetime.fromisoformat(asked) if asked else steps.now
    queued, message_id = asked_digest(steps.app, store, community, now,
                                      key=None if asked else name)
    return {"code": 0, "out": "", "err": "",
            "digest": {"community": community.id, "queued": queued,
                       "message_id": message_id}}


def finish(answer: Answer, state: State) -> Answer:
    """The answer as the verb prints it, once delivery has run: a digest says how many of
    its copies went."""
    digest = answer.get("digest")
    if not digest:
        return answer
    counts = {"sent": 0, "deferred": 0, "failed": 0}
    for item in state.outbox.values():
        if item.message_id == digest["message_id"] and item.state in counts:
            counts[item.state] += 1
    return {**answer, "out": f"digest for {digest['community']}: {digest['queued']} queued, "
                             f"{counts['sent']} sent, {counts['deferred']} deferred, "
                             f"{counts['failed']} failed"}


def _ok(text: str) -> Answer:
    return {"code": 0, "out": text, "err": ""}


def _fail(text: str) -> Answer:
    return {"code": 1, "out": "", "err": text}
