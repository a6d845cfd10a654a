"""Alerts to the organizers: what stops the service doing its work, told by mail once, then
a reminder a day while it lasts, then one line when it is over.

    config       a cop.toml edit that does not read: the daemon goes on with the last good
                 one; the alert lists `cop check`'s problems (file:line: what; fix)
    imap-login   the mailbox refuses the login (with the app-password hint for the provider)
    smtp-login   the outgoing server refuses the login: no mail can go, so this one is not
                 mailed while it lasts (the log, stderr and `cop status` show it); the
                 organizers get the "resolved" mail once mail goes again
    missed:...   reminders and digests due while the machine was off or asleep (missed.py):
                 told once, nothing to resolve

Each is a document in the `alert` metadata table (its key above), opened by `raise_alert`,
closed by `clear_alert`; `send_alerts` (a timed job) mails it. The mail's outbox key is the
alert, the moment it began and the day (or "resolved"), so a restart sends nothing twice
and a reminder goes at most once a day.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from mailer.config import Community, Config
from mailer.handle.app import App
from mailer.outbound.compose import compose_notice
from mailer.outbound.dates import format_when
from mailer.outbound.outbox import queue, queued_before
from mailer.store import Store

log = logging.getLogger(__name__)

TABLE = "alert"
NOT_MAILED_WHILE_OPEN = frozenset({"smtp-login"})  # it could not arrive

SUBJECTS = {
    "config": ("cop.toml tidak terbaca, konfigurasi lama tetap dipakai",
               "cop.toml does not read, the last good configuration stays in force"),
    "imap-login": ("Kotak surat menolak login", "The mailbox refuses the login"),
    "smtp-login": ("Server pengirim menolak login", "The outgoing mail server refuses the login"),
    "missed": ("Pengingat atau rangkuman terlewat", "Reminders or digests missed"),
}


def raise_alert(store: Store, key: str, now: datetime, **detail: Any) -> bool:
    """Open an alert (or bring an open one's detail up to date). True when it is new."""
    current = store.get_meta(TABLE, key)
    if current is not None and not current.get("resolved") and not current.get("closed"):
        if any(current.get(k) != v for k, v in detail.items()):
            store.put_meta(TABLE, key, {**current, **detail})
        return False
    store.put_meta(TABLE, key, {"since": now.isoformat(), **detail})
    return True


def clear_alert(store: Store, key: str, now: datetime) -> bool:
    """The trouble is over: the organizers are told once (if they were told of it)."""
    current = store.get_meta(TABLE, key)
    if current is None or current.get("resolved") or current.get("closed"):
        return False
    store.put_meta(TABLE, key, {**current, "resolved": now.isoformat()})
    return True


def open_alerts(store: Store) -> list[tuple[str, dict[str, Any]]]:
    """Alerts still going on (`cop status`), oldest first."""
    return sorted(((k, v) for k, v in store.meta_items(TABLE)
                   if not v.get("resolved") and not v.get("closed")),
                  key=lambda kv: str(kv[1].get("since", "")))


def note_service(store: Store, now: datetime, config: Config, problems: dict[str, list[str]],
                 imap_login: str | None, smtp_login: str | None) -> None:
    """What the daemon saw this tick. `problems`: a broken cop.toml's `cop check` lines by
    language (empty when it reads).
    `imap_login` / `smtp_login`: "ok", the server's refusal, or None (not tried)."""
    if problems:
        if raise_alert(store, "config", now, problems=problems):
            log.error("alert opened alert=config problems=%d", len(problems))
    elif clear_alert(store, "config", now):
        log.info("alert resolved alert=config")
    for key, seen, server in (("imap-login", imap_login, config.inbound),
                              ("smtp-login", smtp_login, config.outbound)):
        if seen == "ok" and clear_alert(store, key, now):
            log.info("alert resolved alert=%s", key)
        elif seen and seen != "ok" and raise_alert(
                store, key, now, error=seen, host=server.host, username=server.username):
            log.error("alert opened alert=%s error=%s hint=%s", key, seen,
                      login_hint(server.host, server.username, "en"))


def send_alerts(app: App, store: Store, now: datetime) -> int:
    """Mail each alert to the organizers: the first day's mail, one a day while it lasts,
    and one when it is over (only if they heard of it, or no mail could tell them)."""
    queued = 0
    for key, alert in list(store.meta_items(TABLE)):
        if alert.get("closed"):
            continue
        kind = key.split(":", 1)[0]
        if alert.get("resolved"):
            told = alert.get("mailed") or kind in NOT_MAILED_WHILE_OPEN
            if told:
                queued += _mail(app, store, key, alert, "resolved", now)
            store.put_meta(TABLE, key, {**alert, "closed": True})
            continue
        if kind in NOT_MAILED_WHILE_OPEN:
            continue
        day = now.astimezone(app.config.service.timezone).date().isoformat()
        sent = _mail(app, store, key, alert, day, now)
        if sent or not alert.get("mailed"):
            alert = {**alert, "mailed": True}
            if kind == "missed":  # said once: nothing goes on, nothing to resolve
                alert["closed"] = True
            store.put_meta(TABLE, key, alert)
        queued += sent
    return queued


def _mail(app: App, store: Store, key: str, alert: dict[str, Any], when: str,
          now: datetime) -> int:
    """One mail to each organizer it concerns, in their community's language; keyed by the
    alert, the moment it began and `when` (a day, or "resolved")."""
    kind = key.split(":", 1)[0]
    queued = 0
    for community, organizer in _recipients(app.config, alert.get("community")):
        mail_key = f"alert:{key}:{alert['since']}:{when}"
        if queued_before(store, f"notice:{mail_key}:{organizer}"):
            continue
        id_ = community.language == "id"
        since = datetime.fromisoformat(alert["since"]).astimezone(community.timezone)
        reminder = when != "resolved" and since.date().isoformat() != when
        subject = SUBJECTS[kind][0 if id_ else 1]
        if when == "resolved":
            subject = ("Sudah beres: " if id_ else "Resolved: ") + subject
        elif reminder:
            subject = ("Masih: " if id_ else "Still: ") + subject
        queued += queue(store, compose_notice(
            community, organizer, organizer, "alert", subject, now, app.templates,
            key=mail_key, kind=kind, alert=alert, reminder=reminder,
            resolved=when == "resolved", since=format_when(since, community.language),
            hint=login_hint(alert.get("host") or "", alert.get("username") or "",
                            community.language),
            problems=(alert.get("problems") or {}).get(community.language, []),
            lines=(alert.get("lines") or {}).get(community.language, [])),
            community.address, now)
    return queued


def _recipients(config: Config, community_id: str | None) -> list[tuple[Community, str]]:
    """(community, organizer) once per organizer: a service-wide alert goes to the
    organizers of every community, each once, from the first community they organize."""
    seen: set[str] = set()
    found = []
    for community in config.communities:
        if community_id is not None and community.id != community_id:
            continue
        for organizer in sorted({e.lower() for e in community.organizers} - seen):
            seen.add(organizer)
            found.append((community, organizer))
    return found


GOOGLE = ("gmail.com", "googlemail.com", "google.com", "belajar.id")
MICROSOFT = ("office365.com", "outlook.com", "hotmail.com", "live.com", "office.com")


def login_hint(host: str, username: str, language: str) -> str:
    """What to do when a provider refuses the login: app passwords, IMAP enabled."""
    where = f"{host.lower()} {username.lower().rpartition('@')[2]}"
    id_ = language == "id"
    if any(d in where for d in GOOGLE):
        return ("Gmail dan Google Workspace (juga akun belajar.id) tidak menerima kata sandi "
                "biasa di sini: aktifkan Verifikasi 2 Langkah pada akun itu, buat Sandi "
                "Aplikasi (myaccount.google.com/apppasswords) dan pakai sandi itu. Untuk akun "
                "Google Workspace, admin sekolah atau dinas mungkin juga harus mengizinkan "
                "IMAP bagi pengguna." if id_ else
                "Gmail and Google Workspace (belajar.id accounts too) do not take the normal "
                "password here: turn on 2-Step Verification for the account, create an app "
                "password (myaccount.google.com/apppasswords) and use that. On Google "
                "Workspace the administrator may also have to allow IMAP for users.")
    if any(d in where for d in MICROSOFT):
        return ("Microsoft 365 / Outlook: pakai sandi aplikasi (app password, dengan "
                "verifikasi dua langkah), atau minta admin mengaktifkan IMAP dan SMTP AUTH "
                "(basic authentication) untuk kotak surat ini. CoP Mailer belum mendukung "
                "login OAuth; bila organisasi hanya mengizinkan OAuth, pakai kotak surat lain "
                "atau penerima SMTP bawaan." if id_ else
                "Microsoft 365 / Outlook: use an app password (with two-step verification), "
                "or ask the administrator to enable IMAP and SMTP AUTH (basic "
                "authentication) for this mailbox. CoP Mailer does not support OAuth "
                "sign-in; where the organization allows only OAuth, use another mailbox or "
                "the built-in SMTP receiver.")
    return ("Periksa username dan kata sandi di cop.toml (variabel sandinya harus di-export "
            "di tempat cop run berjalan)." if id_ else
            "Check the username and password in cop.toml (the password's variable must be "
            "exported where cop run runs).")
