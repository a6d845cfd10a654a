"""uvicorn around the app: `cop web` in the foreground, or a thread of `cop run`.

Behind a reverse proxy (Caddy, nginx) that terminates HTTPS: it listens on [web] host and
port, loopback by default, and believes X-Forwarded-* only from [web] trusted_proxies (the
application does it, app.py, so that the tests see the same).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

import uvicorn

from mailer.config import Config
from mailer.edges.web.app import make_app
from mailer.edges.web.site import Site

log = logging.getLogger(__name__)


def server(site: Site) -> uvicorn.Server:
    web = site.config.web
    assert web is not None
    config = uvicorn.Config(make_app(site), host=web.host, port=web.port, log_config=None,
                            access_log=False, proxy_headers=False, server_header=False,
                            lifespan="off")
    return uvicorn.Server(config)


def serve(config: Config) -> None:
    """`cop web`: in the foreground until SIGTERM or Ctrl-C."""
    site = Site(config)
    assert config.web is not None
    log.info("web listening on %s:%d base_url=%s", config.web.host, config.web.port,
             config.web.base_url)
    server(site).run()


class WebThread:
    """The web inside `cop run`: its own thread and event loop, its own view of the store."""

    def __init__(self, config: Callable[[], Config], wake: Callable[[], None]) -> None:
        self.site = Site(config, wake=wake)
        self.server = server(self.site)
        self.thread = threading.Thread(target=self._run, name="cop-web", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self.server.serve())
        except Exception:  # the web failing must not stop the mail
            log.exception("web stopped")

    def start(self) -> None:
        self.thread.start()
        web = self.site.config.web
        assert web is not None
        log.info("web listening on %s:%d", web.host, web.port)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
