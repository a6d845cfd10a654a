"""The file store: the Store interface over a data_dir, and the files it is made of.

    filestore.py  FileStore: metadata, journal, archive, queue and requests, flushed together
    files.py      atomic writes, segment appends, the data_dir lock and layout, the secret
    journal.py    append-only records; a start replays those after the newest snapshot
    index.py      index.sqlite: snapshots, and the large maps of State read on demand
    spool.py      outgoing messages' bytes
    archive.py    raw inbound mail (a Maildir); requests from `cop` to the running daemon
    metadata.py   db.json (TinyDB), written once per tick
"""

from mailer.edges.store.archive import Requests, requests_of
from mailer.edges.store.files import (
    DataDirLock,
    copy_durable,
    fsync_dir,
    load_secret,
    open_private,
    outbox_folder,
    private_dir,
    receiving_folder,
    write_atomic,
)
from mailer.edges.store.filestore import FileStore

__all__ = [
    "DataDirLock",
    "FileStore",
    "Requests",
    "copy_durable",
    "fsync_dir",
    "load_secret",
    "open_private",
    "outbox_folder",
    "private_dir",
    "receiving_folder",
    "requests_of",
    "write_atomic",
]
