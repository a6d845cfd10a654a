"""`cop init`: the interview, asked on the terminal, that writes a commented cop.toml.

Every question has a flag (`--name`, `--meet`, ...); what no flag answers is asked, on the
terminal or from stdin one line per question (the member list: until an empty line), or
taken from the defaults with `--defaults`. Each answer is checked when it is given and asked
again when it is wrong, in the chosen language. Before writing, the interview shows what the
file will do (the next meetings, in the community's language and zone) and asks; an answer
can be changed there by its number. The file is written only when `cop check` would pass it;
a problem found at the end asks that question again, so no answer is lost.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import click
import tomlkit

from mailer.cli.common import parse_now
from mailer.cli.service import describe_community
from mailer.config import Config, parse_config
from mailer.config.document import build_document
from mailer.config.interview import QUESTIONS, applies, check_answer, default, question_of
from mailer.config.tomlpos import locate_keys
from mailer.config.values import parse_timezone
from mailer.config.words import Words, problem_text
from mailer.errors import ConfigError

YES = ("", "y", "ya", "yes", "iya", "ok", "oke")
NO = ("n", "no", "t", "tidak", "batal", "cancel")


def _options(command: Any) -> Any:
    for q in reversed(QUESTIONS):
        command = click.option(f"--{q.key}", q.key, help=q.en)(command)
    return command


@click.command()
@click.option("--language", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Language of the questions and of the community.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Where to write (default: the --config path).")
@click.option("--defaults", is_flag=True,
              help="Take the default for every unanswered question, and write without asking.")
@click.option("--yes", "-y", "yes", is_flag=True, help="Write without asking to confirm.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option("--now", "now_text", help="Act as if it were this ISO date-time (the default "
              "dates, the meetings shown).")
@_options
@click.pass_context
def init(ctx: click.Context, /, language: str, output: str | None, defaults: bool, yes: bool,
         force: bool, now_text: str | None, **flags: str | None) -> None:
    """Interview: write a commented cop.toml for a new community."""
    path = Path(output or ctx.obj["config"])
    say = _sayer(language)
    if path.exists() and not force:
        _stop(say(Words(f"{path} exists; use --force to replace it or -o to write elsewhere",
                        f"{path} sudah ada; pakai --force untuk menggantinya atau -o untuk "
                        "menulis di tempat lain")))
    interview = _Interview(language, {k: v for k, v in flags.items() if v is not None},
                           defaults, parse_now(now_text) if now_text else None)
    try:
        text = interview.run(path, confirm=not (yes or defaults))
    except click.Abort:
        _stop(say(Words("the interview stopped before its end; nothing was written",
                        "wawancara berhenti sebelum selesai; belum ada yang ditulis")))
    path.write_text(text, encoding="utf-8")
    click.echo(f"{path}: " + say(Words("Done. Check it with `cop check`, then run `cop run`.",
                                       "Selesai. Periksa dengan `cop check`, lalu jalankan "
                                       "`cop run`.")))


def _sayer(language: str) -> Callable[[Words], str]:
    return lambda words: words.pick(language)


def _stop(message: str) -> NoReturn:
    click.echo(f"cop: {message}", err=True)
    sys.exit(1)


class _Interview:
    """The answers so far, and how the missing ones are got: flag, default, or asked."""

    def __init__(self, language: str, flags: dict[str, str], defaults: bool,
                 now: datetime | None) -> None:
        self.language = language
        self.flags = flags
        self.defaults = defaults
        self.now = now
        self.answers: dict[str, str] = {}
        self.say = _sayer(language)

    def today(self) -> date:
        try:
            zone = parse_timezone(self.answers.get("timezone", "WIB"))
        except ValueError:
            zone = ZoneInfo("Asia/Jakarta")
        return self.moment(zone).date()

    def moment(self, zone: ZoneInfo) -> datetime:
        return (self.now or datetime.now(zone)).astimezone(zone)

    def run(self, path: Path, confirm: bool) -> str:
        """Ask until the answers make a valid cop.toml the organizer agrees to; its text."""
        again: set[str] = set()
        while True:
            self.fill(again)
            again = set()
            text = tomlkit.dumps(build_document(self.answers, self.language))
            try:
                config = parse_config(text, path, {})
            except ConfigError as exc:
                again = self.late_problems(exc, text)
                continue
            self.show(config)
            if not confirm:
                return text
            choice = self.confirm(path)
            if choice is None:
                return text
            again = {choice}

    def fill(self, again: set[str]) -> None:
        for number, q in enumerate(QUESTIONS, 1):
            if not applies(q.key, self.answers):
                self.answers.pop(q.key, None)
                continue
            current = self.answers.get(q.key)
            if current is not None and q.key not in again:
                problem = check_answer(q.key, current, self.answers, self.today())
                if problem is None:
                    continue
                click.echo(f"{number}. {self.say(problem)}", err=True)
            elif q.key in self.flags and q.key not in again:
                given = self.flags.pop(q.key).strip()
                problem = check_answer(q.key, given, self.answers, self.today())
                if problem is None:
                    self.answers[q.key] = given
                    continue
                click.echo(f"--{q.key}: {self.say(problem)}", err=True)
                if self.defaults:  # a script answered: it cannot answer again
                    _stop(self.say(Words("nothing was written", "belum ada yang ditulis")))
            elif self.defaults and q.key not in again:
                self.answers[q.key] = default(q.key, self.answers, self.language, self.today())
                continue
            self.answers[q.key] = self.ask(number, q.key, current)

    def ask(self, number: int, key: str, current: str | None) -> str:
        q = QUESTIONS[number - 1]
        while True:
            suggested = current if current is not None else default(
                key, self.answers, self.language, self.today())
            value = str(click.prompt(f"{number}. {q.text(self.language, self.answers)}",
                                     default=suggested, show_default=bool(suggested)))
            if key == "members" and value.strip():
                value = self.more_lines(value)
            problem = check_answer(key, value, self.answers, self.today())
            if problem is None:
                return value.strip()
            click.echo(f"   {self.say(problem)}", err=True)
            current = None

    def more_lines(self, first: str) -> str:
        """A member list pasted one person a line: read until an empty line."""
        lines = [first]
        while True:
            line = str(click.prompt("  ", prompt_suffix="", default="", show_default=False))
            if not line.strip():
                return "\n".join(lines)
            lines.append(line)

    def late_problems(self, exc: ConfigError, text: str) -> set[str]:
        """Show what `cop check` would say; the questions to ask again."""
        paths_at: dict[int, list[tuple[str | int, ...]]] = {}
        for key_path, line in locate_keys(text).items():
            paths_at.setdefault(line, []).append(key_path)
        again: set[str] = set()
        for problem in exc.problems:
            click.echo(problem_text(problem, self.language), err=True)
            found = [question_of(p) for p in sorted(paths_at.get(problem.line, []), key=len,
                                                     reverse=True)]
            key = next((k for k in found if k is not None), None)
            if key is None or self.defaults:
                _stop(self.say(Words("these answers do not make a valid cop.toml; nothing "
                                     "was written", "jawaban ini belum menjadi cop.toml yang "
                                     "sah; belum ada yang ditulis")))
            again.add(key)
        return again

    def show(self, config: Config) -> None:
        community = config.communities[0]
        now = self.moment(community.timezone)
        click.echo("")
        click.echo(self.say(Words("This is what cop.toml will do:",
                                  "Inilah yang akan dilakukan cop.toml:")))
        for line in describe_community(community, now, shown=4):
            click.echo(f"  {line}")
        moderators = {m.lower() for m in community.moderators}
        for m in community.members:
            role = ("moderator, " if m.email.lower() in moderators else "") + self.say(
                Words("each post", "setiap pesan") if m.delivery == "each"
                else Words("the digest", "rangkuman") if m.delivery == "digest"
                else Words("no list mail", "tanpa surat"))
            click.echo(f"    {m.name} <{m.email}> ({role})")
        if not community.moderators:
            click.echo("  " + self.say(Words(
                "no moderator: held posts would wait for nobody (answer question 18)",
                "belum ada moderator: pesan yang ditahan tidak ada yang memeriksa "
                "(jawab pertanyaan 18)")))
        click.echo("")

    def confirm(self, path: Path) -> str | None:
        """None: write. A question's key: ask it again. Says no: stops."""
        while True:
            answer = str(click.prompt(self.say(Words(
                f"Write {path}? (yes / no / the number of a question to change its answer)",
                f"Tulis {path}? (ya / tidak / nomor pertanyaan untuk mengubah jawabannya)")),
                default=self.say(Words("yes", "ya")))).strip().lower()
            if answer in YES:
                return None
            if answer in NO:
                _stop(self.say(Words("nothing was written", "belum ada yang ditulis")))
            keys = [q.key for q in QUESTIONS]
            key = keys[int(answer) - 1] if answer.isdigit() and 0 < int(answer) <= len(keys) \
                else answer.lstrip("-") if answer.lstrip("-") in keys else None
            if key is not None and applies(key, self.answers):
                return key
            click.echo("   " + self.say(Words(f"answer yes, no, or a number from 1 to "
                                              f"{len(keys)}", f"jawab ya, tidak, atau nomor 1 "
                                              f"sampai {len(keys)}")), err=True)
