"""[web]: where the members' web is reached (base_url) and where it listens (host, port).

    [web]
    base_url = "https://kkg.example.org"   # required: links in mail start with it
    host = "127.0.0.1"                      # behind a reverse proxy (Caddy, nginx)
    port = 8025
    trusted_proxies = ["127.0.0.1"]         # whose X-Forwarded-For names the client (default)

Without [web] nothing changes: mail carries the mailto unsubscribe only, and no web links.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from mailer.config.model import Community, WebConfig
from mailer.config.reader import Reader
from mailer.config.words import Words

WEB_KEYS = ("base_url", "host", "port", "trusted_proxies")
PROXIES = ("127.0.0.1", "::1")  # the docs put Caddy or nginx in front, on this machine


def read_web(r: Reader, raw: Any) -> WebConfig | None:
    if raw is None:
        return None
    p: tuple[str | int, ...] = ("web",)
    t = r.table(raw, p, "web", WEB_KEYS)
    base = r.value(t, p, "base_url", str, hint='"https://kkg.example.org"')
    host = r.value(t, p, "host", str, "127.0.0.1") or "127.0.0.1"
    port = r.value(t, p, "port", int, 8025, hint="8025") or 8025
    if not 0 < port < 65536:
        r.problem((*p, "port"), Words(f"port {port} is out of range",
                                      f"port {port} di luar jangkauan"),
                  Words("use a port from 1 to 65535", "pakai port 1 sampai 65535"))
    proxies = r.strings(t, p, "trusted_proxies") if "trusted_proxies" in t else PROXIES
    for i, proxy in enumerate(proxies):
        try:
            ipaddress.ip_network(proxy.strip(), strict=False)
        except ValueError:
            r.problem((*p, "trusted_proxies", i),
                      Words(f"trusted_proxies: {proxy!r} is not an IP address or network",
                            f"trusted_proxies: {proxy!r} bukan alamat IP atau jaringan"),
                      Words('write the proxy\'s address, e.g. ["127.0.0.1"], or [] for none',
                            'tulis alamat proxy, misalnya ["127.0.0.1"], atau [] bila tidak ada'))
    if base is None:
        return None
    url = urlsplit(base.strip())
    if url.scheme not in ("http", "https") or not url.netloc or url.query or url.fragment \
            or any(c in base for c in " <>\"'"):
        r.problem((*p, "base_url"),
                  Words(f"base_url {base!r} is not a web address",
                        f"base_url {base!r} bukan alamat web"),
                  Words('write it as base_url = "https://kkg.example.org"',
                        'tulis seperti base_url = "https://kkg.example.org"'))
        return None
    if url.scheme == "http" and url.hostname not in ("localhost", "127.0.0.1", "::1"):
        r.warn((*p, "base_url"),
               Words("base_url is http: sign-in links and cookies travel unencrypted",
                     "base_url memakai http: tautan masuk dan cookie terkirim tanpa enkripsi"),
               Words("put Caddy or nginx with HTTPS in front and write https://",
                     "pasang Caddy atau nginx dengan HTTPS di depannya dan tulis https://"))
    return WebConfig(base_url=base.strip().rstrip("/"), host=host, port=port,
                     trusted_proxies=tuple(x.strip() for x in proxies))


def with_web(community: Community, web: WebConfig | None) -> Community:
    return replace(community, web_url=web.base_url) if web is not None else community
