"""What every verb shares: loading cop.toml, opening the store, errors, times, JSON."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import click

from mailer.config import Community, Config, load_config
from mailer.config.values import zone_label
from mailer.config.words import language_of, problem_text
from mailer.edges.storage import open_store as open_chosen
from mailer.errors import ConfigError, StoreError
from mailer.outbound.dates import format_iso
from mailer.store import Store

# C0 controls but tab and newline, DEL, C1 controls, and the bidi overrides that reorder
# what a terminal shows: a subject may hold any of them ("\x1b]0;...", "\x1b[2J")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    return _CONTROL.sub("", text)


class PrintableStream:
    """A text stream that drops control characters: everything `cop` prints passes here
    (main() wraps stdout and stderr), so no sender's bytes reach the terminal raw."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: Any) -> Any:
        return self._stream.write(printable(text) if isinstance(text, str) else text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def wrap_output() -> None:
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, PrintableStream):
            setattr(sys, name, PrintableStream(stream))


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"cop: {message}", err=True)
    sys.exit(code)


def config_path(ctx: click.Context) -> Path:
    return Path(ctx.obj["config"])


class Unset(Mapping[str, str]):
    """The environment, where a variable that is not set reads as empty: verbs that only
    read need no passwords (an organizer looking at `cop threads` has no IMAP password
    exported, and needs none)."""

    def __getitem__(self, name: str) -> str:
        return os.environ.get(name, "")

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(os.environ)

    def __len__(self) -> int:
        return len(os.environ)


def load(ctx: click.Context, secrets: bool = True) -> Config:
    """cop.toml, or a clear exit. `secrets=False` for verbs that only read: the passwords
    they never use may be unset."""
    path = config_path(ctx)
    try:
        return load_config(path, None if secrets else Unset())
    except ConfigError as exc:
        language = language_of_file(path)
        for problem in exc.problems:
            click.echo(problem_text(problem, language), err=True)
        fail(problems_line(path, len(exc.problems), language))


def language_of_file(path: Path) -> str:
    """The language a cop.toml asks for, even when it does not read (id when unreadable)."""
    try:
        return language_of(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return "id"


def problems_line(path: Path, count: int, language: str) -> str:
    """'cop.toml: 1 masalah; perbaiki, lalu periksa dengan `cop check`', in `language`."""
    if language == "id":
        return f"{path.name}: {count} masalah; perbaiki, lalu periksa dengan `cop check`"
    return (f"{path.name} has {count} problem{'' if count == 1 else 's'}; run `cop check` "
            "after fixing")


def open_store(config: Config, read_only: bool = True) -> Store:
    """The store cop.toml chooses: data_dir's files, or PostgreSQL ([service] database)."""
    try:
        store = open_chosen(config, read_only=read_only, name="cop-cli")
        if store.shared:  # connections to the database: closed when the verb ends
            click.get_current_context().call_on_close(store.close)
        return store
    except StoreError as exc:
        fail(str(exc))


def parse_now(value: str | None, config: Config | None = None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--now {value!r} is not an ISO date-time; write e.g. 2026-12-04T14:00:00+07:00",
              2)
    if moment.tzinfo is None:
        zone = config.service.timezone if config else UTC
        moment = moment.replace(tzinfo=zone)
    return moment


def setup_logging(level: str) -> None:
    numeric = getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(level=numeric, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger().setLevel(numeric)  # basicConfig leaves it alone if handlers exist
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command lines


def emit_json(document: Any) -> None:
    click.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))


def local_time(moment: datetime, config: Config, community_id: str | None = None) -> str:
    """'2026-12-05 20:15 WITA': a moment in its community's zone (the service's when none),
    the zone always named."""
    zone = zone_of(config, community_id)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {zone_label(zone)}"


def json_time(moment: datetime | None, config: Config,
              community_id: str | None = None) -> str | None:
    """A moment as every --json listing gives it: ISO 8601 in its community's zone (the
    service's when none) with the offset, whole seconds: '2026-12-05T20:15:00+08:00'."""
    return format_iso(moment, zone_of(config, community_id)) if moment else None


def zone_of(config: Config, community_id: str | None = None) -> ZoneInfo:
    community = config.community(community_id or "")
    return community.timezone if community else config.service.timezone


def community_of(ctx: click.Context, config: Config, community_id: str) -> Community:
    community = config.community(community_id)
    if community is None:
        known = ", ".join(c.id for c in config.communities)
        fail(f"no community '{community_id}' in {config_path(ctx).name} (known: {known})")
    return community
