"""`cop check` (is cop.toml right, and what will it do) and `cop run` (the daemon)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import click

from mailer import daemon
from mailer.calendar.occurrences import expand
from mailer.cli.common import config_path, fail, load, parse_now, setup_logging
from mailer.config import Community, Config, MeetingConfig, load_config
from mailer.config.days import describe_rule
from mailer.config.values import DAY_NAMES, zone_label
from mailer.config.words import language_of, problem_text
from mailer.edges.store import outbox_folder
from mailer.errors import ConfigError, MailerError
from mailer.outbound.dates import format_when


@click.command()
@click.option("--now", "now_text", help="Show next meetings as of this ISO date-time.")
@click.pass_context
def check(ctx: click.Context, now_text: str | None) -> None:
    """Validate cop.toml; list every problem with its line, or summarize it."""
    path = config_path(ctx)
    try:
        config = load_config(path)
    except ConfigError as exc:
        language = _language_of_file(path)
        for problem in exc.problems:
            click.echo(problem_text(problem, language))
        count = len(exc.problems)
        click.echo(f"{count} masalah di {path}" if language == "id"
                   else f"{plural(count, 'problem')} in {path}", err=True)
        sys.exit(1)
    now = parse_now(now_text, config)
    language = config.service.language
    click.echo(f"{path}: OK")
    for line in describe_service(config, language):
        click.echo(f"  {line}")
    for c in config.communities:
        for line in describe_community(c, now):
            click.echo(line)
    for warning in config.warnings:
        said = problem_text(warning, language)
        click.echo(f"peringatan: {said}" if language == "id" else f"warning: {said}")


def plural(count: int, word: str) -> str:
    """'1 problem', '2 problems': English counts as people write them."""
    return f"{count} {word}" + ("" if count == 1 else "s")


def _language_of_file(path: Path) -> str:
    try:
        return language_of(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return "id"


def describe_service(config: Config, language: str) -> list[str]:
    id_ = language == "id"
    i, o = config.inbound, config.outbound
    if i.protocol == "smtp":
        inbound = (f"penerima SMTP bawaan di {i.host}:{i.port}" if id_
                   else f"built-in SMTP receiver on {i.host}:{i.port}")
    elif i.protocol == "lmtp":
        where = f"unix:{i.socket}" if i.socket else f"{i.host}:{i.port}"
        inbound = (f"penerima LMTP untuk Postfix di {where}" if id_
                   else f"LMTP receiver for Postfix on {where}")
    else:
        inbound = f"IMAP {i.username}@{i.host}:{i.port} ({i.tls}) folder {i.folder}"
    if o.protocol == "maildir":
        folder = outbox_folder(config.service.data_dir)
        outbound = (f"maildir {folder} (tidak ada yang terkirim keluar dari komputer ini)" if id_
                    else f"maildir {folder} (nothing leaves this machine)")
    else:
        outbound = f"SMTP {o.host}:{o.port} ({o.tls})"
    return [("surat masuk:  " if id_ else "inbound:  ") + inbound,
            ("surat keluar: " if id_ else "outbound: ") + outbound,
            f"data_dir: {config.service.data_dir}"]


def describe_community(c: Community, now: datetime, shown: int = 3) -> list[str]:
    """What `cop check` says about one community, in its own language."""
    id_ = c.language == "id"
    each = sum(1 for m in c.members if m.delivery == "each")
    digest = sum(1 for m in c.members if m.delivery == "digest")
    lines = [f"{'komunitas' if id_ else 'community'} {c.id} \"{c.name}\" <{c.address}> "
             f"[{c.language}, {c.timezone.key}, posting={c.posting}]",
             (f"  anggota: {len(c.members)} ({each} setiap pesan, {digest} rangkuman)" if id_
              else f"  members: {len(c.members)} ({each} each, {digest} digest)"),
             ("  rangkuman: " if id_ else "  digest: ") + describe_digest(c)]
    if c.subject_tag:
        lines.append(("  tanda subjek: " if id_ else "  subject tag: ") + c.subject_tag)
    for m in c.meetings:
        lines += describe_meeting(m, c.language, now, shown)
    year = sum(1 for m in c.meetings for o in expand(m, c.language)[0]
               if now <= o.start < now + timedelta(days=365))
    if c.meetings and year < 12:
        lines.append(f"  catatan: {year} pertemuan dalam 12 bulan ke depan; KKG dan MGMP "
                     "biasanya melaporkan paling sedikit 12 setahun" if id_ else
                     f"  note: {plural(year, 'meeting')} in the next 12 months; KKG and MGMP "
                     "groups report at least 12 a year")
    return lines


def describe_meeting(m: MeetingConfig, language: str, now: datetime,
                     shown: int = 3) -> list[str]:
    """The meeting, its rule in words, its next occurrences and the skipped ones."""
    id_ = language == "id"
    occurrences, skipped = expand(m, language)
    future = [o for o in occurrences if o.end > now]
    skips = (f", {len(skipped)} dilewati" if id_ else f", {len(skipped)} skipped") \
        if skipped else ""
    count = f"{len(occurrences)} kali" if id_ else plural(len(occurrences), "occurrence")
    lines = [f"  {'pertemuan' if id_ else 'meeting'} {m.id} \"{m.title}\" "
             f"({describe_rule(m.rrule, language)}): {count}{skips}"]
    lines += [f"    {'berikutnya' if id_ else 'next'}: {format_when(o.start, language)}"
              for o in future[:shown]]
    lines += [f"    {'dilewati' if id_ else 'skip'}: {format_when(s.start, language)} "
              f"({s.reason})" for s in [s for s in skipped if s.start > now][:5]]
    if not future:
        lines.append("    (tidak ada pertemuan lagi)" if id_ else "    (no future occurrences)")
    return lines


def describe_digest(c: Community) -> str:
    d, id_ = c.digest, c.language == "id"
    if d.every == "never":
        return "tidak dikirim" if id_ else "never"
    at = f"{d.at.strftime('%H.%M' if id_ else '%H:%M')} {zone_label(c.timezone)}"
    day = DAY_NAMES["id" if id_ else "en"][d.weekday]
    if d.every == "day":
        return f"setiap hari pukul {at}" if id_ else f"every day at {at}"
    if d.every == "week":
        return f"setiap {day} pukul {at}" if id_ else f"every {day} at {at}"
    if d.day is not None:
        return (f"setiap tanggal {d.day} pukul {at}" if id_
                else f"on day {d.day} of every month at {at}")
    return (f"{day} pertama setiap bulan pukul {at}" if id_
            else f"the first {day} of every month at {at}")


@click.command()
@click.option("--once", is_flag=True, help="One full cycle, then exit.")
@click.option("--now", "now_text", help="Act as if it were this ISO date-time.")
@click.pass_context
def run(ctx: click.Context, once: bool, now_text: str | None) -> None:
    """The daemon: receive, route, deliver, send what is due."""
    config = load(ctx)
    setup_logging(config.service.log_level)
    start = parse_now(now_text, config) if now_text else None
    try:
        code = daemon.run(config, once=once, start=start)
    except MailerError as exc:
        fail(str(exc))
    sys.exit(code)
