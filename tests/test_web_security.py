"""The members' web against issue 18's security Bar, beyond tests/test_web.py: the sign-in
form's limits (per client address, believing X-Forwarded-For only from the trusted proxy,
and overall), every GET route leaving nothing changed, security headers on errors and
downloads, an RSVP link forged for another member, and a public community next to a
members-only one showing nothing of it (pages, files by hash, search, resources, export)."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.routing import Route
from starlette.testclient import TestClient

from mailer.cli import main
from mailer.config import load_config
from mailer.daemon import Runtime, tick
from mailer.edges.web import make_app
from mailer.edges.web.limits import SignInLimit
from mailer.edges.web.site import Site
from mailer.links import rsvp_urls, unsubscribe_url
from mailer.tokens import member_hash
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, signed
from tests.webkit import (
    BASE,
    T0,
    WORKSHEET,
    client_for,
    csrf_of,
    seed,
    sign_in,
    site_for,
    web_config,
)

PUBLIC = """
[[community]]
id = "mgmp"
name = "MGMP Terbuka"
address = "mgmp@example.org"
moderators = ["rina@example.org"]
language = "id"
archive = "public"

  [[community.member]]
  email = "rina@example.org"
  name = "Rina Marlina"
"""


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    runtime = open_runtime(web_config(tmp_path))
    seed(runtime)
    return runtime


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _from(site: Site, host: str) -> TestClient:
    return TestClient(make_app(site), base_url=BASE, follow_redirects=False,
                      client=(host, 40000))


def _ask(client: TestClient, email: str = "budi@example.org",
         forwarded: str | None = None) -> int:
    page = client.get("/signin")
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    return client.post("/signin", data={"email": email, "csrf": csrf_of(page.text)},
                       headers=headers).status_code


def test_the_sign_in_form_is_limited_per_client_with_a_clear_page(rt: Runtime) -> None:
    clock = Clock(T0)
    site = Site(rt.config, clock=clock, refresh_every=0)
    site.signin_limit = SignInLimit(per_client=3, overall=100)
    one = _from(site, "203.0.113.5")
    assert [_ask(one) for _ in range(3)] == [200, 200, 200]
    page = one.get("/signin")
    refused = one.post("/signin", data={"email": "dewi@example.org",
                                        "csrf": csrf_of(page.text)})
    assert refused.status_code == 429
    assert "Terlalu banyak permintaan tautan masuk dari jaringan Anda" in refused.text
    assert "Silakan coba lagi dalam 15 menit" in refused.text
    assert refused.headers["retry-after"] == "900"
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert len(rt.store.requests.pending()) == 3  # the refused one asked nothing of the daemon
    # the same answer for a stranger's address: the limit says nothing of membership
    stranger = one.post("/signin", data={"email": "x@example.net", "csrf": csrf_of(page.text)})
    assert stranger.status_code == 429
    assert re.sub(r'value="[0-9a-f]{32}"', "", stranger.text) == \
        re.sub(r'value="[0-9a-f]{32}"', "", refused.text)
    # another address is not held up; a spoofed X-Forwarded-For from an untrusted peer
    # is ignored (the peer is counted)
    assert _ask(_from(site, "203.0.113.6")) == 200
    assert _ask(one, forwarded="198.51.100.1") == 429
    # the window passes
    clock.now = T0 + timedelta(minutes=16)
    assert _ask(one) == 200


def test_behind_the_trusted_proxy_each_forwarded_client_counts_alone(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    config = web_config(tmp_path)
    text = config.path.read_text().replace("port = 8025\n",
                                           'port = 8025\ntrusted_proxies = ["127.0.0.1"]\n')
    config.path.write_text(text)
    config = load_config(config.path)
    assert config.web is not None and config.web.trusted_proxies == ("127.0.0.1",)
    open_runtime(config)
    site = Site(config, clock=lambda: T0, refresh_every=0)
    site.signin_limit = SignInLimit(per_client=2, overall=100)
    proxy = _from(site, "127.0.0.1")
    assert [_ask(proxy, forwarded="198.51.100.7") for _ in range(3)] == [200, 200, 429]
    assert _ask(proxy, forwarded="198.51.100.8") == 200  # another member behind the proxy
    # a client cannot escape by writing its own X-Forwarded-For: the proxy appends the
    # real address, which is the one counted
    assert _ask(proxy, forwarded="10.0.0.1, 198.51.100.7") == 429


def test_the_overall_limit_and_the_english_page(tmp_path: Path,
                                                open_runtime: OpenRuntime) -> None:
    config = web_config(tmp_path, language="en")
    open_runtime(config)
    site = Site(config, clock=lambda: T0, refresh_every=0)
    site.signin_limit = SignInLimit(per_client=5, overall=3)
    codes = [_ask(_from(site, f"203.0.113.{n}")) for n in range(1, 5)]
    assert codes == [200, 200, 200, 429]
    page = _from(site, "203.0.113.9")
    refused = page.post("/signin", data={"email": "budi@example.org",
                                          "csrf": csrf_of(page.get("/signin").text)})
    assert "There are too many sign-in link requests right now." in refused.text
    assert "Please try again in 15 minutes." in refused.text


def test_trusted_proxies_is_checked(tmp_path: Path) -> None:
    config = web_config(tmp_path)
    assert config.web is not None and config.web.trusted_proxies == ("127.0.0.1", "::1")
    bad = config.path.read_text().replace("port = 8025\n",
                                          'port = 8025\ntrusted_proxies = ["proxy.lan"]\n')
    config.path.write_text(bad)
    result = CliRunner().invoke(main, ["--config", str(config.path), "check"])
    assert result.exit_code == 1 and "trusted_proxies" in result.output


def _paths(app_routes: list[Route]) -> list[tuple[str, set[str]]]:
    values = {"token": "kkg.00000000.zz.x.00000000000000000000", "word": "ya",
              "community": "kkg", "thread": "t1", "meeting": "rutin", "rid": "lx",
              "sha256": hashlib.sha256(WORKSHEET).hexdigest(), "name": "LKPD.pdf"}
    out: dict[str, set[str]] = {}
    for route in app_routes:
        path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], route.path)
        out.setdefault(path, set()).update(route.methods or ())
    return list(out.items())


def test_no_get_of_any_route_changes_anything(rt: Runtime) -> None:
    """Every route, opened with GET by a stranger and by a signed-in organizer: no request
    reaches the daemon, no one is signed in; a route that acts answers GET with 405."""
    site = site_for(rt.config)
    organizer = client_for(site)
    sign_in(organizer, rt, "siti@example.org")
    tick(rt, T0 + timedelta(minutes=1))
    assert rt.store.requests.pending() == []
    app = make_app(site)
    inner = app.app.app  # type: ignore[attr-defined]  # SecurityHeaders > proxy > Starlette
    routes = [r for r in inner.routes if isinstance(r, Route)]
    assert len(routes) >= 19
    before = dict(organizer.cookies)
    for path, methods in _paths(routes):
        for client in (organizer, client_for(site)):
            answer = client.get(path)
            if "GET" not in methods:
                assert answer.status_code == 405, path
            assert answer.headers["x-frame-options"] == "DENY", path
    assert rt.store.requests.pending() == []
    assert dict(organizer.cookies)["cop_session"] == before["cop_session"]


def test_security_headers_on_errors_and_downloads(rt: Runtime) -> None:
    site = site_for(rt.config)
    client = client_for(site)
    answers = {"404": client.get("/nowhere"), "405": client.get("/signout"),
               "403": client.get("/c/kkg"), "400": client.get("/s/bad.token"),
               "403 post": client.post("/signin", data={})}
    sign_in(client, rt, "budi@example.org")
    sha = hashlib.sha256(WORKSHEET).hexdigest()
    download = client.get(f"/c/kkg/f/{sha}/LKPD pecahan.pdf")
    answers["file"] = download
    site.index.search = _broken  # type: ignore[method-assign]
    crashing = TestClient(make_app(site), base_url=BASE, raise_server_exceptions=False,
                          cookies=dict(client.cookies))
    answers["500"] = crashing.get("/c/kkg/search", params={"q": "origami"})
    assert answers["500"].status_code == 500
    for what, answer in answers.items():
        headers = answer.headers
        assert headers["x-content-type-options"] == "nosniff", what
        assert "frame-ancestors 'none'" in headers["content-security-policy"] or \
            what == "file", what
        assert headers["x-frame-options"] == "DENY", what
        assert headers["referrer-policy"] == "same-origin", what
        assert "no-store" in headers["cache-control"], what
        assert "strict-transport-security" in headers, what
        assert "origami" not in answer.text or what == "file", what
    assert download.headers["content-type"] == "application/octet-stream"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''LKPD%20pecahan.pdf" in disposition
    assert download.headers["content-security-policy"].startswith("sandbox")
    assert len(download.headers.get_list("content-security-policy")) == 1


def _broken(community: str, text: str, limit: int = 50) -> list[object]:
    raise RuntimeError("a bug")


def test_an_rsvp_link_for_one_member_does_not_answer_for_another(rt: Runtime) -> None:
    meeting = rt.config.communities[0].meetings[0]
    mine = rsvp_urls(BASE, "test-secret", "kkg", "budi@example.org", meeting, "", T0)["ya"]
    token = mine.split("/r/")[1].split("/")[0]
    parts = token.split(".")
    parts[1] = member_hash("test-secret", "dewi@example.org")
    forged = "/r/" + ".".join(parts) + "/ya"
    client = client_for(site_for(rt.config))
    assert client.get(forged).status_code == 400
    csrf = csrf_of(client.get("/signin").text)
    assert client.post(forged, data={"csrf": csrf}).status_code == 400
    # nor another meeting, community or purpose: the MAC covers them
    swapped = mine.replace("/r/", "/u/").rsplit("/", 1)[0].removeprefix(BASE)
    assert client.post(swapped, content=b"List-Unsubscribe=One-Click",
                       headers={"content-type": "application/x-www-form-urlencoded"}
                       ).status_code == 400
    unsubscribe = unsubscribe_url(BASE, "test-secret", "kkg", "budi@example.org", T0)
    assert client.get(unsubscribe.replace("/u/", "/r/").removeprefix(BASE) + "/ya"
                      ).status_code == 400
    assert rt.store.requests.pending() == []


def test_a_public_community_shows_nothing_of_a_members_only_one(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    config = web_config(tmp_path, extra=PUBLIC)
    rt = open_runtime(config)
    seed(rt)  # kkg (members only): a file, a link, origami
    rt.store.archive.add(make_mail(sender="Rina Marlina <rina@example.org>",
                                   to="mgmp@example.org", subject="Terbuka untuk umum",
                                   body="Materi terbuka tentang geometri.\n",
                                   headers=signed()))
    tick(rt, T0 + timedelta(minutes=10))
    stranger = client_for(site_for(config))
    sha = hashlib.sha256(WORKSHEET).hexdigest()
    assert "MGMP Terbuka" in stranger.get("/").text
    assert "KKG Matematika" not in stranger.get("/").text
    checks = {"/c/mgmp": 200, "/c/mgmp/search?q=origami": 200, "/c/mgmp/resources": 200,
              f"/c/mgmp/f/{sha}/LKPD.pdf": 403, "/c/mgmp/t/t1": 403, "/c/mgmp/t/t2": 403}
    for path, code in checks.items():
        page = stranger.get(path)
        assert page.status_code == code, path
        text = page.text.replace("q=origami", "").replace("“origami”", "").replace(
            'value="origami"', "")  # the search words are said back, nothing found
        for secret in ("origami", "Pecahan", "LKPD", "youtube", "%PDF"):
            assert secret not in text, (path, secret)
    assert "Tidak ada pesan yang memuat kata itu." in stranger.get(
        "/c/mgmp/search?q=origami").text
    assert "/c/mgmp/t/" in stranger.get("/c/mgmp/search?q=geometri").text
    # a signed-in member of the public community alone does not read the other either
    rina = client_for(site_for(config))
    sign_in(rina, rt, "rina@example.org", T0 + timedelta(minutes=11))
    assert rina.get("/c/kkg").status_code == 403
    assert rina.get("/c/kkg/search?q=origami").status_code == 403
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["--config", str(config.path), "web", "export",
                                       str(out)])
    assert result.exit_code == 0, result.output
    written = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert b"geometri" in written
    for secret in (b"origami", b"Pecahan", b"LKPD", b"youtube", b"KKG Matematika", WORKSHEET):
        assert secret not in written, secret
    assert not (out / "c" / "kkg").exists()
