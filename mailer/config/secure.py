"""What cop.toml may not ask for: passwords in the clear over the network, a receiver open to
the world without TLS, an LMTP receiver off this machine. And the authserv-id the built-in
receivers write under. Pure."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import replace

from mailer.config.model import Community, InboundConfig, OutboundConfig
from mailer.config.reader import Reader
from mailer.config.words import Words


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and "localhost": traffic that never leaves this machine."""
    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_transport(r: Reader, inbound: InboundConfig,
                    outbound: OutboundConfig,
                    communities: Sequence[Community]) -> InboundConfig:
    """Record every problem; return `inbound` with its default authserv-id filled in."""
    for section, conf in (("inbound", inbound), ("outbound", outbound)):
        network = conf.protocol in ("imap", "smtp") and (section == "outbound"
                                                         or conf.protocol == "imap")
        if network and conf.password and conf.tls == "none" and not is_loopback(conf.host):
            r.problem((section, "tls"), f"the {section} password would cross the network in "
                      f"the clear (tls = \"none\" to {conf.host})",
                      'use tls = "ssl" or "starttls" (or a server on 127.0.0.1)')
    if inbound.protocol == "smtp" and not is_loopback(inbound.host) \
            and (inbound.tls_cert is None or inbound.tls_key is None):
        r.problem(("inbound", "host"), f"the built-in receiver would listen on {inbound.host} "
                  "without STARTTLS",
                  "give tls_cert and tls_key (PEM files) in [inbound], or listen on 127.0.0.1")
    if inbound.protocol == "lmtp":
        _check_lmtp(r, inbound)
    elif inbound.socket is not None or ("inbound", "authenticate") in r.lines:
        key = "socket" if inbound.socket is not None else "authenticate"
        r.problem(("inbound", key), Words(f"{key} is for protocol = \"lmtp\" only",
                                          f"{key} hanya untuk protocol = \"lmtp\""),
                  Words(f'remove {key}, or write protocol = "lmtp"',
                        f'hapus {key}, atau tulis protocol = "lmtp"'))
    checks_here = inbound.protocol == "smtp" or (inbound.protocol == "lmtp"
                                                 and inbound.authenticate == "cop")
    if checks_here and not inbound.authserv_id and communities:
        return replace(inbound, authserv_id=communities[0].address.rpartition("@")[2].lower())
    return inbound


def _check_lmtp(r: Reader, inbound: InboundConfig) -> None:
    """LMTP has no login: whoever reaches it hands us mail as the MX would. So it listens on
    loopback or a unix socket only, for the local Postfix."""
    if inbound.socket is None and not is_loopback(inbound.host):
        r.problem(("inbound", "host"),
                  Words(f"the LMTP receiver would listen on {inbound.host}: anyone who reaches "
                        "it could hand in mail as if Postfix had checked it",
                        f"penerima LMTP akan mendengarkan di {inbound.host}: siapa pun yang "
                        "menjangkaunya bisa menyerahkan surat seolah sudah diperiksa Postfix"),
                  Words('use host = "127.0.0.1" (Postfix on this machine) or socket = '
                        '"/run/cop/lmtp.sock"',
                        'pakai host = "127.0.0.1" (Postfix di komputer ini) atau socket = '
                        '"/run/cop/lmtp.sock"'))
    if inbound.authenticate == "postfix" and not inbound.authserv_id:
        r.problem(("inbound", "authenticate"),
                  Words('authenticate = "postfix" trusts the Authentication-Results of '
                        "Postfix's milter, but no authserv_id names it",
                        'authenticate = "postfix" mempercayai Authentication-Results dari '
                        "milter Postfix, tetapi authserv_id belum menyebutnya"),
                  Words('add authserv_id = "mx.example.org" (the id OpenDKIM/OpenDMARC '
                        'writes), or remove authenticate to let CoP Mailer check',
                        'tambahkan authserv_id = "mx.example.org" (id yang ditulis OpenDKIM/'
                        "OpenDMARC), atau hapus authenticate agar CoP Mailer memeriksa sendiri"))
