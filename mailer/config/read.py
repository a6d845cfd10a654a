"""cop.toml -> frozen dataclasses, with every problem reported at once, by line.

`parse_config(text, ...)` is pure: the environment (for `${VAR}` secrets) and the folder that
relative paths are taken from are passed in. `load_config(path)` reads the file and calls it.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from mailer.errors import ConfigError, Problem
from mailer.tomlpos import line_of, locate_keys
from mailer.values import (
    RRULE_DAYS,
    parse_duration,
    parse_time_of_day,
    parse_timezone,
    parse_weekday,
)

T = TypeVar("T")

LANGUAGES = ("id", "en")
# ASCII: we do not send SMTPUTF8
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

REPEAT_RULES = {
    "daily": "FREQ=DAILY", "harian": "FREQ=DAILY",
    "weekly": "FREQ=WEEKLY", "mingguan": "FREQ=WEEKLY",
    "biweekly": "FREQ=WEEKLY;INTERVAL=2", "fortnightly": "FREQ=WEEKLY;INTERVAL=2",
    "dua-mingguan": "FREQ=WEEKLY;INTERVAL=2", "dwimingguan": "FREQ=WEEKLY;INTERVAL=2",
    "monthly": "FREQ=MONTHLY", "bulanan": "FREQ=MONTHLY",
}  # fmt: skip
DIGEST_EVERY = {
    "day": "day", "daily": "day", "harian": "day", "hari": "day",
    "week": "week", "weekly": "week", "mingguan": "week", "minggu": "week",
    "month": "month", "monthly": "month", "bulanan": "month", "bulan": "month",
    "never": "never", "tidak": "never",
}  # fmt: skip
DELIVERY = ("each", "digest", "none")
POSTING = ("members", "moderated", "open")
TLS = ("ssl", "starttls", "none")


@dataclass(frozen=True)
class ServiceConfig:
    timezone: ZoneInfo
    language: str
    data_dir: Path
    secret: str | None
    templates: Path | None
    log_level: str


@dataclass(frozen=True)
class InboundConfig:
    protocol: str  # imap | smtp
    host: str
    port: int
    tls: str
    username: str
    password: str
    folder: str
    poll_interval: timedelta
    idle: bool
    done_folder: str | None
    max_message_bytes: int
    ca_file: Path | None = None


@dataclass(frozen=True)
class OutboundConfig:
    protocol: str  # smtp | maildir
    host: str
    port: int
    tls: str
    username: str
    password: str
    per_minute: int | None
    per_day: int | None
    timeout: timedelta
    ca_file: Path | None = None


@dataclass(frozen=True)
class Member:
    email: str
    name: str
    delivery: str


@dataclass(frozen=True)
class Break:
    start: date
    end: date
    name: str


@dataclass(frozen=True)
class Move:
    """One occurrence held at another time: `date` is its usual day."""

    date: date
    start: datetime  # aware, in the meeting's zone


@dataclass(frozen=True)
class MeetingConfig:
    id: str
    title: str
    start: datetime  # aware, in the meeting's zone
    duration: timedelta
    timezone: ZoneInfo
    rrule: str | None  # without the "RRULE:" prefix
    until: date | None
    count: int | None
    online: str | None
    location: str | None
    skip_holidays: str | None  # ISO country code
    breaks: tuple[Break, ...]
    remind: tuple[timedelta, ...]
    agenda: str | None
    moved: tuple[Move, ...] = ()


@dataclass(frozen=True)
class DigestConfig:
    every: str  # day | week | month | never
    weekday: int  # for week (and month: first such weekday), Monday = 0
    day: int | None  # for month: day of month, when given instead of a weekday
    at: time
    send_empty: bool


@dataclass(frozen=True)
class Community:
    id: str
    name: str
    address: str
    purpose: str
    needs: tuple[str, ...]
    benefits: tuple[str, ...]
    language: str
    timezone: ZoneInfo
    moderators: tuple[str, ...]
    organizers: tuple[str, ...]
    posting: str
    subject_tag: str
    private_replies: bool
    moderate_first_post: bool
    max_post_bytes: int
    max_recipients: int
    held_words: tuple[str, ...]
    topics: tuple[str, ...]
    whatsapp: str | None
    archive_url: str | None
    unsubscribe_url: str | None
    digest: DigestConfig
    members: tuple[Member, ...]
    meetings: tuple[MeetingConfig, ...]

    def member(self, email: str) -> Member | None:
        wanted = email.lower()
        return next((m for m in self.members if m.email.lower() == wanted), None)


@dataclass(frozen=True)
class Config:
    path: Path
    service: ServiceConfig
    inbound: InboundConfig
    outbound: OutboundConfig
    communities: tuple[Community, ...]
    text: str = field(repr=False, default="")

    def community(self, community_id: str) -> Community | None:
        return next((c for c in self.communities if c.id == community_id), None)


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate cop.toml; raise ConfigError listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [Problem(str(path), 1, "file not found", "run `cop init` to write one, "
                     "or pass --config PATH")]
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [Problem(str(path), 1, f"not UTF-8 text ({exc.reason})",
                     "save the file as UTF-8 in your editor")]
        ) from None
    return parse_config(text, path, os.environ if env is None else env)


def parse_config(text: str, path: Path, env: Mapping[str, str]) -> Config:
    """Validate the text of a cop.toml. Pure: env and path are passed in."""
    file = path.name
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_problem(file, exc)]) from None
    reader = _Reader(file, locate_keys(text), env)
    config = _read_config(reader, raw, path, text)
    if reader.problems:
        raise ConfigError(reader.problems)
    assert config is not None
    return config


def _syntax_problem(file: str, exc: tomllib.TOMLDecodeError) -> Problem:
    message = str(exc)
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    line = int(match.group(1)) if match else 1
    what = re.sub(r"\s*\(at line.*\)$", "", message)
    fix = "put text in \"quotes\", write each setting as key = value, and close every [ and {"
    if "Cannot overwrite a value" in message or "Cannot declare" in message:
        fix = "this key or table is written twice; keep one of them"
    return Problem(file, line, f"TOML syntax error: {what}", fix)


_REQUIRED: Any = object()


class _Reader:
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
              kind: type | tuple[type, ...], default: Any = _REQUIRED,
              parse: Callable[[Any], T] | None = None, hint: str = "") -> Any:
        """raw[key] checked against kind, env-expanded, then parsed; default if absent."""
        where = (*path, key)
        if key not in raw:
            if default is _REQUIRED:
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
            self.problem(where, f"'{key}': {exc}", _fix_from(exc))
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


def _fix_from(exc: ValueError) -> str:
    text = str(exc)
    return text.split("; ", 1)[1] if "; " in text else "see config/reference.toml"


SERVICE_KEYS = ("timezone", "language", "data_dir", "secret", "templates", "log_level")
INBOUND_KEYS = ("protocol", "host", "port", "tls", "username", "password", "folder",
                "poll_interval", "idle", "done_folder", "max_message_size", "ca_file")
OUTBOUND_KEYS = ("protocol", "host", "port", "tls", "username", "password", "per_minute",
                 "per_day", "timeout", "ca_file")
COMMUNITY_KEYS = ("id", "name", "address", "purpose", "needs", "benefits", "language",
                  "timezone", "moderators", "organizers", "posting", "subject_tag",
                  "private_replies", "moderate_first_post", "max_post_size",
                  "max_recipients", "held_words", "topics", "whatsapp",
                  "archive_url", "unsubscribe_url", "digest", "member", "meeting")
DIGEST_KEYS = ("every", "on", "at", "send_empty")
MEMBER_KEYS = ("email", "name", "delivery")
MEETING_KEYS = ("id", "title", "start", "duration", "end", "timezone", "repeat", "rrule",
                "until", "count", "online", "location", "skip_holidays", "breaks", "remind",
                "agenda", "moved")
MOVE_KEYS = ("date", "to")
BREAK_KEYS = ("from", "to", "name")
TOP_KEYS = ("service", "inbound", "outbound", "community")


def _read_config(r: _Reader, raw: dict[str, Any], path: Path, text: str) -> Config | None:
    r.table(raw, (), "top level", TOP_KEYS)
    service = _read_service(r, raw.get("service"), path)
    inbound = _read_inbound(r, raw.get("inbound"), path.parent)
    outbound = _read_outbound(r, raw.get("outbound"), path.parent)
    communities_raw = raw.get("community", [])
    if not isinstance(communities_raw, list):
        r.problem(("community",), "community must be written as [[community]]",
                  "use double brackets: [[community]]")
        communities_raw = []
    if not communities_raw:
        r.problem((), "no [[community]] defined", "add a [[community]] table "
                  "(see config/reference.toml)")
    communities = []
    seen_ids: dict[str, int] = {}
    seen_addresses: set[str] = set()
    for i, c_raw in enumerate(communities_raw):
        community = _read_community(r, c_raw, ("community", i), service)
        if community is None:
            continue
        if community.id in seen_ids:
            r.problem(("community", i, "id"), f"community id '{community.id}' is used twice",
                      "give each [[community]] its own id")
        elif community.address.lower() in seen_addresses:
            r.problem(("community", i, "address"),
                      f"address {community.address} is used by two communities",
                      "give each community its own posting address")
        seen_ids[community.id] = i
        seen_addresses.add(community.address.lower())
        communities.append(community)
    if r.problems:
        return None
    return Config(path=path, service=service, inbound=inbound, outbound=outbound,
                  communities=tuple(communities), text=text)


def _read_service(r: _Reader, raw: Any, config_path: Path) -> ServiceConfig:
    p: tuple[str | int, ...] = ("service",)
    t = r.table(raw, p, "service", SERVICE_KEYS)
    zone = r.value(t, p, "timezone", str, ZoneInfo("Asia/Jakarta"), parse_timezone)
    data_dir = r.value(t, p, "data_dir", str, "var")
    templates = r.value(t, p, "templates", str, None)
    base = config_path.parent
    return ServiceConfig(
        timezone=zone or ZoneInfo("Asia/Jakarta"),
        language=r.choice(t, p, "language", LANGUAGES, "id"),
        data_dir=(base / (data_dir or "var")).resolve(),
        secret=r.value(t, p, "secret", str, None),
        templates=(base / templates).resolve() if templates else None,
        log_level=r.choice(t, p, "log_level", ("debug", "info", "warning", "error"), "info"),
    )


def _read_inbound(r: _Reader, raw: Any, base: Path) -> InboundConfig:
    p: tuple[str | int, ...] = ("inbound",)
    t = r.table(raw, p, "inbound", INBOUND_KEYS)
    protocol = r.choice(t, p, "protocol", ("imap", "smtp"), "smtp")
    imap = protocol == "imap"
    tls = r.choice(t, p, "tls", TLS, "ssl" if imap else "none")
    default_port = (993 if tls == "ssl" else 143) if imap else 2525
    need = _REQUIRED if imap else ""
    size = r.value(t, p, "max_message_size", str, 25 * 2**20, _parse_size)
    return InboundConfig(
        protocol=protocol,
        host=r.value(t, p, "host", str, need if imap else "127.0.0.1",
                     hint='"imap.example.org"') or "",
        port=_port(r, t, p, default_port),
        tls=tls,
        username=r.value(t, p, "username", str, need, hint='"kkg@example.org"') or "",
        password=r.value(t, p, "password", str, need,
                         hint='"${COP_IMAP_PASSWORD}"') or "",
        folder=r.value(t, p, "folder", str, "INBOX") or "INBOX",
        poll_interval=r.value(t, p, "poll_interval", str, timedelta(seconds=60),
                              parse_duration) or timedelta(seconds=60),
        idle=bool(r.value(t, p, "idle", bool, True)),
        done_folder=r.value(t, p, "done_folder", str, None),
        max_message_bytes=size or 25 * 2**20,
        ca_file=_ca_file(r, t, p, base),
    )


def _read_outbound(r: _Reader, raw: Any, base: Path) -> OutboundConfig:
    p: tuple[str | int, ...] = ("outbound",)
    t = r.table(raw, p, "outbound", OUTBOUND_KEYS)
    protocol = r.choice(t, p, "protocol", ("smtp", "maildir"), "maildir")
    smtp = protocol == "smtp"
    tls = r.choice(t, p, "tls", TLS, "starttls" if smtp else "none")
    default_port = {"ssl": 465, "starttls": 587, "none": 25}[tls]
    return OutboundConfig(
        protocol=protocol,
        host=r.value(t, p, "host", str, _REQUIRED if smtp else "",
                     hint='"smtp.example.org"') or "",
        port=_port(r, t, p, default_port),
        tls=tls,
        username=r.value(t, p, "username", str, "") or "",
        password=r.value(t, p, "password", str, "") or "",
        per_minute=_positive(r, t, p, "per_minute"),
        per_day=_positive(r, t, p, "per_day"),
        timeout=r.value(t, p, "timeout", str, timedelta(seconds=60), parse_duration)
        or timedelta(seconds=60),
        ca_file=_ca_file(r, t, p, base),
    )


def _ca_file(r: _Reader, t: dict[str, Any], p: tuple[str | int, ...], base: Path) -> Path | None:
    """A CA certificate to trust besides the system's (a self-hosted server's own CA)."""
    value = r.value(t, p, "ca_file", str, None, hint='"/etc/ssl/certs/my-ca.pem"')
    if value is None:
        return None
    path: Path = (base / str(value)).resolve()
    if not path.is_file():
        r.problem((*p, "ca_file"), f"ca_file {value!r} does not exist",
                  "give the path of a PEM certificate, or remove the key to use the system's")
        return None
    return path


def _port(r: _Reader, t: dict[str, Any], p: tuple[str | int, ...], default: int) -> int:
    port = r.value(t, p, "port", int, default, hint="587")
    if port is not None and not 0 < port < 65536:
        r.problem((*p, "port"), f"port {port} is out of range", "use a port from 1 to 65535")
    return port or default


def _positive(r: _Reader, t: dict[str, Any], p: tuple[str | int, ...], key: str) -> int | None:
    value: int | None = r.value(t, p, key, int, None, hint="100")
    if value is not None and value <= 0:
        r.problem((*p, key), f"'{key}' must be above zero", f"remove {key} for no limit")
        return None
    return value


def _parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*([kmg]?)b?\s*", text.lower())
    if not match:
        raise ValueError(f"{text!r} is not a size; write e.g. \"25m\" or \"500k\"")
    return int(match.group(1)) * {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[match.group(2)]


def _read_community(r: _Reader, raw: Any, p: tuple[str | int, ...],
                    service: ServiceConfig) -> Community | None:
    if not isinstance(raw, dict):
        r.problem(p, "each community must be a table", "write it as [[community]]")
        return None
    t = r.table(raw, p, "community", COMMUNITY_KEYS)
    cid = r.value(t, p, "id", str, hint='"kkg-matematika"')
    if cid is not None and not SLUG.match(cid):
        r.problem((*p, "id"), f"community id {cid!r} may hold only a-z, 0-9 and -",
                  f"write e.g. id = \"{_slug(cid)}\"")
    name = r.value(t, p, "name", str, hint='"KKG Matematika Gugus 3"')
    address = r.email(r.value(t, p, "address", str, hint='"kkg@example.org"'),
                      (*p, "address"), "address")
    language = r.choice(t, p, "language", LANGUAGES, service.language)
    zone = r.value(t, p, "timezone", str, service.timezone, parse_timezone) or service.timezone
    moderators = tuple(
        m for i, m in enumerate(r.strings(t, p, "moderators"))
        if r.email(m, (*p, "moderators", i), "moderator") is not None
    )
    organizers = tuple(
        m for i, m in enumerate(r.strings(t, p, "organizers"))
        if r.email(m, (*p, "organizers", i), "organizer") is not None
    )
    members = _read_members(r, t.get("member", []), (*p, "member"))
    meetings = _read_meetings(r, t.get("meeting", []), (*p, "meeting"), zone)
    digest = _read_digest(r, t.get("digest"), (*p, "digest"))
    if cid is None or name is None or address is None:
        return None
    return Community(
        id=cid, name=name, address=address,
        purpose=r.value(t, p, "purpose", str, "") or "",
        needs=r.strings(t, p, "needs"),
        benefits=r.strings(t, p, "benefits"),
        language=language, timezone=zone,
        moderators=moderators, organizers=organizers or moderators,
        posting=r.choice(t, p, "posting", POSTING, "members"),
        subject_tag=r.value(t, p, "subject_tag", str, f"[{cid}]") or "",
        private_replies=bool(r.value(t, p, "private_replies", bool, False)),
        moderate_first_post=bool(r.value(t, p, "moderate_first_post", bool, False)),
        max_post_bytes=r.value(t, p, "max_post_size", str, 5 * 2**20, _parse_size)
        or 5 * 2**20,
        max_recipients=r.value(t, p, "max_recipients", int, 10) or 10,
        held_words=tuple(w.lower() for w in r.strings(t, p, "held_words")),
        topics=r.strings(t, p, "topics"),
        whatsapp=r.value(t, p, "whatsapp", str, None),
        archive_url=r.value(t, p, "archive_url", str, None),
        unsubscribe_url=r.value(t, p, "unsubscribe_url", str, None),
        digest=digest, members=members, meetings=meetings,
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "community"


def _read_members(r: _Reader, raw: Any, p: tuple[str | int, ...]) -> tuple[Member, ...]:
    if not isinstance(raw, list):
        r.problem(p, "members must be written as [[community.member]]",
                  "use double brackets: [[community.member]]")
        return ()
    members: list[Member] = []
    seen: dict[str, int] = {}
    for i, m_raw in enumerate(raw):
        mp = (*p, i)
        t = r.table(m_raw, mp, "community.member", MEMBER_KEYS)
        email = r.email(r.value(t, mp, "email", str, hint='"budi@example.org"'),
                        (*mp, "email"), "member email")
        name = r.value(t, mp, "name", str, "") or ""
        delivery = r.choice(t, mp, "delivery", DELIVERY, "digest")
        if email is None:
            continue
        key = email.lower()
        if key in seen:
            r.problem((*mp, "email"), f"member {email} is listed twice in this community",
                      f"remove one of the two entries (the other is on line "
                      f"{line_of(r.lines, (*p, seen[key], 'email'))})")
            continue
        seen[key] = i
        members.append(Member(email=email, name=name or email.split("@")[0],
                              delivery=delivery))
    return tuple(members)


def _read_digest(r: _Reader, raw: Any, p: tuple[str | int, ...]) -> DigestConfig:
    t = r.table(raw, p, "community.digest", DIGEST_KEYS)
    every = r.choice(t, p, "every", DIGEST_EVERY, "week")
    on = r.value(t, p, "on", (str, int), "friday")
    weekday, day = 4, None
    if isinstance(on, int):
        if every != "month" or not 1 <= on <= 28:
            r.problem((*p, "on"), f"'on = {on}' needs every = \"month\" and a day from 1 to 28",
                      "or write a weekday, e.g. on = \"friday\"")
        day = on
    elif isinstance(on, str):
        try:
            weekday = parse_weekday(on)
        except ValueError as exc:
            r.problem((*p, "on"), f"'on': {exc}", _fix_from(exc))
    at = r.value(t, p, "at", str, time(15, 0), parse_time_of_day) or time(15, 0)
    send_empty = bool(r.value(t, p, "send_empty", bool, False))
    return DigestConfig(every=every, weekday=weekday, day=day, at=at, send_empty=send_empty)


def _read_meetings(r: _Reader, raw: Any, p: tuple[str | int, ...],
                   zone: ZoneInfo) -> tuple[MeetingConfig, ...]:
    if not isinstance(raw, list):
        r.problem(p, "meetings must be written as [[community.meeting]]",
                  "use double brackets: [[community.meeting]]")
        return ()
    meetings: list[MeetingConfig] = []
    seen: set[str] = set()
    for i, m_raw in enumerate(raw):
        meeting = _read_meeting(r, m_raw, (*p, i), zone)
        if meeting is None:
            continue
        if meeting.id in seen:
            r.problem((*p, i, "id"), f"meeting id '{meeting.id}' is used twice in this "
                      "community", "give each meeting its own id (it keeps calendars in step)")
            continue
        seen.add(meeting.id)
        meetings.append(meeting)
    return tuple(meetings)


def _read_meeting(r: _Reader, raw: Any, p: tuple[str | int, ...],
                  community_zone: ZoneInfo) -> MeetingConfig | None:
    t = r.table(raw, p, "community.meeting", MEETING_KEYS)
    mid = r.value(t, p, "id", str, hint='"rutin"')
    if mid is not None and not SLUG.match(mid):
        r.problem((*p, "id"), f"meeting id {mid!r} may hold only a-z, 0-9 and -",
                  f"write e.g. id = \"{_slug(mid)}\"")
        mid = None
    title = r.value(t, p, "title", str, hint='"Pertemuan rutin"')
    zone = r.value(t, p, "timezone", str, community_zone, parse_timezone) or community_zone
    start = _local_datetime(r, t, p, "start", zone)
    end = _local_datetime(r, t, p, "end", zone) if "end" in t else None
    duration = r.value(t, p, "duration", str, None, parse_duration)
    if "duration" in t and "end" in t:
        r.problem((*p, "end"), "both 'end' and 'duration' are given",
                  "keep one of them")
    if start is not None and end is not None:
        duration = end - start
        if duration <= timedelta(0):
            r.problem((*p, "end"), "the meeting ends before it starts",
                      "check the date and time of 'end' (or write duration = \"90m\")")
    elif duration is not None and duration <= timedelta(0):
        r.problem((*p, "duration"), "the meeting's duration must be above zero",
                  "write e.g. duration = \"90m\"")
    if duration is None and "duration" not in t and "end" not in t:
        duration = timedelta(minutes=90)
    rule = _read_recurrence(r, t, p, start)
    until = r.value(t, p, "until", (date, datetime), None, hint="2027-06-25")
    if isinstance(until, datetime):
        until = until.date()
    count = r.value(t, p, "count", int, None, hint="12")
    if until is not None and count is not None:
        r.problem((*p, "count"), "both 'until' and 'count' are given", "keep one of them")
    if until is not None and start is not None and until < start.date():
        r.problem((*p, "until"), "'until' is before the first meeting",
                  "check the dates of 'start' and 'until'")
    if (until is not None or count is not None) and rule is None and "repeat" not in t \
            and "rrule" not in t:
        r.problem((*p, "until" if until is not None else "count"),
                  "'until'/'count' is given but the meeting does not repeat",
                  "add repeat = \"weekly\" (or remove it)")
    skip = t.get("skip_holidays")
    holidays_country: str | None = None
    if isinstance(skip, bool):
        holidays_country = "ID" if skip else None
    elif skip is not None:
        holidays_country = r.value(t, p, "skip_holidays", str, None, _parse_country)
    breaks = _read_breaks(r, t.get("breaks", []), (*p, "breaks"))
    reminders = []
    for i, text in enumerate(r.strings(t, p, "remind")):
        try:
            reminders.append(parse_duration(text))
        except ValueError as exc:
            r.problem((*p, "remind", i), f"'remind': {exc}", _fix_from(exc))
    moves = _read_moves(r, t.get("moved", []), (*p, "moved"), zone)
    if mid is None or title is None or start is None or duration is None:
        return None
    meeting = MeetingConfig(
        id=mid, title=title, start=start, duration=duration, timezone=zone,
        rrule=rule, until=until, count=count,
        online=r.value(t, p, "online", str, None),
        location=r.value(t, p, "location", str, None),
        skip_holidays=holidays_country, breaks=breaks, remind=tuple(reminders),
        agenda=r.value(t, p, "agenda", str, None), moved=moves,
    )
    if moves:
        from mailer.meetings import series_dates  # meetings builds on this module

        dates = series_dates(meeting)
        for i, move in enumerate(moves):
            if move.date not in dates:
                r.problem((*p, "moved", i, "date"),
                          f"{move.date} is not a day '{mid}' meets on",
                          "give the usual date of the meeting that moves")
    return meeting


def _read_moves(r: _Reader, raw: Any, p: tuple[str | int, ...],
                zone: ZoneInfo) -> tuple[Move, ...]:
    if not isinstance(raw, list):
        r.problem(p, "'moved' must be a list", "write moved = [{ date = 2026-12-11, "
                  "to = 2026-12-12T14:00:00 }]")
        return ()
    moves = []
    for i, m_raw in enumerate(raw):
        mp = (*p, i)
        m = r.table(m_raw, mp, "moved", MOVE_KEYS)
        day = r.value(m, mp, "date", date, hint="2026-12-11")
        to = _local_datetime(r, m, mp, "to", zone)
        if day is not None and to is not None:
            moves.append(Move(day, to))
    return tuple(moves)


def _local_datetime(r: _Reader, t: dict[str, Any], p: tuple[str | int, ...], key: str,
                    zone: ZoneInfo) -> datetime | None:
    value = t.get(key)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            r.problem((*p, key), f"'{key}' = {value!r} is not a date and time",
                      f"write it without quotes, e.g. {key} = 2026-12-04T14:00:00")
            return None
        r.problem((*p, key), f"'{key}' is written as text",
                  f"remove the quotes: {key} = {value.isoformat()}")
        return None
    parsed: datetime | None = r.value(t, p, key, datetime, hint="2026-12-04T14:00:00")
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=zone)
    return parsed.astimezone(zone)


def _read_recurrence(r: _Reader, t: dict[str, Any], p: tuple[str | int, ...],
                     start: datetime | None) -> str | None:
    if "repeat" in t and "rrule" in t:
        r.problem((*p, "rrule"), "both 'repeat' and 'rrule' are given", "keep one of them")
        return None
    if "repeat" in t:
        repeat = r.choice(t, p, "repeat", {**REPEAT_RULES, "none": "", "tidak": ""}, "")
        if repeat and start is not None and "BYDAY" not in repeat and "WEEKLY" in repeat:
            repeat += f";BYDAY={RRULE_DAYS[start.weekday()]}"
        return repeat or None
    rule: str | None = r.value(t, p, "rrule", str, None,
                               hint='"FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"')
    if rule is None:
        return None
    rule = rule.strip().removeprefix("RRULE:").upper()
    if re.search(r"(UNTIL|COUNT)=", rule):
        r.problem((*p, "rrule"), "the rrule holds UNTIL or COUNT",
                  "write them as until = 2027-06-25 or count = 12 beside it")
        return None
    try:
        rrulestr(f"RRULE:{rule}", dtstart=start.replace(tzinfo=None) if start else None)
    except (ValueError, TypeError) as exc:
        r.problem((*p, "rrule"), f"rrule {rule!r} is not valid ({exc})",
                  "write e.g. rrule = \"FREQ=WEEKLY;INTERVAL=2;BYDAY=FR\"")
        return None
    return rule


def _parse_country(text: str) -> str:
    import holidays  # imported here: loading every country's calendar is slow at start-up

    code = text.strip().upper()
    if code not in holidays.list_supported_countries():
        raise ValueError(f"{text!r} is not a country the holidays calendar knows; "
                         "write a two-letter code such as \"ID\"")
    return code


def _read_breaks(r: _Reader, raw: Any, p: tuple[str | int, ...]) -> tuple[Break, ...]:
    if not isinstance(raw, list):
        r.problem(p, "'breaks' must be a list", 'write breaks = [{ from = 2026-12-21, '
                  'to = 2027-01-03, name = "Libur semester" }]')
        return ()
    breaks = []
    for i, b_raw in enumerate(raw):
        bp = (*p, i)
        b = r.table(b_raw, bp, "break", BREAK_KEYS)
        start = r.value(b, bp, "from", date, hint="2026-12-21")
        end = r.value(b, bp, "to", date, start, hint="2027-01-03")
        name = r.value(b, bp, "name", str, "") or ""
        if start is None or end is None:
            continue
        if end < start:
            r.problem((*bp, "to"), "the break ends before it starts",
                      "swap 'from' and 'to'")
            continue
        breaks.append(Break(start=start, end=end, name=name))
    return tuple(breaks)
