"""`cop web export DIR`: a static copy of a public community's archive (archive = "public"
in its [[community]]), for any static host: the thread list (every thread on one page, no
search needed), every thread, the resources, the files as sent, the stylesheet.

Every link is relative and names its file (`../t/t2/index.html`), so the copy works at the
root of a site, under any sub-path (https://sekolah.example/arsip/kkg/) and opened from
disk (file://). Nothing members-only is written: no meeting pages (names of who comes), no
admin, no search form, no sign-in."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote

from mailer.config import Community
from mailer.edges.web.pages import shown_posts
from mailer.edges.web.resources import collect
from mailer.edges.web.site import Site
from mailer.outbound.render import builtin_templates

_FILE = re.compile(r"^/c/([a-z0-9-]+)/f/([0-9a-f]{64})/(.*)$")


def file_name(name: str) -> str:
    """A sender's file name fit to be a file of the copy: no folders ('../'), no control
    characters, no leading dot."""
    flat = re.sub(r"[\x00-\x1f/\\:*?\"<>|]+", "_", name).strip(" .")
    return flat[:150] or "file"


def relative(depth: int) -> Callable[[str], str]:
    """The links of a page `depth` folders below the copy's root: '/c/kkg/t/t2' ->
    '../../c/kkg/t/t2/index.html' (a page is its folder's index.html)."""
    up = "../" * depth

    def url(path: str) -> str:
        if not path.startswith("/"):
            return path  # a link elsewhere, as it is
        found = _FILE.match(path)
        if found:
            community, sha, name = found.groups()
            return f"{up}c/{community}/f/{sha}/{quote(file_name(unquote(name)))}"
        if path.startswith("/static/"):
            return up + path[1:]
        folder = path.strip("/")
        return f"{up}{folder}/index.html" if folder else f"{up}index.html"

    return url


def export(site: Site, community: Community, target: Path) -> int:
    """Write the copy; the number of files written."""
    state = site.reader.state
    threads = state.threads_newest_first(community.id)
    written = 0

    def put(path: str, data: bytes) -> None:
        nonlocal written
        out = target / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        written += 1

    def page(path: str, name: str, subject: Community | None, **data: object) -> None:
        depth = path.count("/")
        common = {"user": None, "csrf": "", "staff": False, "static": True,
                  "url": relative(depth)}
        put(path, site.render(name, subject, **common, **data).encode())

    put("static/web.css", (builtin_templates() / "web" / "web.css").read_bytes())
    page("index.html", "home", None, mine=[], public=[community])
    base = f"c/{community.id}"
    page(f"{base}/index.html", "community", community, threads=threads, more=None,
         meetings=(), member=False)
    for thread in threads:
        page(f"{base}/t/{thread.id}/index.html", "thread", community, thread=thread,
             posts=shown_posts(site, thread, member=False))
        for post in thread.posts:
            for a in post.attachments:
                data = site.reader.read_file(a.sha256) if a.withheld != "blocked" else None
                if data is not None:
                    put(f"{base}/f/{a.sha256}/{file_name(a.filename)}", data)
    shown = [r for r in collect(state, community, site.resources) if not r.hide]
    page(f"{base}/resources/index.html", "resources", community, resources=shown, tag="",
         tags=[])
    return written
