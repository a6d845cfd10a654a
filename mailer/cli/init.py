"""`cop init`: the interview, asked on the terminal, that writes a commented cop.toml.

Every question has a flag (`--name`, `--meet`, ...); what no flag answers is asked, on the
terminal or from stdin one line per question (so scripts and tests can drive it), or taken
from the defaults with `--defaults`. The file written always passes `cop check`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import tomlkit

from mailer.config import parse_config
from mailer.config.interview import QUESTIONS, build_document, check_answer
from mailer.errors import ConfigError


def _options(command: Any) -> Any:
    for q in reversed(QUESTIONS):
        command = click.option(f"--{q.key}", q.key, help=q.en)(command)
    return command


@click.command()
@click.option("--language", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Language of the questions and of the community.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Where to write (default: the --config path).")
@click.option("--defaults", is_flag=True, help="Take the default for every unanswered question.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@_options
@click.pass_context
def init(ctx: click.Context, /, language: str, output: str | None, defaults: bool, force: bool,
         **answers: str | None) -> None:
    """Interview: write a commented cop.toml for a new community."""
    path = Path(output or ctx.obj["config"])
    if path.exists() and not force:
        click.echo(f"cop: {path} exists; use --force to replace it or -o to write elsewhere",
                   err=True)
        sys.exit(1)
    asked = _ask(language, answers, defaults)
    document = build_document(asked, language)
    text = tomlkit.dumps(document)
    try:
        parse_config(text, path, {})
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo("cop: the answers above do not make a valid cop.toml; nothing was "
                   "written", err=True)
        sys.exit(1)
    path.write_text(text, encoding="utf-8")
    done = ("Selesai. Periksa dengan `cop check`, lalu jalankan `cop run`."
            if language == "id" else "Done. Check it with `cop check`, then run `cop run`.")
    click.echo(f"{path}: {done}")


def _ask(language: str, answers: dict[str, str | None], defaults: bool) -> dict[str, str]:
    asked: dict[str, str] = {}
    for q in QUESTIONS:
        given = answers.get(q.key)
        if given is not None:
            asked[q.key] = given.strip()
            continue
        if defaults:
            asked[q.key] = q.default
            continue
        while True:
            value = click.prompt(getattr(q, language), default=q.default, show_default=True)
            problem = check_answer(q.key, value)
            if problem is None:
                asked[q.key] = str(value).strip()
                break
            click.echo(problem, err=True)
            if not sys.stdin.isatty():  # a script gave a bad answer: do not loop forever
                raise click.UsageError(f"--{q.key}: {problem}")
    return asked


