"""The walker under the config reader: converts raw TOML values, collects Problems by line."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any, TypeVar

from mailer.config.model import EMAIL, ENV_REF
from mailer.config.tomlpos import line_of
from mailer.errors import Problem

T = TypeVar("T")

REQUIRED: Any = object()


class Reader:
    """Walks the raw TOML dict, converting values and collecting Problems with lines."""

    def __init__(self, file: str, lines: dict[tuple[str | int, ...], int],
                 env: Mapping[str, str]) -> None:
        self.file = file
        self.lines = lines
        self.env = env
        self.problems: list[Problem] = []

    def problem(self, path: tuple[str | int, ...], what: str, fix: str) -> None:
        self.problems.append(Problem(self.file, line_of(self.lines, path), what, fix))

    def table(self, raw: Any, path: tuple[str | int, ...], name: str,
              known: tuple[str, ...]) -> dict[str, Any]:
        """Check that raw is a table with only known keys; return it (or {})."""
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problem(path, f"{name} must be a table", f"write it as [{name}]")
            return {}
        for key in raw:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                fix = (f"did you mean '{close[0]}'?" if close
                       else f"known keys here: {', '.join(known)}")
                self.problem((*path, key), f"unknown key '{key}' in [{name}]", fix)
        return raw

    def value(self, raw: dict[str, Any], path: tuple[str | int, ...], key: str,
              kind: type | tuple[type, ...], default: Any = REQUIRED,
              parse: Callable[[Any], T] | None = None, hint: str = "") -> Any:
        """raw[key] checked against kind, env-expanded, then parsed; default if absent."""
        where = (*path, key)
        if key not in raw:
            if default is REQUIRED:
                fix = f"add {key} = {hint}" if hint else f"add {key} = ..."
                self.problem(path, f"missing required key '{key}'", fix)
                return None
            return default
        value = raw[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            ok = False  # bool is an int to Python, not to an organizer
        elif isinstance(value, datetime) and datetime not in kinds:
            ok = False  # likewise datetime is a date
        else:
            ok = isinstance(value, kinds)
        if not ok:
            self.problem(where, f"'{key}' must be {_kind_name(kinds)}, not "
                         f"{_kind_name((type(value),))}",
                         f"write e.g. {key} = {hint}" if hint else "change the value's type")
            return None
        if isinstance(value, str):
            value = self.expand_env(value, where)
            if value is None:
                return None
        if parse is None:
            return value
        try:
            return parse(value)
        except ValueError as exc:
            self.problem(where, f"'{key}': {exc}", fix_from(exc))
            return None

    def expand_env(self, text: str, where: tuple[str | int, ...]) -> str | None:
        missing = [name for name in ENV_REF.findall(text) if name not in self.env]
        for name in missing:
            self.problem(where, f"environment variable {name} is not set",
                         f"export {name}=... before running cop (or put it in the "
                         "service's EnvironmentFile)")
        if missing:
            return None
        return ENV_REF.sub(lambda m: self.env[m.group(1)], text)

    def choice(self, raw: dict[str, Any], path: tuple[str | int, ...], key: str,
               choices: tuple[str, ...] | dict[str, str], default: str) -> str:
        value = self.value(raw, path, key, str, default)
        if value is None:
            return default
        lookup = choices if isinstance(choices, dict) else {c: c for c in choices}
        normal = value.strip().lower()
        if normal in lookup:
            return lookup[normal]
        shown = tuple(dict.fromkeys(lookup.values()))
        close = difflib.get_close_matches(normal, list(lookup), n=1)
        fix = f"did you mean \"{close[0]}\"?" if close else f"use one of: {', '.join(shown)}"
        self.problem((*path, key), f"'{key}' is \"{value}\", which is not one of "
                     f"{', '.join(shown)}", fix)
        return default

    def strings(self, raw: dict[str, Any], path: tuple[str | int, ...],
                key: str) -> tuple[str, ...]:
        value = self.value(raw, path, key, (list, str), [])
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.problem((*path, key, i), f"'{key}' must be a list of text values",
                             f"put \"quotes\" around {item!r}")
            else:
                expanded = self.expand_env(item, (*path, key, i))
                if expanded is not None:
                    out.append(expanded)
        return tuple(out)

    def email(self, value: str | None, where: tuple[str | int, ...], what: str) -> str | None:
        if value is None:
            return None
        if not EMAIL.match(value.strip()):
            self.problem(where, f"{what} {value!r} is not an email address",
                         "write it as name@example.org, without <> or a display name")
            return None
        return value.strip()


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {
        str: "text in \"quotes\"", int: "a whole number", bool: "true or false",
        list: "a list [ ... ]", dict: "a table", datetime: "a date and time",
        date: "a date", float: "a number", time: "a time",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def fix_from(exc: ValueError) -> str:
    text = str(exc)
    return text.split("; ", 1)[1] if "; " in text else "see config/reference.toml"


def slug(text: str) -> str:
    """An id made of a-z, 0-9 and - from any text."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "community"
