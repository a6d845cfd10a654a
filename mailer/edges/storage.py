"""Which store: the files in data_dir (the default), or PostgreSQL when cop.toml's
[service] database names one; and pruning the bytes of sent mail, whichever it is."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from mailer.config import Config
from mailer.edges.store import FileStore
from mailer.store import Store

log = logging.getLogger(__name__)

KEEP_SENT = timedelta(days=30)  # sent mail's bytes are kept this long after the last write


def open_store(config: Config, read_only: bool = False, name: str = "cop") -> Store:
    """The store cop.toml chooses. PostgreSQL is imported only when it is chosen."""
    if config.service.database:
        from mailer.edges.pg.store import PgStore

        return PgStore(config.service.database, read_only=read_only, name=name)
    return FileStore(config.service.data_dir, read_only=read_only)


def prune_sent(store: Store) -> None:
    """Free the disk of sent mail: a segment goes once every message in it went (or failed
    for good) and it has not been written to for KEEP_SENT. The journal keeps each outcome.
    By the file's own time, not the tick's: `cop run --now` must not delete the present."""
    waiting = (store.state.outbox[i] for i in store.state.outbox_waiting)
    needed = {part[0] for item in waiting for part in item.spool}
    cutoff = time.time() - KEEP_SENT.total_seconds()
    for name in store.prune_outgoing(needed, cutoff):
        log.info("spool segment removed segment=%s reason=all sent, older than %d days",
                 name, KEEP_SENT.days)
