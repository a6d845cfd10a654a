"""What cop.toml may not ask for: passwords in the clear over the network, a receiver open to
the world without TLS. And the authserv-id the built-in receiver writes under. Pure."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import replace

from mailer.config.model import Community, InboundConfig, OutboundConfig
from mailer.config.reader import Reader


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
    if inbound.protocol == "smtp" and not inbound.authserv_id and communities:
        return replace(inbound, authserv_id=communities[0].address.rpartition("@")[2].lower())
    return inbound
