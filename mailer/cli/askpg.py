"""The verbs that write, on PostgreSQL ([service] database): ask.py's counterpart.

    no worker leads   take the leader's lock (as a worker would) and carry the request out
                      here, against the database, under every community's lock
                      (store.exclusive()); deliver what it queued; print the answer
    a worker leads    leave the request in the `requests` table (its NOTIFY wakes the
                      leader, on whatever machine: edges/pg/wakeups.py), wait for its
                      answer in the same row and print
                      that. After WAIT seconds without one: say it is queued, exit 0. Should
                      the leader die meanwhile and no other take over, this `cop` gets the
                      lock and does it here (once: the request's id keys it, requested.py).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

import click

from mailer.cli.common import setup_logging
from mailer.config import Config
from mailer.daemon import Runtime, steps_of
from mailer.edges.storage import open_store
from mailer.model import OutboxItem
from mailer.outbound.outbox import Limits, deliver
from mailer.requested import Answer, carry_out, finish
from mailer.state import Record

Progress = Callable[[Iterable[OutboxItem]], Iterable[OutboxItem]] | None


def ask_database(config: Config, records: list[Record], label: str, now: datetime,
                 progress: bool, seconds: float) -> Answer | None:
    """The answer, or None when the leader has not answered within `seconds` (said)."""
    setup_logging(config.service.log_level)
    rt = Runtime(config, open_store(config, name=f"cop-ask-{os.getpid()}"))
    store = rt.store
    try:
        if store.is_leader():
            return _carry(rt, None, records, now, progress_bar if progress else None)
        name = store.requests.submit(records)
        deadline = time.monotonic() + seconds
        while True:
            answer = store.requests.answer_of(name)
            if answer is not None:
                return answer
            if store.is_leader() and store.requests.waiting(name):
                store.catch_up()  # the leader is gone: do it here
                answer = _carry(rt, name, records, now, None)
                store.requests.done(name)
                return answer
            if time.monotonic() >= deadline:
                click.echo(f"{label} recorded; the workers' leader carries it out at its next "
                           f"cycle: not done after {seconds:.0f} s, it is busy. `cop status` "
                           "shows what waits")
                return None
            time.sleep(0.2)
    finally:
        rt.close()


def _carry(rt: Runtime, name: str | None, records: list[Record], now: datetime,
           progress: Progress) -> Answer:
    store = rt.store
    before = len(store.state.outbox)
    with store.exclusive():
        answer = carry_out(name, records, store, steps_of(rt, now))
    if len(store.state.outbox) > before:  # it queued mail: send it (each copy claimed)
        deliver(store, rt.transport, now,
                Limits(rt.config.outbound.per_minute, rt.config.outbound.per_day),
                progress, claim=store.claim_outgoing)
    store.flush()
    return finish(answer, store.state)


def progress_bar(items: Iterable[OutboxItem]) -> Iterator[OutboxItem]:
    """What `cop digest send` shows while it sends (either store)."""
    shown = list(items)
    with click.progressbar(shown, label="sending", show_pos=True, file=sys.stderr) as bar:
        yield from bar
