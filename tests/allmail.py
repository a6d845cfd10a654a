"""Every kind of mail the service sends, produced the way it is in use: one community's weeks
played through `daemon.tick` (mail archived as the receiver would, cop.toml edited as an
organizer would, the clock moved on), maildir out, with the members' web configured (RSVP
and thread links in mail; a sign-in asked through the web itself) and a second, closed
community with two moderators. For the screenshot test (test_screens.py).

    every_mail(folder, "id") -> {"post": Sample, "held": Sample, "invitation-update": ...}

Which code made which message is told by wrapping the four composers where they are used
(`compose_notice`'s template names the notice: "welcome", "hold", ...); only messages that
reached the outbox count.
"""

from __future__ import annotations

import email
import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest

import mailer.outbound.compose as compose
from mailer.config import load_config
from mailer.daemon import Runtime, tick
from mailer.edges.store import FileStore as Store
from mailer.outbound.outbox import outbox_id
from tests.helpers import make_mail, mark_edited, signed, write_config

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 09:00 WIB
FIRST = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)  # the first meeting: Friday 14:00 WIB
LONG_URL = ("https://drive.google.com/drive/folders/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
            "-modul-ajar-pecahan-kelas-3?usp=sharing")
ZOOM = "https://us02web.zoom.us/j/81234567890?pwd=aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
RINA = "Rina Guru Baru <rina@elsewhere.org>"
EKO = "Eko Prasetyo <eko@example.org>"
SECOND = """
[[community]]
id = "mgmp"
name = "MGMP IPA SMP"
address = "mgmp@example.org"
moderators = ["siti@example.org", "eko@example.org"]
language = "{language}"
join = "approve"

  [[community.member]]
  email = "siti@example.org"
  name = "Siti Rahayu"

  [[community.member]]
  email = "eko@example.org"
  name = "Eko Prasetyo"
"""
WEB = '\n[web]\nbase_url = "https://kkg.example.org"\n'  # links in mail: RSVP, threads


@dataclass(frozen=True)
class Sample:
    kind: str  # the template or the kind of message: "post", "welcome", "invitation-cancel"
    to: str
    data: bytes = field(repr=False)

    @property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.data, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


class Recorder:
    """The kind of every message composed, by its outbox key."""

    def __init__(self) -> None:
        self.made: dict[str, tuple[str, compose.Outgoing]] = {}

    def keep(self, kind: str, made: compose.Outgoing) -> None:
        self.made.setdefault(made.key, (kind, made))

    def wrap(self, monkeypatch: pytest.MonkeyPatch) -> None:
        wrappers: dict[str, Callable[[str, Callable[..., Any]], Callable[..., Any]]] = {
            "compose_notice": self._notice, "compose_invitation": self._invitation,
            "compose_posts": self._posts, "compose_digests": self._digests}
        real = {function: getattr(compose, function) for function in wrappers}
        for name, module in list(sys.modules.items()):
            if not name.startswith("mailer.") or module is compose or module is None:
                continue
            for function, wrapper in wrappers.items():
                if getattr(module, function, None) is real[function]:
                    monkeypatch.setattr(module, function, wrapper(name, real[function]))

    def _notice(self, where: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def notice(*args: Any, **kwargs: Any) -> compose.Outgoing:
            made: compose.Outgoing = real(*args, **kwargs)
            self.keep(kwargs.get("template") or args[3], made)
            return made
        return notice

    def _invitation(self, where: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def invitation(series: Any, member: Any, method: str, *args: Any,
                       **kwargs: Any) -> compose.Outgoing:
            made: compose.Outgoing = real(series, member, method, *args, **kwargs)
            first = kwargs.get("first_for_member", args[2] if len(args) > 2 else False)
            kind = ("cancel-dates" if series.cancelled else "cancel") if method == "CANCEL" \
                else ("update" if series.sequence and not first else "invite")
            self.keep(f"invitation-{kind}", made)
            return made
        return invitation

    def _posts(self, where: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def posts(*args: Any, **kwargs: Any) -> list[compose.Outgoing]:
            made: list[compose.Outgoing] = real(*args, **kwargs)
            thread, post = args[1], args[2]
            kind = "notes" if where.startswith("mailer.timed") else (
                "post" if not thread.posts or thread.posts[0].message_id == post.message_id
                else "post-reply")
            for copy in made:
                self.keep(kind, copy)
            return made
        return posts

    def _digests(self, where: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def digests(*args: Any, **kwargs: Any) -> list[compose.Outgoing]:
            made: list[compose.Outgoing] = real(*args, **kwargs)
            for copy in made:
                self.keep("digest", copy)
            return made
        return digests

    def samples(self, store: Store) -> dict[str, Sample]:
        """The first message queued of each kind (its whole bytes, as the outbox has them)."""
        found: dict[str, Sample] = {}
        for key, (kind, made) in self.made.items():
            if kind not in found and outbox_id(key) in store.state.outbox:
                found[kind] = Sample(kind, made.to, made.data)
        return found


class Scenario:
    """One community's first week, as its members and organizers would live it."""

    def __init__(self, folder: Path, language: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        config = write_config(folder, language=language,
                              extra=SECOND.format(language=language) + WEB)
        config.path.write_text(config.path.read_text().replace(
            'subject_tag = "[KKG]"', 'subject_tag = "[KKG]"\nmax_attachments_size = "200k"'))
        self.rt = Runtime(load_config(config.path), Store(config.service.data_dir))
        self.now = T0

    def at(self, moment: datetime) -> None:
        self.now = max(self.now, moment)
        tick(self.rt, self.now)

    def later(self, minutes: int = 1) -> None:
        self.at(self.now + timedelta(minutes=minutes))

    def arrive(self, raw: bytes, minutes: int = 1) -> None:
        self.rt.store.archive.add(raw)
        self.later(minutes)

    def sent(self, to: str, kind: str, recorder: Recorder) -> EmailMessage:
        """The last message of this kind queued for this address."""
        found = [m for k, m in recorder.made.values() if k == kind and m.to == to]
        assert found, f"no {kind} mail for {to}"
        return Sample(kind, to, found[-1].data).message

    def edit(self, old: str, new: str) -> None:
        path = self.rt.config.path
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new))
        mark_edited(path)
        assert self.rt.reload_if_changed()  # what the running daemon does when it is saved
        self.later()

    def broken_edit(self) -> None:
        """An organizer saves a cop.toml `cop check` refuses, then puts it right: the daemon
        keeps the last good one and mails the organizers an alert, then 'resolved'."""
        path = self.rt.config.path
        good = path.read_text()
        path.write_text(good.replace('posting = "', 'posting = "kadang-kadang', 1)
                        if 'posting = "' in good else good + '\n[[community]]\nid = "x"\n')
        mark_edited(path)
        assert not self.rt.reload_if_changed() and self.rt.config_problems
        self.later()
        path.write_text(good)
        mark_edited(path)
        assert self.rt.reload_if_changed()
        self.later()

    def answer(self, to_msg: EmailMessage, sender: str, body: str,
               headers: dict[str, str] | None = None) -> None:
        self.arrive(make_mail(sender=sender, to=str(to_msg["Reply-To"].addresses[0].addr_spec),
                              subject="Re: " + str(to_msg["Subject"]), body=body,
                              in_reply_to=str(to_msg["Message-ID"]), headers=headers))


def wide_png(width: int = 1600, height: int = 400) -> bytes:
    """A photo-sized PNG (stripes), wider than any phone."""
    row = b"\0" + b"".join(bytes((40 + x // 8 % 2 * 120, 110, 200)) for x in range(width))
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


def written(sender: str, to: str, subject: str, body: str, *, photo: bool = False,
            files: bool = False, in_reply_to: str = "") -> bytes:
    """Mail as a phone's mail app sends it: text and HTML, a photo in it, files attached."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.org")
    msg["Date"] = "Tue, 01 Dec 2026 09:01:00 +0700"
    if in_reply_to:
        msg["In-Reply-To"] = msg["References"] = in_reply_to
    msg.set_content(body)
    if photo:
        msg.add_alternative(f'<p>{body}</p><p><img src="cid:papan@example.org"></p>',
                            subtype="html")
        msg.get_payload()[1].add_related(wide_png(), maintype="image", subtype="png",
                                         cid="<papan@example.org>", filename="papan-tulis.png")
    if files:
        msg.add_attachment(b"%PDF-1.4\n" + bytes(range(256)) * 1200, maintype="application",
                           subtype="pdf",
                           filename="Modul-ajar-pecahan-kelas-3-semester-genap.pdf")
        msg.add_attachment(b"PK\x03\x04 lembar kerja", maintype="application",
                           subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                           filename="lembar-kerja.docx")
    return msg.as_bytes(policy=policy.SMTP)


def dsn(to: str, failed: str, day: int) -> bytes:
    from tests.test_bounces import dsn as report

    return report(to, failed, "5.1.1", "550 5.1.1 User unknown").replace(
        b"<dsn-", f"<dsn-{day}-".encode())


def every_mail(folder: Path, language: str, monkeypatch: pytest.MonkeyPatch
               ) -> dict[str, Sample]:
    recorder = Recorder()
    recorder.wrap(monkeypatch)
    s = Scenario(folder, language)
    try:
        _play(s, recorder)
        return recorder.samples(s.rt.store)
    finally:
        s.rt.close()


def _play(s: Scenario, r: Recorder) -> None:
    s.at(T0)  # invitations
    s.arrive(written(
        "Siti Rahayu <siti@example.org>", "kkg@example.org",
        "Modul ajar pecahan kelas 3 (revisi untuk semester genap tahun ajaran 2026)",
        f"Ibu dan Bapak, ini modul ajar yang kita bahas. Versi lengkap di {LONG_URL}\n\n"
        "Tolong dicek bagian asesmen formatifnya.\nSalam, Siti\n", files=True))
    post = s.sent("dewi@example.org", "post", r)
    s.arrive(written("Dewi Lestari <dewi@example.org>",
                     str(post["Reply-To"].addresses[0].addr_spec), "Re: " + str(post["Subject"]),
                     "Terima kasih, Bu. Ini papan tulis kelas saya setelah dicoba.\n",
                     photo=True, in_reply_to=str(post["Message-ID"])))
    s.answer(post, "Dewi Lestari <dewi@example.org>", "Bu, tolong kirim lampirannya ya.\n")
    # a stranger is held; the moderator says no; more strangers: the hourly summary
    s.arrive(make_mail(sender=RINA, subject="Perkenalan", body="Salam kenal semua.\n",
                       headers=signed("elsewhere.org")))
    s.answer(s.sent("siti@example.org", "hold", r), "Siti Rahayu <siti@example.org>",
             "tolak, perkenalkan diri lewat pengurus dulu\n")
    _closed_group(s, r)
    for n in range(4):
        s.rt.store.archive.add(make_mail(sender=f"Tamu {n} <tamu{n}@elsewhere.org>",
                                         subject=f"Info {n}", body="Halo\n",
                                         headers=signed("elsewhere.org")))
    s.later()
    # commands: help, a member asking to join, a stranger joining, a member leaving
    s.arrive(make_mail(sender="Dewi Lestari <dewi@example.org>", to="kkg+help@example.org",
                       subject="help", body="\n"))
    s.arrive(make_mail(sender="Budi Santoso <budi@example.org>", to="kkg+join@example.org",
                       subject="gabung", body="\n"))
    s.arrive(make_mail(sender=RINA, to="kkg+join@example.org", subject="gabung", body="\n",
                       headers=signed("elsewhere.org")))
    s.answer(s.sent("rina@elsewhere.org", "confirm", r), RINA, "ya\n",
             headers=signed("elsewhere.org"))
    s.arrive(make_mail(sender="Agus Wibowo <agus@example.org>", to="kkg+leave@example.org",
                       subject="keluar", body="\n"))
    s.answer(s.sent("agus@example.org", "confirm-leave", r), "Agus Wibowo <agus@example.org>",
             "ya\n")
    s.later()  # the cancellation for the member who left
    # answers to the invitation: through her own address; and one that is not
    invitation = s.sent("dewi@example.org", "invitation-invite", r)
    s.answer(invitation, "Dewi Lestari <dewi@example.org>", "Insya Allah hadir, Bu.\n")
    budi = s.sent("budi@example.org", "invitation-invite", r)
    s.arrive(make_mail(sender="Budi Santoso <budi@example.org>", subject="Re: Undangan",
                       body="hadir\n", in_reply_to=str(budi["Message-ID"])))
    # mail that cannot be read, and mail to no community
    from tests.test_quarantine import unparseable

    s.arrive(unparseable())
    s.arrive(make_mail(sender="Dewi Lestari <dewi@example.org>", to="info@example.org",
                       subject="Pertanyaan", body="Halo\n"))
    # the organizer edits the meeting: an update; then one date off: a cancellation
    s.edit('online = "https://meet.jit.si/kkg-test"', f'online = "{ZOOM}"')
    s.edit('name = "Libur semester" }]', 'name = "Libur semester" },\n'
           '            { from = 2026-12-11, to = 2026-12-11, name = "Rapat dinas" }]')
    s.at(T0 + timedelta(hours=1, minutes=5))  # the hold summary
    for day in range(3):  # Dewi's mailbox is gone: three days of bounces, then a probe
        envelope = next(i.envelope_from for i in s.rt.store.state.outbox.values()
                        if i.to == "dewi@example.org")
        s.rt.store.archive.add(dsn(envelope, "dewi@example.org", day))
        s.at(T0 + timedelta(days=day, hours=2))
    s.at(FIRST - timedelta(days=1))  # the reminder
    s.at(FIRST + timedelta(hours=1))  # Friday 15:00 WIB: the digest
    s.at(FIRST + timedelta(hours=2, minutes=30))  # after the meeting: notes, roll-call
    roll = s.sent("siti@example.org", "rollcall", r)
    text = roll.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    s.answer(roll, "Siti Rahayu <siti@example.org>", "Sudah saya tandai.\n\n" + "\n".join(
        "> " + line for line in text.replace("[ ] Budi", "[x] Budi").splitlines()))
    _own_settings(s, r)
    s.at(FIRST + timedelta(days=1))  # the next day's attention mail
    s.broken_edit()  # the alert to the organizers
    _web_signin(s)


def _closed_group(s: Scenario, r: Recorder) -> None:
    """The second community, closed (join = "approve") with two moderators: a stranger's
    post approved by one (the sender told), the other's late "setuju" answered; a request
    to join that waits for them, and is turned down."""
    joko = "Joko Susilo <joko@elsewhere.org>"
    s.arrive(make_mail(sender=joko, to="mgmp@example.org", subject="Praktikum fotosintesis",
                       body="Bapak Ibu, ada yang punya LKPD praktikum fotosintesis?\n",
                       headers=signed("elsewhere.org")))
    s.answer(s.sent("siti@example.org", "hold", r), "Siti Rahayu <siti@example.org>", "setuju\n")
    s.answer(s.sent("eko@example.org", "hold", r), EKO, "setuju\n")
    wulan = "Wulan Sari <wulan@sekolah.sch.id>"
    s.arrive(make_mail(sender=wulan, to="mgmp+join@example.org", subject="gabung", body="\n",
                       headers=signed("sekolah.sch.id")))
    s.answer(s.sent("wulan@sekolah.sch.id", "confirm", r), wulan, "ya\n",
             headers=signed("sekolah.sch.id"))
    s.answer(s.sent("eko@example.org", "join-request", r), EKO,
             "tolak, grup ini khusus guru IPA SMP di gugus kita\n")


def _own_settings(s: Scenario, r: Recorder) -> None:
    """Members set their own delivery by email: a pause nothing proves is Budi's is asked
    at his own address and done when he replies (the s- token); Siti's authenticated
    "rangkuman saja" at once."""
    s.arrive(make_mail(sender="Budi Santoso <budi@example.org>", subject="jeda sampai 2 Januari",
                       body="\n"))
    s.answer(s.sent("budi@example.org", "confirm-setting", r), "Budi Santoso <budi@example.org>",
             "ya\n")
    s.arrive(make_mail(sender="Siti Rahayu <siti@example.org>", subject="Rangkuman saja",
                       body="\n", headers=signed()))


def _web_signin(s: Scenario) -> None:
    """A member asks the members' web for a sign-in link: the daemon mails it."""
    from tests.webkit import client_for, csrf_of, site_for

    s.rt.store.flush()
    client = client_for(site_for(s.rt.config, s.now))
    page = client.get("/signin")
    client.post("/signin", data={"email": "siti@example.org", "csrf": csrf_of(page.text)})
    s.later()
