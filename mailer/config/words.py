"""Text for organizers in both languages, written side by side where it is made. Pure.

    Words(en, id)    one message in English and Indonesian; `.pick(language)` shows one
    WordsError       a ValueError from a value parser: what is wrong and how to write it,
                     in both languages (str() is the English, "what; fix")
    Say              a cop.toml Problem that also carries its Indonesian; `problem_text`
                     prints any Problem in the organizer's language
    language_of      the [service] language of a cop.toml text, even a broken one
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from mailer.errors import Problem


@dataclass(frozen=True)
class Words:
    en: str
    id: str

    def pick(self, language: str) -> str:
        return self.id if language == "id" else self.en


Text = str | Words  # a plain str reads the same in both languages


def as_words(text: Text) -> Words:
    return text if isinstance(text, Words) else Words(text, text)


def pick(text: Text, language: str) -> str:
    return as_words(text).pick(language)


class WordsError(ValueError):
    """A value the organizer wrote cannot be read: what is wrong and how to write it."""

    def __init__(self, what: Text, fix: Text = "") -> None:
        self.what = as_words(what)
        self.fix = as_words(fix)
        super().__init__(f"{self.what.en}; {self.fix.en}" if self.fix.en else self.what.en)


def split_error(exc: ValueError) -> tuple[Words, Words]:
    """(what, fix) of any ValueError: a WordsError's own, or a plain one split at '; '."""
    if isinstance(exc, WordsError):
        return exc.what, exc.fix
    what, _, fix = str(exc).partition("; ")
    return Words(what, what), Words(fix, fix)


@dataclass(frozen=True)
class Say(Problem):
    """A Problem whose what and fix are also written in Indonesian."""

    what_id: str = ""
    fix_id: str = ""

    @classmethod
    def of(cls, file: str, line: int, what: Text, fix: Text) -> Say:
        w, f = as_words(what), as_words(fix)
        return cls(file, line, w.en, f.en, w.id, f.id)


def problem_text(problem: Problem, language: str) -> str:
    """`cop.toml:LINE: what; fix` in the organizer's language (English when untranslated)."""
    if language != "id" or not isinstance(problem, Say) or not problem.what_id:
        return str(problem)
    fix = f"; {problem.fix_id}" if problem.fix_id else ""
    return f"{problem.file}:{problem.line}: {problem.what_id}{fix}"


def language_of(text: str, default: str = "id") -> str:
    """The [service] language a cop.toml asks for (id or en), read even from broken TOML."""
    try:
        service = tomllib.loads(text).get("service", {})
        value = service.get("language") if isinstance(service, dict) else None
    except tomllib.TOMLDecodeError:
        match = re.search(r"^\s*language\s*=\s*[\"'](\w+)[\"']", text, re.MULTILINE)
        value = match.group(1) if match else None
    value = value.strip().lower() if isinstance(value, str) else ""
    return value if value in ("id", "en") else default
