"""The PostgreSQL store with 1 and 2 `cop run` workers beside the file store, in the same
run, each as a ratio to the bare protocol (opt-in: `--only pgstore`; it needs Debian's
PostgreSQL, run as root as the tests' throwaway cluster is, tests/pg.py).

    inbound    N messages to two communities sent over SMTP to the workers' built-in
               receivers (one connection per worker, the messages split between them; one
               community's mail is processed in order, communities in parallel) until every
               one is a post in a thread (its records committed), against aiosmtpd's bare
               server taking the same messages over one connection and keeping nothing.
               The file store: one `cop run` over a data_dir, the same way.
    outbound   a post to M members queued (in this process, before the clock starts), then
               the workers deliver it to an SMTP sink in its own process; from the first copy
               sent to the last (the wait for a worker's next tick is left out), against bare
               smtplib sending M messages of the same size over one connection. The file
               store: bench/outbound.py's in-process figure, measured here again.

Every worker is a real `cop run` process, so two of them can use both cores; this machine's
cores are shared, so the 2-worker figures say what the design allows here, not a ceiling.
"""

from __future__ import annotations

import contextlib
import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import outbound
from bench.peer import PeerProcess
from bench.receivers import BODY, RECEIVED, SENDER, Server
from tests.dnszone import start_dns
from tests.helpers import make_mail
from tests.peers import free_port, wait_for_port

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


def unavailable() -> str | None:
    from tests.pg import unavailable as pg_unavailable

    return pg_unavailable()


@contextlib.contextmanager
def cluster() -> Iterator[Any]:
    from tests.pg import PASSWORD, Postgres, remove

    folder = Path(tempfile.mkdtemp(prefix="cop-bench-pg-"))
    server = Postgres(folder, free_port())
    server.start()
    os.environ["PGPASSWORD"] = PASSWORD
    try:
        yield server
    finally:
        server.stop()
        remove(folder)


def _config(folder: Path, database: str, inbound: str, outbound_port: int,
            members: int) -> Path:
    lines = ['[service]\ntimezone = "Asia/Jakarta"\nlanguage = "id"\ndata_dir = "data"\n'
             'secret = "bench"\n' + (f'database = "{database}"\n' if database else ''),
             f'[inbound]\n{inbound}\n',
             f'[outbound]\nprotocol = "smtp"\nhost = "127.0.0.1"\nport = {outbound_port}\n'
             'tls = "none"\n',
             '[[community]]\nid = "mgmp"\nname = "MGMP IPA"\naddress = "mgmp@example.org"\n'
             'posting = "open"\n[[community.member]]\nemail = "siti@example.org"\n'
             'delivery = "digest"\n',
             '[[community]]\nid = "kkg"\nname = "KKG Matematika"\naddress = "kkg@example.org"\n'
             'posting = "open"\n']
    for i in range(members):
        lines.append(f'[[community.member]]\nemail = "guru{i}@example.org"\n'
                     f'name = "Guru Nomor {i}"\ndelivery = "{"each" if members > 1 else "digest"}"'
                     '\n')
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cop.toml"
    path.write_text("\n".join(lines))
    return path


class Workers:
    """`cop run` processes, one per config."""

    def __init__(self, configs: list[Path]) -> None:
        self.processes = [subprocess.Popen(
            [sys.executable, "-m", "mailer", "--config", str(c), "run"], cwd=ROOT,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(c.parent / "worker.log", "wb")) for c in configs]  # noqa: SIM115

    def stop(self) -> None:
        for p in self.processes:
            p.send_signal(signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)


def _until(done: Callable[[], bool], limit: float = 600.0) -> None:
    deadline = time.monotonic() + limit
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not finish in time")
        time.sleep(0.05)


def inbound_ours(folder: Path, database: str, workers: int,
                 messages: list[tuple[str, bytes]],
                 count_done: Callable[[], int]) -> float:
    ports = [free_port() for _ in range(workers)]
    configs = [_config(folder / f"w{i}", database, f'protocol = "smtp"\nport = {port}', 9, 1)
               for i, port in enumerate(ports)]
    running = Workers(configs)
    try:
        for port in ports:
            wait_for_port(port, 60)
        time.sleep(1.0)  # their first tick (the leader's, migrations checked) is over
        share = [messages[i::workers] for i in range(workers)]
        start = time.perf_counter()
        senders = [threading.Thread(target=_send, args=(port, part))
                   for port, part in zip(ports, share, strict=True)]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        _until(lambda: count_done() >= len(messages))
        return time.perf_counter() - start
    finally:
        running.stop()


def _send(port: int, messages: list[tuple[str, bytes]]) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        for to, raw in messages:
            client.sendmail(SENDER, [to], raw)


def _pg_count(database: str, sql: str) -> Callable[[], int]:
    from mailer.edges.pg.connect import connect

    conn = connect(database, "bench-watch")

    def count() -> int:
        return int(conn.execute(sql).fetchone()[0])
    return count


def inbound_figures(quick: bool, server: Any) -> list[dict[str, Any]]:
    from mailer.edges.pg.migrate import migrate

    count = 300 if quick else 1000
    to = ["kkg@example.org", "mgmp@example.org"]  # two communities: processed in parallel
    messages = [(to[i % 2], RECEIVED + make_mail(
        sender=SENDER, to=to[i % 2], body=BODY, subject=f"Topik {i}",
        message_id=f"<pgin-{i}@guru.test>")) for i in range(count)]
    took: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        bare = Server("bare", Path(folder))
        try:
            start = time.perf_counter()
            _send(bare.port, messages)
            took["bare"] = time.perf_counter() - start
        finally:
            bare.stop()
    with tempfile.TemporaryDirectory() as folder:
        journal = Path(folder) / "w0" / "data" / "journal"
        took["file"] = inbound_ours(Path(folder), "", 1, messages, lambda: sum(
            s.read_bytes().count(b'"t":"message"') for s in journal.glob("*.jsonl")))
    for workers in (1, 2):
        database = server.new_database()
        migrate(database)
        with tempfile.TemporaryDirectory() as folder:
            took[f"pg{workers}"] = inbound_ours(Path(folder), database, workers, messages,
                                                _pg_count(database, "SELECT count(*) FROM "
                                                          "records WHERE record->>'t' = "
                                                          "'message'"))
    return [_row(f"inbound on {name}: {count} messages over SMTP into threads vs bare aiosmtpd",
                 took["bare"] / took[key], count, took[key], took["bare"])
            for key, name in (("file", "files"), ("pg1", "PostgreSQL, 1 worker"),
                              ("pg2", "PostgreSQL, 2 workers"))]


def outbound_pg(folder: Path, database: str, workers: int, peer: PeerProcess,
                members: int) -> tuple[float, int]:
    from mailer.config import load_config
    from mailer.daemon import Runtime
    from mailer.edges.pg.migrate import migrate
    from mailer.edges.pg.store import PgStore
    from mailer.handle.dispatch import process_message
    from mailer.outbound.outbox import queue

    migrate(database)
    configs = [_config(folder / f"w{i}", database,
                       f'protocol = "smtp"\nport = {free_port()}', peer.port, members)
               for i in range(workers)]
    config = load_config(configs[0])
    store = PgStore(database, name="bench-queue")
    rt = Runtime(config, store)
    raw = make_mail(sender="Ketua <ketua@example.org>", subject="Rapat minggu depan",
                    body="Ibu dan Bapak,\n\n" + "Mohon membawa contoh soal. " * 40)
    key = store.archive.add(raw)
    result = process_message(rt.app, store.state, key, raw, NOW)
    for record in result.records:
        store.record(record)
    for item in result.outgoing:
        queue(store, item, "kkg@example.org", NOW)
    store.flush()
    store.archive.mark_done([key])
    size = sum(part[2] for part in next(iter(store.state.outbox.values())).spool)
    rt.close()
    sent = _pg_count(database, "SELECT count(*) FROM outbox WHERE state = 'sent'")
    running = Workers(configs)
    try:
        _until(lambda: sent() > 0, 120)
        start = time.perf_counter()
        _until(lambda: sent() >= members)
        return time.perf_counter() - start, size
    finally:
        running.stop()


def outbound_figures(quick: bool, server: Any) -> list[dict[str, Any]]:
    members = 500 if quick else 2000
    peer = PeerProcess()
    took: dict[str, float] = {}
    try:
        outbound.bench_bare(peer, 100, 4000)  # warm up the peer
        took["file"], size = outbound.bench_ours(peer, members)
        for workers in (1, 2):
            with tempfile.TemporaryDirectory() as folder:
                took[f"pg{workers}"], size = outbound_pg(Path(folder), server.new_database(),
                                                         workers, peer, members)
        took["bare"] = outbound.bench_bare(peer, members, size)
    finally:
        peer.stop()
    return [_row(f"outbound on {name}: a post to {members} members vs bare smtplib",
                 took["bare"] / took[key], members, took[key], took["bare"])
            for key, name in (("file", "files"), ("pg1", "PostgreSQL, 1 worker"),
                              ("pg2", "PostgreSQL, 2 workers"))]


def _row(name: str, ratio: float, count: int, ours: float, bare: float) -> dict[str, Any]:
    return {"name": name, "value": ratio * 100, "unit": "% of bare throughput",
            "goal": "(measured)", "ok": True,
            "detail": {"messages": count, "ours_s": round(ours, 3), "bare_s": round(bare, 3),
                       "ours_per_s": round(count / ours, 1),
                       "bare_per_s": round(count / bare, 1)}}


def run(quick: bool) -> list[dict[str, Any]]:
    reason = unavailable()
    if reason is not None:
        print(f"pgstore: skipped: {reason}", file=sys.stderr)
        return [{"name": f"PostgreSQL store: skipped ({reason})", "value": 0.0, "unit": "",
                 "goal": "", "ok": True}]
    dns = start_dns()
    os.environ["COP_TEST_DNS"] = dns.address  # the receivers' checks ask the test zone
    try:
        with cluster() as server:
            return inbound_figures(quick, server) + outbound_figures(quick, server)
    finally:
        dns.stop()
