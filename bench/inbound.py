"""Inbound: Dovecot -> threads, against a bare imapclient fetch + `email` parse of the same
messages from the same server, in the same run; and IDLE latency from APPEND to stored post.

Members read digests here, so the figure is the inbound path alone (no posts fan out).
"""

from __future__ import annotations

import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from mailer.config import load_config
from mailer.daemon import Runtime, tick
from mailer.edges.store import FileStore as Store
from tests.helpers import make_mail
from tests.peers import Dovecot

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
BODY = ("Ibu dan Bapak,\n\nMinggu ini saya mencoba mengenalkan pecahan dengan kertas lipat.\n"
        * 12)


def _config(folder: Path, dovecot: Dovecot, user: str, password: str) -> Path:
    path = folder / "cop.toml"
    path.write_text(
        '[service]\ntimezone = "Asia/Jakarta"\ndata_dir = "data"\nsecret = "bench"\n'
        f'[inbound]\nprotocol = "imap"\nhost = "127.0.0.1"\nport = {dovecot.port}\n'
        f'tls = "none"\nusername = "{user}"\npassword = "{password}"\npoll_interval = "1s"\n'
        '[[community]]\nid = "kkg"\nname = "KKG"\naddress = "kkg@example.org"\n'
        'posting = "open"\n[[community.member]]\nemail = "budi@example.org"\n'
        'delivery = "digest"\n')
    return path


def _fill(dovecot: Dovecot, count: int) -> tuple[str, str]:
    user, password = dovecot.add_user()
    with dovecot.client(user, password) as client:
        for i in range(count):
            subject = f"Topik {i // 3}" if i % 3 == 0 else f"Re: Topik {i // 3}"
            client.append("INBOX", make_mail(subject=subject, body=BODY,
                                             message_id=f"<bench-{i}@example.org>"))
    return user, password


def bench_bare(dovecot: Dovecot, user: str, password: str) -> float:
    start = time.perf_counter()
    parser = BytesParser(policy=policy.default)
    with dovecot.client(user, password) as client:
        client.select_folder("INBOX")
        uids = client.search(["ALL"])
        for i in range(0, len(uids), 50):
            for data in client.fetch(uids[i : i + 50], ["BODY.PEEK[]"]).values():
                msg = parser.parsebytes(data[b"BODY[]"])
                body = msg.get_body(("plain", "html"))
                _ = (msg["Subject"], msg["From"], body.get_content() if body else "")
    return time.perf_counter() - start


def bench_ours(dovecot: Dovecot, user: str, password: str, count: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        config = load_config(_config(Path(folder), dovecot, user, password))
        rt = Runtime(config, Store(config.service.data_dir))
        start = time.perf_counter()
        while len(rt.store.state.messages) < count:
            tick(rt, NOW)
        elapsed = time.perf_counter() - start
        rt.close()
        assert len(rt.store.state.threads) == (count + 2) // 3
    return elapsed


def bench_idle_latency(dovecot: Dovecot, samples: int) -> list[float]:
    user, password = dovecot.add_user()
    latencies = []
    with tempfile.TemporaryDirectory() as folder:
        path = _config(Path(folder), dovecot, user, password)
        data_dir = path.parent / "data"
        daemon = subprocess.Popen([sys.executable, "-m", "mailer", "--config", str(path),
                                   "run"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            _wait_started(data_dir)
            with dovecot.client(user, password) as client:
                for i in range(samples):
                    message_id = f"<idle-{i}@example.org>"
                    time.sleep(1.0)  # the daemon is back in IDLE
                    start = time.perf_counter()
                    client.append("INBOX", make_mail(subject=f"IDLE {i}", body="Halo\n",
                                                     message_id=message_id))
                    while message_id not in _recorded(data_dir):
                        time.sleep(0.01)
                    latencies.append(time.perf_counter() - start)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(30)
    return latencies


def _recorded(data_dir: Path) -> set[str]:
    ids = set()
    for segment in sorted((data_dir / "journal").glob("*.jsonl")):
        for line in segment.read_bytes().split(b"\n"):
            if b'"t":"message"' in line:
                start = line.find(b'"id":"') + 6
                ids.add(line[start : line.find(b'"', start)].decode())
    return ids


def _wait_started(data_dir: Path) -> None:
    deadline = time.monotonic() + 30
    while not (data_dir / "cop.lock").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)


def run(quick: bool) -> list[dict[str, Any]]:
    count = 300 if quick else 1000
    rounds = 3
    pairs = []
    with tempfile.TemporaryDirectory(prefix="cop-bench-dovecot-") as folder:
        dovecot = Dovecot(Path(folder))
        dovecot.setup()
        try:
            bare_account = _fill(dovecot, count)  # fetched with PEEK: the same every round
            bench_bare(dovecot, *_fill(dovecot, 50))  # warm up
            for _ in range(rounds):  # alternate, and take the median: the machine is noisy
                ours_account = _fill(dovecot, count)  # ours flags what it took: a fresh one
                bare = bench_bare(dovecot, *bare_account)
                ours = bench_ours(dovecot, *ours_account, count)
                pairs.append((bare / ours, ours, bare))
            latencies = bench_idle_latency(dovecot, 5 if quick else 15)
        finally:
            dovecot.stop()
    ratio, ours, bare = sorted(pairs)[len(pairs) // 2]
    median = statistics.median(latencies)
    return [
        {"name": f"inbound: {count} messages Dovecot -> threads vs bare fetch+parse",
         "value": ratio * 100, "unit": "% of bare throughput", "goal": ">= 40",
         "ok": ratio >= 0.40,
         "detail": {"messages": count, "rounds": rounds,
                    "ratios": [round(r, 3) for r, _, _ in pairs], "ours_s": ours, "bare_s": bare,
                    "ours_per_s": count / ours, "bare_per_s": count / bare}},
        {"name": "IDLE: APPEND -> post stored (median)", "value": median, "unit": "seconds",
         "goal": "<= 1.5", "ok": median <= 1.5,
         "detail": {"samples": [round(x, 3) for x in latencies]}},
    ]
