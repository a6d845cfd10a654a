""""Sumber belajar": the links and files shared in a community's threads, with who shared
each, when and in which thread. An organizer pins, tags or hides one; that is kept as a
`resource` record (asked for as a web request), so it survives restarts and backups."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from mailer.config import Community
from mailer.edges.web.actions import posted, refused
from mailer.edges.web.pages import denied, page, readable, redirect, user_of
from mailer.edges.web.site import Site
from mailer.model import Attachment
from mailer.state import State

_URL = re.compile(r"https?://[^\s<>\"'()\[\]]+", re.IGNORECASE)


@dataclass
class Resource:
    id: str
    kind: str  # link | file
    url: str  # the link, or the file's download path
    title: str
    name: str  # who shared it
    date: datetime
    thread: str
    subject: str
    file: Attachment | None = None
    pin: bool = False
    hide: bool = False
    tags: list[str] = field(default_factory=list)


def collect(state: State, community: Community,
            meta: dict[tuple[str, str], dict[str, object]]) -> list[Resource]:
    """Every link and file shared in the community's threads, first share kept; pinned
    first, then newest."""
    found: dict[str, Resource] = {}
    for thread in state.threads.values():
        if thread.community != community.id:
            continue
        for post in thread.posts:
            shared: list[tuple[str, str, str, str, Attachment | None]] = [
                ("l" + hashlib.sha256(u.encode()).hexdigest()[:12], "link", u, u, None)
                      for u in (m.rstrip(".,;:!?") for m in _URL.findall(post.body))]
            shared += [("f" + a.sha256[:12], "file",
                        f"/c/{community.id}/f/{a.sha256}/{quote(a.filename)}", a.filename, a)
                       for a in post.attachments if a.sha256 and a.withheld != "blocked"]
            for rid, kind, url, title, attachment in shared:
                if rid not in found or found[rid].date > post.date:
                    found[rid] = Resource(rid, kind, url, title, post.name, post.date,
                                          thread.id, thread.subject, attachment)
    for resource in found.values():
        m = meta.get((community.id, resource.id), {})
        resource.pin, resource.hide = bool(m.get("pin")), bool(m.get("hide"))
        tags = m.get("tags")
        resource.tags = [str(t) for t in tags] if isinstance(tags, list) else []
    return sorted(found.values(), key=lambda r: (not r.pin, -r.date.timestamp()))


def resources_page(site: Site, request: Request) -> Response:
    community = readable(site, request)
    if community is None:
        return denied(site, request)
    staff = site.is_staff(community, user_of(site, request))
    tag = request.query_params.get("tag", "")[:40]
    shown = [r for r in collect(site.reader.state, community, site.resources)
             if (staff or not r.hide) and (not tag or tag in r.tags)]
    tags = sorted({t for r in shown for t in r.tags})
    return page(site, request, "resources", community, resources=shown, tag=tag, tags=tags)


async def resource_change(site: Site, request: Request) -> Response:
    fields = await posted(site, request)
    if fields is None:
        return refused(site, request)
    community = site.community(request.path_params["community"])
    user = user_of(site, request)
    if community is None or not site.is_staff(community, user):
        return denied(site, request)
    change: dict[str, object] = {}
    what = fields.get("do", "")
    if what in ("pin", "unpin"):
        change["pin"] = what == "pin"
    elif what in ("hide", "show"):
        change["hide"] = what == "hide"
    elif what == "tags":
        change["tags"] = [t.strip().lower()[:40] for t in fields.get("tags", "").split(",")
                          if t.strip()][:10]
    if change:
        site.submit("resource", community=community.id, resource=request.path_params["rid"],
                    by=user, **change)
    return redirect(f"/c/{community.id}/resources")
