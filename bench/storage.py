"""Storage growth: per-record cost in the first tenth vs the last tenth of N message records.

Ours: what the daemon does for each inbound message when one arrives per tick (the worst
case for batching): journal records for the message, its thread and post, a metadata update
(the mailbox cursor), then the flush (journal fsync, atomic db.json rewrite).
Stock: TinyDB as its documentation shows it, one `insert` per message record with
CachingMiddleware (uncached is far slower still): the issue's "20,000 single inserts".
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import JSONStorage

from mailer.edges.store import FileStore as Store


def _records(i: int) -> list[dict[str, Any]]:
    when = "2026-12-01T09:00:00+07:00"
    mid = f"<bench-{i}@example.org>"
    return [
        {"t": "thread", "id": f"t{i + 1}", "community": "kkg", "subject": f"Topik {i}",
         "started": when},
        {"t": "post", "thread": f"t{i + 1}", "message_id": mid, "from": "siti@example.org",
         "name": "Siti", "date": when, "body": "Isi pesan " * 30, "attachments": []},
        {"t": "message", "id": mid, "state": "posted", "rule": "new-thread",
         "community": "kkg", "thread": f"t{i + 1}", "from": "siti@example.org",
         "subject": f"Topik {i}", "received": when, "archive": f"key{i}", "detail": ""},
    ]


def _tenths(times: list[float]) -> tuple[float, float]:
    tenth = max(len(times) // 10, 1)
    return sum(times[:tenth]) / tenth, sum(times[-tenth:]) / tenth


def bench_ours(count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder))
        times = []
        for i in range(count):
            start = time.perf_counter()
            for record in _records(i):
                store.record(record)
            store.put_meta("cursor", "imap", {"uidvalidity": 1, "last_uid": i})
            store.flush()
            times.append(time.perf_counter() - start)
        store.close()
        start = time.perf_counter()
        reopened = Store(Path(folder), read_only=True)
        replay = time.perf_counter() - start
        assert len(reopened.state.messages) == count
    first, last = _tenths(times)
    return {"records": count, "first_tenth_ms": first * 1e3, "last_tenth_ms": last * 1e3,
            "growth": last / first, "total_s": sum(times), "replay_s": replay}


def bench_stock(count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        db = TinyDB(Path(folder) / "db.json", storage=CachingMiddleware(JSONStorage))
        table = db.table("messages")
        times = []
        for i in range(count):
            start = time.perf_counter()
            table.insert(_records(i)[-1])  # the message record: one insert per message
            times.append(time.perf_counter() - start)
        db.close()
    first, last = _tenths(times)
    return {"records": count, "first_tenth_ms": first * 1e3, "last_tenth_ms": last * 1e3,
            "growth": last / first, "total_s": sum(times)}


def run(quick: bool) -> list[dict[str, Any]]:
    count = 5_000 if quick else 20_000
    ours = bench_ours(count)
    stock = bench_stock(3_000 if quick else count)  # quadratic: the reference, kept short
    return [
        {"name": "storage growth (journal + TinyDB metadata)", "value": ours["growth"],
         "unit": "x last/first tenth", "goal": "<= 2.0", "ok": ours["growth"] <= 2.0,
         "detail": ours},
        {"name": "storage growth (stock TinyDB insert, cached)", "value": stock["growth"],
         "unit": "x last/first tenth", "goal": "reference", "ok": True, "detail": stock},
    ]
