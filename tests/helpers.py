"""Building configs and mail for tests."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from mailer.config import Config, load_config
from mailer.edges.store import FileStore as Store

COMMUNITY = """
[[community]]
id = "kkg"
name = "KKG Matematika"
address = "kkg@example.org"
moderators = ["siti@example.org"]
posting = "{posting}"
language = "{language}"
subject_tag = "[KKG]"

  [community.digest]
  every = "week"
  on = "friday"
  at = "15:00"

  [[community.member]]
  email = "siti@example.org"
  name = "Siti Rahayu"
  delivery = "each"

  [[community.member]]
  email = "budi@example.org"
  name = "Budi Santoso"
  delivery = "digest"

  [[community.member]]
  email = "dewi@example.org"
  name = "Dewi Lestari"
  delivery = "each"

  [[community.member]]
  email = "agus@example.org"
  name = "Agus Wibowo"
  delivery = "each"
"""

MEETING = """
  [[community.meeting]]
  id = "rutin"
  title = "Pertemuan rutin"
  start = 2026-12-04T14:00:00
  duration = "90m"
  repeat = "weekly"
  until = 2027-02-26
  online = "https://meet.jit.si/kkg-test"
  location = "SDN 1 Sukamaju"
  skip_holidays = "ID"
  breaks = [{{ from = 2026-12-21, to = 2027-01-03, name = "Libur semester" }}]
  remind = ["1d"]
  agenda = "Pecahan"
"""


def write_config(folder: Path, *, inbound: str = "", outbound: str = "",
                 posting: str = "members", language: str = "id", meeting: bool = True,
                 extra: str = "") -> Config:
    inbound = inbound or 'protocol = "smtp"'
    outbound = outbound or 'protocol = "maildir"'
    text = (f'[service]\ntimezone = "Asia/Jakarta"\nlanguage = "{language}"\n'
            f'data_dir = "data"\nsecret = "test-secret"\n\n'
            f"[inbound]\n{inbound}\n\n[outbound]\n{outbound}\n"
            + COMMUNITY.format(posting=posting, language=language)
            + (MEETING.format() if meeting else "") + extra)
    path = folder / "cop.toml"
    path.write_text(text)
    return load_config(path)


def make_mail(*, sender: str = "Siti Rahayu <siti@example.org>", to: str = "kkg@example.org",
              subject: str = "Pecahan di kelas 3", body: str = "Halo semua,\nbagaimana?\n",
              message_id: str | None = None, in_reply_to: str | None = None,
              headers: dict[str, str] | None = None, date: datetime | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="example.org")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes(policy=policy.SMTP)  # as it arrives: CRLF, folded


def signed(domain: str = "example.org", authserv_id: str = "example.org") -> dict[str, str]:
    """The Authentication-Results our receiver (authserv-id: the community's domain) writes
    for mail that passed: for tests that archive mail straight, past the receiver."""
    return {"Authentication-Results": f"{authserv_id}; dkim=pass header.d={domain}; "
                                      f"dmarc=pass header.from={domain}"}


def mark_edited(path: Path) -> None:
    """Move a file's mtime a second on, as a save a second later would: the daemon reloads
    cop.toml when its mtime changes, and a test's edits come faster than the clock ticks."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def smtp_outbound(port: int, tls: str = "none", extra: str = "") -> str:
    """An [outbound] body for the SMTP peer on loopback."""
    body = f'protocol = "smtp"\nhost = "127.0.0.1"\nport = {port}\ntls = "{tls}"'
    return body + (f"\n{extra}" if extra else "")


def message_records(store: Store) -> dict[str, dict[str, Any]]:
    """Message-ID -> its whole journal record (rule, sender, detail): the state in memory
    keeps only the outcome. Reads what has been flushed."""
    found: dict[str, dict[str, Any]] = {}
    for record in store.journal.replay():
        if record["t"] == "message":
            found.setdefault(record["id"], record)
    return found


def until(check: Callable[[], object], what: str | Callable[[], str],
          seconds: float = 60.0) -> None:
    """Wait until `check()` is true; past `seconds`, fail saying `what` (a text, or what
    makes one at that moment, such as a daemon's log)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds}s: {what if isinstance(what, str) else what()}")

