"""The members' web under load: 200 concurrent readers on loopback reading thread pages
(signed in, rendered from the followed store), beside the same uvicorn server sending a
static file of the same size (FileResponse), measured in the same run: p50 and p95 of each
and their ratio. The server runs in its own process; the readers are asyncio connections
with keep-alive, so the client costs the same for both.

    python3 bench/web.py [--quick]
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailer.daemon import Runtime, tick  # noqa: E402
from mailer.edges.store import FileStore  # noqa: E402
from tests.helpers import make_mail, signed, write_config  # noqa: E402

READERS = 200
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
TEXT = ("Di kelas saya, pecahan senilai kami kenalkan dengan kertas lipat dan pita. "
        "Anak-anak menggambar, lalu menulis pecahannya sendiri.\n") * 4


def _store(folder: Path, port: int) -> Path:
    config = write_config(folder, extra=f'\n[web]\nbase_url = "http://127.0.0.1:{port}"\n'
                          f"port = {port}\n")
    rt = Runtime(config, FileStore(config.service.data_dir))
    try:
        rt.store.archive.add(make_mail(subject="Pecahan senilai", body=TEXT,
                                       message_id="<b0@example.org>", headers=signed()))
        tick(rt, T0)
        for i in range(1, 10):
            sender = ("Budi Santoso <budi@example.org>", "Dewi Lestari <dewi@example.org>")[i % 2]
            rt.store.archive.add(make_mail(
                sender=sender, subject="Re: Pecahan senilai", body=f"{i}. {TEXT}\n> kutipan\n",
                message_id=f"<b{i}@example.org>", in_reply_to=f"<b{i - 1}@example.org>",
                headers=signed()))
            tick(rt, T0 + timedelta(minutes=i))
    finally:
        rt.close()
    return config.path


def serve(config_path: str, static_file: str) -> None:
    """The server process: the web app, and /bench/static from the same uvicorn."""
    import uvicorn
    from starlette.responses import FileResponse
    from starlette.types import Receive, Scope, Send

    from mailer.config import load_config
    from mailer.edges.web.app import make_app
    from mailer.edges.web.site import Site

    config = load_config(Path(config_path))
    app = make_app(Site(config))

    async def both(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/bench/static":
            await FileResponse(static_file, media_type="text/html")(scope, receive, send)
        else:
            await app(scope, receive, send)

    assert config.web is not None
    uvicorn.run(both, host="127.0.0.1", port=config.web.port, log_level="warning",
                access_log=False, lifespan="off")


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str,
               cookie: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    await reader.readexactly(length)
    return status


async def _readers(port: int, path: str, cookie: str, each: int) -> list[float]:
    times: list[float] = []

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in range(each):
                begun = time.perf_counter()
                assert await _get(reader, writer, path, cookie) == 200
                times.append(time.perf_counter() - begun)
        finally:
            writer.close()

    await asyncio.gather(*(one() for _ in range(READERS)))
    return times


def _quantiles(times: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(times, n=20)
    return statistics.median(times), cuts[18]


def run(quick: bool = False) -> list[dict[str, Any]]:
    from mailer.edges.web.auth import session_value
    from tests.peers import free_port

    each = 5 if quick else 20
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        config_path = _store(Path(folder), port)
        cookie = "cop_session=" + session_value("test-secret", "budi@example.org",
                                                datetime.now(UTC))
        page_size = 0
        static = Path(folder) / "static.html"
        static.write_bytes(b"x")
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(config_path),
                                   str(static)], cwd=ROOT)
        try:
            for _ in range(300):  # until it listens
                try:
                    asyncio.run(_readers_probe(port, cookie))
                    break
                except OSError:
                    time.sleep(0.1)
            page_size = asyncio.run(_size(port, "/c/kkg/t/t1", cookie))
            static.write_bytes(b"x" * page_size)
            asyncio.run(_readers(port, "/c/kkg/t/t1", cookie, 1))  # warm both
            asyncio.run(_readers(port, "/bench/static", cookie, 1))
            ours = _quantiles(asyncio.run(_readers(port, "/c/kkg/t/t1", cookie, each)))
            bare = _quantiles(asyncio.run(_readers(port, "/bench/static", cookie, each)))
        finally:
            server.terminate()
            server.wait(timeout=30)
    ratio50, ratio95 = ours[0] / bare[0], ours[1] / bare[1]
    print(f"  web: {READERS} readers x {each}, thread page {page_size} bytes: "
          f"p50 {ours[0] * 1000:.1f} ms (static {bare[0] * 1000:.1f} ms), "
          f"p95 {ours[1] * 1000:.1f} ms (static {bare[1] * 1000:.1f} ms)", file=sys.stderr)
    return [
        {"name": "web: thread page p50 / static file p50", "value": ratio50, "unit": "x",
         "goal": "<= 5x", "ok": ratio50 <= 5.0},
        {"name": "web: thread page p95 / static file p95", "value": ratio95, "unit": "x",
         "goal": "<= 5x", "ok": ratio95 <= 5.0},
    ]


async def _readers_probe(port: int, cookie: str) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()


async def _size(port: int, path: str, cookie: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert b" 200 " in head.split(b"\r\n")[0], head
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    writer.close()
    return length


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], sys.argv[3])
    else:
        for row in run("--quick" in sys.argv):
            print(f"{row['name']:<44} {row['value']:6.2f} {row['unit']} goal {row['goal']} "
                  f"{'yes' if row['ok'] else 'NO'}")
