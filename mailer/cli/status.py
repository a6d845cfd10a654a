"""`cop status [--json]`: is the daemon running, when did it last tick, what waits, and the
alerts still open (timed/alerts.py): a broken cop.toml edit, a mailbox or outgoing server
refusing the login. The one place these show when no mail can reach the organizers."""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from mailer.cli.common import (
    Unset,
    config_path,
    emit_json,
    fail,
    language_of_file,
    problems_line,
)
from mailer.config import Config, load_config
from mailer.config.values import zone_label
from mailer.config.words import language_of
from mailer.edges.store import DataDirLock, FileStore, requests_of
from mailer.errors import ConfigError, StoreError
from mailer.outbound.dates import format_iso
from mailer.timed.alerts import SUBJECTS, login_hint, open_alerts

WORDS = {
    "id": {"running": "cop run berjalan (pid {pid} di {host})", "stopped": "cop run tidak berjalan",
           "tick": "terakhir bekerja: {when}", "never": "belum pernah bekerja",
           "requests": "permintaan menunggu daemon: {n}",
           "outbox": "surat keluar: {queued} antre, {deferred} ditunda, {failed} gagal",
           "alerts": "peringatan:", "none": "tidak ada peringatan", "since": "sejak"},
    "en": {"running": "cop run is running (pid {pid} on {host})",
           "stopped": "cop run is not running", "tick": "last worked: {when}",
           "never": "has not worked yet", "requests": "requests waiting for the daemon: {n}",
           "outbox": "outgoing mail: {queued} queued, {deferred} deferred, {failed} failed",
           "alerts": "alerts:", "none": "no alerts", "since": "since"},
}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """The daemon, what waits, and the alerts still open (also with a broken cop.toml)."""
    path = config_path(ctx)
    try:
        config: Config | None = load_config(path, Unset())
    except ConfigError as exc:  # the daemon goes on with the last good one: show it
        config = None
        click.echo(problems_line(path, len(exc.problems), language_of_file(path)), err=True)
    data_dir, language, zone = _service(path, config)
    store = open_store_at(data_dir)
    daemon = _daemon(data_dir)
    mark = store.get_meta("alive", "tick")
    requests = requests_of(data_dir).folder
    waiting = len(list(requests.glob("*.json"))) if requests.exists() else 0
    outbox = {"queued": 0, "deferred": 0, "failed": 0, "sent": 0}
    for item in store.state.outbox.values():
        if item.state in outbox:
            outbox[item.state] += 1
    alerts = [_alert(key, alert, language) for key, alert in open_alerts(store)]
    if as_json:
        emit_json({"daemon": daemon, "last_tick": _iso(mark["at"], zone) if mark else None,
                   "requests_waiting": waiting, "outbox": outbox,
                   "alerts": [{**a, "since": _iso(a["since"], zone)} for a in alerts]})
        return
    words = WORDS[language]
    click.echo(words["running"].format(**daemon) if daemon["running"] else words["stopped"])
    click.echo(words["tick"].format(when=_local(mark["at"], zone)) if mark else words["never"])
    click.echo(words["requests"].format(n=waiting))
    click.echo(words["outbox"].format(**outbox))
    if not alerts:
        click.echo(words["none"])
        return
    click.echo(words["alerts"])
    for alert in alerts:
        since = _local(alert["since"], zone)
        click.echo(f"  {alert['title']} ({words['since']} {since})")
        for line in alert["detail"]:
            click.echo(f"    {line}")
        if alert["hint"]:
            click.echo(f"    {alert['hint']}")


def _service(path: Path, config: Config | None) -> tuple[Path, str, ZoneInfo]:
    """data_dir, language and time zone: cop.toml's, or read from a broken one as far as it
    reads (the daemon still runs on its last good configuration)."""
    if config is not None:
        language = config.service.language
        return (config.service.data_dir, language if language in WORDS else "en",
                config.service.timezone)
    try:
        text = path.read_text(encoding="utf-8")
        service = tomllib.loads(text).get("service", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        text, service = "", {}
    data_dir = service.get("data_dir") if isinstance(service.get("data_dir"), str) else None
    try:
        zone = ZoneInfo(str(service.get("timezone", "Asia/Jakarta")))
    except (ValueError, ZoneInfoNotFoundError):
        zone = ZoneInfo("Asia/Jakarta")
    return (path.resolve().parent / (data_dir or "var")).resolve(), language_of(text), zone


def _iso(moment: str | None, zone: ZoneInfo) -> str | None:
    """A stored moment as --json gives every time: in the zone, with its offset."""
    return format_iso(datetime.fromisoformat(moment), zone) if moment else None


def _local(moment: str, zone: ZoneInfo) -> str:
    return f"{datetime.fromisoformat(moment).astimezone(zone):%Y-%m-%d %H:%M} {zone_label(zone)}"


def _daemon(data_dir: Path) -> dict[str, Any]:
    lock = DataDirLock(data_dir)
    if not lock.path.exists():
        return {"running": False, "pid": None, "host": None}  # never run here
    holder = lock.holder()
    try:
        lock.acquire()
    except StoreError:
        pid, host, role = holder or (0, "?", "")
        return {"running": role == "cop run", "pid": pid, "host": host,
                **({"held_by": role or "cop"} if role != "cop run" else {})}
    lock.release()
    return {"running": False, "pid": None, "host": None}


def _alert(key: str, alert: dict[str, Any], language: str) -> dict[str, Any]:
    kind = key.split(":", 1)[0]
    title = SUBJECTS.get(kind, (kind, kind))[0 if language == "id" else 1]
    detail: list[str] = []
    hint = ""
    if kind == "config":
        detail = list((alert.get("problems") or {}).get(language, []))
    elif kind in ("imap-login", "smtp-login"):
        detail = [f"{alert.get('username')}@{alert.get('host')}: {alert.get('error')}"]
        hint = login_hint(alert.get("host") or "", alert.get("username") or "", language)
    elif kind == "missed":
        detail = list((alert.get("lines") or {}).get(language, []))
    return {"id": key, "kind": kind, "title": title, "since": alert.get("since"),
            "detail": detail, "hint": hint}


def open_store_at(data_dir: Path) -> FileStore:
    try:
        return FileStore(data_dir, read_only=True)
    except StoreError as exc:
        fail(str(exc))
