"""Mail set aside: `cop quarantine [--json] [--all]`, `quarantine show ID`,
`quarantine release ID` (process it again), `quarantine discard ID` (the raw stays in the
archive). Like `cop holds`: while the daemon runs, a decision goes to it as a request
(cli/ask.py)."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from mailer.cli.ask import ask
from mailer.cli.common import fail, json_time, load, local_time, open_store, parse_now
from mailer.config import Config
from mailer.model import Quarantine


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--all", "everything", is_flag=True,
              help="Also what was released or discarded.")
@click.pass_context
def quarantine(ctx: click.Context, as_json: bool, everything: bool) -> None:
    """Mail that could not be processed, with its reason; `show`, `release`, `discard`."""
    if ctx.invoked_subcommand is not None:
        return
    config = load(ctx, secrets=False)
    store = open_store(config)
    entries = sorted((e for e in store.state.quarantine.values()
                      if everything or e.state == "quarantined"),
                     key=lambda e: int(e.id.lstrip("q")))
    if as_json:
        _emit_json([{"id": e.id, "message_id": e.message_id, "from": e.from_addr,
                     "subject": e.subject, "reason": e.reason,
                     "received": json_time(e.received, config, e.community),
                     "community": e.community,
                     "state": e.state} for e in entries])
        return
    if not entries:
        click.echo("no quarantined messages")
    for e in entries:
        state = f"  [{e.state}]" if e.state != "quarantined" else ""
        when = local_time(e.received, config, e.community)
        click.echo(harmless(f"{e.id:>5}  {when}  [{e.community or '-'}] "
                            f"{e.from_addr or '?'}: {e.subject}  ({e.reason}){state}"))


@quarantine.command("show")
@click.argument("entry_id")
@click.pass_context
def quarantine_show(ctx: click.Context, entry_id: str) -> None:
    """Print the message as it came (control characters shown as escapes)."""
    config = load(ctx, secrets=False)
    store = open_store(config)
    entry = _entry(store.state.quarantine, entry_id)
    try:
        raw = store.archive.read(entry.archive_key)
    except KeyError:
        fail(f"{entry_id}: its raw message {entry.archive_key} is not in the archive")
    click.echo(harmless(raw.decode("utf-8", "replace").replace("\r\n", "\n")), nl=False)


@quarantine.command("release")
@click.argument("entry_id")
@click.pass_context
def quarantine_release(ctx: click.Context, entry_id: str) -> None:
    """Process a quarantined message again (after a fix, or to try once more)."""
    config = load(ctx)
    _waiting(config, entry_id)
    ask(config, [{"t": "quarantine-release", "id": entry_id,
                  "by": os.environ.get("USER", "cop")}],
        f"{entry_id}: release", parse_now(None, config))


@quarantine.command("discard")
@click.argument("entry_id")
@click.pass_context
def quarantine_discard(ctx: click.Context, entry_id: str) -> None:
    """Take a message off the list; its raw bytes stay in the archive."""
    config = load(ctx)
    _waiting(config, entry_id)
    record = {"t": "quarantine-state", "id": entry_id, "state": "discarded",
              "by": os.environ.get("USER", "cop")}  # when: the clock of whoever does it
    ask(config, [record], f"{entry_id}: discard", parse_now(None, config))


def _entry(entries: dict[str, Quarantine], entry_id: str) -> Quarantine:
    entry = entries.get(entry_id)
    if entry is None:
        fail(f"no quarantined message '{entry_id}'; `cop quarantine --all` lists them")
    return entry


def _waiting(config: Config, entry_id: str) -> None:
    entry = _entry(open_store(config).state.quarantine, entry_id)
    if entry.state != "quarantined":
        fail(f"{entry_id} is already {entry.state}")


# C0 and C1 controls (but tab and line feed), DEL, and the marks that reorder text on
# screen (bidi overrides and isolates): shown as escapes, never sent to the terminal
_HARMFUL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))
            if c not in (0x09, 0x0A)}
_HARMFUL.update({c: f"\\u{c:04x}" for c in (0x200E, 0x200F, *range(0x202A, 0x202F),
                                            *range(0x2066, 0x206A))})


def harmless(text: str) -> str:
    """Text a terminal shows as it is: no escape sequences, no reordering."""
    return text.translate(_HARMFUL)


# json.dumps escapes C0 controls; these it writes as they are (valid JSON either way)
_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in (0x7F, *range(0x80, 0xA0), 0x200E, 0x200F,
                                             *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def _emit_json(document: Any) -> None:
    """One JSON document, as `emit_json` writes it, safe to print on a terminal too."""
    click.echo(json.dumps(document, ensure_ascii=False, indent=2).translate(_JSON_ESCAPES))
