"""The Starlette application: routes, and the security headers on every response.

Starlette (with uvicorn) because it is small, ASGI, typed and well kept; its TestClient
(httpx) lets the tests drive every route in-process, and uvicorn runs in the daemon's own
process as easily as on its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import cast

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from mailer.edges.web import actions, admin, meetings, pages, resources
from mailer.edges.web.site import Site
from mailer.outbound.render import builtin_templates

HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; "
     b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"),
    (b"x-content-type-options", b"nosniff"),
    # personal links must not leak to other sites; same-origin (not no-referrer, with which
    # a browser's POST says Origin: null and the origin check could not tell us from others)
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Adds HEADERS to every response, errors included (it wraps the whole application);
    private pages are never cached by a proxy. A header the route set itself is kept."""

    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                added = [*HEADERS, (b"cache-control", b"private, no-store")]
                if self.hsts:
                    added.append((b"strict-transport-security", b"max-age=31536000"))
                have = {name.lower() for name, _ in headers}  # a route's own stays (stricter
                headers += [(n, v) for n, v in added if n not in have]  # CSP for files)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


MAX_BODY = 64 * 1024  # every form here is a few short fields (an address, a token, tags)


class BodyLimit:
    """Refuses a request body over MAX_BODY with 413: at once by its Content-Length, else
    (chunked) when the bytes read pass it. Starlette would hold a 10 MB urlencoded field in
    memory and spool a multipart file of any size to disk before a route could refuse."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.limit:
            await PlainTextResponse("request too large\n", 413)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:  # inside a route: Starlette answers it (413)
                raise HTTPException(413, "request too large")
            return message

        await self.app(scope, counted, send)


Handler = Callable[[Site, Request], Response | Awaitable[Response]]


def make_app(site: Site) -> ASGIApp:
    css = (builtin_templates() / "web" / "web.css").read_bytes()

    def bind(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            site.refresh()
            result = handler(site, request)
            return await result if not isinstance(result, Response) else result
        return endpoint

    async def stylesheet(request: Request) -> Response:
        return Response(css, media_type="text/css",
                        headers={"cache-control": "public, max-age=3600"})

    get, post = partial(Route, methods=["GET"]), partial(Route, methods=["POST"])
    routes = [
        get("/", bind(pages.home)),
        Route("/static/web.css", stylesheet),
        get("/signin", bind(actions.signin_form)),
        post("/signin", bind(actions.signin_send)),
        get("/s/{token}", bind(actions.magic_link)),
        post("/s/{token}", bind(actions.magic_signin)),
        post("/signout", bind(actions.signout)),
        get("/u/{token}", bind(actions.unsubscribe_page)),
        post("/u/{token}", bind(actions.unsubscribe)),
        get("/r/{token}/{word}", bind(actions.rsvp_link)),
        post("/r/{token}/{word}", bind(actions.rsvp_answer)),
        get("/c/{community}", bind(pages.community_page)),
        get("/c/{community}/t/{thread}", bind(pages.thread_page)),
        get("/c/{community}/f/{sha256}/{name:path}", bind(pages.file_download)),
        get("/c/{community}/search", bind(pages.search_page)),
        get("/c/{community}/m/{meeting}", bind(meetings.meeting_page)),
        post("/c/{community}/m/{meeting}/rsvp", bind(actions.meeting_answer)),
        get("/c/{community}/resources", bind(resources.resources_page)),
        post("/c/{community}/resources/{rid}", bind(resources.resource_change)),
        get("/c/{community}/admin", bind(admin.admin_page)),
    ]
    web = site.config.web
    app = Starlette(routes=routes, middleware=[Middleware(BodyLimit)])
    # the client is the one the reverse proxy names (X-Forwarded-For), only when the request
    # comes from a [web] trusted_proxies address; anyone else's header is ignored
    proxied = cast(ASGIApp, ProxyHeadersMiddleware(
        app, list(web.trusted_proxies) if web else []))  # type: ignore[arg-type]
    return SecurityHeaders(proxied, hsts=bool(web and web.base_url.startswith("https://")))
