"""SPF, DKIM and DMARC, checked where mail arrives: the built-in receiver's own verdict.

Well-kept libraries do the work: pyspf (SPF, RFC 7208) with the client's IP, HELO and MAIL
FROM; dkimpy (DKIM, RFC 6376) for every signature; authheaders' DMARC policy discovery and
alignment (RFC 7489) over their results; authres writes the Authentication-Results header
(RFC 8601) under our own authserv-id. All DNS goes through one dnspython resolver, which
tests point at their own server (COP_TEST_DNS="127.0.0.1:PORT", read only here).

    stamp(raw, ip, helo, mail_from) -> our header + raw, without any header that came from
                                       outside claiming our authserv-id (RFC 8601 section 5)

verify.py reads the header back like any server's; a failure of one check never stops the
message (a DNS outage is "temperror", and nothing is held for it).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from typing import Any

import authheaders
import authheaders.dmarc_lookup
import dkim
import dns.exception
import dns.resolver
import spf
from authheaders import dmarc_per_from
from authres import (
    AuthenticationResultsHeader,
    DKIMAuthenticationResult,
    SPFAuthenticationResult,
)
from authres.dmarc import DMARCAuthenticationResult

log = logging.getLogger(__name__)

TEST_DNS = "COP_TEST_DNS"  # "host:port" of a test DNS server; never set in production
TIMEOUT = 5.0  # seconds for one DNS query
SPF_TIME = 10  # seconds for one whole SPF evaluation (RFC 7208 section 4.6.4 asks 20 at most)
MAX_SIGNATURES = 5  # DKIM signatures checked on one message

_local = threading.local()  # the resolver of the check running in this thread (pyspf's hook)


class Authenticator:
    def __init__(self, authserv_id: str, nameserver: str | None = None) -> None:
        self.authserv_id = authserv_id.lower()
        nameserver = nameserver if nameserver is not None else os.environ.get(TEST_DNS)
        self.resolver = dns.resolver.Resolver(configure=not nameserver)
        if nameserver:
            host, _, port = nameserver.rpartition(":")
            self.resolver.nameservers = [host]
            self.resolver.port = int(port)
        self.resolver.lifetime = TIMEOUT
        self.resolver.timeout = TIMEOUT

    def stamp(self, raw: bytes, ip: str, helo: str, mail_from: str) -> bytes:
        """`raw` with our Authentication-Results on top; impostors of our id removed."""
        try:
            header = self.results(raw, ip, helo, mail_from)
        except Exception as exc:  # a library's bug on hostile input must not lose the mail
            log.warning("authentication failed error=%s", type(exc).__name__)
            header = f"Authentication-Results: {self.authserv_id}; none"
        return header.encode("utf-8", "replace") + b"\r\n" + strip_claims(raw,
                                                                         self.authserv_id)

    def results(self, raw: bytes, ip: str, helo: str, mail_from: str) -> str:
        spf_result = self._spf(ip, helo, mail_from)
        signatures = self._dkim(raw)
        from_domain = _from_domain(raw)
        dkim_result = _best_signature(signatures, from_domain)
        results: list[Any] = [spf_result, *signatures] if signatures else [
            spf_result, DKIMAuthenticationResult(result="none")]
        results.append(self._dmarc(from_domain, spf_result, dkim_result))
        return str(AuthenticationResultsHeader(authserv_id=self.authserv_id, results=results))

    def _spf(self, ip: str, helo: str, mail_from: str) -> SPFAuthenticationResult:
        _local.resolver = self.resolver
        try:
            result, _ = spf.query(i=ip, s=mail_from, h=helo or "unknown", timeout=TIMEOUT,
                                  querytime=SPF_TIME).check()[:2] if ip else ("none", "")
            # no IP: nothing to judge (mail handed to the MX on its own machine, LMTP)
        except Exception:  # pyspf raises on odd input (a bad IP, a broken record)
            result = "temperror"
        return SPFAuthenticationResult(result=result or "none", smtp_mailfrom=mail_from or
                                       f"postmaster@{helo or 'unknown'}", smtp_helo=helo or None)

    def _dkim(self, raw: bytes) -> list[DKIMAuthenticationResult]:
        try:
            checker = dkim.DKIM(raw)
            count = sum(1 for name, _ in dkim.rfc822_parse(raw)[0]
                        if name.lower() == b"dkim-signature")
        except Exception:
            return []
        out = []
        for index in range(min(count, MAX_SIGNATURES)):
            try:
                ok = checker.verify(idx=index, dnsfunc=self._dkim_txt)
                result = "pass" if ok else "fail"
            except dkim.DnsTimeoutError:
                result = "temperror"
            except Exception:
                result = "permerror"
            fields = checker.signature_fields or {}
            out.append(DKIMAuthenticationResult(
                result=result, header_d=_text(fields.get(b"d", b"")) or None,
                header_i=_text(fields.get(b"i", b"")) or None))
        return out

    def _dmarc(self, from_domain: str, spf_result: SPFAuthenticationResult,
               dkim_result: DKIMAuthenticationResult | None) -> DMARCAuthenticationResult:
        if not from_domain:
            return DMARCAuthenticationResult(result="permerror", header_from="none")
        spf_copy = SPFAuthenticationResult(result=spf_result.result,
                                           smtp_mailfrom=spf_result.smtp_mailfrom)
        try:
            result, _, domain, policy = dmarc_per_from(from_domain, spf_result=spf_copy,
                                                       dkim_result=dkim_result,
                                                       dnsfunc=self._dmarc_txt)
        except Exception:
            return DMARCAuthenticationResult(result="temperror", header_from=from_domain)
        if result == "none":
            return DMARCAuthenticationResult(result="none", header_from=from_domain)
        return DMARCAuthenticationResult(result=result, header_from=domain or from_domain,
                                         policy=policy or None)

    def _txt(self, name: str) -> list[bytes]:
        try:
            answer = self.resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        return [b"".join(r.strings) for r in answer]

    def _dkim_txt(self, name: bytes, timeout: float = TIMEOUT) -> bytes | None:
        try:
            records = self._txt(name.decode("ascii", "replace"))
        except dns.exception.DNSException as exc:
            raise dkim.DnsTimeoutError(str(exc)) from exc
        return records[0] if records else None

    def _dmarc_txt(self, name: str) -> str | None:
        records = [r.decode("ascii", "replace") for r in self._txt(name)]
        return next((r for r in records if r.startswith("v=DMARC1")), None)


def _spf_lookup(name: str, qtype: str, strict: bool = True,
                timeout: float = TIMEOUT) -> list[tuple[tuple[str, str], Any]]:
    """pyspf's DNS hook (spf.DNSLookup), over the resolver of the check in this thread:
    pyspf's own calls a dnspython function that 2.x deprecates."""
    resolver: dns.resolver.Resolver = getattr(_local, "resolver", None) \
        or dns.resolver.get_default_resolver()
    try:
        answer = resolver.resolve(name, qtype, lifetime=timeout)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        raise spf.TempError(f"DNS {exc}") from exc
    out: list[tuple[tuple[str, str], Any]] = []
    for rdata in answer:
        if qtype in ("A", "AAAA"):
            out.append(((name, qtype), rdata.address))
        elif qtype == "MX":
            out.append(((name, qtype), (rdata.preference, rdata.exchange)))
        elif qtype == "PTR":
            out.append(((name, qtype), rdata.target.to_text(True)))
        elif qtype in ("TXT", "SPF"):
            out.append(((name, qtype), rdata.strings))
    return out


spf.DNSLookup = _spf_lookup  # pyspf's documented hook for its DNS (its tests use it too)
# authheaders reads and parses the whole Public Suffix List on every call of get_org_domain
# (a few tenths of a second, twice a message): the answer for a domain is kept instead
_org_domain = functools.lru_cache(maxsize=4096)(authheaders.dmarc_lookup.get_org_domain)
authheaders.dmarc_lookup.get_org_domain = _org_domain
authheaders.get_org_domain = _org_domain


_AR = re.compile(rb"^authentication-results[ \t]*:[ \t]*([^;\r\n]*)", re.I)


def strip_claims(raw: bytes, authserv_id: str) -> bytes:
    """Remove Authentication-Results headers that claim `authserv_id` (continuation lines
    included): whoever wrote them, it was not us."""
    end = raw.find(b"\r\n\r\n")
    end = raw.find(b"\n\n") if end < 0 else end
    head, body = (raw, b"") if end < 0 else (raw[:end + 1], raw[end + 1:])
    lines = head.splitlines(keepends=True)
    out: list[bytes] = []
    skipping = False
    for line in lines:
        if line[:1] in (b" ", b"\t") and skipping:
            continue
        match = _AR.match(line)
        claimed = match.group(1).strip().split()[0].decode("ascii", "replace").lower() \
            if match and match.group(1).strip() else ""
        skipping = bool(match) and claimed == authserv_id
        if not skipping:
            out.append(line)
    return b"".join(out) + body


def _from_domain(raw: bytes) -> str:
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:200_000])
    except Exception:
        return ""
    addresses = getaddresses([str(v) for v in headers.get_all("from") or []])
    domains = {a.rpartition("@")[2].lower().rstrip(".") for _, a in addresses if "@" in a}
    return domains.pop() if len(domains) == 1 else ""


def _best_signature(signatures: list[DKIMAuthenticationResult],
                    from_domain: str) -> DKIMAuthenticationResult | None:
    """The signature DMARC is judged by: an aligned pass first, then any pass."""
    def aligned(d: str | None) -> bool:
        d = (d or "").lower()
        return bool(d) and (d == from_domain or from_domain.endswith("." + d)
                            or d.endswith("." + from_domain))
    passed = [s for s in signatures if s.result == "pass"]
    return next((s for s in passed if aligned(s.header_d)), passed[0] if passed else None)


def _text(value: bytes) -> str:
    return value.decode("ascii", "replace")

