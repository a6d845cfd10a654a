"""Templates: Jinja2, sandboxed, strict, per language, overridable by organizers.

Lookup order for NAME in language L: <service.templates>/L/NAME, <service.templates>/NAME,
then the built-in templates/L/NAME and templates/NAME. A template can read the data it is
given and nothing else: the sandbox refuses attribute tricks (no __class__, no imports), a
missing variable is an error rather than a blank, and the output size is capped.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mailer.dates import format_clock, format_day, format_short, format_when

MAX_OUTPUT_CHARS = 500_000


class TemplateProblem(Exception):
    """A template failed to render; names the template and why."""


def builtin_templates() -> Path:
    installed = Path(__file__).parent / "templates"
    return installed if installed.is_dir() else Path(__file__).parent.parent / "templates"


@lru_cache(maxsize=16)
def environment(language: str, override: Path | None) -> ImmutableSandboxedEnvironment:
    folders: list[Path] = []
    if override is not None:
        folders += [override / language, override]
    folders += [builtin_templates() / language, builtin_templates()]
    env = ImmutableSandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(str(f)) for f in folders]),
        undefined=StrictUndefined,
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["when"] = lambda d: format_when(d, language)
    env.filters["day"] = lambda d: format_day(d, language)
    env.filters["clock"] = lambda d: format_clock(d, language)
    env.filters["short"] = lambda d: format_short(d, language)
    env.globals["language"] = language
    return env


def render(name: str, language: str, override: Path | None, **data: Any) -> str:
    env = environment(language, override)
    try:
        text = env.get_template(name).render(**data)
    except TemplateError as exc:
        raise TemplateProblem(f"template {name} ({language}): {exc}") from exc
    if len(text) > MAX_OUTPUT_CHARS:
        raise TemplateProblem(f"template {name} produced {len(text)} characters, over the "
                              f"limit of {MAX_OUTPUT_CHARS}")
    return text
