"""Daemon memory: peak RSS of `cop run --once` over a data_dir holding N archived messages
(threads, posts and message records in the journal, raw mail in the archive), beside the
same daemon over an empty data_dir.

Each post's new text is 1 KB: longer than the replies the tests collect from real clients
(70-250 characters once quotes are cut), the length of a short lesson write-up.

The peak is the daemon's own VmHWM, read as it exits. Not getrusage: a child's ru_maxrss
starts at the parent's peak (Linux carries the forking process's high-water mark across
exec), so it measured this benchmark's own memory, not the daemon's.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.storage import _records
from mailer.edges.store import FileStore as Store
from tests.helpers import make_mail
from tests.peers import free_port

BODY = "Isi pesan contoh untuk arsip, tentang pecahan di kelas tiga. " * 16

# runs `cop` in the child and writes its peak RSS (kB) to argv[1] as it exits
LAUNCHER = """\
import atexit, sys
from pathlib import Path
out = Path(sys.argv.pop(1))
def peak():
    status = Path("/proc/self/status").read_text()
    out.write_text(status.split("VmHWM:")[1].split()[0])
atexit.register(peak)
from mailer.cli import main
main(prog_name="cop")
"""


def fill(data_dir: Path, count: int) -> None:
    store = Store(data_dir)
    raw = make_mail(body=BODY)
    for i in range(count):
        for record in _records(i):
            if record["t"] == "post":
                record["body"] = BODY
            store.record(record)
        key = store.archive.add(raw, sync=False)
        store.archive.mark_done([key])
    store.close()


def peak_of_run_once(folder: Path) -> float:
    """Peak RSS in MB of `cop run --once` with the cop.toml in `folder`."""
    path = folder / "cop.toml"
    path.write_text(
        '[service]\ndata_dir = "data"\nsecret = "bench"\n'
        f'[inbound]\nprotocol = "smtp"\nport = {free_port()}\n'
        '[[community]]\nid = "kkg"\nname = "KKG"\naddress = "kkg@example.org"\n'
        '[[community.member]]\nemail = "siti@example.org"\ndelivery = "each"\n')
    out = folder / "peak"
    subprocess.run([sys.executable, "-c", LAUNCHER, str(out), "--config", str(path), "run",
                    "--once"], check=True, capture_output=True)
    return int(out.read_text()) / 1024


def run(quick: bool) -> list[dict[str, Any]]:
    count = 5_000 if quick else 20_000
    with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as full:
        baseline = peak_of_run_once(Path(empty))
        fill(Path(full) / "data", count)
        peak = peak_of_run_once(Path(full))
    return [{"name": f"daemon peak RSS with {count} archived messages", "value": peak,
             "unit": "MB", "goal": "<= 150", "ok": peak <= 150,
             "detail": {"messages": count, "post_bytes": len(BODY),
                        "kb_per_message": (peak - baseline) * 1024 / count}},
            {"name": "(reference) the same, empty data_dir", "value": baseline, "unit": "MB",
             "goal": "reference", "ok": True}]
