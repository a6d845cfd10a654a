"""Daemon memory: peak RSS of `cop run --once` over a data_dir holding N archived messages
(threads, posts and message records in the journal, raw mail in the archive)."""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.storage import _records
from mailer.edges.store import Store
from tests.helpers import make_mail
from tests.peers import free_port


def run(quick: bool) -> list[dict[str, Any]]:
    count = 5_000 if quick else 20_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cop.toml"
        path.write_text(
            '[service]\ndata_dir = "data"\nsecret = "bench"\n'
            f'[inbound]\nprotocol = "smtp"\nport = {free_port()}\n'
            '[[community]]\nid = "kkg"\nname = "KKG"\naddress = "kkg@example.org"\n'
            '[[community.member]]\nemail = "siti@example.org"\ndelivery = "each"\n')
        store = Store(Path(folder) / "data")
        raw = make_mail(body="Isi pesan contoh untuk arsip. " * 30)
        for i in range(count):
            for record in _records(i):
                record["community"] = "kkg"
                store.record(record)
            key = store.archive.add(raw, sync=False)
            store.archive.mark_done([key])
        store.close()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        subprocess.run([sys.executable, "-m", "mailer", "--config", str(path), "run",
                        "--once"], check=True, capture_output=True)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return [{"name": f"daemon peak RSS with {count} archived messages", "value": peak_mb,
             "unit": "MB", "goal": "<= 150", "ok": peak_mb <= 150,
             "detail": {"messages": count, "children_before_kb": before}}]
