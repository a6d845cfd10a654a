"""Is the From address the sender's own? What the receiving server found, read back. Pure.

Anyone can write any From. Servers that receive mail check it (SPF, DKIM, DMARC) and write
what they found into an Authentication-Results header (RFC 8601) at the top of the message:

    Authentication-Results: mx.google.com; dkim=pass header.i=@example.org;
        spf=pass smtp.mailfrom=siti@example.org; dmarc=pass header.from=example.org

Anybody can write such a header too, so only those of the server named in cop.toml
(`[inbound] authserv_id`) are read (RFC 8601 section 5); with the built-in receiver that is
our own id, and the receiver removes any header claiming it that came from outside.
A sender can still put a header with the server's id below the server's own (a server that
does not remove them passes them on), so the headers are read topmost first: a failure
counts wherever the server's id stands, a pass only in the topmost of them. A sender's own
lower "dkim=pass" never cancels the server's "spf=fail" above it.

Exchange Online (Microsoft 365) writes no authserv-id at all ("spf=pass (sender IP is
...)"); with `authserv_id = "mx.microsoft.com"` only the topmost header, written so, is read.
Nothing else without an id counts.

The verdict (check_from):
    pass   the From is authenticated: DMARC passed for its domain, or a DKIM signature or
           SPF of an aligned domain passed, and nothing failed
    fail   forged: DMARC failed for the From's domain (under any policy: "none" is not a
           pass, and a pass of another domain is no alignment), or SPF failed for it and no
           aligned DKIM signature passed
    none   nothing to go on (no header of the trusted server, or no clear result)
A post whose From fails is held for a moderator; a change asked for on someone's behalf
(leave, a moderator's decision) needs a pass or the reply to a token mailed to them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_RESULT = re.compile(r"\b(dmarc|spf|dkim)\s*=\s*([a-z]+)([^;]*)", re.I)
_PROPERTY = re.compile(r"\b(header\.from|header\.d|header\.i|smtp\.mailfrom)\s*=\s*([^\s;]+)",
                       re.I)
MICROSOFT = ("mx.microsoft.com", "microsoft", "outlook.com", "protection.outlook.com")


@dataclass(frozen=True)
class Verdict:
    result: str  # pass | fail | none
    reason: str  # "dmarc=pass", "spf=fail", "no Authentication-Results of mx.google.com"

    @property
    def authenticated(self) -> bool:
        return self.result == "pass"

    @property
    def forged(self) -> bool:
        return self.result == "fail"


def authserv_id(header: str) -> str:
    """The authserv-id a header starts with; '' for Exchange's form with none."""
    first = header.split(";", 1)[0].strip()
    return "" if "=" in first else first.split()[0].lower() if first else ""


def trusted_headers(headers: Sequence[str], trusted: str) -> list[str]:
    """The headers written by the trusted server, topmost first."""
    trusted = trusted.strip().lower()
    if not trusted:
        return []
    if trusted in MICROSOFT:
        return [headers[0]] if headers and authserv_id(headers[0]) == "" else []
    return [h for h in headers if authserv_id(h) == trusted]


def check_from(headers: Sequence[str], trusted: str, from_addr: str) -> Verdict:
    """What the trusted server found about this From."""
    domain = from_addr.rpartition("@")[2].lower()
    own = trusted_headers(headers, trusted)
    if not domain or not own:
        return Verdict("none", f"no Authentication-Results of {trusted or 'a trusted server'}")
    every = [r for h in own for r in _results(h)]
    top = _results(own[0])
    for method, result, props in every:  # a failure counts wherever it stands
        if method == "dmarc" and result == "fail" \
                and _aligned(props.get("header.from", domain), domain):
            return Verdict("fail", "dmarc=fail")
    dkim_ok = any(m == "dkim" and r == "pass" and _aligned(_signer(p), domain)
                  for m, r, p in top)
    if not dkim_ok and any(m == "spf" and r == "fail"
                           and _aligned(_domain(p.get("smtp.mailfrom", domain)), domain)
                           for m, r, p in every):
        return Verdict("fail", "spf=fail")
    for method, result, props in top:  # a pass only in the topmost header
        if result != "pass":
            continue
        if method == "dmarc" and _aligned(props.get("header.from", domain), domain):
            return Verdict("pass", "dmarc=pass")
        if method == "dkim" and _aligned(_signer(props), domain):
            return Verdict("pass", "dkim=pass")
        if method == "spf" and _aligned(_domain(props.get("smtp.mailfrom", "")), domain):
            return Verdict("pass", "spf=pass")
    return Verdict("none", "no result for the From's domain")


def forged_from(headers: Sequence[str], trusted: str, from_addr: str) -> str | None:
    """Why the trusted server found this From forged, or None."""
    verdict = check_from(headers, trusted, from_addr)
    return verdict.reason if verdict.forged else None


def _results(header: str) -> list[tuple[str, str, dict[str, str]]]:
    out = []
    for method, result, rest in _RESULT.findall(header):
        props = {k.lower(): v.strip("<>\"'").lower() for k, v in _PROPERTY.findall(rest)}
        out.append((method.lower(), result.lower(), props))
    return out


def _signer(props: dict[str, str]) -> str:
    """A DKIM result's domain; one that names none vouches for nobody."""
    return props.get("header.d") or _domain(props.get("header.i", ""))


def _domain(value: str) -> str:
    return value.rpartition("@")[2]


def _aligned(other: str, domain: str) -> bool:
    """Relaxed alignment (DMARC): the same domain, or one inside the other."""
    other = other.lower().rstrip(".")
    return bool(other) and (other == domain or domain.endswith("." + other)
                            or other.endswith("." + domain))
