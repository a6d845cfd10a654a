"""The LMTP receiver (edges/lmtpd.py) spoken to directly, as Postfix speaks it: one answer per
recipient after DATA, the message archived once before its 250s, SPF judged by the client
Postfix names in its Received header, and `cop check` of [inbound] protocol = "lmtp".
The same with a real Postfix in front: tests/test_postfix.py."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import authres
import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.daemon import Runtime, tick
from mailer.edges.auth import Authenticator
from mailer.edges.lmtpd import LmtpHandler, LmtpReceiver, postfix_client
from mailer.edges.store import receiving_folder
from mailer.store import RawArchive
from tests.conftest import OpenRuntime
from tests.dnszone import SIGNED, SPF_ONLY, ZoneServer
from tests.helpers import make_mail, write_config
from tests.peers import free_port

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
MEMBER = f"""
  [[community.member]]
  email = "ani@{SIGNED}"
  name = "Ani Suryani"
  delivery = "each"

  [[community.member]]
  email = "eko@{SPF_ONLY}"
  name = "Eko Prasetyo"
  delivery = "each"
"""


class Lmtp:
    """A line-at-a-time LMTP client: smtplib.LMTP reads one answer after DATA, LMTP gives
    one per recipient."""

    def __init__(self, address: str | tuple[str, int]) -> None:
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(address)
        self.file = self.sock.makefile("rb")
        assert self.reply()[0].startswith("220")

    def reply(self) -> list[str]:
        lines = []
        while True:
            line = self.file.readline().decode().rstrip("\r\n")
            assert line, "the server hung up"
            lines.append(line)
            if line[3:4] != "-":
                return lines

    def command(self, line: str) -> str:
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()[-1]

    def send(self, sender: str, recipients: list[str], raw: bytes) -> tuple[list[str],
                                                                          list[str]]:
        """RCPT answers, then the answers after DATA (one per accepted recipient)."""
        assert self.command("LHLO mx.example.org").startswith("250")
        assert self.command(f"MAIL FROM:<{sender}>").startswith("250")
        rcpts = [self.command(f"RCPT TO:<{to}>") for to in recipients]
        if self.command("DATA")[:3] != "354":
            return rcpts, []
        body = raw.replace(b"\r\n.", b"\r\n..")
        self.sock.sendall(body + (b"" if body.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        accepted = sum(r.startswith("250") for r in rcpts)
        return rcpts, [self.reply()[-1] for _ in range(accepted)]

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    return open_runtime(write_config(tmp_path, meeting=False, extra=MEMBER,
                                     inbound='protocol = "lmtp"'))


def receiver(rt: Runtime, dns: ZoneServer, *, archive: RawArchive | None = None,
             addresses: list[str] | None = None, socket_path: Path | None = None,
             max_bytes: int = 0) -> LmtpReceiver:
    handler = LmtpHandler(archive or rt.store.archive,
                          lambda: addresses if addresses is not None
                          else [c.address for c in rt.config.communities],
                          threading.Event(), Authenticator("example.org", dns.address))
    return LmtpReceiver(handler, max_bytes or rt.config.inbound.max_message_bytes,
                        port=free_port(), socket=socket_path,
                        spool_dir=receiving_folder(rt.config.service.data_dir))


@pytest.fixture
def lmtp(rt: Runtime, dns_zone: ZoneServer) -> Iterator[Lmtp]:
    server = receiver(rt, dns_zone)
    server.start()
    client = Lmtp(("127.0.0.1", server.controller.port))  # type: ignore[union-attr]
    try:
        yield client
    finally:
        client.close()
        server.stop()


def received(ip: str, helo: str = "mail.sekolah.test") -> bytes:
    """The Received header Postfix writes on top when it takes a message from `ip`."""
    return (f"Received: from {helo} (unknown [{ip}])\r\n\tby mx.example.org (Postfix) "
            "with ESMTP id 4F1C2222029;\r\n\tTue,  1 Dec 2026 09:00:00 +0700 (WIB)\r\n").encode()


def test_one_answer_per_recipient_and_one_archived_copy(rt: Runtime, lmtp: Lmtp) -> None:
    rcpts, after = lmtp.send(f"eko@{SPF_ONLY}", ["kkg@example.org", "nobody@example.org",
                                                 "kkg+t1@example.org"],
                             received("127.0.0.1") + make_mail(sender=f"eko@{SPF_ONLY}"))
    assert [r[:3] for r in rcpts] == ["250", "550", "250"]
    assert rcpts[1] == "550 5.1.1 No community has this address here"
    assert after == ["250 2.0.0 Stored", "250 2.0.0 Stored"]
    keys = list(rt.store.archive.pending())
    assert len(keys) == 1, "one message, archived once for both recipients"
    raw = rt.store.archive.read(keys[0])
    head = raw.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert head[:3] == [f"Return-Path: <eko@{SPF_ONLY}>".encode(),
                        b"Delivered-To: kkg@example.org", b"Delivered-To: kkg+t1@example.org"]
    # the connection goes on: a second message on it, as Postfix's connection cache does
    assert lmtp.command("RSET").startswith("250")
    _, again = lmtp.send("", ["kkg@example.org"], make_mail(message_id="<second@example.org>"))
    assert again == ["250 2.0.0 Stored"]
    assert b"Return-Path: <>" in rt.store.archive.read(
        next(k for k in rt.store.archive.pending() if k not in keys))


def test_helo_and_ehlo_are_not_lmtp(lmtp: Lmtp) -> None:
    assert lmtp.command("HELO x").startswith("500")
    assert lmtp.command("EHLO x").startswith("500")
    assert lmtp.command("LHLO x").startswith("250")


def test_spf_judges_the_client_postfix_names_not_postfix(rt: Runtime, lmtp: Lmtp) -> None:
    """The LMTP client is 127.0.0.1 (Postfix); the sender's server is in Received."""
    for n, ip in enumerate(("192.0.2.10", "203.0.113.9")):
        lmtp.send(f"ani@{SIGNED}", ["kkg@example.org"], received(ip) + make_mail(
            sender=f"Ani <ani@{SIGNED}>", message_id=f"<spf{n}@sekolah.test>",
            subject=f"Dari {ip}"))
        lmtp.command("RSET")
    results = {}
    for key in rt.store.archive.pending():
        raw = rt.store.archive.read(key)
        line = next(x for x in raw.split(b"\r\n") if x.startswith(b"Authentication-Results"))
        header = authres.AuthenticationResultsHeader.parse(line.decode())  # a second parser
        found = {r.method: r.result for r in header.results}
        results[b"Dari 192" in raw] = found
    assert results[True]["spf"] == "pass" and results[True]["dmarc"] == "pass"
    assert results[False]["spf"] == "fail" and results[False]["dmarc"] == "fail"
    tick(rt, T0)
    assert [t.subject for t in rt.store.state.threads.values()] == ["Dari 192.0.2.10"]
    assert [h.subject for h in rt.store.state.holds.values()] == ["Dari 203.0.113.9"]


def test_postfix_client_reads_the_first_received_only() -> None:
    raw = (b"Authentication-Results: mx.example.org; none\r\n"
           b"Received: from mail.sekolah.test (mail.sekolah.test\r\n [192.0.2.10])\r\n"
           b"\tby mx.example.org (Postfix) with ESMTPS id X\r\n"
           b"Received: from forged (forged [198.51.100.1])\r\n\r\nbody\r\n")
    assert postfix_client(raw) == ("192.0.2.10", "mail.sekolah.test")
    assert postfix_client(b"Received: from [203.0.113.5] (unknown [IPv6:2001:db8::5])\r\n"
                          b"\tby mx\r\n\r\n") == ("2001:db8::5", "[203.0.113.5]")
    # submitted on the Postfix machine, or Postfix's own bounce: no client to judge
    assert postfix_client(b"Received: by mx.example.org (Postfix, from userid 0)\r\n"
                          b"\tid 1; Tue\r\nSubject: x\r\n\r\n") == ("", "")
    assert postfix_client(b"Subject: x\r\n\r\nReceived: from a (b [192.0.2.1])\r\n") == ("", "")


def test_mail_without_a_client_gets_spf_none(rt: Runtime, lmtp: Lmtp) -> None:
    lmtp.send(f"eko@{SPF_ONLY}", ["kkg@example.org"], make_mail(sender=f"eko@{SPF_ONLY}"))
    raw = rt.store.archive.read(next(iter(rt.store.archive.pending())))
    assert b"spf=none" in raw.split(b"\r\n\r\n")[0]


class BrokenArchive:
    def add(self, raw: bytes) -> str:
        raise OSError(28, "No space left on device")


def test_a_message_that_cannot_be_stored_is_deferred_for_each_recipient(
        rt: Runtime, dns_zone: ZoneServer) -> None:
    server = receiver(rt, dns_zone, archive=BrokenArchive())  # type: ignore[arg-type]
    server.start()
    client = Lmtp(("127.0.0.1", server.controller.port))  # type: ignore[union-attr]
    try:
        _, after = client.send("siti@example.org", ["kkg@example.org", "kkg+t1@example.org"],
                               make_mail())
        assert [a[:5] for a in after] == ["451 4", "451 4"]
    finally:
        client.close()
        server.stop()


def test_too_large_is_refused_for_each_recipient(rt: Runtime, dns_zone: ZoneServer) -> None:
    server = receiver(rt, dns_zone, max_bytes=2000)
    server.start()
    client = Lmtp(("127.0.0.1", server.controller.port))  # type: ignore[union-attr]
    try:
        _, after = client.send("siti@example.org", ["kkg@example.org", "kkg+t1@example.org"],
                               make_mail(body=("x" * 70 + "\n") * 100))
        assert after == ["552 Error: Too much mail data"] * 2
        assert not list(rt.store.archive.pending())
    finally:
        client.close()
        server.stop()


def test_an_address_removed_since_its_rcpt_is_refused_after_data(
        rt: Runtime, dns_zone: ZoneServer) -> None:
    addresses = ["kkg@example.org", "mgmp@example.org"]
    server = receiver(rt, dns_zone, addresses=addresses)
    server.start()
    client = Lmtp(("127.0.0.1", server.controller.port))  # type: ignore[union-attr]
    try:
        assert client.command("LHLO mx").startswith("250")
        client.command("MAIL FROM:<siti@example.org>")
        assert client.command("RCPT TO:<kkg@example.org>").startswith("250")
        assert client.command("RCPT TO:<mgmp@example.org>").startswith("250")
        addresses.remove("mgmp@example.org")  # cop.toml edited between RCPT and DATA
        assert client.command("DATA").startswith("354")
        client.sock.sendall(make_mail() + b".\r\n")
        assert [client.reply()[-1][:3] for _ in range(2)] == ["250", "550"]
        raw = rt.store.archive.read(next(iter(rt.store.archive.pending())))
        assert b"Delivered-To: mgmp@" not in raw
    finally:
        client.close()
        server.stop()


def test_a_unix_socket(rt: Runtime, dns_zone: ZoneServer, tmp_path: Path) -> None:
    path = tmp_path / "lmtp.sock"
    server = receiver(rt, dns_zone, socket_path=path)
    server.start()
    try:
        assert path.stat().st_mode & 0o777 == 0o666  # its folder decides who connects
        client = Lmtp(str(path))
        _, after = client.send("siti@example.org", ["kkg@example.org"], make_mail())
        client.close()
        assert after == ["250 2.0.0 Stored"]
    finally:
        server.stop()


def check(tmp_path: Path, inbound: str) -> tuple[int, str]:
    write_config(tmp_path, meeting=False, inbound='protocol = "smtp"')  # valid first
    text = (tmp_path / "cop.toml").read_text().replace('protocol = "smtp"', inbound, 1)
    (tmp_path / "cop.toml").write_text(text)
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "cop.toml"), "check"])
    return result.exit_code, result.output


def test_cop_check_lmtp(tmp_path: Path) -> None:
    code, out = check(tmp_path, 'protocol = "lmtp"')
    assert code == 0 and "127.0.0.1:2424" in out
    (tmp_path / "run").mkdir()
    code, out = check(tmp_path, 'protocol = "lmtp"\nsocket = "run/lmtp.sock"')
    assert code == 0 and f"unix:{tmp_path / 'run' / 'lmtp.sock'}" in out
    code, out = check(tmp_path, 'protocol = "lmtp"\nsocket = "/nowhere/lmtp.sock"')
    assert code != 0 and "cop.toml:9:" in out and "/nowhere" in out
    code, out = check(tmp_path, 'protocol = "lmtp"\nhost = "0.0.0.0"')
    assert code != 0 and "cop.toml:9:" in out and "LMTP" in out
    code, out = check(tmp_path, 'protocol = "lmtp"\nauthenticate = "postfix"')
    assert code != 0 and "authserv_id" in out
    code, out = check(tmp_path, 'protocol = "lmtp"\nauthenticate = "postfix"\n'
                                'authserv_id = "mx.example.org"')
    assert code == 0
    code, out = check(tmp_path, 'protocol = "smtp"\nsocket = "run/lmtp.sock"')
    assert code != 0 and 'protocol = "lmtp"' in out


def test_authenticate_postfix_trusts_the_milter_header(tmp_path: Path,
                                                       open_runtime: OpenRuntime) -> None:
    """authenticate = "postfix": nothing checked here, the Authentication-Results a milter
    of Postfix's wrote under authserv_id decides (edges/listen.py wires no Authenticator)."""
    from mailer.edges.listen import start_receiver

    port = free_port()
    rt = open_runtime(write_config(
        tmp_path, meeting=False, extra=MEMBER,
        inbound=f'protocol = "lmtp"\nport = {port}\nauthenticate = "postfix"\n'
                'authserv_id = "mx.example.org"'))
    server = start_receiver(rt.config.inbound, rt.store.archive,
                            lambda: [c.address for c in rt.config.communities],
                            threading.Event(), receiving_folder(rt.config.service.data_dir))
    client = Lmtp(("127.0.0.1", port))
    try:
        for verdict in ("pass", "fail"):
            milter = (f"Authentication-Results: mx.example.org; dkim={verdict} "
                      f"header.d={SIGNED}; dmarc={verdict} header.from={SIGNED}\r\n").encode()
            client.send(f"ani@{SIGNED}", ["kkg@example.org"], milter + received(
                "203.0.113.9") + make_mail(sender=f"Ani <ani@{SIGNED}>", subject=verdict,
                                           message_id=f"<{verdict}@sekolah.test>"))
            client.command("RSET")
    finally:
        client.close()
        server.stop()
    for key in rt.store.archive.pending():
        head = rt.store.archive.read(key).split(b"\r\n\r\n")[0]
        assert head.count(b"Authentication-Results") == 1, "nothing added, nothing removed"
    tick(rt, T0)
    assert [t.subject for t in rt.store.state.threads.values()] == ["pass"]
    assert [h.subject for h in rt.store.state.holds.values()] == ["fail"]
