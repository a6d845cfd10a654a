"""The file store at a million messages: start-up time and peak RSS at 20,000 and at
1,000,000 archived messages, and the growth between them.

    python3 bench/run.py --only million            20,000 and 1,000,000 (~15 minutes, ~4 GB
                                                    of disk in a temp folder, removed after)
    python3 bench/run.py --only million --quick    2,000 and 20,000

What a data_dir holds (journal records written straight in the journal's format, as the
daemon writes them; no raw mail in the archive, which a start does not read):
- N inbound messages, each a post of 2 KB with its `message` record (fingerprint, archive
  key), one in five starting a thread (a `thread` record), five minutes apart (10 years at N
  = 1,000,000);
- the copies of the last 20,000 posts to 30 members in 'each' delivery, queued and sent
  (`outbox` + `outbox-state`, 1.2 million records): with every post's copies a million
  messages would be 60 million records, which takes hours to write and fold here; a sent
  copy is a row in the index like a message, read only when asked for, so more of them
  make the index file bigger, not the start slower or the daemon bigger.

Three figures per size, each in a fresh process:
- first start: a data_dir from before snapshots (the journal only): the full replay that
  folds it into index.sqlite, once;
- start: opening the store from its snapshot, as every later start does (goal <= 5 s);
- `cop run --once` peak RSS (VmHWM, as bench/memory.py reads it) with the 30 members
  configured (goal <= 150 MB).

Measured 2026-12-02 on this project's 2-core machine, shared (load average ~10):

    messages   journal  index.sqlite  first start (peak)  start (peak)   run --once peak
      20,000    284 MB     245 MB        286 s (52 MB)    0.60 s (28 MB)     51 MB
   1,000,000   2.6 GB     4.5 GB        501 s (64 MB)    0.20 s (39 MB)     62 MB

Growth from 20,000 to 1,000,000: peak RSS x1.21 (+11 MB), start time flat (0.6 -> 0.2 s:
both are the snapshot load and the noise of a busy machine). Before snapshots the issue
measured 79 MB at 20,000 and ~40 us a record replayed at every start: about 2 GB and most
of a minute at a million. The first start over a journal with no index is the full replay,
once (an upgrade, or a lost index); it folds the journal in 20,000-record snapshots, so its
memory stays flat too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.memory import LAUNCHER
from mailer.edges.store.files import SEGMENT_BYTES
from tests.peers import free_port

MEMBERS = [f"guru{n:02d}@sekolah{n % 7}.sch.id" for n in range(30)]
COPIES_OF_LAST = 20_000
START = datetime.fromisoformat("2017-01-02T07:00:00+07:00")
BODY = ("Bapak dan Ibu guru, di kelas tiga kami mencoba pecahan dengan kertas lipat dan "
        "kartu. Anak-anak membandingkan setengah dan seperempat, lalu menulis soal cerita. ")

OPEN = """
import sys, time
from pathlib import Path
began = time.perf_counter()
from mailer.edges.store import FileStore
store = FileStore(Path(sys.argv[1]))
took = time.perf_counter() - began
assert len(store.state.messages) == int(sys.argv[2]), len(store.state.messages)
store.close()
status = Path("/proc/self/status").read_text()
print(took, int(status.split("VmHWM:")[1].split()[0]) / 1024)
"""


def _records(i: int, count: int) -> list[dict[str, Any]]:
    when = (START + timedelta(minutes=5 * i)).isoformat()
    thread = f"t{i // 5 + 1}"
    mid = f"<{i}.{i * 7919 % 1000003}@mail.sekolah.sch.id>"
    out: list[dict[str, Any]] = []
    if i % 5 == 0:
        out.append({"t": "thread", "id": thread, "community": "kkg",
                    "subject": f"Pecahan di kelas tiga, pertemuan {i // 5}", "started": when})
    body = f"{i}: " + (BODY * 12)[:2040]
    out += [
        {"t": "post", "thread": thread, "message_id": mid, "from": MEMBERS[i % 30],
         "name": f"Guru {i % 30}", "date": when, "body": body, "attachments": []},
        {"t": "message", "id": mid, "state": "posted",
         "rule": "new-thread" if i % 5 == 0 else "reply", "community": "kkg",
         "thread": thread, "from": MEMBERS[i % 30], "subject": "Pecahan", "received": when,
         "archive": f"{1483315200 + i * 300}000000000.P1Q{i}.cop", "detail": "",
         "fingerprint": f"{i * 2654435761 % 2**64:016x}"},
    ]
    if i >= count - COPIES_OF_LAST:
        for n, member in enumerate(MEMBERS):
            item = f"o{i:07d}{n:02d}"
            out.append({"t": "outbox", "id": item, "to": member, "kind": "post",
                        "subject": "[KKG] Pecahan", "queued": when,
                        "envelope_from": "kkg+bounces@example.org",
                        "message_id": f"<p{i}.{n}@kkg.example.org>",
                        "spool": [["000001.spool", n * 900, 900], ["000001.spool", 0, 2200]]})
            out.append({"t": "outbox-state", "id": item, "state": "sent", "attempts": 1,
                        "at": when, "next_try": None, "error": None})
    return out


def build(data_dir: Path, count: int) -> int:
    """Write the journal of `count` messages; its size in bytes."""
    folder = data_dir / "journal"
    folder.mkdir(parents=True, mode=0o700)
    segment, size, total, chunk = 1, 0, 0, []
    out = open(folder / f"{segment:06d}.jsonl", "wb")  # noqa: SIM115
    for i in range(count):
        for record in _records(i, count):
            chunk.append(json.dumps(record, ensure_ascii=False,
                                    separators=(",", ":")).encode() + b"\n")
        if len(chunk) > 2000 or i == count - 1:
            data = b"".join(chunk)
            chunk.clear()
            out.write(data)
            size += len(data)
            total += len(data)
            if size >= SEGMENT_BYTES:
                out.close()
                segment, size = segment + 1, 0
                out = open(folder / f"{segment:06d}.jsonl", "wb")  # noqa: SIM115
    out.close()
    return total


def _open(data_dir: Path, count: int) -> tuple[float, float]:
    result = subprocess.run([sys.executable, "-c", OPEN, str(data_dir), str(count)],
                            check=True, capture_output=True, text=True)
    took, peak = result.stdout.split()
    return float(took), float(peak)


def _run_once(folder: Path) -> float:
    path = folder / "cop.toml"
    path.write_text(
        '[service]\ndata_dir = "data"\nsecret = "bench"\n'
        f'[inbound]\nprotocol = "smtp"\nport = {free_port()}\n'
        '[[community]]\nid = "kkg"\nname = "KKG"\naddress = "kkg@example.org"\n'
        + "".join(f'[[community.member]]\nemail = "{m}"\ndelivery = "each"\n'
                  for m in MEMBERS))
    out = folder / "peak"
    subprocess.run([sys.executable, "-c", LAUNCHER, str(out), "--config", str(path), "run",
                    "--once"], check=True, capture_output=True)
    return int(out.read_text()) / 1024


def measure(count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="cop-million-") as folder:
        data_dir = Path(folder) / "data"
        journal = build(data_dir, count)
        first, first_peak = _open(data_dir, count)
        start, start_peak = _open(data_dir, count)
        peak = _run_once(Path(folder))
        index = (data_dir / "index.sqlite").stat().st_size
        shutil.rmtree(data_dir)
    return {"messages": count, "journal_mb": journal / 2**20, "index_mb": index / 2**20,
            "first_start_s": first, "first_start_peak_mb": first_peak, "start_s": start,
            "start_peak_mb": start_peak, "run_once_peak_mb": peak}


def run(quick: bool) -> list[dict[str, Any]]:
    small, large = (2_000, 20_000) if quick else (20_000, 1_000_000)
    a, b = measure(small), measure(large)
    for row in (a, b):
        print(json.dumps(row), file=sys.stderr, flush=True)
    growth = {k: b[k] / a[k] if a[k] else 0.0 for k in ("start_s", "run_once_peak_mb",
                                                        "start_peak_mb", "index_mb")}
    return [
        {"name": f"store start with {large} messages", "value": b["start_s"], "unit": "s",
         "goal": "<= 5", "ok": b["start_s"] <= 5, "detail": b},
        {"name": f"cop run --once peak RSS with {large} messages",
         "value": b["run_once_peak_mb"], "unit": "MB", "goal": "<= 150",
         "ok": b["run_once_peak_mb"] <= 150, "detail": b},
        {"name": f"(reference) store start with {small} messages", "value": a["start_s"],
         "unit": "s", "goal": "reference", "ok": True, "detail": a},
        {"name": f"(reference) cop run --once peak RSS with {small}",
         "value": a["run_once_peak_mb"], "unit": "MB", "goal": "reference", "ok": True},
        {"name": f"growth of peak RSS, {small} -> {large} messages",
         "value": growth["run_once_peak_mb"], "unit": "x", "goal": "reference", "ok": True,
         "detail": growth},
        {"name": f"growth of start time, {small} -> {large} messages",
         "value": growth["start_s"], "unit": "x", "goal": "reference", "ok": True},
    ]
