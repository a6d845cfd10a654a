"""Digests: building every member's digest over many active threads, against the time bare
smtplib needs to send the same number of messages of that size, in the same run."""

from __future__ import annotations

import smtplib
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.peer import PeerProcess
from mailer.config import load_config
from mailer.edges.store import load_secret
from mailer.model import Post, Thread
from mailer.outbound.compose import compose_digests
from mailer.outbound.digest import build_digest
from tests.helpers import make_mail

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def _threads(count: int) -> list[Thread]:
    threads = []
    for i in range(count):
        started = NOW - timedelta(days=3, minutes=i)
        thread = Thread(f"t{i + 1}", "kkg", f"Topik diskusi nomor {i + 1}: pecahan dan soal",
                        started, started)
        for j in range(3):
            thread.posts.append(Post(f"<p{i}.{j}@example.org>", thread.id,
                                     f"guru{j}@example.org", f"Guru Nomor {j}",
                                     started + timedelta(hours=j),
                                     "Saya mencoba cara baru di kelas minggu ini. " * 8))
        threads.append(thread)
    return threads


def bench_ours(members: int, threads: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cop.toml"
        lines = ['[service]\ndata_dir = "data"\nsecret = "bench"\n',
                 '[[community]]\nid = "kkg"\nname = "KKG Matematika"\n'
                 'address = "kkg@example.org"\n']
        lines += [f'[[community.member]]\nemail = "guru{i}@example.org"\n'
                  f'name = "Guru Nomor {i}"\ndelivery = "digest"\n' for i in range(members)]
        path.write_text("\n".join(lines))
        config = load_config(path)
        community = config.communities[0]
        secret = load_secret(config.service.data_dir, config.service.secret)
        all_threads = _threads(threads)
        start = time.perf_counter()
        digest = build_digest(community, all_threads, NOW - timedelta(days=7), NOW)
        copies = compose_digests(digest, list(community.members), secret, None,
                                 "<digest@example.org>", NOW)
        elapsed = time.perf_counter() - start
    assert len(copies) == members and len(digest.threads) == threads
    return elapsed, len(copies[0].data)


def bench_bare(peer: PeerProcess, count: int, size: int) -> float:
    line = "Saya mencoba cara baru di kelas minggu ini, Ibu dan Bapak sekalian.\n"
    base = len(make_mail(body=""))
    data = make_mail(body=line * max((size - base) // len(line), 1))
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", peer.port) as smtp:
        for i in range(count):
            smtp.sendmail("kkg@example.org", [f"guru{i}@example.org"], data)
    return time.perf_counter() - start


def run(quick: bool) -> list[dict[str, Any]]:
    members, threads = (500 if quick else 2000), 200
    ours, size = bench_ours(members, threads)
    peer = PeerProcess()
    try:
        bare = bench_bare(peer, members, size)
    finally:
        peer.stop()
    share = ours / bare
    return [{"name": f"digests: {members} members x {threads} threads vs bare send",
             "value": share * 100, "unit": "% of bare send time", "goal": "<= 25",
             "ok": share <= 0.25,
             "detail": {"members": members, "threads": threads, "bytes_each": size,
                        "build_s": ours, "bare_send_s": bare,
                        "build_ms_per_member": ours / members * 1000}}]
