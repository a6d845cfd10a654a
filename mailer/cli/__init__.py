"""The `cop` command: click verbs, wiring only.

Exit codes: 0 success, 1 a user error (bad config, unknown id) with a one-line message naming
what to fix, 2 usage. Every listing verb takes --json and then prints one JSON document.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click

from mailer import __version__
from mailer.config import Config, load_config
from mailer.errors import ConfigError, MailerError, StoreError
from mailer.meetings import expand

log = logging.getLogger("mailer")


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"cop: {message}", err=True)
    sys.exit(code)


def _config_path(ctx: click.Context) -> Path:
    return Path(ctx.obj["config"])


def _load(ctx: click.Context) -> Config:
    path = _config_path(ctx)
    try:
        return load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        _fail(f"{path.name} has {len(exc.problems)} problem(s); run `cop check` after fixing")


def _open_store(config: Config, read_only: bool = True) -> Any:
    from mailer.edges.store import Store

    try:
        return Store(config.service.data_dir, read_only=read_only)
    except StoreError as exc:
        _fail(str(exc))


def _now(value: str | None, config: Config | None = None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"--now {value!r} is not an ISO date-time; write e.g. 2026-12-04T14:00:00+07:00",
              2)
    if moment.tzinfo is None:
        zone = config.service.timezone if config else UTC
        moment = moment.replace(tzinfo=zone)
    return moment


def _setup_logging(level: str) -> None:
    numeric = getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(level=numeric, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger().setLevel(numeric)  # basicConfig leaves it alone if handlers exist
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command lines


def _emit_json(document: Any) -> None:
    click.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(dir_okay=False),
              default=lambda: os.environ.get("COP_CONFIG", "cop.toml"),
              show_default="./cop.toml or $COP_CONFIG", help="The configuration file.")
@click.version_option(__version__, prog_name="cop")
@click.pass_context
def main(ctx: click.Context, config: str) -> None:
    """CoP Mailer: run a community of practice by email, from one cop.toml."""
    ctx.ensure_object(dict)
    ctx.obj["config"] = config


# --- check -------------------------------------------------------------------------------

@main.command()
@click.option("--now", "now_text", help="Show next meetings as of this ISO date-time.")
@click.pass_context
def check(ctx: click.Context, now_text: str | None) -> None:
    """Validate cop.toml; list every problem with its line, or summarize it."""
    path = _config_path(ctx)
    try:
        config = load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        click.echo(f"{len(exc.problems)} problem(s) in {path}", err=True)
        sys.exit(1)
    now = _now(now_text, config)
    click.echo(f"{path}: OK")
    click.echo(f"  inbound:  {_describe_inbound(config)}")
    click.echo(f"  outbound: {_describe_outbound(config)}")
    click.echo(f"  data_dir: {config.service.data_dir}")
    for c in config.communities:
        each = sum(1 for m in c.members if m.delivery == "each")
        digest = sum(1 for m in c.members if m.delivery == "digest")
        click.echo(f"community {c.id} \"{c.name}\" <{c.address}> [{c.language}, "
                   f"{c.timezone.key}, posting={c.posting}]")
        click.echo(f"  members: {len(c.members)} ({each} each, {digest} digest)")
        click.echo(f"  digest: {_describe_digest(c)}")
        for m in c.meetings:
            occurrences, skipped = expand(m, c.language)
            future = [o for o in occurrences if o.end > now]
            click.echo(f"  meeting {m.id} \"{m.title}\": {len(occurrences)} occurrence(s)"
                       f"{', ' + str(len(skipped)) + ' skipped' if skipped else ''}")
            from mailer.dates import format_when

            for o in future[:3]:
                click.echo(f"    next: {format_when(o.start, c.language)}")
            for s in [s for s in skipped if s.start > now][:5]:
                click.echo(f"    skip: {format_when(s.start, c.language)} ({s.reason})")
            if not future:
                click.echo("    (no future occurrences)")
        year = sum(1 for m in c.meetings for o in expand(m, c.language)[0]
                   if now <= o.start < now + timedelta(days=365))
        if c.meetings and year < 12:
            click.echo(f"  note: {year} meeting(s) in the next 12 months; KKG and MGMP groups "
                       "report at least 12 a year")


def _describe_inbound(config: Config) -> str:
    i = config.inbound
    if i.protocol == "smtp":
        return f"built-in SMTP receiver on {i.host}:{i.port}"
    return f"IMAP {i.username}@{i.host}:{i.port} ({i.tls}) folder {i.folder}"


def _describe_outbound(config: Config) -> str:
    o = config.outbound
    if o.protocol == "maildir":
        return f"maildir {config.service.data_dir / 'outbox'} (nothing leaves this machine)"
    return f"SMTP {o.host}:{o.port} ({o.tls})"


def _describe_digest(c: Any) -> str:
    d = c.digest
    if d.every == "never":
        return "never"
    return f"every {d.every} at {d.at.strftime('%H:%M')} {c.timezone.key}"


# --- run -----------------------------------------------------------------------------------

@main.command()
@click.option("--once", is_flag=True, help="One full cycle, then exit.")
@click.option("--now", "now_text", help="Act as if it were this ISO date-time.")
@click.pass_context
def run(ctx: click.Context, once: bool, now_text: str | None) -> None:
    """The daemon: receive, route, deliver, send what is due."""
    from mailer.daemon import run as run_daemon

    config = _load(ctx)
    _setup_logging(config.service.log_level)
    start = _now(now_text, config) if now_text else None
    try:
        code = run_daemon(config, once=once, start=start)
    except MailerError as exc:
        _fail(str(exc))
    sys.exit(code)


# --- listings ------------------------------------------------------------------------------

def _post_json(p: Any) -> dict[str, Any]:
    return {"message_id": p.message_id, "from": p.from_addr, "name": p.name,
            "date": p.date.isoformat(), "body": p.body,
            "attachments": [a.filename for a in p.attachments]}


def _thread_json(t: Any, posts: bool = True) -> dict[str, Any]:
    doc = {"id": t.id, "community": t.community, "subject": t.subject,
           "started": t.started.isoformat(), "last_activity": t.last_activity.isoformat(),
           "post_count": len(t.posts)}
    if posts:
        doc["posts"] = [_post_json(p) for p in t.posts]
    return doc


@main.command()
@click.option("--community", "community_id", help="Only this community.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def threads(ctx: click.Context, community_id: str | None, as_json: bool) -> None:
    """Threads, newest activity first."""
    config = _load(ctx)
    if community_id and config.community(community_id) is None:
        _fail(f"no community '{community_id}' in {_config_path(ctx).name}")
    store = _open_store(config)
    chosen = store.state.threads_newest_first(community_id)
    if as_json:
        _emit_json([_thread_json(t) for t in chosen])
        return
    if not chosen:
        click.echo("no threads yet")
    for t in chosen:
        last = t.posts[-1].name if t.posts else "-"
        click.echo(f"{t.id:>6}  {t.last_activity:%Y-%m-%d %H:%M}  {len(t.posts):>3} post(s)  "
                   f"[{t.community}] {t.subject}  (last: {last})")


@main.command()
@click.argument("thread_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def thread(ctx: click.Context, thread_id: str, as_json: bool) -> None:
    """One thread with its posts."""
    config = _load(ctx)
    store = _open_store(config)
    t = store.state.threads.get(thread_id) or store.state.threads.get(f"t{thread_id}")
    if t is None:
        _fail(f"no thread '{thread_id}'; `cop threads` lists them")
    if as_json:
        _emit_json(_thread_json(t))
        return
    click.echo(f"{t.id} [{t.community}] {t.subject}")
    for p in t.posts:
        click.echo(f"\n--- {p.name} <{p.from_addr}>, {p.date:%Y-%m-%d %H:%M}")
        click.echo(p.body)
        for a in p.attachments:
            click.echo(f"[attachment: {a.filename}]")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--now", "now_text", help="Occurrences after this ISO date-time.")
@click.pass_context
def meetings(ctx: click.Context, as_json: bool, now_text: str | None) -> None:
    """Meetings and occurrences with each member's RSVP."""
    config = _load(ctx)
    store = _open_store(config)
    now = _now(now_text, config)
    docs = []
    for c in config.communities:
        for m in c.meetings:
            sent = store.get_meta("meeting", f"{c.id}/{m.id}") or {}
            occurrences, skipped = expand(m, c.language)
            key = f"{c.id}/{m.id}"
            invited = [mem.email for mem in c.members if mem.delivery != "none"]
            answers = store.state
            docs.append({
                "id": m.id, "community": c.id, "title": m.title, "uid": sent.get("uid"),
                "sequence": sent.get("sequence", 0), "status": sent.get("status", "unsent"),
                "occurrences": [{
                    "start": o.start.isoformat(), "end": o.end.isoformat(),
                    "rsvp": {e: answers.rsvp_of(key, e.lower(), o.start.isoformat())
                             for e in invited},
                } for o in occurrences],
                "skipped": [{"start": s.start.isoformat(), "reason": s.reason}
                            for s in skipped],
                "rsvp": {e: answers.latest_rsvp(key, e.lower()) for e in invited},
            })
    if as_json:
        _emit_json(docs)
        return
    for doc in docs:
        future = [o for o in doc["occurrences"] if o["end"] > now.isoformat()]
        click.echo(f"{doc['community']}/{doc['id']} \"{doc['title']}\" sequence "
                   f"{doc['sequence']} ({doc['status']}), {len(future)} to come")
        for o in future[:3]:
            click.echo(f"  {o['start']}")
        for email, answer in doc["rsvp"].items():
            click.echo(f"  {answer:<12} {email}")


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def holds(ctx: click.Context, as_json: bool) -> None:
    """The moderation queue; `holds approve ID`, `holds reject ID` decide."""
    if ctx.invoked_subcommand is not None:
        return
    config = _load(ctx)
    store = _open_store(config)
    waiting = [h for h in store.state.holds.values() if h.state == "held"]
    if as_json:
        _emit_json([{"id": h.id, "community": h.community, "from": h.from_addr,
                     "subject": h.subject, "reason": h.reason,
                     "received": h.received.isoformat()} for h in waiting])
        return
    if not waiting:
        click.echo("no held messages")
    for h in waiting:
        click.echo(f"{h.id:>5}  {h.received:%Y-%m-%d %H:%M}  [{h.community}] {h.from_addr}: "
                   f"{h.subject}  ({h.reason})")


@holds.command("approve")
@click.argument("hold_id")
@click.pass_context
def holds_approve(ctx: click.Context, hold_id: str) -> None:
    """Pass a held message on to the members."""
    _decide(ctx, hold_id, "approve", "")


@holds.command("reject")
@click.argument("hold_id")
@click.option("--reason", default="", help="Sent to the sender.")
@click.pass_context
def holds_reject(ctx: click.Context, hold_id: str, reason: str) -> None:
    """Do not pass a held message on; the sender is told (with the reason)."""
    _decide(ctx, hold_id, "reject", reason)


def _decide(ctx: click.Context, hold_id: str, decision: str, reason: str) -> None:
    from mailer.daemon import Runtime, _apply, decide_hold
    from mailer.edges.store import DataDirLock, Store
    from mailer.outbox import Limits, deliver

    config = _load(ctx)
    hold = _open_store(config).state.holds.get(hold_id)
    if hold is None:
        _fail(f"no held message '{hold_id}'; `cop holds` lists them")
    if hold.state != "held":
        _fail(f"{hold_id} is already {hold.state}")
    by = os.environ.get("USER", "cop")
    lock = DataDirLock(config.service.data_dir)
    try:
        lock.acquire()
    except StoreError:  # the daemon runs: it carries the decision out at its next tick
        Store(config.service.data_dir, read_only=True).requests.submit([{
            "t": "hold-decision", "id": hold_id, "decision": decision, "reason": reason,
            "by": by}])
        click.echo(f"{hold_id}: {decision} recorded; the running daemon carries it out")
        return
    try:
        _setup_logging(config.service.log_level)
        rt = Runtime(config, Store(config.service.data_dir))
        now = _now(None, config)
        _apply(rt, decide_hold(rt, hold_id, decision, reason, by, now), now)
        deliver(rt.store, rt.transport, now,
                Limits(config.outbound.per_minute, config.outbound.per_day))
        rt.close()
    finally:
        lock.release()
    click.echo(f"{hold_id}: {'approved' if decision == 'approve' else 'rejected'}")


@main.command()
@click.option("--community", "community_id", required=True, help="The community's id.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def members(ctx: click.Context, community_id: str, as_json: bool) -> None:
    """Members, delivery mode and state."""
    config = _load(ctx)
    community = config.community(community_id)
    if community is None:
        _fail(f"no community '{community_id}' in {_config_path(ctx).name}")
    from mailer.membership import memberships

    store = _open_store(config)
    docs = [{"email": m.member.email, "name": m.member.name, "delivery": m.member.delivery,
             "state": _member_state(store, community.id, m.member.email, m.state),
             "source": m.source} for m in memberships(community, store.state)]
    if as_json:
        _emit_json(docs)
        return
    for d in docs:
        click.echo(f"{d['state']:<8} {d['delivery']:<7} {d['source']:<8} "
                   f"{d['name']} <{d['email']}>")


def _member_state(store: Any, community: str, email: str, state: str) -> str:
    """active, pending, left, or bouncing: delivery paused because mail to them fails."""
    from mailer.membership import paused

    if state == "active" and paused(store.state, email, datetime.now(UTC)):
        return "bouncing"
    return state


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def outbox(ctx: click.Context, as_json: bool) -> None:
    """Outgoing mail: queued, sent, deferred (with next try), failed (with reason)."""
    config = _load(ctx)
    store = _open_store(config)
    items = sorted(store.state.outbox.values(),
                   key=lambda i: (i.queued.isoformat() if i.queued else "", i.id))
    if as_json:
        _emit_json([{"id": i.id, "to": i.to, "subject": i.subject, "kind": i.kind,
                     "state": i.state, "attempts": i.attempts,
                     "next_try": i.next_try.isoformat() if i.next_try else None,
                     "error": i.error} for i in items])
        return
    if not items:
        click.echo("outbox is empty")
    for i in items:
        extra = f" next {i.next_try:%Y-%m-%d %H:%M}" if i.next_try else ""
        extra += f" ({i.error})" if i.error else ""
        click.echo(f"{i.state:<8} {i.kind:<10} {i.to:<30} {i.subject}{extra}")


# --- digest ---------------------------------------------------------------------------------

@main.group()
def digest() -> None:
    """Preview or send a community's digest."""


@digest.command("preview")
@click.option("--community", "community_id", required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "html", "whatsapp"]),
              default="text", show_default=True)
@click.option("--now", "now_text")
@click.pass_context
def digest_preview(ctx: click.Context, community_id: str, fmt: str,
                   now_text: str | None) -> None:
    """Render the next digest without sending it."""
    from mailer.compose import compose_digest
    from mailer.config import Member
    from mailer.daemon import load_secret
    from mailer.jobs import preview_digest
    from mailer.process import App

    config = _load(ctx)
    community = _community(ctx, config, community_id)
    store = _open_store(config)
    now = _now(now_text, config)
    app = App(config, load_secret(config))
    built = preview_digest(app, store, community, now)
    if fmt == "whatsapp":
        from mailer.render import render

        click.echo(render("digest.whatsapp.j2", community.language, config.service.templates,
                          digest=built, community=community), nl=False)
        return
    reader = next((m for m in community.members if m.delivery == "digest"),
                  Member("member@example.org", "Member", "digest"))
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    data = compose_digest(built, reader, app.secret, config.service.templates,
                          "<preview@cop>", now).data
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(("plain",) if fmt == "text" else ("html",))
    assert part is not None
    click.echo(part.get_content(), nl=False)


@digest.command("send")
@click.option("--community", "community_id", required=True)
@click.option("--now", "now_text")
@click.pass_context
def digest_send(ctx: click.Context, community_id: str, now_text: str | None) -> None:
    """Queue the digest now and deliver it."""
    from mailer.daemon import Runtime
    from mailer.edges.store import DataDirLock
    from mailer.jobs import send_digest
    from mailer.outbox import Limits, deliver

    config = _load(ctx)
    community = _community(ctx, config, community_id)
    _setup_logging(config.service.log_level)
    lock = DataDirLock(config.service.data_dir)
    try:
        lock.acquire()
    except StoreError as exc:
        _fail(f"{exc}. The running daemon sends digests on schedule; stop it to send by hand")
    try:
        store = _open_store(config, read_only=False)
        rt = Runtime(config, store)
        now = _now(now_text, config)
        queued = send_digest(rt.app, store, community, now, force=True)

        def bar(items: Any) -> Any:
            items = list(items)
            with click.progressbar(items, label="sending", show_pos=True,
                                   file=sys.stderr) as shown:
                yield from shown

        counts = deliver(store, rt.transport, now,
                         Limits(config.outbound.per_minute, config.outbound.per_day), bar)
        rt.close()
    finally:
        lock.release()
    click.echo(f"digest for {community.id}: {queued} queued, {counts['sent']} sent, "
               f"{counts['deferred']} deferred, {counts['failed']} failed")


def _community(ctx: click.Context, config: Config, community_id: str) -> Any:
    community = config.community(community_id)
    if community is None:
        known = ", ".join(c.id for c in config.communities)
        _fail(f"no community '{community_id}' in {_config_path(ctx).name} (known: {known})")
    return community


# --- init and demo live in their own modules -------------------------------------------------

def _register(command: Callable[..., Any]) -> None:
    main.add_command(command)  # type: ignore[arg-type]


from mailer.demo import demo  # noqa: E402
from mailer.interview import init  # noqa: E402

_register(init)
_register(demo)


# --- report --------------------------------------------------------------------------------

@main.command("report")
@click.option("--community", "community_id", help="Only this community.")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3660),
              help="The period: this many days up to --now.")
@click.option("--now", "now_text", help="The end of the period (ISO date-time).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def report_verb(ctx: click.Context, community_id: str | None, days: int,
                now_text: str | None, as_json: bool) -> None:
    """Posts and replies per member, unanswered threads, RSVP and attendance, quiet members."""
    from mailer.report import build_report

    config = _load(ctx)
    store = _open_store(config)
    end = _now(now_text, config)
    start = end - timedelta(days=days)
    chosen = [c for c in config.communities if community_id in (None, c.id)]
    if community_id and not chosen:
        _fail(f"no community '{community_id}' in {_config_path(ctx).name}")
    reports = [build_report(c, store.state, start, end) for c in chosen]
    if as_json:
        _emit_json(reports)
        return
    for c, r in zip(chosen, reports, strict=True):
        id_ = c.language == "id"
        click.echo(f"{c.name}: {start:%Y-%m-%d} - {end:%Y-%m-%d}")
        click.echo("  " + ("anggota (topik / tanggapan / terakhir)" if id_
                           else "members (threads / replies / last)"))
        for m in r["members"]:
            last = m["last"][:10] if m["last"] else "-"
            click.echo(f"    {m['name']:<28} {m['threads']:>3} {m['replies']:>4}  {last}")
        if r["unanswered"]:
            click.echo("  " + ("belum ada tanggapan:" if id_ else "not answered yet:"))
            for t in r["unanswered"]:
                click.echo(f"    {t['id']:>5} {t['subject']} ({t['by']})")
        for m in r["meetings"]:
            came = f", {m['present']} hadir" if id_ else f", {m['present']} present"
            click.echo(f"  {m['meeting']} {m['start'][:16]}: {m['answered']}/{m['invited']} "
                       + ("menjawab" if id_ else "answered")
                       + f", {m['accepted']} " + ("ya" if id_ else "yes")
                       + (came if m["roll_call"] else ""))
        if r["quiet"]:
            click.echo("  " + ("belum terdengar (sapa secara pribadi): " if id_
                               else "quiet (invite them personally): ")
                       + ", ".join(q["name"] for q in r["quiet"]))


# --- plan ----------------------------------------------------------------------------------

@main.command("plan")
@click.option("--days", default=14, show_default=True, type=click.IntRange(1, 366))
@click.option("--now", "now_text", help="Plan from this ISO date-time.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def plan_verb(ctx: click.Context, days: int, now_text: str | None, as_json: bool) -> None:
    """Every mail cop run will send in the coming days (invitations, reminders, digests,
    notes threads, roll-calls), without sending anything."""
    from mailer.plan import plan

    config = _load(ctx)
    logging.getLogger("mailer").setLevel(logging.WARNING)  # the rehearsal's own log lines
    start = _now(now_text, config)
    items = plan(config, start, days)
    if as_json:
        _emit_json([{"when": i.when.isoformat(), "kind": i.kind, "to": i.to,
                     "subject": i.subject} for i in items])
        return
    if not items:
        click.echo(f"nothing to send in the next {days} day(s)")
    zone = config.service.timezone
    day = None
    for i in items:
        local = i.when.astimezone(zone)
        if local.date() != day:
            day = local.date()
            click.echo(f"\n{day:%Y-%m-%d %A}")
        click.echo(f"  {local:%H:%M}  {i.kind:<10} {i.to:<28} {i.subject}")


# --- attendance ------------------------------------------------------------------------------

@main.group()
def attendance() -> None:
    """The attendance ledger: roll-calls and the CSV export for reports."""


@attendance.command("mark")
@click.option("--community", "community_id", required=True)
@click.option("--meeting", "meeting_id", required=True)
@click.option("--date", "day", required=True, help="The meeting's date, YYYY-MM-DD.")
@click.option("--present", multiple=True, help="A member's email (repeat for more).")
@click.option("--absent", multiple=True, help="A member's email (repeat for more).")
@click.pass_context
def attendance_mark(ctx: click.Context, community_id: str, meeting_id: str, day: str,
                    present: tuple[str, ...], absent: tuple[str, ...]) -> None:
    """Take the roll for one meeting by hand."""
    from datetime import date

    from mailer.edges.store import DataDirLock, Store

    config = _load(ctx)
    community = _community(ctx, config, community_id)
    meeting = next((m for m in community.meetings if m.id == meeting_id), None)
    if meeting is None:
        _fail(f"no meeting '{meeting_id}' in community '{community_id}'")
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        _fail(f"--date {day!r} is not a date; write it as 2026-12-04", 2)
    occurrences, _ = expand(meeting, community.language)
    occ = next((o for o in occurrences if o.start.date() == wanted), None)
    if occ is None:
        _fail(f"'{meeting_id}' does not meet on {day}")
    members = {m.email.lower() for m in community.members}
    unknown = [e for e in (*present, *absent) if e.lower() not in members]
    if unknown:
        _fail(f"not members of {community_id}: {', '.join(unknown)}")
    records = [{"t": "attendance", "meeting": f"{community.id}/{meeting.id}",
                "occurrence": occ.start.isoformat(), "email": e.lower(), "present": p,
                "source": "cli"} for emails, p in ((present, True), (absent, False))
               for e in emails]
    lock = DataDirLock(config.service.data_dir)
    try:
        lock.acquire()
    except StoreError:  # the daemon runs: it applies the request at its next tick
        store = Store(config.service.data_dir, read_only=True)
        store.requests.submit(records)
        click.echo(f"recorded {len(records)} mark(s); the running daemon saves them")
        return
    try:
        store = Store(config.service.data_dir)
        for record in records:
            store.record(record)
        store.close()
    finally:
        lock.release()
    click.echo(f"recorded {len(records)} mark(s)")


@attendance.command("export")
@click.option("--community", "community_id", help="Only this community.")
@click.option("--from", "start", help="First date, YYYY-MM-DD.")
@click.option("--to", "end", help="Last date, YYYY-MM-DD (default: today).")
@click.option("--summary", is_flag=True, help="One row per member: meetings, attended, rate.")
@click.pass_context
def attendance_export(ctx: click.Context, community_id: str | None, start: str | None,
                      end: str | None, summary: bool) -> None:
    """CSV of who attended which meeting (RSVP beside the roll-call), for PD reports."""
    import csv
    from datetime import date

    config = _load(ctx)
    store = _open_store(config)
    try:
        first = date.fromisoformat(start) if start else date.min
        last = date.fromisoformat(end) if end else _now(None, config).date()
    except ValueError:
        _fail("--from/--to take dates written as 2026-12-04", 2)
    out = csv.writer(sys.stdout, lineterminator="\n")
    totals: dict[tuple[str, str], list[int]] = {}
    if not summary:
        out.writerow(["date", "time", "community", "meeting", "title", "name", "email",
                      "rsvp", "attended"])
    for c in config.communities:
        if community_id and c.id != community_id:
            continue
        for m in c.meetings:
            key = f"{c.id}/{m.id}"
            occurrences, _ = expand(m, c.language)
            for o in occurrences:
                if not first <= o.start.date() <= last:
                    continue
                for member in c.members:
                    email = member.email.lower()
                    came = store.state.attended(key, o.start.isoformat(), email)
                    row = totals.setdefault((c.id, email), [0, 0])
                    row[0] += 1
                    row[1] += 1 if came else 0
                    if not summary:
                        out.writerow([o.start.date().isoformat(), o.start.strftime("%H:%M"),
                                      c.id, m.id, m.title, member.name, member.email,
                                      store.state.rsvp_of(key, email, o.start.isoformat()),
                                      "" if came is None else ("yes" if came else "no")])
    if summary:
        out.writerow(["community", "name", "email", "meetings", "attended", "rate"])
        for c in config.communities:
            for member in c.members:
                held, came_n = totals.get((c.id, member.email.lower()), [0, 0])
                if held:
                    out.writerow([c.id, member.name, member.email, held, came_n,
                                  f"{came_n / held:.0%}"])
