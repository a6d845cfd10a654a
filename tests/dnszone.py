"""A DNS server on loopback holding a test zone with SPF, DKIM and DMARC records (dnslib),
for the built-in receiver's own checks (mailer/edges/auth.py, COP_TEST_DNS)."""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer
from dnslib.zoneresolver import ZoneResolver

from tests.peers import free_port

SIGNED = "sekolah.test"  # signs its mail; SPF names another server; DMARC p=reject
SPF_ONLY = "guru.test"  # no DKIM; SPF names 127.0.0.1; DMARC p=none


@functools.cache
def dkim_key() -> tuple[bytes, str]:
    """(private key PEM, public key base64 for the p= tag)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(public).decode()


def zone_text() -> str:
    _, public = dkim_key()
    return "\n".join([
        f'{SIGNED}. 60 IN TXT "v=spf1 ip4:192.0.2.10 -all"',
        f'_dmarc.{SIGNED}. 60 IN TXT "v=DMARC1; p=reject"',
        f's1._domainkey.{SIGNED}. 60 IN TXT "v=DKIM1; k=rsa; p={public}"',
        f"{SIGNED}. 60 IN A 192.0.2.10",
        f'{SPF_ONLY}. 60 IN TXT "v=spf1 ip4:127.0.0.1 -all"',
        f'_dmarc.{SPF_ONLY}. 60 IN TXT "v=DMARC1; p=none"',
        f"{SPF_ONLY}. 60 IN A 127.0.0.1",
    ])


class _Quiet(DNSLogger):
    def __init__(self) -> None:
        super().__init__(log="-request,-reply,-truncated,-error,-recv,-send,-data",
                         prefix=False)


@dataclass
class ZoneServer:
    port: int
    servers: tuple[DNSServer, ...]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
            server.server.server_close()


def start_dns() -> ZoneServer:
    resolver: BaseResolver = ZoneResolver(zone_text(), glob=False)
    port = free_port()
    servers = tuple(DNSServer(resolver, address="127.0.0.1", port=port, tcp=tcp,
                              logger=_Quiet(), handler=DNSHandler) for tcp in (False, True))
    for server in servers:
        server.start_thread()
    return ZoneServer(port, servers)


def sign(raw: bytes, domain: str = SIGNED) -> bytes:
    """raw with a DKIM-Signature of `domain`, selector s1 (dkimpy)."""
    import dkim

    private, _ = dkim_key()
    signature = dkim.sign(raw, b"s1", domain.encode(), private,
                          include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    return bytes(signature) + raw
