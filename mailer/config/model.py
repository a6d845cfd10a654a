"""cop.toml as frozen dataclasses, and the words it accepts. Plain data, no reading."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from mailer.errors import Problem

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
# who may join by email: open (at once, once the address is proven) | confirm (double opt-in,
# the default) | approve (confirmed, then an organizer or moderator says yes); Indonesian too
JOIN = {"open": "open", "terbuka": "open", "confirm": "confirm", "konfirmasi": "confirm",
        "approve": "approve", "persetujuan": "approve", "disetujui": "approve"}
TLS = ("ssl", "starttls", "none")


@dataclass(frozen=True)
class ServiceConfig:
    timezone: ZoneInfo
    language: str
    data_dir: Path
    secret: str | None
    templates: Path | None
    log_level: str
    database: str | None = None  # postgresql://...: the store in PostgreSQL


@dataclass(frozen=True)
class InboundConfig:
    protocol: str  # imap | smtp | lmtp
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
    # whose Authentication-Results are trusted (RFC 8601 section 5); the built-in receiver
    # writes its own under this id (default: the first community's domain)
    authserv_id: str = ""
    tls_cert: Path | None = None  # the built-in receiver's STARTTLS certificate (PEM)
    tls_key: Path | None = None
    socket: Path | None = None  # lmtp: listen on this unix socket instead of host:port
    # lmtp: "cop" checks SPF (the client Postfix names in its Received), DKIM and DMARC here;
    # "postfix" trusts the Authentication-Results Postfix's milter writes under authserv_id
    authenticate: str = "cop"


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
    aliases: tuple[str, ...] = ()  # other addresses of the same person, lower-cased


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
    max_attachments_bytes: int = 10 * 2**20  # above it a post's files are kept back
    archive: str = "members"  # members | public: who may read the web archive
    web_url: str = ""  # [web] base_url: mail carries links to the community's web pages
    join: str = "confirm"  # open | confirm | approve (JOIN)

    def member(self, email: str) -> Member | None:
        """The listed member with this address or alias."""
        wanted = email.lower()
        return next((m for m in self.members
                     if m.email.lower() == wanted or wanted in m.aliases), None)

    def primary(self, address: str) -> str:
        """The member's own address for one of their aliases; any other address as it is."""
        wanted = address.lower()
        return next((m.email.lower() for m in self.members if wanted in m.aliases), address)


@dataclass(frozen=True)
class WebConfig:
    """[web]: the members' web (archive, resources, one-click links), behind a proxy."""

    base_url: str  # https://kkg.example.org (no trailing slash): what links in mail start with
    host: str = "127.0.0.1"
    port: int = 8025
    # whose X-Forwarded-For is believed (the sign-in limit counts per client address)
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class Config:
    path: Path
    service: ServiceConfig
    inbound: InboundConfig
    outbound: OutboundConfig
    communities: tuple[Community, ...]
    text: str = field(repr=False, default="")
    warnings: tuple[Problem, ...] = ()  # valid, but maybe not meant: `cop check` shows them
    web: WebConfig | None = None

    def community(self, community_id: str) -> Community | None:
        return next((c for c in self.communities if c.id == community_id), None)
