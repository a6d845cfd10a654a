"""Is the From address forged? What the receiving server found, read back. Pure.

Anyone can write any From. Servers that receive mail check it (SPF, DKIM, DMARC) and write
what they found into an Authentication-Results header (RFC 8601) at the top of the message:

    Authentication-Results: mx.google.com; dkim=pass header.i=@example.org;
        spf=pass smtp.mailfrom=siti@example.org; dmarc=pass header.from=example.org

Only the topmost run of these headers (same authserv-id) is the mailbox's own server; a
sender can add more of their own further down, so those are not read. Exchange Online writes
no authserv-id at all ("spf=pass (sender IP is ...)"); a header that starts with a result is
taken as the server's own when it is on top.

The verdict is used one way only: a From that the server found forged is held for a
moderator. No header, or no clear failure, changes nothing (the built-in SMTP receiver and
many small servers write none). A DMARC failure under the domain's own policy "none" (its
owner is still setting it up and asks receivers not to act) counts only when SPF failed
outright too and no DKIM signature of the domain passed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_RESULT = re.compile(r"\b(dmarc|spf|dkim)\s*=\s*([a-z]+)([^;]*)", re.I)
_POLICY_NONE = re.compile(r"\b(p|action)\s*=\s*none\b", re.I)
_PROPERTY = re.compile(r"\b(header\.from|header\.d|header\.i|smtp\.mailfrom)\s*=\s*([^\s;]+)",
                       re.I)


def authserv_id(header: str) -> str:
    """The authserv-id a header starts with; '' for Exchange's form with none."""
    first = header.split(";", 1)[0].strip()
    return "" if "=" in first else first.lower()


def own_headers(headers: Sequence[str]) -> list[str]:
    """The topmost run of Authentication-Results headers with one authserv-id."""
    if not headers:
        return []
    top = authserv_id(headers[0])
    run = []
    for header in headers:
        if authserv_id(header) != top:
            break
        run.append(header)
    return run


def forged_from(headers: Sequence[str], from_addr: str) -> str | None:
    """Why the receiving server found this From forged, or None."""
    domain = from_addr.rpartition("@")[2].lower()
    if not domain:
        return None
    results: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for header in own_headers(headers):
        for method, result, rest in _RESULT.findall(header):
            props = {k.lower(): v.strip("<>\"'").lower() for k, v in _PROPERTY.findall(rest)}
            if _POLICY_NONE.search(rest):
                props["policy-none"] = "yes"
            results.setdefault(method.lower(), []).append((result.lower(), props))
    dmarc = [(r, p) for r, p in results.get("dmarc", [])
             if _aligned(p.get("header.from", domain), domain)]
    if any(r == "fail" and not p.get("policy-none") for r, p in dmarc):
        return "dmarc=fail"
    if any(r == "pass" for r, _ in dmarc):
        return None
    dkim_ok = any(r == "pass" and _aligned(_domain(p.get("header.d") or p.get("header.i", "")),
                                           domain)
                  for r, p in results.get("dkim", []))
    spf_fail = any(r == "fail" and _aligned(_domain(p.get("smtp.mailfrom", domain)), domain)
                   for r, p in results.get("spf", []))
    return "spf=fail" if spf_fail and not dkim_ok else None


def _domain(value: str) -> str:
    return value.rpartition("@")[2]


def _aligned(other: str, domain: str) -> bool:
    """Relaxed alignment (DMARC): the same domain, or one inside the other."""
    other = other.lower().rstrip(".")
    return bool(other) and (other == domain or domain.endswith("." + other)
                            or other.endswith("." + domain))
