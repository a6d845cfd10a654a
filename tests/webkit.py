"""What the web tests share: a community with posts, files and a meeting; a client; the
sign-in link taken from the mail the daemon sent."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from starlette.testclient import TestClient

from mailer.config import Config, load_config
from mailer.daemon import Runtime, tick
from mailer.edges.web import make_app
from mailer.edges.web.site import Site
from tests.helpers import make_mail, signed, write_config
from tests.test_pipeline import mail_for

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 09:00 WIB
BASE = "https://kkg.example.org"
WORKSHEET = b"%PDF-1.4\n" + bytes(range(256)) * 300 + b"\n%%EOF\n"
WEB = f'\n[web]\nbase_url = "{BASE}"\nport = 8025\n'


def web_config(folder: Path, base: str = BASE, extra: str = "", language: str = "id",
               public: bool = False) -> Config:
    """`public`: the community's archive is open to everyone (archive = "public")."""
    config = write_config(folder, language=language,
                          extra=f'\n[web]\nbase_url = "{base}"\nport = 8025\n' + extra)
    if not public:
        return config
    config.path.write_text(config.path.read_text().replace(
        'subject_tag = "[KKG]"', 'subject_tag = "[KKG]"\narchive = "public"'))
    return load_config(config.path)


def post_with_file(sender: str = "Siti Rahayu <siti@example.org>") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "kkg@example.org"
    msg["Subject"] = "Lembar kerja pecahan"
    msg["Message-ID"] = make_msgid(domain="example.org")
    for name, value in signed().items():
        msg[name] = value
    msg.set_content("Ibu dan Bapak, ini LKPD pecahan senilai dan video "
                    "https://www.youtube.com/watch?v=pecahan123 untuk kelas 3.\n")
    msg.add_attachment(WORKSHEET, maintype="application", subtype="pdf",
                       filename="LKPD pecahan.pdf")
    return msg.as_bytes()


def seed(rt: Runtime) -> None:
    """Two threads, a reply quoting its parent, a file and a link."""
    rt.store.archive.add(post_with_file())
    first = make_mail(subject="Pecahan di kelas 3", body="Ada ide untuk mengajarkan "
                      "sepertiga dengan kertas lipat?\n", message_id="<p1@example.org>",
                      headers=signed())
    rt.store.archive.add(first)
    tick(rt, T0)
    reply = make_mail(sender="Budi Santoso <budi@example.org>", subject="Re: Pecahan di kelas 3",
                      body="Saya pakai origami, berhasil sekali.\n\nPada 1 Des, Siti menulis:\n"
                      "> Ada ide untuk mengajarkan sepertiga dengan kertas lipat?\n",
                      message_id="<p2@example.org>", in_reply_to="<p1@example.org>",
                      headers=signed())
    rt.store.archive.add(reply)
    tick(rt, T0 + timedelta(minutes=5))


def site_for(config: Config, now: datetime = T0) -> Site:
    return Site(config, clock=lambda: now, refresh_every=0)


def client_for(site: Site, base: str = BASE) -> TestClient:
    return TestClient(make_app(site), base_url=base, follow_redirects=False)


_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "a form without its CSRF token"
    return match.group(1)


def signin_link(rt: Runtime, email: str) -> str:
    """The link in the newest sign-in mail the daemon sent to `email`."""
    mails = mail_for(rt.config.service.data_dir, email)
    texts = [m.get_body(("plain",)).get_content() for m in mails  # type: ignore[union-attr]
             if "/s/" in str(m.get_body(("plain",)).get_content())]  # type: ignore[union-attr]
    assert texts, f"no sign-in mail to {email}"
    found = re.findall(r"https?://\S+/s/\S+", texts[-1])
    return found[-1]


def sign_in(client: TestClient, rt: Runtime, email: str, now: datetime = T0) -> str:
    """The whole magic-link flow as a member does it; the link used."""
    page = client.get("/signin")
    client.post("/signin", data={"email": email, "csrf": csrf_of(page.text)})
    tick(rt, now)
    link = signin_link(rt, email)
    path = link.split(BASE, 1)[-1] if link.startswith(BASE) else "/s/" + link.split("/s/")[1]
    shown = client.get(path)
    assert shown.status_code == 200
    answer = client.post(path, data={"csrf": csrf_of(shown.text)})
    assert answer.status_code == 303, answer.text
    return path
