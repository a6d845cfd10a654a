"""cop.toml -> frozen dataclasses, with every problem reported at once, by line.

`parse_config(text, ...)` is pure: the environment (for `${VAR}` secrets) and the folder that
relative paths are taken from are passed in. `load_config(path)` reads the file and calls it.
The [[community.meeting]] tables are read in meetings.py.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mailer.config.delivery import read_digest, read_members
from mailer.config.meetings import read_meetings
from mailer.config.model import (
    JOIN,
    LANGUAGES,
    POSTING,
    SLUG,
    TLS,
    Community,
    Config,
    InboundConfig,
    OutboundConfig,
    ServiceConfig,
)
from mailer.config.reader import REQUIRED, Reader, slug
from mailer.config.secure import check_transport
from mailer.config.tomlpos import locate_keys
from mailer.config.values import parse_duration, parse_timezone
from mailer.config.web import read_web, with_web
from mailer.config.words import Say, Words, WordsError
from mailer.errors import ConfigError, Problem


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate cop.toml; raise ConfigError listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Say.of(
            str(path), 1, Words("file not found", "berkas tidak ada"),
            Words("run `cop init` to write one, or pass --config PATH",
                  "jalankan `cop init` untuk membuatnya, atau pakai --config PATH"))]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([Say.of(
            str(path), 1, Words(f"not UTF-8 text ({exc.reason})",
                                f"bukan teks UTF-8 ({exc.reason})"),
            Words("save the file as UTF-8 in your editor",
                  "simpan berkas sebagai UTF-8 di editor Anda"))]) from None
    return parse_config(text, path, os.environ if env is None else env)


def parse_config(text: str, path: Path, env: Mapping[str, str]) -> Config:
    """Validate the text of a cop.toml. Pure: env and path are passed in."""
    file = path.name
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_problem(file, exc)]) from None
    reader = Reader(file, locate_keys(text), env)
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
    fix = Words("put text in \"quotes\", write each setting as key = value, and close every "
                "[ and {", "beri tanda kutip \"...\" pada teks, tulis setiap pengaturan sebagai "
                "kunci = nilai, dan tutup setiap [ dan {")
    if "Cannot overwrite a value" in message or "Cannot declare" in message:
        fix = Words("this key or table is written twice; keep one of them",
                    "kunci atau tabel ini ditulis dua kali; pakai salah satu saja")
    return Say.of(file, line, Words(f"TOML syntax error: {what}",
                                    f"kesalahan penulisan TOML: {what}"), fix)


SERVICE_KEYS = ("timezone", "language", "data_dir", "secret", "templates", "log_level",
                "database")
INBOUND_KEYS = ("protocol", "host", "port", "tls", "username", "password", "folder",
                "poll_interval", "idle", "done_folder", "max_message_size", "ca_file",
                "authserv_id", "tls_cert", "tls_key", "socket", "authenticate")
OUTBOUND_KEYS = ("protocol", "host", "port", "tls", "username", "password", "per_minute",
                 "per_day", "timeout", "ca_file")
COMMUNITY_KEYS = ("id", "name", "address", "purpose", "needs", "benefits", "language",
                  "timezone", "moderators", "organizers", "posting", "subject_tag",
                  "private_replies", "moderate_first_post", "max_post_size",
                  "max_attachments_size", "max_recipients", "held_words", "topics", "whatsapp",
                  "archive_url", "unsubscribe_url", "digest", "member", "meeting", "archive",
                  "join")
TOP_KEYS = ("service", "inbound", "outbound", "community", "web")
MAX_POST = 25 * 2**20  # a whole message above this waits for a moderator (Gmail's limit)
MAX_FILES = 10 * 2**20  # a post's files above this are kept back, to be asked for


def _read_config(r: Reader, raw: dict[str, Any], path: Path, text: str) -> Config | None:
    r.table(raw, (), "top level", TOP_KEYS)
    service = _read_service(r, raw.get("service"), path)
    inbound = _read_inbound(r, raw.get("inbound"), path.parent)
    outbound = _read_outbound(r, raw.get("outbound"), path.parent)
    communities_raw = raw.get("community", [])
    if not isinstance(communities_raw, list):
        r.problem(("community",), Words("community must be written as [[community]]",
                                        "komunitas ditulis sebagai [[community]]"),
                  Words("use double brackets: [[community]]",
                        "pakai kurung ganda: [[community]]"))
        communities_raw = []
    if not communities_raw:
        r.problem((), Words("no [[community]] defined", "belum ada [[community]]"),
                  Words("add a [[community]] table (see `cop help config`)",
                        "tambahkan tabel [[community]] (lihat `cop help config`)"))
    communities = []
    seen_ids: dict[str, int] = {}
    seen_addresses: set[str] = set()
    for i, c_raw in enumerate(communities_raw):
        community = _read_community(r, c_raw, ("community", i), service)
        if community is None:
            continue
        if community.id in seen_ids:
            r.problem(("community", i, "id"),
                      Words(f"community id '{community.id}' is used twice",
                            f"id komunitas '{community.id}' dipakai dua kali"),
                      Words("give each [[community]] its own id",
                            "beri setiap [[community]] id sendiri"))
        elif community.address.lower() in seen_addresses:
            r.problem(("community", i, "address"),
                      Words(f"address {community.address} is used by two communities",
                            f"alamat {community.address} dipakai dua komunitas"),
                      Words("give each community its own posting address",
                            "beri setiap komunitas alamatnya sendiri"))
        seen_ids[community.id] = i
        seen_addresses.add(community.address.lower())
        communities.append(community)
    inbound = check_transport(r, inbound, outbound, communities)
    web = read_web(r, raw.get("web"))
    if r.problems:
        return None
    return Config(path=path, service=service, inbound=inbound, outbound=outbound,
                  communities=tuple(with_web(c, web) for c in communities), text=text,
                  warnings=tuple(r.warnings), web=web)


def _read_service(r: Reader, raw: Any, config_path: Path) -> ServiceConfig:
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
        database=_database(r, t, p),
    )


def _database(r: Reader, t: Any, p: tuple[str | int, ...]) -> str | None:
    """[service] database: a postgresql:// URL (the store in PostgreSQL), or none."""
    url = r.value(t, p, "database", str, None)
    if url and not url.startswith(("postgresql://", "postgres://")):
        r.problem((*p, "database"), Words("database must be a postgresql:// URL",
                                          "database harus berupa URL postgresql://"),
                  Words('write e.g. "postgresql://cop@localhost/cop", or remove it to keep '
                        "the data in data_dir",
                        'tulis misalnya "postgresql://cop@localhost/cop", atau hapus agar '
                        "data tetap di data_dir"))
        return None
    return url or None


def _read_inbound(r: Reader, raw: Any, base: Path) -> InboundConfig:
    p: tuple[str | int, ...] = ("inbound",)
    t = r.table(raw, p, "inbound", INBOUND_KEYS)
    protocol = r.choice(t, p, "protocol", ("imap", "smtp", "lmtp"), "smtp")
    imap = protocol == "imap"
    tls = r.choice(t, p, "tls", TLS, "ssl" if imap else "none")
    default_port = (993 if tls == "ssl" else 143) if imap else LISTEN_PORTS[protocol]
    need = REQUIRED if imap else ""
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
        authserv_id=(r.value(t, p, "authserv_id", str, "") or "").strip().lower(),
        tls_cert=_file_key(r, t, p, base, "tls_cert"),
        tls_key=_file_key(r, t, p, base, "tls_key"),
        socket=_socket(r, t, p, base),
        authenticate=r.choice(t, p, "authenticate", ("cop", "postfix"), "cop"),
    )


LISTEN_PORTS = {"smtp": 2525, "lmtp": 2424}  # the receivers' default ports


def _socket(r: Reader, t: dict[str, Any], p: tuple[str | int, ...], base: Path) -> Path | None:
    """lmtp: a unix socket to listen on; its folder must exist (the daemon makes the socket)."""
    value = r.value(t, p, "socket", str, None, hint='"/run/cop/lmtp.sock"')
    if value is None:
        return None
    path: Path = (base / str(value)).resolve()
    if not path.parent.is_dir():
        r.problem((*p, "socket"), Words(f"the folder of socket {value!r} does not exist",
                                        f"folder untuk socket {value!r} tidak ada"),
                  Words(f"create {path.parent} (writable by the user cop runs as)",
                        f"buat {path.parent} (bisa ditulis oleh pengguna yang menjalankan cop)"))
    return path


def _read_outbound(r: Reader, raw: Any, base: Path) -> OutboundConfig:
    p: tuple[str | int, ...] = ("outbound",)
    t = r.table(raw, p, "outbound", OUTBOUND_KEYS)
    protocol = r.choice(t, p, "protocol", ("smtp", "maildir"), "maildir")
    smtp = protocol == "smtp"
    tls = r.choice(t, p, "tls", TLS, "starttls" if smtp else "none")
    default_port = {"ssl": 465, "starttls": 587, "none": 25}[tls]
    return OutboundConfig(
        protocol=protocol,
        host=r.value(t, p, "host", str, REQUIRED if smtp else "",
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


def _ca_file(r: Reader, t: dict[str, Any], p: tuple[str | int, ...], base: Path) -> Path | None:
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


def _file_key(r: Reader, t: dict[str, Any], p: tuple[str | int, ...], base: Path,
              key: str) -> Path | None:
    value = r.value(t, p, key, str, None, hint='"/etc/cop/tls.pem"')
    if value is None:
        return None
    path: Path = (base / str(value)).resolve()
    if not path.is_file():
        r.problem((*p, key), f"{key} {value!r} does not exist", "give the path of a PEM file")
        return None
    return path


def _port(r: Reader, t: dict[str, Any], p: tuple[str | int, ...], default: int) -> int:
    port = r.value(t, p, "port", int, default, hint="587")
    if port is not None and not 0 < port < 65536:
        r.problem((*p, "port"), Words(f"port {port} is out of range",
                                      f"port {port} di luar jangkauan"),
                  Words("use a port from 1 to 65535", "pakai port 1 sampai 65535"))
    return port or default


def _positive(r: Reader, t: dict[str, Any], p: tuple[str | int, ...], key: str) -> int | None:
    value: int | None = r.value(t, p, key, int, None, hint="100")
    if value is not None and value <= 0:
        r.problem((*p, key), Words(f"'{key}' must be above zero",
                                   f"'{key}' harus lebih dari nol"),
                  Words(f"remove {key} for no limit", f"hapus {key} bila tanpa batas"))
        return None
    return value


def _parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*([kmg]?)b?\s*", text.lower())
    if not match:
        raise WordsError(Words(f"{text!r} is not a size", f"{text!r} bukan ukuran"),
                         Words("write e.g. \"25m\" or \"500k\"",
                               "tulis misalnya \"25m\" atau \"500k\""))
    return int(match.group(1)) * {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[match.group(2)]


def _read_community(r: Reader, raw: Any, p: tuple[str | int, ...],
                    service: ServiceConfig) -> Community | None:
    if not isinstance(raw, dict):
        r.problem(p, Words("each community must be a table",
                           "setiap komunitas harus berupa tabel"),
                  Words("write it as [[community]]", "tulis sebagai [[community]]"))
        return None
    t = r.table(raw, p, "community", COMMUNITY_KEYS)
    cid = r.value(t, p, "id", str, hint='"kkg-matematika"')
    if cid is not None and not SLUG.match(cid):
        r.problem((*p, "id"), Words(f"community id {cid!r} may hold only a-z, 0-9 and -",
                                    f"id komunitas {cid!r} hanya boleh berisi a-z, 0-9 dan -"),
                  Words(f"write e.g. id = \"{slug(cid)}\"",
                        f"tulis misalnya id = \"{slug(cid)}\""))
    name = r.value(t, p, "name", str, hint='"KKG Matematika Gugus 3"')
    address = r.email(r.value(t, p, "address", str, hint='"kkg@example.org"'),
                      (*p, "address"), Words("address", "alamat"))
    language = r.choice(t, p, "language", LANGUAGES, service.language)
    zone = r.value(t, p, "timezone", str, service.timezone, parse_timezone) or service.timezone
    moderators = tuple(
        m for i, m in enumerate(r.strings(t, p, "moderators"))
        if r.email(m, (*p, "moderators", i), Words("moderator", "moderator")) is not None
    )
    organizers = tuple(
        m for i, m in enumerate(r.strings(t, p, "organizers"))
        if r.email(m, (*p, "organizers", i), Words("organizer", "penyelenggara")) is not None
    )
    members = read_members(r, t.get("member", []), (*p, "member"), language)
    meetings = read_meetings(r, t.get("meeting", []), (*p, "meeting"), zone)
    digest = read_digest(r, t.get("digest"), (*p, "digest"))
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
        max_post_bytes=r.value(t, p, "max_post_size", str, MAX_POST, _parse_size) or MAX_POST,
        max_attachments_bytes=r.value(t, p, "max_attachments_size", str, MAX_FILES,
                                      _parse_size) or MAX_FILES,
        max_recipients=r.value(t, p, "max_recipients", int, 10) or 10,
        held_words=tuple(w.lower() for w in r.strings(t, p, "held_words")),
        topics=r.strings(t, p, "topics"),
        whatsapp=r.value(t, p, "whatsapp", str, None),
        archive_url=r.value(t, p, "archive_url", str, None),
        unsubscribe_url=r.value(t, p, "unsubscribe_url", str, None),
        archive=r.choice(t, p, "archive", ("members", "public"), "members"),
        digest=digest, members=members, meetings=meetings,
        join=r.choice(t, p, "join", JOIN, "confirm"),
    )
