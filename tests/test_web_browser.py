"""The members' web in a real browser (Debian's chromium through Playwright), against a
uvicorn server on loopback and a store the daemon wrote: issue 18's Bar, step by step.
Screenshots at 360 and 1280 px are kept in artifacts/web/."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.daemon import Runtime, tick
from mailer.edges.web.serve import server
from mailer.edges.web.site import Site
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, signed
from tests.peers import free_port
from tests.playwright_browser import chromium, need_chromium, screenshot
from tests.test_pipeline import mail_for
from tests.webkit import T0, WORKSHEET, seed, signin_link, web_config

NOW = T0 + timedelta(hours=1)


@pytest.fixture
def served(tmp_path: Path, open_runtime: OpenRuntime) -> Iterator[tuple[Runtime, str]]:
    need_chromium()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    rt = open_runtime(_config(tmp_path, base, port))
    seed(rt)
    tick(rt, NOW)  # the invitations go out, with their RSVP buttons
    site = Site(rt.config, clock=lambda: NOW, refresh_every=0)
    web = server(site)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    while not web.started:  # uvicorn says when it listens
        time.sleep(0.02)
    yield rt, base
    web.should_exit = True
    thread.join(timeout=10)


def _config(folder: Path, base: str, port: int) -> Any:
    config = web_config(folder, base=base)
    text = config.path.read_text().replace("port = 8025", f"port = {port}")
    config.path.write_text(text)
    from mailer.config import load_config
    return load_config(config.path)


def meetings_json(rt: Runtime) -> Any:
    result = CliRunner().invoke(main, ["--config", str(rt.config.path), "meetings", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_member_uses_the_web_in_a_browser(served: tuple[Runtime, str]) -> None:
    rt, base = served
    with chromium(360, 780) as context:
        page = context.new_page()
        # sign in with the magic link taken from the mail the daemon sent
        page.goto(f"{base}/signin")
        screenshot(page, "web", "signin-360")
        page.fill("#email", "budi@example.org")
        page.click("button[type=submit]")
        page.wait_for_selector("p.notice")
        tick(rt, NOW)
        link = signin_link(rt, "budi@example.org")
        assert link.startswith(f"{base}/s/")
        page.goto(link)
        page.click("#signin-now")
        page.wait_for_url(f"{base}/c/kkg")
        screenshot(page, "web", "community-360")
        # open a thread
        page.click("text=Pecahan di kelas 3")
        page.wait_for_selector("article.post")
        assert "Saya pakai origami" in page.inner_text("main")
        assert not page.is_visible("div.quoted")  # the quoted history is folded
        screenshot(page, "web", "thread-360")
        # download a file: the same bytes as sent
        page.goto(f"{base}/c/kkg/t/t1")
        with page.expect_download() as info:
            page.click("text=LKPD pecahan.pdf")
        data = Path(info.value.path()).read_bytes()
        assert hashlib.sha256(data).hexdigest() == hashlib.sha256(WORKSHEET).hexdigest()
        # search finds a post by a word in it
        page.goto(f"{base}/c/kkg")
        page.fill("input[name=q]", "origami")
        page.press("input[name=q]", "Enter")
        page.wait_for_selector("ol.threads")
        assert page.locator("a[href='/c/kkg/t/t2']").count() == 1
        assert page.locator("mark").first.inner_text().lower() == "origami"
        screenshot(page, "web", "search-360")
        # the resources page lists a link shared in a thread
        page.goto(f"{base}/c/kkg/resources")
        assert page.locator("a[href='https://www.youtube.com/watch?v=pecahan123']").count() == 1
        screenshot(page, "web", "resources-360")
        page.goto(f"{base}/c/kkg/m/rutin")
        screenshot(page, "web", "meeting-360")
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["cop_session"]["httpOnly"] and cookies["cop_session"]["sameSite"] == "Lax"
    # an RSVP button in the invitation changes `cop meetings --json`
    invitation = mail_for(rt.config.service.data_dir, "budi@example.org", "Undangan")[0]
    text = invitation.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    yes = re.search(r"Ya, hadir: +(\S+)", text)
    assert yes and yes.group(1).startswith(f"{base}/r/")
    before = meetings_json(rt)[0]["rsvp"]["budi@example.org"]
    assert before == "NEEDS-ACTION"
    with chromium(1280, 900) as context:
        page = context.new_page()
        page.goto(yes.group(1))
        screenshot(page, "web", "rsvp-1280")
        page.click("#rsvp-ya")
        page.wait_for_selector("p.notice")
        tick(rt, NOW + timedelta(minutes=1))
        assert meetings_json(rt)[0]["rsvp"]["budi@example.org"] == "ACCEPTED"
        # wide screens: the same pages at 1280 px
        page.goto(link_for_wide(rt, base, page))
        for name, path in (("community", "/c/kkg"), ("thread", "/c/kkg/t/t2"),
                           ("resources", "/c/kkg/resources"), ("meeting", "/c/kkg/m/rutin")):
            page.goto(base + path)
            screenshot(page, "web", f"{name}-1280")
        # a one-click POST (List-Unsubscribe=One-Click, no cookies) stops delivery
        post = mail_for(rt.config.service.data_dir, "dewi@example.org", "Pecahan")[0]
        https = re.findall(r"<([^>]+)>", str(post["List-Unsubscribe"]))[0]
        assert post["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # as a mail provider sends it: no browser, no cookie
    request = urllib.request.Request(https, data=b"List-Unsubscribe=One-Click", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    tick(rt, NOW + timedelta(minutes=2))
    rt.store.archive.add(make_mail(subject="Sesudah berhenti", body="Halo semua.\n",
                                   headers=signed()))
    tick(rt, NOW + timedelta(minutes=3))
    assert mail_for(rt.config.service.data_dir, "dewi@example.org", "Sesudah") == []
    assert mail_for(rt.config.service.data_dir, "agus@example.org", "Sesudah")


def link_for_wide(rt: Runtime, base: str, page: Any) -> str:
    """Sign in again in the wide browser (a new profile), the way a member does."""
    page.goto(f"{base}/signin")
    page.fill("#email", "siti@example.org")
    page.click("button[type=submit]")
    page.wait_for_selector("p.notice")
    tick(rt, NOW + timedelta(minutes=1, seconds=30))
    page.goto(signin_link(rt, "siti@example.org"))
    page.click("#signin-now")
    page.wait_for_url(f"{base}/c/kkg")
    return f"{base}/c/kkg"

