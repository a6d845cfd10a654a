"""`cop web export DIR`: a static copy of a public community's archive (archive = "public"
in its [[community]]), for any static host: the thread list, every thread, the resources,
the files as sent, the stylesheet. Served at the root of a site (links start with /c/).
Nothing members-only is written: no meeting pages (names of who comes), no admin."""

from __future__ import annotations

from pathlib import Path

from mailer.config import Community
from mailer.edges.web.pages import history
from mailer.edges.web.resources import collect
from mailer.edges.web.site import Site
from mailer.outbound.render import builtin_templates


def export(site: Site, community: Community, target: Path) -> int:
    """Write the copy; the number of files written."""
    state = site.reader.state
    threads = state.threads_newest_first(community.id)
    common = {"user": None, "csrf": "", "staff": False, "static": True}
    written = 0

    def put(path: str, data: bytes) -> None:
        nonlocal written
        out = target / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        written += 1

    put("static/web.css", (builtin_templates() / "web" / "web.css").read_bytes())
    put("index.html", site.render("home", None, mine=[], public=[community], **common).encode())
    put(f"c/{community.id}/index.html", site.render(
        "community", community, threads=threads, more=None, meetings=(), member=False,
        **common).encode())
    for thread in threads:
        posts = [(p, history(site, p.message_id, p.body)) for p in thread.posts]
        put(f"c/{community.id}/t/{thread.id}/index.html", site.render(
            "thread", community, thread=thread, posts=posts, **common).encode())
        for post in thread.posts:
            for a in post.attachments:
                data = site.reader.read_file(a.sha256) if a.withheld != "blocked" else None
                if data is not None:
                    put(f"c/{community.id}/f/{a.sha256}/{a.filename}", data)
    shown = [r for r in collect(state, community, site.resources) if not r.hide]
    put(f"c/{community.id}/resources/index.html", site.render(
        "resources", community, resources=shown, tag="", tags=[], **common).encode())
    return written
