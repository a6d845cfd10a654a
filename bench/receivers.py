"""Inbound receivers: N messages handed over one connection to the LMTP receiver (as Postfix
does) beside the same messages to the built-in SMTP receiver, in the same run; both check
SPF, DKIM and DMARC (against the test DNS zone) and archive with fsync before their 250.
The bare protocol is shown too: aiosmtpd's own server that keeps nothing.

Each receiver runs in a process of its own (`python -m bench.receivers PROTOCOL PORT DIR`),
as `cop run` does, so that the sender does not compete with it for the GIL.
"""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.dnszone import SPF_ONLY, start_dns
from tests.helpers import make_mail
from tests.peers import free_port, wait_for_port

SENDER = f"eko@{SPF_ONLY}"
BODY = "Ibu dan Bapak,\n\nMinggu ini saya mencoba mengenalkan pecahan dengan kertas lipat.\n" * 12
RECEIVED = (b"Received: from mail.guru.test (unknown [127.0.0.1])\r\n\tby mx.example.org "
            b"(Postfix) with ESMTP id 4F1C2222029;\r\n\tTue,  1 Dec 2026 09:00:00 +0700\r\n")


def serve(protocol: str, port: int, folder: Path) -> None:
    """The receiver `cop run` starts (edges/listen.py) over a file store, until SIGTERM;
    "bare": aiosmtpd's SMTP server answering 250 and keeping nothing."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if protocol == "bare":
        from tests.peers import SmtpPeer

        peer = SmtpPeer(port=port)
        peer.recorder.keep = False
        peer.start()
        stop.wait()
        peer.stop()
        return
    from mailer.config import load_config
    from mailer.edges.listen import start_receiver
    from mailer.edges.store import FileStore, receiving_folder

    (folder / "cop.toml").write_text(
        '[service]\ndata_dir = "data"\nsecret = "bench"\n'
        f'[inbound]\nprotocol = "{protocol}"\nport = {port}\n'
        '[[community]]\nid = "kkg"\nname = "KKG"\naddress = "kkg@example.org"\n')
    config = load_config(folder / "cop.toml")
    store = FileStore(config.service.data_dir)
    receiver = start_receiver(config.inbound, store.archive,
                              lambda: [c.address for c in config.communities],
                              threading.Event(), receiving_folder(config.service.data_dir))
    stop.wait()
    receiver.stop()
    store.close()


class Server:
    def __init__(self, protocol: str, folder: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.receivers", protocol, str(self.port), str(folder)],
            cwd=Path(__file__).resolve().parent.parent)
        wait_for_port(self.port, 30)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(30)


def send(protocol: str, port: int, messages: list[bytes]) -> float:
    """Seconds for all of them over one connection."""
    client = smtplib.LMTP("127.0.0.1", port) if protocol == "lmtp" else smtplib.SMTP(
        "127.0.0.1", port)
    start = time.perf_counter()
    with client:
        for raw in messages:
            client.sendmail(SENDER, ["kkg@example.org"], raw)
    return time.perf_counter() - start


def run(quick: bool) -> list[dict[str, Any]]:
    count = 300 if quick else 1000
    rounds = 3 if quick else 5
    messages = [RECEIVED + make_mail(sender=SENDER, body=BODY,
                                     message_id=f"<recv-{i}@guru.test>") for i in range(count)]
    dns = start_dns()
    os.environ["COP_TEST_DNS"] = dns.address  # the servers' checks ask the test zone
    rows: list[tuple[float, float, float, float]] = []
    try:
        for _ in range(rounds):  # alternate, and take the median: the machine is noisy
            took = {}
            for protocol in ("smtp", "lmtp", "bare"):
                with tempfile.TemporaryDirectory() as folder:
                    server = Server(protocol, Path(folder))
                    try:
                        took[protocol] = send(protocol if protocol != "bare" else "smtp",
                                              server.port, messages)
                    finally:
                        server.stop()
            rows.append((took["smtp"] / took["lmtp"], took["smtp"], took["lmtp"], took["bare"]))
    finally:
        dns.stop()
    ratio, smtp, lmtp, bare = sorted(rows)[len(rows) // 2]
    return [{"name": f"inbound: {count} messages over LMTP vs the SMTP receiver",
             "value": ratio * 100, "unit": "% of SMTP throughput", "goal": ">= 80",
             "ok": ratio >= 0.80,
             "detail": {"messages": count, "rounds": rounds,
                        "ratios": [round(r[0], 3) for r in rows],
                        "smtp_per_s": count / smtp, "lmtp_per_s": count / lmtp,
                        "bare_smtp_per_s": count / bare,
                        "lmtp_vs_bare": bare / lmtp}}]


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
