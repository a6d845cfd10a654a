"""`cop plan`: every mail the service will send in the coming days, without sending any.

It runs the daemon's own tick on a scratch copy of data_dir at every moment something falls
due (now, digest slots, reminders, the end of meetings), with a transport that only writes
down what it was given. So the plan is what `cop run` will do, by construction, as long as
nobody writes in and nobody edits cop.toml meanwhile.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from mailer.calendar.occurrences import expand
from mailer.config import Config
from mailer.daemon import Runtime, tick
from mailer.edges.store import FileStore, copy_durable
from mailer.timed.cycle import NOTES_AFTER
from mailer.timed.schedule import next_slot


@dataclass(frozen=True)
class Planned:
    when: datetime
    kind: str
    to: str
    subject: str


class _Recorder:
    """A transport that sends nothing and remembers what it was handed."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def send(self, envelope_from: str, to: str, data: bytes, item_id: str) -> None:
        self.items.append((item_id, to))

    def close(self) -> None:
        pass


def moments(config: Config, start: datetime, end: datetime) -> list[datetime]:
    """Every moment in [start, end) at which something may fall due."""
    found = {start}
    for community in config.communities:
        slot = next_slot(community.digest, community.timezone, start)
        while slot is not None and slot < end:
            found.add(slot)
            slot = next_slot(community.digest, community.timezone, slot)
        for meeting in community.meetings:
            occurrences, _ = expand(meeting, community.language)
            for occ in occurrences:
                for before in meeting.remind:
                    found.add(occ.start - before)
                found.add(occ.end + NOTES_AFTER)
    return sorted(m for m in found if start <= m < end)


def plan(config: Config, start: datetime, days: int) -> list[Planned]:
    end = start + timedelta(days=days)
    with tempfile.TemporaryDirectory(prefix="cop-plan-") as scratch:
        data = Path(scratch) / "data"
        copy_durable(config.service.data_dir, data)
        copy = replace(config, service=replace(config.service, data_dir=data))
        store = FileStore(data)
        already = set(store.state.outbox)
        waiting = [Planned(item.next_try or start, item.kind, item.to, item.subject)
                   for item in store.state.outbox.values()
                   if item.state in ("queued", "deferred")]
        recorder = _Recorder()
        rt = Runtime(copy, store, transport=recorder)
        rt.mailbox = None  # nobody writes in: the plan is what the clock makes due
        for moment in moments(config, start, end):
            tick(rt, moment)
        outbox = store.state.outbox
        planned = [Planned(item.queued or start, item.kind, item.to, item.subject)
                   for item in outbox.values() if item.id not in already]
        rt.close()
    return sorted(waiting + planned, key=lambda p: (p.when, p.kind, p.to))
