"""`cop web export DIR`: the static copy of a public archive works wherever it is put: every
link is relative and names a file that exists, it is read from a sub-path of a plain
static server, and opened from disk in Chromium (file://) its links lead on."""

from __future__ import annotations

import hashlib
import re
import threading
import urllib.request
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.edges.web.export import file_name, relative
from tests.conftest import OpenRuntime
from tests.playwright_browser import chromium, need_chromium, screenshot
from tests.webkit import WORKSHEET, seed, web_config

_LINK = re.compile(r'(?:href|src|action)="([^"]*)"')


@pytest.fixture
def exported(tmp_path: Path, open_runtime: OpenRuntime) -> Path:
    config = web_config(tmp_path, public=True)
    seed(open_runtime(config))
    out = tmp_path / "www" / "arsip" / "kkg"  # a sub-path of the static site
    result = CliRunner().invoke(main, ["--config", str(config.path), "web", "export",
                                       str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_every_link_of_the_copy_is_relative_and_names_a_file_in_it(exported: Path) -> None:
    pages = sorted(exported.rglob("*.html"))
    assert len(pages) >= 5  # home, community, two threads, resources
    checked = 0
    for html in pages:
        for link in _LINK.findall(html.read_text()):
            if link.startswith(("https://", "http://", "#", "mailto:")):
                continue
            assert not link.startswith("/"), (html, link)
            target = (html.parent / unquote(link)).resolve()
            assert target.is_file(), (html, link)
            assert exported.resolve() in target.parents, (html, link)
            checked += 1
    assert checked >= 12
    sha = hashlib.sha256(WORKSHEET).hexdigest()
    thread = (exported / "c/kkg/t/t1/index.html").read_text()
    assert f'href="../../../../c/kkg/f/{sha}/LKPD%20pecahan.pdf"' in thread
    assert (exported / f"c/kkg/f/{sha}/LKPD pecahan.pdf").read_bytes() == WORKSHEET
    index = (exported / "c/kkg/index.html").read_text()
    assert 'href="../../c/kkg/t/t2/index.html"' in index
    assert 'href="../../c/kkg/t/t1/index.html"' in index
    assert "search" not in index and "csrf" not in index and "/signin" not in index


def test_a_senders_file_name_cannot_leave_the_copy() -> None:
    for name in ("../../../etc/passwd", "..", "a/b\\c.pdf", ".hidden", "\x00x", ""):
        safe = file_name(name)
        assert "/" not in safe and "\\" not in safe and not safe.startswith(".")
        assert safe
    url = relative(3)
    assert url("/c/kkg/f/" + "a" * 64 + "/..%2F..%2Fx") == f"../../../c/kkg/f/{'a' * 64}/_.._x"
    assert url("https://www.youtube.com/x") == "https://www.youtube.com/x"
    assert url("/") == "../../../index.html"


@pytest.fixture
def static_server(exported: Path) -> Iterator[str]:
    root = exported.parent.parent  # www/
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/arsip/kkg/"
    server.shutdown()
    server.server_close()


def test_the_copy_is_read_from_a_sub_path_of_a_static_server(static_server: str) -> None:
    """Every page reachable from the copy's index, followed from link to link over HTTP
    under /arsip/kkg/, answers 200; the file comes back as sent."""
    seen: set[str] = set()
    todo = [urljoin(static_server, "index.html")]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200, url
            body = response.read()
        if url.endswith(".pdf"):
            assert body == WORKSHEET
        if url.endswith(".html"):
            for link in _LINK.findall(body.decode()):
                if not link.startswith(("https://", "http://", "#", "mailto:")):
                    todo.append(urljoin(url, link))
    assert len(seen) >= 7
    assert all(u.startswith(static_server) for u in seen)


def test_the_copy_opened_from_disk_in_chromium(exported: Path) -> None:
    need_chromium()
    with chromium(360, 780) as context:
        page = context.new_page()
        page.goto((exported / "index.html").as_uri())
        # the stylesheet loads by its relative link (the header's colour is web.css's)
        assert page.evaluate("getComputedStyle(document.querySelector('header'))"
                             ".backgroundColor") == "rgb(11, 93, 75)"
        page.click("text=KKG Matematika")
        page.wait_for_url(re.compile(r".*/c/kkg/index\.html$"))
        page.click("text=Pecahan di kelas 3")
        page.wait_for_selector("article.post")
        assert "Saya pakai origami" in page.inner_text("main")
        screenshot(page, "web", "export-thread-360")
        page.click("text=Sumber belajar")
        page.wait_for_url(re.compile(r".*/c/kkg/resources/index\.html$"))
        href = page.get_attribute("a[download]", "href")
        assert href is not None
        target = page.evaluate("(a) => a.href", page.query_selector("a[download]"))
        assert target.startswith("file://")
        assert Path(unquote(target.removeprefix("file://"))).read_bytes() == WORKSHEET
        page.click("text=Lembar kerja pecahan")
        page.wait_for_url(re.compile(r".*/c/kkg/t/t1/index\.html$"))
        assert "LKPD pecahan.pdf" in page.inner_text("main")
