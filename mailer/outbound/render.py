"""Templates: Jinja2, sandboxed, strict, per language, overridable by organizers.

Lookup order for NAME in language L: <service.templates>/L/NAME, <service.templates>/NAME,
then the built-in templates/L/NAME and templates/NAME. A template can read the data it is
given and nothing else: the sandbox refuses attribute tricks (no __class__, no imports), a
missing variable is an error rather than a blank, and the output size is capped.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    pass_context,
)
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mailer.outbound.dates import format_brief, format_clock, format_day, format_short, format_when
from mailer.outbound.links import linkify, mailto
from mailer.outbound.reflow import reflow
from mailer.outbound.wording import after, counted

log = logging.getLogger(__name__)

MAX_OUTPUT_CHARS = 500_000


class TemplateProblem(Exception):
    """A template failed to render; names the template and why."""


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, plus limits on the two operators that can exhaust memory before any
    output limit is reached ('x' * 10**10, 10**10**10)."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) \
                        and len(seq) * times > MAX_OUTPUT_CHARS:
                    raise SecurityError("a repetition that large is not allowed in templates")
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise SecurityError("an exponent that large is not allowed in templates")
        return super().call_binop(context, operator, left, right)


def builtin_templates() -> Path:
    package = Path(__file__).resolve().parent.parent  # mailer/
    installed = package / "templates"  # a wheel carries them inside the package
    return installed if installed.is_dir() else package.parent / "templates"


@lru_cache(maxsize=16)
def environment(language: str, override: Path | None) -> LimitedSandbox:
    folders: list[Path] = []
    if override is not None:
        folders += [override / language, override]
    folders += [builtin_templates() / language, builtin_templates()]
    env = LimitedSandbox(
        loader=ChoiceLoader([FileSystemLoader(str(f)) for f in folders]),
        undefined=StrictUndefined,
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["when"] = pass_context(lambda c, d: format_when(_local(c, d), language))
    env.filters["day"] = pass_context(lambda c, d: format_day(_local(c, d), language))
    env.filters["clock"] = pass_context(lambda c, d: format_clock(_local(c, d), language))
    env.filters["short"] = pass_context(lambda c, d: format_short(_local(c, d), language))
    env.filters["size"] = lambda n: format_size(n, language)
    env.filters["brief"] = pass_context(
        lambda c, d, clock=True: format_brief(_local(c, d), language, clock))
    env.filters["counted"] = lambda n, one, many=None: counted(n, one, many, language)
    env.filters["after"] = after  # {{ meeting.title | after("pertemuan") }}
    env.filters["linkify"] = linkify  # HTML: links and addresses clickable, the rest escaped
    env.filters["reflow"] = reflow  # HTML: lines a mail program wrapped joined again
    env.filters["mailto"] = mailto
    env.globals["language"] = language
    return env


def _local(context: Context, moment: Any) -> Any:
    """A moment in the community's zone, whatever zone it was kept in (posts are kept in
    UTC): members read every time in their community's zone, with its label."""
    zone = getattr(context.get("community"), "timezone", None)
    if isinstance(zone, ZoneInfo) and isinstance(moment, datetime) and moment.tzinfo:
        return moment.astimezone(zone)
    return moment


def format_size(size: int, language: str) -> str:
    """'340 KB', '5,2 MB' (Indonesian writes a decimal comma)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    text = f"{size / 2**20:.1f} MB"
    return text.replace(".", ",") if language == "id" else text


def exists(name: str, language: str, override: Path | None) -> bool:
    """Whether a template of that name is there (an organizer's or a built-in one)."""
    try:
        environment(language, override).get_template(name)
    except TemplateNotFound:
        return False
    except TemplateError:  # there, but broken: render() says so and falls back
        return True
    return True


def render(name: str, language: str, override: Path | None, **data: Any) -> str:
    """Render a template. An organizer's template that fails (a typo, a missing variable,
    something the sandbox refuses, too much output) is logged and the built-in one is used,
    so members still get their mail."""
    if override is not None:
        try:
            return _render(environment(language, override), name, language, data)
        except TemplateProblem as exc:
            log.error("template override failed, using the built-in one: %s", exc)
    return _render(environment(language, None), name, language, data)


def _render(env: LimitedSandbox, name: str, language: str, data: dict[str, Any]) -> str:
    try:
        text = env.get_template(name).render(**data)
    except (TemplateError, ArithmeticError, RecursionError, TypeError, ValueError,
            LookupError, AttributeError) as exc:  # what a template expression can raise
        lineno = getattr(exc, "lineno", None)  # syntax errors know their line
        where = f" line {lineno}" if lineno else ""
        raise TemplateProblem(f"template {name} ({language}){where}: {exc}") from exc
    if len(text) > MAX_OUTPUT_CHARS:
        raise TemplateProblem(f"template {name} produced {len(text)} characters, over the "
                              f"limit of {MAX_OUTPUT_CHARS}")
    return text
