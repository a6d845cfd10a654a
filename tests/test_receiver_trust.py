"""The built-in receiver checks senders itself, against a test DNS zone (tests/dnszone.py),
and keeps its limits: connections, recipients, memory, STARTTLS off loopback."""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import authres
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from mailer.config import load_config
from mailer.daemon import Runtime, tick
from mailer.edges.auth import Authenticator, strip_claims
from mailer.edges.smtpd import ReceiveHandler, SmtpReceiver
from mailer.edges.smtpguard import MAX_RECIPIENTS, Connections
from mailer.edges.store import receiving_folder
from mailer.errors import ServiceError
from tests.conftest import OpenRuntime
from tests.dnszone import SIGNED, SPF_ONLY, ZoneServer, sign
from tests.helpers import make_mail, write_config
from tests.peers import free_port
from tests.test_pipeline import mail_for

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
MEMBERS = f"""
  [[community.member]]
  email = "ani@{SIGNED}"
  name = "Ani Suryani"
  delivery = "each"

  [[community.member]]
  email = "eko@{SPF_ONLY}"
  name = "Eko Prasetyo"
  delivery = "each"
"""


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    return open_runtime(write_config(tmp_path, meeting=False, extra=MEMBERS))


class Receiving:
    def __init__(self, rt: Runtime, dns: ZoneServer, host: str = "127.0.0.1",
                 connections: Connections | None = None, **tls: Path) -> None:
        self.port = free_port()
        handler = ReceiveHandler(rt.store.archive,
                                 lambda: [c.address for c in rt.config.communities],
                                 threading.Event(),
                                 Authenticator(rt.config.inbound.authserv_id, dns.address))
        self.receiver = SmtpReceiver(host, self.port, handler, rt.config.inbound.max_message_bytes,
                                     spool_dir=receiving_folder(rt.config.service.data_dir),
                                     connections=connections, **tls)

    def __enter__(self) -> Receiving:
        self.receiver.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.receiver.stop()

    def send(self, raw: bytes, sender: str, to: str = "kkg@example.org") -> None:
        with smtplib.SMTP("127.0.0.1", self.port) as client:
            client.sendmail(sender, [to], raw)


def test_signed_mail_passes_and_a_forged_one_is_held(rt: Runtime, dns_zone: ZoneServer) -> None:
    signed = sign(make_mail(sender=f"Ani <ani@{SIGNED}>", subject="Media pecahan",
                            message_id="<signed@sekolah.test>"))
    forged = make_mail(sender=f"Ani <ani@{SIGNED}>", subject="Pinjaman cepat",
                       message_id="<forged@sekolah.test>")
    # a header claiming our own id, written by the sender: removed on arrival
    lying = make_mail(sender=f"Ani <ani@{SIGNED}>", subject="Hadiah",
                      message_id="<lying@sekolah.test>", headers={
                          "Authentication-Results": f"example.org; dkim=pass header.d={SIGNED}; "
                                                    f"dmarc=pass header.from={SIGNED}"})
    with Receiving(rt, dns_zone) as receiving:
        for raw in (signed, forged, lying):
            receiving.send(raw, f"ani@{SIGNED}")
    archived = {key: rt.store.archive.read(key) for key in rt.store.archive.pending()}
    tick(rt, T0)
    assert [t.subject for t in rt.store.state.threads.values()] == ["Media pecahan"]
    assert sorted((h.subject, h.reason) for h in rt.store.state.holds.values()) == [
        ("Hadiah", "sender address failed verification (dmarc=fail)"),
        ("Pinjaman cepat", "sender address failed verification (dmarc=fail)")]
    for raw in archived.values():
        ours = [line for line in raw.split(b"\r\n") if line.startswith(b"Authentication-Results")]
        assert len(ours) == 1, "only the header we wrote claims our id"
        header = authres.AuthenticationResultsHeader.parse(ours[0].decode())  # a second parser
        assert header.authserv_id == "example.org"
        found = {r.method: r.result for r in header.results}
        assert found["spf"] == "fail"  # 127.0.0.1 is not in sekolah.test's SPF record
        assert found["dmarc"] == ("pass" if b"<signed@" in raw else "fail")
        assert found["dkim"] == ("pass" if b"<signed@" in raw else "none")
    assert not mail_for(rt.config.service.data_dir, f"ani@{SIGNED}", "menunggu")


def test_an_spf_pass_authenticates_a_leave(rt: Runtime, dns_zone: ZoneServer) -> None:
    with Receiving(rt, dns_zone) as receiving:
        receiving.send(make_mail(sender=f"Eko <eko@{SPF_ONLY}>", subject="keluar", body="\n"),
                       f"eko@{SPF_ONLY}")
    tick(rt, T0)
    assert rt.store.state.members[("kkg", f"eko@{SPF_ONLY}")]["state"] == "left"


def test_strip_claims_keeps_other_servers_headers() -> None:
    raw = (b"Authentication-Results: example.org; dkim=pass\r\n header.d=x\r\n"
           b"Authentication-Results: mx.other; spf=pass\r\nSubject: s\r\n\r\n"
           b"Authentication-Results: example.org; in the body stays\r\n")
    assert strip_claims(raw, "example.org") == (
        b"Authentication-Results: mx.other; spf=pass\r\nSubject: s\r\n\r\n"
        b"Authentication-Results: example.org; in the body stays\r\n")


def test_2000_recipients_get_100(rt: Runtime, dns_zone: ZoneServer) -> None:
    with Receiving(rt, dns_zone) as receiving, \
            smtplib.SMTP("127.0.0.1", receiving.port) as client:
        client.ehlo()
        client.mail("x@elsewhere.org")
        answers = [client.rcpt(f"kkg+{n}@example.org")[0] for n in range(2000)]
        assert answers.count(250) == MAX_RECIPIENTS
        assert set(answers[MAX_RECIPIENTS:]) == {452}


def _greeting(sock: socket.socket) -> bytes:
    sock.settimeout(5)
    try:
        return sock.recv(100)
    except (TimeoutError, ConnectionError):
        return b""


def test_300_idle_connections_hold_at_most_10_slots(rt: Runtime, dns_zone: ZoneServer) -> None:
    with Receiving(rt, dns_zone) as receiving:
        sockets = [socket.create_connection(("127.0.0.1", receiving.port)) for _ in range(300)]
        try:
            greetings = [_greeting(s) for s in sockets]
            assert sum(g.startswith(b"220") for g in greetings) == 10
            assert sum(g.startswith(b"421") for g in greetings) == 290
        finally:
            for s in sockets:
                s.close()
        time.sleep(0.3)  # the server notices the closed connections
        receiving.send(make_mail(), "siti@example.org")  # the slots are free again


def test_connections_overall_are_capped(rt: Runtime, dns_zone: ZoneServer) -> None:
    with Receiving(rt, dns_zone, connections=Connections(per_client=1000, total=20)) as r:
        sockets = [socket.create_connection(("127.0.0.1", r.port)) for _ in range(30)]
        try:
            greetings = [_greeting(s) for s in sockets]
            assert sum(g.startswith(b"220") for g in greetings) == 20
        finally:
            for s in sockets:
                s.close()


def _open_files_in(folder: Path) -> list[os.stat_result]:
    """Files this process holds open in `folder` (unnamed ones too: O_TMPFILE)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith(str(folder) + "/"):
                found.append(os.stat(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    return found


def test_a_large_message_waits_on_disk_not_in_memory(rt: Runtime, dns_zone: ZoneServer) -> None:
    spool = receiving_folder(rt.config.service.data_dir)
    with Receiving(rt, dns_zone) as receiving, \
            smtplib.SMTP("127.0.0.1", receiving.port) as client:
        client.ehlo()
        client.mail("siti@example.org")
        client.rcpt("kkg@example.org")
        client.putcmd("data")
        assert client.getreply()[0] == 354
        line = b"x" * 998 + b"\r\n"
        client.send(b"From: siti@example.org\r\nSubject: besar\r\n\r\n" + line * 3000)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            files = _open_files_in(spool)
            if files and files[0].st_size > 2_000_000:
                break
            time.sleep(0.05)
        assert files and files[0].st_size > 2_000_000, "the message is not on disk"
        assert files[0].st_mode & 0o777 == 0o600
        client.send(b".\r\n")
        assert client.getreply()[0] == 250
    assert not _open_files_in(spool) and not list(spool.iterdir())
    (key,) = rt.store.archive.pending()
    assert rt.store.archive.read(key).endswith(line * 3000)


def test_a_message_over_the_size_limit_is_refused(tmp_path: Path, open_runtime: OpenRuntime,
                                                  dns_zone: ZoneServer) -> None:
    config = write_config(tmp_path, meeting=False,
                          inbound='protocol = "smtp"\nmax_message_size = "100k"')
    rt = open_runtime(config)
    with Receiving(rt, dns_zone) as receiving, \
            smtplib.SMTP("127.0.0.1", receiving.port) as client:
        client.ehlo()
        client.mail("siti@example.org")  # no SIZE given: refused once it is read
        client.rcpt("kkg@example.org")
        assert client.data(make_mail(body="y" * 200_000))[0] == 552
    assert not rt.store.archive.pending()


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mx.example.org")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


def test_off_loopback_starttls_is_required(rt: Runtime, dns_zone: ZoneServer,
                                           tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match="without STARTTLS"):
        Receiving(rt, dns_zone, host="0.0.0.0")
    cert, key = _certificate(tmp_path)
    with Receiving(rt, dns_zone, host="0.0.0.0", tls_cert=cert, tls_key=key) as receiving, \
            smtplib.SMTP("127.0.0.1", receiving.port) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert client.mail("siti@example.org")[0] == 530  # nothing before STARTTLS
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        client.starttls(context=context)
        client.ehlo()
        client.sendmail("siti@example.org", ["kkg@example.org"], make_mail())
    assert len(rt.store.archive.pending()) == 1


@pytest.mark.parametrize(("section", "body", "problem"), [
    ("inbound", 'protocol = "imap"\nhost = "imap.example.org"\ntls = "none"\n'
                'username = "u"\npassword = "p"', "inbound password would cross the network"),
    ("outbound", 'protocol = "smtp"\nhost = "smtp.example.org"\ntls = "none"\n'
                 'username = "u"\npassword = "p"', "outbound password would cross the network"),
    ("inbound", 'protocol = "smtp"\nhost = "0.0.0.0"', "without STARTTLS"),
])
def test_cop_check_refuses_plaintext_passwords_and_an_open_receiver(
        tmp_path: Path, section: str, body: str, problem: str) -> None:
    from mailer.errors import ConfigError

    kwargs = {section: body}
    with pytest.raises(ConfigError) as error:
        write_config(tmp_path, meeting=False, **kwargs)
    assert any(problem in str(p) for p in error.value.problems)


def test_passwords_to_loopback_in_the_clear_are_fine(tmp_path: Path) -> None:
    config = write_config(tmp_path, meeting=False, outbound='protocol = "smtp"\n'
                          'host = "127.0.0.1"\ntls = "none"\nusername = "u"\npassword = "p"')
    assert load_config(config.path).outbound.password == "p"
