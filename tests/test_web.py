"""The members' web through Starlette's TestClient, against a store the daemon wrote: every
rule of issue 18's Bar but the browser's (tests/test_web_browser.py)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.daemon import Runtime, tick
from mailer.membership import members_of
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, signed, write_config
from tests.test_pipeline import mail_for
from tests.webkit import (
    BASE,
    T0,
    WORKSHEET,
    client_for,
    csrf_of,
    seed,
    sign_in,
    signin_link,
    site_for,
    web_config,
)


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    runtime = open_runtime(web_config(tmp_path))
    seed(runtime)
    return runtime


def test_a_member_signs_in_with_the_link_mailed_to_them_and_reads_the_archive(
        rt: Runtime) -> None:
    client = client_for(site_for(rt.config))
    sign_in(client, rt, "budi@example.org")
    assert "HttpOnly" in str(client.cookies.jar) or client.cookies.get("cop_session")
    page = client.get("/c/kkg")
    assert page.status_code == 200
    titles = re.findall(r'<a href="/c/kkg/t/(t\d+)">([^<]+)</a>', page.text)
    assert [t for _, t in titles] == ["Pecahan di kelas 3", "Lembar kerja pecahan"]  # newest
    thread = client.get("/c/kkg/t/t2")
    # the new text first; what it quoted folded under it
    assert thread.text.index("Saya pakai origami") < thread.text.index("<details>")
    assert "&gt; Ada ide" in thread.text.split("<details>")[1]
    assert "WIB" in thread.text


def test_the_session_cookie_is_httponly_lax_and_secure_on_https(rt: Runtime) -> None:
    client = client_for(site_for(rt.config))
    page = client.get("/signin")
    client.post("/signin", data={"email": "budi@example.org", "csrf": csrf_of(page.text)})
    tick(rt, T0)
    path = "/s/" + signin_link(rt, "budi@example.org").split("/s/")[1]
    answer = client.post(path, data={"csrf": csrf_of(client.get(path).text)})
    cookie = answer.headers["set-cookie"].lower()
    assert "cop_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" in cookie


def test_signing_in_says_the_same_to_members_and_strangers(rt: Runtime) -> None:
    client = client_for(site_for(rt.config))
    answers = []
    for email in ("budi@example.org", "stranger@example.net"):
        page = client.get("/signin")
        answer = client.post("/signin", data={"email": email, "csrf": csrf_of(page.text)})
        answers.append((answer.status_code, re.sub(r'value="[0-9a-f]{32}"', "", answer.text)))
    assert answers[0] == answers[1]
    tick(rt, T0)
    assert mail_for(rt.config.service.data_dir, "stranger@example.net") == []
    assert "/s/" in signin_link(rt, "budi@example.org")


def test_a_link_for_one_member_does_not_work_for_another(rt: Runtime) -> None:
    client = client_for(site_for(rt.config))
    sign_in(client, rt, "budi@example.org")
    link = "/s/" + signin_link(rt, "budi@example.org").split("/s/")[1]
    community, _budi, rest = link[3:].split(".", 2)
    from mailer.tokens import member_hash
    dewi = member_hash("test-secret", "dewi@example.org")  # another member's place in it
    forged = f"/s/{community}.{dewi}.{rest}"
    other = client_for(site_for(rt.config))
    shown = other.get(forged)
    assert shown.status_code == 400
    posted = other.post(forged, data={"csrf": csrf_of(other.get("/signin").text)})
    assert posted.status_code == 400 and "cop_session" not in posted.headers.get(
        "set-cookie", "")
    # an unsubscribe link made for one member unsubscribes nobody else either
    from mailer.links import unsubscribe_url
    mine = unsubscribe_url(BASE, "test-secret", "kkg", "budi@example.org", T0)
    token = mine.split("/u/")[1]
    parts = token.split(".")
    parts[1] = member_hash("test-secret", "dewi@example.org")
    assert other.post("/u/" + ".".join(parts), content=b"List-Unsubscribe=One-Click",
                      headers={"content-type": "application/x-www-form-urlencoded"}
                      ).status_code == 400


def test_a_used_or_expired_sign_in_link_fails(rt: Runtime) -> None:
    client = client_for(site_for(rt.config))
    path = sign_in(client, rt, "budi@example.org")
    again = client_for(site_for(rt.config))
    assert again.post(path, data={"csrf": csrf_of(again.get(path).text)}).status_code == 400
    # a fresh link, 31 minutes later
    client2 = client_for(site_for(rt.config))
    page = client2.get("/signin")
    client2.post("/signin", data={"email": "dewi@example.org", "csrf": csrf_of(page.text)})
    tick(rt, T0)
    link = "/s/" + signin_link(rt, "dewi@example.org").split("/s/")[1]
    late = client_for(site_for(rt.config, T0 + timedelta(minutes=31)))
    assert late.get(link).status_code == 400
    assert late.post(link, data={"csrf": csrf_of(late.get("/signin").text)}).status_code == 400


def test_a_stranger_sees_nothing_of_a_members_only_community(rt: Runtime) -> None:
    client = client_for(site_for(rt.config))
    for path in ("/c/kkg", "/c/kkg/t/t1", "/c/kkg/t/t2", "/c/kkg/search?q=origami",
                 "/c/kkg/resources", "/c/kkg/m/rutin", "/c/kkg/admin", "/c/nothing",
                 f"/c/kkg/f/{hashlib.sha256(WORKSHEET).hexdigest()}/LKPD.pdf"):
        page = client.get(path)
        assert page.status_code == 403, path
        for secret in ("origami", "Pecahan", "Siti", "KKG Matematika", "LKPD", "%PDF"):
            assert secret not in page.text, (path, secret)
    assert client.get("/c/kkg").text == client.get("/c/nothing").text  # no existence oracle
    home = client.get("/")
    assert "KKG Matematika" not in home.text


def test_every_form_carries_csrf_and_a_post_without_it_is_refused(rt: Runtime) -> None:
    client = client_for(site_for(rt.config))
    sign_in(client, rt, "siti@example.org")  # an organizer (moderator) and member
    pages = ["/", "/c/kkg", "/c/kkg/t/t1", "/c/kkg/resources", "/c/kkg/m/rutin",
             "/c/kkg/admin", "/signin", "/c/kkg/search?q=origami"]
    forms = 0
    for path in pages:
        html = client.get(path).text
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S):
            forms += 1
            assert re.search(r'name="csrf" value="[0-9a-f]{32}"', form), (path, form[:120])
    assert forms >= 5
    token = csrf_of(client.get("/c/kkg/m/rutin").text)
    for path, data in (("/signin", {"email": "budi@example.org"}),
                       ("/signout", {}),
                       ("/c/kkg/m/rutin/rsvp", {"word": "ya", "day": "2026-12-04"}),
                       ("/c/kkg/resources/lx", {"do": "pin"})):
        assert client.post(path, data=data).status_code == 403, path
        assert client.post(path, data={**data, "csrf": "0" * 32}).status_code == 403, path
        # the right token from another site's page is refused by its Origin
        assert client.post(path, data={**data, "csrf": token},
                           headers={"origin": "https://evil.example"}).status_code == 403
    assert rt.store.requests.pending() == []  # nothing was asked of the daemon


def test_no_get_changes_state(rt: Runtime) -> None:
    """Every route opened with GET (what a mail scanner does) leaves no request behind and
    signs nobody in."""
    from mailer.links import rsvp_urls, unsubscribe_url
    client = client_for(site_for(rt.config))
    page = client.get("/signin")
    client.post("/signin", data={"email": "budi@example.org", "csrf": csrf_of(page.text)})
    tick(rt, T0)
    link = "/s/" + signin_link(rt, "budi@example.org").split("/s/")[1]
    unsubscribe = unsubscribe_url(BASE, "test-secret", "kkg", "budi@example.org", T0)
    rsvp = rsvp_urls(BASE, "test-secret", "kkg", "budi@example.org",
                     rt.config.communities[0].meetings[0],
                     "2026-12-04T14:00:00+07:00", T0)
    scanner = client_for(site_for(rt.config))
    for url in (link, unsubscribe, *rsvp.values()):
        path = "/" + url.split("/", 3)[3] if url.startswith("http") else url
        assert scanner.get(path).status_code == 200, path
    assert scanner.cookies.get("cop_session") is None
    assert rt.store.requests.pending() == []
    tick(rt, T0 + timedelta(minutes=1))
    assert "budi@example.org" in members_of(rt.config.communities[0], rt.store.state)
    assert rt.store.state.rsvp_of("kkg/rutin", "budi@example.org",
                                  "2026-12-04T14:00:00+07:00") == "NEEDS-ACTION"


def test_responses_carry_security_headers(rt: Runtime) -> None:
    client = client_for(site_for(rt.config))
    for path in ("/", "/signin", "/c/kkg", "/static/web.css", "/u/bad"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" in headers  # base_url is https
    assert "style=" not in client.get("/signin").text  # CSP: no inline styles needed


def test_one_click_unsubscribe_stops_delivery(rt: Runtime) -> None:
    """RFC 8058: the POST a mail provider sends, with no cookies, from the header of a
    post's copy; the member is left as if they had written "keluar"."""
    post = mail_for(rt.config.service.data_dir, "dewi@example.org", "Pecahan")[0]
    header = str(post["List-Unsubscribe"])
    assert post["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = re.findall(r"<([^>]+)>", header)
    assert https.startswith(f"{BASE}/u/") and mailto.startswith("mailto:kkg+u-")
    client = client_for(site_for(rt.config))
    answer = client.post(https.removeprefix(BASE), content=b"List-Unsubscribe=One-Click",
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 200 and not client.cookies
    tick(rt, T0 + timedelta(minutes=10))
    community = rt.config.communities[0]
    assert "dewi@example.org" not in members_of(community, rt.store.state)
    assert rt.store.state.members[("kkg", "dewi@example.org")]["state"] == "left"
    from tests.helpers import make_mail, signed
    rt.store.archive.add(make_mail(subject="Setelah Dewi keluar", body="Halo.\n",
                                   headers=signed()))
    tick(rt, T0 + timedelta(minutes=15))
    assert mail_for(rt.config.service.data_dir, "dewi@example.org", "Setelah Dewi") == []
    assert mail_for(rt.config.service.data_dir, "agus@example.org", "Setelah Dewi")


def test_without_web_the_mail_keeps_the_mailto_only(tmp_path: Path,
                                                     open_runtime: OpenRuntime) -> None:
    rt = open_runtime(write_config(tmp_path))
    seed(rt)
    post = mail_for(rt.config.service.data_dir, "dewi@example.org", "Pecahan")[0]
    assert post["List-Unsubscribe-Post"] is None
    assert str(post["List-Unsubscribe"]).startswith("<mailto:")
    assert "https://" not in post.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_posts_link_to_their_thread_page(rt: Runtime) -> None:
    post = mail_for(rt.config.service.data_dir, "dewi@example.org", "Pecahan")[0]
    text = post.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"{BASE}/c/kkg/t/t2" in text


def test_an_rsvp_link_records_what_the_mail_path_records(rt: Runtime) -> None:
    tick(rt, T0 + timedelta(hours=1))
    invitation = mail_for(rt.config.service.data_dir, "agus@example.org", "Undangan")[0]
    text = invitation.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    links = dict(re.findall(r"(Ya, hadir|Tidak|Mungkin): +(\S+/r/\S+)", text))
    assert set(links) == {"Ya, hadir", "Tidak", "Mungkin"}
    client = client_for(site_for(rt.config))
    path = links["Tidak"].removeprefix(BASE)
    page = client.get(path)
    assert page.status_code == 200 and "Pertemuan rutin" in page.text
    done = client.post(path, data={"csrf": csrf_of(page.text)})
    assert done.status_code == 200
    tick(rt, T0 + timedelta(hours=1, minutes=1))
    assert rt.store.state.latest_rsvp("kkg/rutin", "agus@example.org") == "DECLINED"
    meetings = CliRunner().invoke(main, ["--config", str(rt.config.path), "meetings",
                                         "--json"])
    assert '"agus@example.org": "DECLINED"' in meetings.output


def test_search_files_resources_and_meeting_pages(rt: Runtime) -> None:
    client = client_for(site_for(rt.config))
    sign_in(client, rt, "budi@example.org")
    found = client.get("/c/kkg/search", params={"q": "origami"})
    assert "/c/kkg/t/t2" in found.text and "<mark>origami</mark>" in found.text
    assert "/c/kkg/t/t1" not in found.text
    sha = hashlib.sha256(WORKSHEET).hexdigest()
    download = client.get(f"/c/kkg/f/{sha}/LKPD pecahan.pdf")
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == sha
    assert download.headers["content-disposition"].startswith("attachment")
    resources = client.get("/c/kkg/resources").text
    assert "https://www.youtube.com/watch?v=pecahan123" in resources
    assert "LKPD pecahan.pdf" in resources and "Siti Rahayu" in resources
    meeting = client.get("/c/kkg/m/rutin").text
    assert "Jumat, 4 Desember 2026 pukul 14.00 WIB" in meeting
    assert "@example.org" not in meeting  # names only


def test_an_organizer_pins_tags_and_hides_a_resource(rt: Runtime) -> None:
    site = site_for(rt.config)
    organizer = client_for(site)
    sign_in(organizer, rt, "siti@example.org")
    page = organizer.get("/c/kkg/resources").text
    rid = re.search(r'action="/c/kkg/resources/(l[0-9a-f]+)"', page)
    assert rid
    token = csrf_of(page)
    organizer.post(f"/c/kkg/resources/{rid.group(1)}", data={"do": "pin", "csrf": token})
    organizer.post(f"/c/kkg/resources/{rid.group(1)}",
                   data={"do": "tags", "tags": "video, pecahan", "csrf": token})
    tick(rt, T0 + timedelta(minutes=20))
    page = organizer.get("/c/kkg/resources").text
    assert "Disematkan" in page and "video, pecahan" in page
    organizer.post(f"/c/kkg/resources/{rid.group(1)}", data={"do": "hide", "csrf": token})
    member = client_for(site)
    sign_in(member, rt, "budi@example.org", T0 + timedelta(minutes=21))
    assert "youtube" not in member.get("/c/kkg/resources").text
    # a member cannot change it
    token = csrf_of(member.get("/c/kkg/resources").text)
    assert member.post(f"/c/kkg/resources/{rid.group(1)}",
                       data={"do": "show", "csrf": token}).status_code == 403
    assert "Pesan ditahan" in organizer.get("/c/kkg/admin").text
    assert member.get("/c/kkg/admin").status_code == 403


def test_config_web_keys_are_checked(tmp_path: Path) -> None:
    config = web_config(tmp_path)
    assert config.web is not None and config.web.base_url == BASE
    assert config.communities[0].web_url == BASE
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "cop.toml").write_text((tmp_path / "cop.toml").read_text().replace(
        f'base_url = "{BASE}"', 'base_url = "kkg.example.org"').replace(
        "port = 8025", "port = 99999\nhots = \"x\""))
    result = CliRunner().invoke(main, ["--config", str(bad / "cop.toml"), "check"])
    assert result.exit_code == 1
    assert "base_url" in result.output and "port" in result.output and "hots" in result.output


def test_a_public_archive_is_exported_and_readable_without_signing_in(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    config = web_config(tmp_path, public=True)
    rt = open_runtime(config)
    seed(rt)
    client = client_for(site_for(config))
    assert client.get("/c/kkg/t/t2").status_code == 200
    assert client.get("/c/kkg/m/rutin").status_code == 403  # who comes: members only
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["--config", str(config.path), "web", "export",
                                       str(out)])
    assert result.exit_code == 0, result.output
    thread = (out / "c/kkg/t/t2/index.html").read_text()
    assert "Saya pakai origami" in thread and "csrf" not in thread
    sha = hashlib.sha256(WORKSHEET).hexdigest()
    assert (out / f"c/kkg/f/{sha}/LKPD pecahan.pdf").read_bytes() == WORKSHEET
    assert not (out / "c/kkg/m").exists()


def test_a_public_archive_shows_strangers_no_address_whole(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    """Members' copies carried the address a member typed; the world's pages (a public
    archive read without signing in, its search, its static export) show 'budi.s@…'."""
    config = web_config(tmp_path, public=True)
    rt = open_runtime(config)
    seed(rt)
    rt.store.archive.add(make_mail(
        sender="Budi Santoso <budi@example.org>", subject="Lembar kerja origami",
        body="Silakan minta lembar kerjanya ke budi.s@belajar.id ya.\n",
        message_id="<p9@example.org>", headers=signed()))
    tick(rt, T0 + timedelta(minutes=10))
    thread = next(t for t in rt.store.state.threads.values()
                  if t.subject.endswith("Lembar kerja origami"))
    stranger = client_for(site_for(config))
    page = stranger.get(f"/c/kkg/t/{thread.id}").text
    assert "budi.s@…" in page and "belajar.id" not in page
    found = stranger.get("/c/kkg/search", params={"q": "belajar"}).text
    assert "budi.s@…" in found and "belajar</mark>.id" not in found
    member = client_for(site_for(config))
    sign_in(member, rt, "siti@example.org")
    assert "budi.s@belajar.id" in member.get(f"/c/kkg/t/{thread.id}").text
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["--config", str(config.path), "web", "export",
                                       str(out)])
    assert result.exit_code == 0, result.output
    exported = (out / f"c/kkg/t/{thread.id}/index.html").read_text()
    assert "budi.s@…" in exported and "belajar.id" not in exported


def test_a_private_archive_is_not_exported(rt: Runtime) -> None:
    result = CliRunner().invoke(main, ["--config", str(rt.config.path), "web", "export",
                                       "/tmp/never"])
    assert result.exit_code == 1 and "public" in result.output


def test_the_sign_in_mail_is_in_the_communitys_language(rt: Runtime) -> None:
    client = client_for(site_for(rt.config))
    page = client.get("/signin")
    client.post("/signin", data={"email": "agus@example.org", "csrf": csrf_of(page.text)})
    tick(rt, T0)
    mail = mail_for(rt.config.service.data_dir, "agus@example.org", "Tautan masuk")[0]
    raw = mail.as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert "30 menit" in parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
