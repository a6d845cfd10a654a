"""What every page shares: the configuration, the followed store, the secret, rendering."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailer.config import Community, Config, load_config
from mailer.config.values import zone_label
from mailer.edges.store import load_secret
from mailer.edges.store.follow import StoreReader
from mailer.edges.web.limits import SignInLimit
from mailer.edges.web.search import SearchIndex
from mailer.errors import ConfigError
from mailer.handle.web import readers_of, staff_of
from mailer.outbound.render import render


class Site:
    """One per web process (or per daemon): reads the store the daemon writes."""

    def __init__(self, config: Config | Callable[[], Config],
                 wake: Callable[[], None] | None = None,
                 clock: Callable[[], datetime] | None = None, refresh_every: float = 0.2) -> None:
        self._config_source = config if callable(config) else None
        self._config = config if not callable(config) else config()
        self._mtime = _mtime(self._config.path)
        data_dir = self._config.service.data_dir
        self.secret = load_secret(data_dir, self._config.service.secret)
        self.reader = StoreReader(data_dir)
        self.folder = self.reader.web_folder()
        self.index = SearchIndex(self.folder / "web.sqlite")
        self.resources: dict[tuple[str, str], dict[str, Any]] = {}  # (community, id) -> meta
        self._live = False  # posts read at start are indexed at once, by rebuild()
        self.reader.watchers += [self._watch]
        self.reader.refresh()
        self.index.rebuild(self.reader.state)
        self._live = True
        self.wake = wake or (lambda: None)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.refresh_every = refresh_every
        self.signin_limit = SignInLimit()
        self._refreshed = time.monotonic()

    @property
    def config(self) -> Config:
        if self._config_source is not None:
            return self._config_source()
        mtime = _mtime(self._config.path)
        if mtime != self._mtime:  # `cop web` alone: follow the organizers' edits
            self._mtime = mtime
            with contextlib.suppress(ConfigError):  # the last good one stays, as in the daemon
                self._config = load_config(self._config.path)
        return self._config

    def _watch(self, record: dict[str, Any]) -> None:
        if record.get("t") == "post" and self._live:
            self.index.add(self.reader.state, record)
        elif record.get("t") == "resource":
            meta = self.resources.setdefault((record["community"], record["resource"]), {})
            meta.update({k: record[k] for k in ("pin", "hide", "tags") if k in record})

    def refresh(self, force: bool = False) -> None:
        """What the daemon wrote since; at most every `refresh_every` seconds."""
        now = time.monotonic()
        if force or now - self._refreshed >= self.refresh_every:
            self._refreshed = now
            self.reader.refresh()

    def now(self) -> datetime:
        return self.clock()

    def community(self, community_id: str) -> Community | None:
        return self.config.community(community_id)

    def may_read(self, community: Community, user: str | None) -> bool:
        return community.archive == "public" or self.is_member(community, user)

    def is_member(self, community: Community, user: str | None) -> bool:
        return user is not None and user in readers_of(community, self.reader.state)

    def is_staff(self, community: Community, user: str | None) -> bool:
        return user is not None and user in staff_of(community)

    def language(self, community: Community | None) -> str:
        return community.language if community else self.config.service.language

    def render(self, name: str, community: Community | None, **data: Any) -> str:
        zone = community.timezone if community else self.config.service.timezone
        data.setdefault("url", _same)  # the export makes them relative (export.py)
        return render(f"web/{name}.html.j2", self.language(community),
                      self.config.service.templates, community=community,
                      site_name=community.name if community else "", zone=zone_label(zone),
                      **data)

    def submit(self, action: str, **fields: Any) -> None:
        """Ask the daemon to do something (handle/web.py), and wake it when it is ours."""
        self.reader.requests.submit([{"t": "web", "action": action, **fields}])
        self.wake()


def _same(path: str) -> str:
    """A link on the live site: the path as it is."""
    return path


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
