"""`cop store copy FROM TO`: a store moved whole between a data_dir and PostgreSQL, either
way: records in their order (and those of copies sent but not yet recorded:
edges/pg/marks.py), metadata, the bytes of mail still waiting to go (the outbox
records that name them are pointed at the copies), the archive (processed or not), files,
and requests not yet applied. The target must be empty; the source is only read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mailer.edges.pg.connect import is_database, redact
from mailer.edges.pg.marks import pending
from mailer.edges.pg.migrate import migrate
from mailer.edges.pg.store import PgStore
from mailer.edges.store import FileStore
from mailer.errors import StoreError
from mailer.state import Record
from mailer.store import OutgoingRef

AnyStore = FileStore | PgStore
BATCH = 2000  # records per commit into the target


def open_any(where: str, read_only: bool) -> AnyStore:
    if is_database(where):
        if not read_only:
            migrate(where)
        return PgStore(where, read_only=read_only, name="cop-copy")
    path = Path(where)
    if read_only and not path.is_dir():
        raise StoreError(f"{where} is not a data_dir")
    return FileStore(path, read_only=read_only)


def records_of(store: AnyStore) -> Iterator[Record]:
    if isinstance(store, FileStore):
        yield from store.journal.replay()
        return
    last = 0
    while True:
        rows = store.conn.execute("SELECT id, record FROM records WHERE id > %s ORDER BY id "
                                  "LIMIT %s", (last, BATCH)).fetchall()
        for row_id, record in rows:
            last = row_id
            yield record
        if len(rows) < BATCH:
            break
    # copies a worker killed mid-batch sent and marked (marks.py): sent, not to go again
    yield from (r for r in pending(store.conn) if r["id"] in store.state.outbox_waiting)


def meta_tables(store: AnyStore) -> list[str]:
    if isinstance(store, FileStore):
        return sorted(t for t in store.storage.data if t != "_default")
    rows = store.conn.execute("SELECT DISTINCT tbl FROM metadata ORDER BY tbl").fetchall()
    return [r[0] for r in rows]


def files_of(store: AnyStore) -> list[str]:
    if isinstance(store, FileStore):
        return store.files.keys()
    return [r[0] for r in store.side.execute("SELECT sha256 FROM files ORDER BY sha256")]


def is_empty(store: AnyStore) -> bool:
    return not store.state.messages and not store.state.outbox and not store.archive.count()


def copy_store(source_at: str, target_at: str) -> dict[str, int]:
    """Copy everything from one store to another (empty) one; counts of what was copied."""
    if source_at == target_at:
        raise StoreError("FROM and TO are the same store")
    source = open_any(source_at, read_only=True)
    try:
        target = open_any(target_at, read_only=False)
    except BaseException:
        source.close()
        raise
    try:
        if not is_empty(target):
            raise StoreError(f"{redact(target_at)} is not empty; copy into a new data_dir or "
                             "a new database / tujuan tidak kosong")
        return _copy(source, target)
    finally:
        target.close()
        source.close()


def _copy(source: AnyStore, target: AnyStore) -> dict[str, int]:
    counts = {"records": 0, "metadata": 0, "outgoing": 0, "archive": 0, "files": 0,
              "requests": 0}
    for sha256 in files_of(source):  # before the records that name them
        data = source.read_file(sha256)
        if data is not None:
            target.add_file(data)
            counts["files"] += 1
    for key in source.archive.done_keys():
        target.archive.add_as(key, source.archive.read(key), done=True)
        counts["archive"] += 1
    for key in source.archive.pending():
        target.archive.add_as(key, source.archive.read(key), done=False)
        counts["archive"] += 1
    waiting = set(source.state.outbox_waiting)
    moved: dict[OutgoingRef, OutgoingRef] = {}  # a shared body is copied once
    for record in records_of(source):
        if record.get("t") == "outbox" and record["id"] in waiting:
            record = {**record, "spool": [list(_moved(source, target, moved, part))
                                          for part in source.state.outbox[record["id"]].spool]}
        target.record(record)
        counts["records"] += 1
        if counts["records"] % BATCH == 0:
            target.flush()
    counts["outgoing"] = len(moved)
    for table in meta_tables(source):
        for key, value in source.meta_items(table):
            target.put_meta(table, key, value)
            counts["metadata"] += 1
    target.flush()
    for _, records in source.requests.pending():
        if records:
            target.requests.submit(records)
            counts["requests"] += 1
    return counts


def _moved(source: AnyStore, target: AnyStore, moved: dict[OutgoingRef, OutgoingRef],
           part: Any) -> OutgoingRef:
    ref = (str(part[0]), int(part[1]), int(part[2]))
    if ref not in moved:
        moved[ref] = target.add_outgoing(source.read_outgoing((ref,)))
    return moved[ref]
