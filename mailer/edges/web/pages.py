"""The archive: communities, threads (newest activity first), a thread (new text first,
quoted history folded), files (the bytes as sent), search. Meeting pages: meetings.py."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from mailer.config import Community
from mailer.edges.web.auth import csrf_token, keep_csrf, session_user
from mailer.edges.web.site import Site
from mailer.inbound.parse import parse_mail
from mailer.model import Attachment, Post, Thread

PAGE_SIZE = 50


def user_of(site: Site, request: Request) -> str | None:
    return session_user(site.secret, request, site.now())


def page(site: Site, request: Request, name: str, community: Community | None,
         status: int = 200, **data: Any) -> Response:
    """A page from templates/web/NAME.html.j2, every form with its CSRF token."""
    user = user_of(site, request)
    html = site.render(name, community, user=user, csrf=csrf_token(site.secret, request),
                       staff=bool(community and site.is_staff(community, user)), **data)
    response = HTMLResponse(html, status_code=status)
    keep_csrf(request, response, site.config.web.base_url if site.config.web else "")
    return response


def denied(site: Site, request: Request) -> Response:
    """A stranger learns nothing, not even whether the community exists."""
    return page(site, request, "denied", None, status=403)


def readable(site: Site, request: Request) -> Community | None:
    community = site.community(request.path_params.get("community", ""))
    if community is None or not site.may_read(community, user_of(site, request)):
        return None
    return community


def home(site: Site, request: Request) -> Response:
    user = user_of(site, request)
    mine = [c for c in site.config.communities if site.is_member(c, user)]
    public = [c for c in site.config.communities
              if c.archive == "public" and c not in mine]
    return page(site, request, "home", None, mine=mine, public=public)


def community_page(site: Site, request: Request) -> Response:
    community = readable(site, request)
    if community is None:
        return denied(site, request)
    threads = site.reader.state.threads_newest_first(community.id)
    start = _number(request.query_params.get("from", ""))
    return page(site, request, "community", community, threads=threads[start:start + PAGE_SIZE],
                more=start + PAGE_SIZE if len(threads) > start + PAGE_SIZE else None,
                meetings=community.meetings,
                member=site.is_member(community, user_of(site, request)))


def _number(text: str) -> int:
    """A page offset from the query: ASCII digits only ('²' and 5,000 digits are 0)."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else 0


def thread_page(site: Site, request: Request) -> Response:
    community = readable(site, request)
    thread = site.reader.state.threads.get(request.path_params["thread"]) if community else None
    if community is None or thread is None or thread.community != community.id:
        return denied(site, request)
    member = site.is_member(community, user_of(site, request))
    return page(site, request, "thread", community, thread=thread,
                posts=shown_posts(site, thread, member))


def shown_posts(site: Site, thread: Thread, member: bool) -> list[tuple[Post, str, str]]:
    """Each post with its new text and its folded history. Readers who are not members (a
    public archive, its static export) see no address whole: the members' copies carried
    them, the world's web pages would hand them to address harvesters."""
    shown = []
    for post in thread.posts:
        body = post.body if member else mask_addresses(post.body)
        shown.append((post, body, history(site, post.message_id, post.body)))
    return shown


_HISTORY_CACHE: dict[str, str] = {}


def history(site: Site, message_id: str, body: str) -> str:
    """The post's whole text as it came, when it held more than its new text (quoted
    history, a signature): shown folded under the new text."""
    if message_id not in _HISTORY_CACHE:
        raw = site.reader.read_raw(message_id)
        text = ""
        if raw is not None:
            try:
                text = parse_mail(raw).text.strip()
            except Exception:  # a message we posted could be read then; a bug must not 500
                text = ""
        if len(_HISTORY_CACHE) > 2000:
            _HISTORY_CACHE.clear()
        _HISTORY_CACHE[message_id] = "" if text == body.strip() else mask_addresses(text)
    return _HISTORY_CACHE[message_id]


_ADDRESS = re.compile(r"([\w.+-]+)@[\w-]+(?:\.[\w-]+)+")


# in a search snippet, where [[ ]] mark the words found ("budi@[[example]].org")
_MARKED_ADDRESS = re.compile(r"([\w.+\[\]-]+)@[\w\[\]-]+(?:\.[\w\[\]-]+)+")


def mask_addresses(text: str) -> str:
    """'budi@…' for every address: the history is the mail as it came, whose attribution
    lines ("Pada ..., Budi <budi@example.org> menulis:") and signatures name addresses no
    member saw in their copy (copies carry the new text only)."""
    return _ADDRESS.sub(_masked, text)


def _masked(match: re.Match[str]) -> str:
    return f"{match.group(1)}@…"


def attachment_of(site: Site, community: Community, sha256: str) -> Attachment | None:
    for thread in site.reader.state.threads.values():
        if thread.community != community.id:
            continue
        for post in thread.posts:
            for a in post.attachments:
                if a.sha256 == sha256 and a.withheld != "blocked":
                    return a
    return None


def file_download(site: Site, request: Request) -> Response:
    community = readable(site, request)
    found = attachment_of(site, community, request.path_params["sha256"]) if community else None
    data = site.reader.read_file(found.sha256) if found else None
    if community is None or found is None or data is None:
        return denied(site, request)
    # always a download, never shown by the browser (whatever type the sender claimed):
    # octet-stream, attachment, nosniff (app.py), and no script even if opened (sandbox)
    name = found.filename.replace("\r", "").replace("\n", "")[:200]
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:120] or "file"
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename=\"{safe}\"; "
                               f"filename*=UTF-8''{quote(name, safe='')}",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "X-Content-SHA256": found.sha256})


def search_page(site: Site, request: Request) -> Response:
    community = readable(site, request)
    if community is None:
        return denied(site, request)
    query = request.query_params.get("q", "")[:200]
    hits = site.index.search(community.id, query) if query.strip() else []
    if not site.is_member(community, user_of(site, request)):
        hits = [replace(hit, snippet=_MARKED_ADDRESS.sub(_masked, hit.snippet)) for hit in hits]
    return page(site, request, "search", community, query=query, hits=hits)


def threads_of(site: Site, community: Community) -> list[Thread]:
    return site.reader.state.threads_newest_first(community.id)


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)
