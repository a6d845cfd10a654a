"""The walker under the config reader: converts raw TOML values, collects Problems by line.

Every problem is written in English and Indonesian (`Words`); `cop check` prints the one
[service] language asks for. Warnings (a valid file that may not mean what it says) are
collected the same way, apart.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any, TypeVar

from mailer.config.model import EMAIL, ENV_REF
from mailer.config.tomlpos import line_of
from mailer.config.words import Say, Text, Words, as_words, split_error
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
        self.warnings: list[Problem] = []

    def problem(self, path: tuple[str | int, ...], what: Text, fix: Text) -> None:
        self.problems.append(Say.of(self.file, line_of(self.lines, path), what, fix))

    def warn(self, path: tuple[str | int, ...], what: Text, fix: Text) -> None:
        """Valid, but probably not what the organizer means: `cop check` shows it."""
        self.warnings.append(Say.of(self.file, line_of(self.lines, path), what, fix))

    def table(self, raw: Any, path: tuple[str | int, ...], name: str,
              known: tuple[str, ...]) -> dict[str, Any]:
        """Check that raw is a table with only known keys; return it (or {})."""
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problem(path, Words(f"{name} must be a table", f"{name} harus berupa tabel"),
                         Words(f"write it as [{name}]", f"tulis sebagai [{name}]"))
            return {}
        for key in raw:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                listed = ", ".join(known)
                fix = (Words(f"did you mean '{close[0]}'?", f"maksudnya '{close[0]}'?") if close
                       else Words(f"known keys here: {listed}", f"kunci yang dikenal di sini: "
                                  f"{listed}"))
                self.problem((*path, key), Words(f"unknown key '{key}' in [{name}]",
                                                 f"kunci '{key}' tidak dikenal di [{name}]"),
                             fix)
        return raw

    def value(self, raw: dict[str, Any], path: tuple[str | int, ...], key: str,
              kind: type | tuple[type, ...], default: Any = REQUIRED,
              parse: Callable[[Any], T] | None = None, hint: str = "") -> Any:
        """raw[key] checked against kind, env-expanded, then parsed; default if absent."""
        where = (*path, key)
        if key not in raw:
            if default is REQUIRED:
                example = f"{key} = {hint or '...'}"
                self.problem(path, Words(f"missing required key '{key}'",
                                         f"kunci wajib '{key}' belum ada"),
                             Words(f"add {example}", f"tambahkan {example}"))
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
            want, got = _kind_name(kinds), _kind_name((type(value),))
            self.problem(where, Words(f"'{key}' must be {want.en}, not {got.en}",
                                      f"'{key}' harus {want.id}, bukan {got.id}"),
                         Words(f"write e.g. {key} = {hint}", f"tulis misalnya {key} = {hint}")
                         if hint else Words("change the value's type", "ubah jenis nilainya"))
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
            self.value_problem(where, key, exc)
            return None

    def value_problem(self, where: tuple[str | int, ...], key: str, exc: ValueError) -> None:
        """`'key': what is wrong; how to write it`, each said once."""
        what, fix = split_error(exc)
        if not fix.en:
            fix = Words("see `cop help config`", "lihat `cop help config`")
        self.problem(where, Words(f"'{key}': {what.en}", f"'{key}': {what.id}"), fix)

    def expand_env(self, text: str, where: tuple[str | int, ...]) -> str | None:
        missing = [name for name in ENV_REF.findall(text) if name not in self.env]
        for name in missing:
            self.problem(where, Words(f"environment variable {name} is not set",
                                      f"variabel lingkungan {name} belum diisi"),
                         Words(f"export {name}=... before running cop (or put it in the "
                               "service's EnvironmentFile)",
                               f"jalankan export {name}=... sebelum cop (atau tulis di "
                               "EnvironmentFile layanan)"))
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
        shown = ", ".join(dict.fromkeys(lookup.values()))
        close = difflib.get_close_matches(normal, list(lookup), n=1)
        fix = (Words(f"did you mean \"{close[0]}\"? (one of: {shown})",
                     f"maksudnya \"{close[0]}\"? (salah satu dari: {shown})") if close
               else Words(f"use one of: {shown}", f"pakai salah satu: {shown}"))
        self.problem((*path, key), Words(f"'{key}' is \"{value}\"",
                                         f"'{key}' berisi \"{value}\""), fix)
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
                self.problem((*path, key, i), Words(f"'{key}' must be a list of text values",
                                                    f"'{key}' harus daftar teks"),
                             Words(f"put \"quotes\" around {item!r}",
                                   f"beri tanda kutip \"...\" pada {item!r}"))
            else:
                expanded = self.expand_env(item, (*path, key, i))
                if expanded is not None:
                    out.append(expanded)
        return tuple(out)

    def email(self, value: str | None, where: tuple[str | int, ...],
              what: Text) -> str | None:
        if value is None:
            return None
        if not EMAIL.match(value.strip()):
            name = as_words(what)
            self.problem(where, Words(f"{name.en} {value!r} is not an email address",
                                      f"{name.id} {value!r} bukan alamat email"),
                         Words("write it as name@example.org, without <> or a display name",
                               "tulis seperti nama@example.org, tanpa <> atau nama"))
            return None
        return value.strip()


_KINDS: dict[type, Words] = {
    str: Words("text in \"quotes\"", "teks dalam tanda kutip \"...\""),
    int: Words("a whole number", "bilangan bulat"), bool: Words("true or false",
                                                                "true atau false"),
    list: Words("a list [ ... ]", "daftar [ ... ]"), dict: Words("a table", "tabel"),
    datetime: Words("a date and time", "tanggal dan jam"), date: Words("a date", "tanggal"),
    float: Words("a number", "angka"), time: Words("a time", "jam"),
}


def _kind_name(kinds: tuple[type, ...]) -> Words:
    names = [_KINDS.get(k, Words(k.__name__, k.__name__)) for k in kinds]
    return Words(" or ".join(n.en for n in names), " atau ".join(n.id for n in names))


def fix_from(exc: ValueError) -> Words:
    """How to write it, from a parser's error (both languages when it has them)."""
    _, fix = split_error(exc)
    return fix if fix.en else Words("see `cop help config`", "lihat `cop help config`")


def slug(text: str) -> str:
    """An id made of a-z, 0-9 and - from any text."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "community"
