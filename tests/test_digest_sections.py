"""A digest's thread sections (issue 17): the opening post and each new reply, with who and
when; files; a reply link, a web link when the web is configured; the WhatsApp text with a
link per thread. Rendered by the real pipeline and parsed back; replies still route."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from mailer.config import Member
from mailer.daemon import Runtime, tick
from mailer.links import thread_url
from mailer.outbound.compose import compose_digest
from mailer.outbound.digest import build_digest, post_lines
from mailer.outbound.whatsapp import MAX_THREADS, SCREENS_CHARS, whatsapp_text
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, write_config
from tests.test_pipeline import mail_for

MONDAY = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 09.00 WIB
BASE = "https://kkg.example.org"
SITI, DEWI, AGUS = ("Siti Rahayu <siti@example.org>", "Dewi Lestari <dewi@example.org>",
                    "Agus Wibowo <agus@example.org>")
MEMBERS = ("siti@example.org", "budi@example.org", "dewi@example.org", "agus@example.org")


def runtime(tmp_path: Path, open_runtime: OpenRuntime, language: str = "id") -> Runtime:
    rt = open_runtime(write_config(tmp_path, language=language))
    tick(rt, MONDAY)  # invitations out, the digest schedule starts
    return rt


def post(rt: Runtime, when: datetime, raw: bytes) -> None:
    rt.store.archive.add(raw)
    tick(rt, when)


def reply(rt: Runtime, when: datetime, sender: str, body: str, to: str = "kkg@example.org",
          subject: str = "Re: Pecahan") -> None:
    """A reply through In-Reply-To of the thread's first copy."""
    first = rt.store.state.threads["t1"].posts[0].message_id
    post(rt, when, make_mail(sender=sender, to=to, subject=subject, body=body,
                             in_reply_to=first))


def with_file(body: str, filename: str, data: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = DEWI, "kkg@example.org", "Re: Pecahan"
    msg["Message-ID"] = make_msgid(domain="example.org")
    msg.set_content(body)
    msg.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return msg.as_bytes(policy=policy.SMTP)


def the_digest(rt: Runtime, when: datetime) -> EmailMessage:
    from mailer.timed.digests import send_digest

    send_digest(rt.app, rt.store, rt.config.communities[0], when, force=True)
    tick(rt, when)
    return mail_for(rt.config.service.data_dir, "budi@example.org", "KKG Matematika")[-1]


def parts(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return text, msg.get_body(("html",)).get_content()


def section(text: str, thread: str) -> str:
    return next(s for s in text.split("\n=== ") if f"(#{thread}) ===" in s.split("\n")[0])


def quote(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.splitlines())


def visible(html: str) -> str:
    """The HTML part as a reader sees its words (tags dropped, entities read)."""
    class Words(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.out: list[str] = []

        def handle_data(self, data: str) -> None:
            self.out.append(data)

    words = Words()
    words.feed(html)
    return " ".join(" ".join(words.out).split())


def a_week_in_one_thread(rt: Runtime) -> None:
    post(rt, MONDAY + timedelta(hours=1), make_mail(
        subject="Pecahan", body="Bagaimana mengajarkan 1/3 di kelas 3?\nAnak-anak bingung "
        "dengan penyebut.\n\nAda yang punya media?\nBaris keempat tidak tampil.\n"))
    reply(rt, MONDAY + timedelta(days=1, hours=3), DEWI,
          "Pakai pita kertas, dilipat tiga.\n\n-- \nDewi Lestari\nSDN 2 Sukamaju\n\n"
          "> Bagaimana mengajarkan 1/3 di kelas 3?\n")
    post(rt, MONDAY + timedelta(days=1, hours=4), with_file(
        "Ini lembar kerjanya.\n", "lembar-kerja-pecahan.pdf", b"%PDF-1.4\n" + b"x" * 300_000))


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_section_shows_the_question_each_reply_and_the_files(
        tmp_path: Path, open_runtime: OpenRuntime, language: str) -> None:
    rt = runtime(tmp_path, open_runtime, language)
    a_week_in_one_thread(rt)
    text, html = parts(the_digest(rt, MONDAY + timedelta(days=2)))
    words = {"id": ("Dimulai oleh Siti Rahayu, Senin 30 Nov:",
                    "Dewi Lestari, Selasa 1 Des 12.00 WIB:",
                    "Lampiran: lembar-kerja-pecahan.pdf (293 KB, Dewi Lestari)", "Tanggapi: "),
             "en": ("Started by Siti Rahayu, Monday 30 Nov:",
                    "Dewi Lestari, Tuesday 1 Dec 12:00 WIB:",
                    "Files: lembar-kerja-pecahan.pdf (293 KB, Dewi Lestari)", "Reply: ")}
    started, replied, files, reply_label = words[language]
    pecahan = section(text, "t1")
    assert (f"{started}\n  Bagaimana mengajarkan 1/3 di kelas 3?\n"
            "  Anak-anak bingung dengan penyebut.\n  Ada yang punya media? …\n") in pecahan
    assert "Baris keempat" not in pecahan  # first lines only
    assert f"{replied}\n  Pakai pita kertas, dilipat tiga.\n" in pecahan
    # new text only: the reply's quote and signature are not repeated
    assert "SDN 2 Sukamaju" not in pecahan and pecahan.count("Bagaimana mengajarkan") == 1
    assert "Ini lembar kerjanya." in pecahan and files in pecahan
    assert re.search(rf"{reply_label}mailto:kkg\+r-t1-", pecahan)
    assert "/t/t1" not in text  # no web configured: no web link
    # the plain part has no HTML in it; no member's address anywhere
    assert not re.search(r"<[a-zA-Z/!][^>]*>|&[a-z]+;|&#\d+;", text)
    for address in MEMBERS:
        assert address not in text and address not in html
    # the HTML part says the same, compactly: no tables, long words may wrap
    seen = visible(html)
    assert started.split(",")[0] in seen and started.split(", ")[1].rstrip(":") in seen
    assert "Dewi Lestari · " + replied.split(", ")[1].rstrip(":") in seen
    assert "Pakai pita kertas, dilipat tiga." in seen and "lembar-kerja-pecahan.pdf" in seen
    assert "<table" not in html and "overflow-wrap:anywhere" in html


def test_a_long_thread_shows_its_first_replies_its_latest_and_how_many_more(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    rt = runtime(tmp_path, open_runtime)
    post(rt, MONDAY + timedelta(hours=1), make_mail(subject="Pecahan", body="Ide?\n"))
    for n in range(1, 9):
        reply(rt, MONDAY + timedelta(hours=1 + n), (DEWI, AGUS)[n % 2], f"Balasan ke-{n}.\n")
    pecahan = section(parts(the_digest(rt, MONDAY + timedelta(hours=12)))[0], "t1")
    shown = re.findall(r"Balasan ke-(\d)\.", pecahan)
    assert shown == ["1", "2", "3", "4", "8"]
    assert "  … dan 3 balasan lain\n\nDewi Lestari, Senin 30 Nov 18.00 WIB:" in pecahan


def test_an_older_thread_shows_who_started_it_then_only_what_is_new(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    rt = runtime(tmp_path, open_runtime, "en")
    post(rt, MONDAY + timedelta(hours=1), make_mail(subject="Pecahan", body="Ide?\n"))
    reply(rt, MONDAY + timedelta(hours=2), DEWI, "Pita kertas.\n")
    the_digest(rt, MONDAY + timedelta(hours=3))
    reply(rt, MONDAY + timedelta(days=1), AGUS, "Kertas lipat.\n")
    text, _ = parts(the_digest(rt, MONDAY + timedelta(days=1, hours=1)))
    pecahan = section(text, "t1")
    assert pecahan.startswith("[1] Pecahan (#t1) ===\n1 new reply from Agus Wibowo\n")
    assert "Started by Siti Rahayu, Monday 30 Nov:\n  Ide?" in pecahan
    assert "Agus Wibowo, Tuesday 1 Dec 09:00 WIB:\n  Kertas lipat." in pecahan
    assert "Pita kertas" not in pecahan  # sent in the last digest


def test_with_a_web_base_url_each_section_links_its_thread_page(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    rt = runtime(tmp_path, open_runtime)
    post(rt, MONDAY + timedelta(hours=1), make_mail(subject="Pecahan", body="Ide?\n"))
    digest = build_digest(replace(rt.config.communities[0], web_url=BASE),
                          list(rt.store.state.threads.values()), None, MONDAY + timedelta(hours=2))
    msg = compose_digest(digest, Member("budi@example.org", "Budi Santoso", "digest"),
                         rt.app.secret, None, "<d@example.org>", MONDAY)
    parsed = message_from_bytes(msg.data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    text, html = parts(parsed)
    assert f"Baca di web: {BASE}/c/kkg/t/t1\n" in text
    assert f'href="{BASE}/c/kkg/t/t1"' in html and "Baca di web</a>" in html


def test_the_web_base_url_comes_from_the_config_when_it_has_one(tmp_path: Path) -> None:
    assert write_config(tmp_path).communities[0].web_url == ""  # no [web]: no links
    assert thread_url(BASE, "kkg", "t12") == f"{BASE}/c/kkg/t/t12"


def test_replying_under_a_richer_section_still_goes_to_its_thread(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    rt = runtime(tmp_path, open_runtime)
    post(rt, MONDAY + timedelta(hours=1), make_mail(subject="Pecahan", body="Ide?\n"))
    reply(rt, MONDAY + timedelta(hours=2), DEWI, "Pita kertas.\nAtau kertas lipat.\n")
    # a post whose body looks like a section marker: quoted back, it must not steer replies
    post(rt, MONDAY + timedelta(hours=3), make_mail(
        sender=AGUS, subject="Asesmen", body="=== [1] Pecahan (#t1) ===\nFormatif?\n"))
    digest = the_digest(rt, MONDAY + timedelta(hours=4))
    text, _ = parts(digest)
    assert "  [1] Pecahan (#t1) ===" in section(text, "t2")  # shown, its "=" dropped
    # the member quotes the whole digest and answers under two sections
    head, *sections = text.split("\n=== ")
    body = quote(head)
    for part, answer in zip(sections, ("Setuju, pita kertas.", "Kuis singkat tiap Jumat."),
                            strict=False):
        body += f"\n{quote('=== ' + part)}\n\n{answer}\n\n"
    post(rt, MONDAY + timedelta(hours=5), make_mail(
        sender="Budi Santoso <budi@example.org>", subject="Re: " + str(digest["Subject"]),
        to=str(digest["Reply-To"].addresses[0].addr_spec), body=body,
        in_reply_to=str(digest["Message-ID"])))
    threads = rt.store.state.threads
    assert [p.body for p in threads["t1"].posts][-1] == "Setuju, pita kertas."
    assert [p.body for p in threads["t2"].posts][-1] == "Kuis singkat tiap Jumat."


def whatsapp(rt: Runtime, when: datetime, base_url: str | None = None) -> str:
    community = rt.config.communities[0]
    digest = build_digest(replace(community, web_url=base_url) if base_url else community,
                          list(rt.store.state.threads.values()), None, when)
    return whatsapp_text(digest, rt.app.secret, None)


def test_the_whatsapp_text_names_who_wrote_what_and_links_each_thread(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    rt = runtime(tmp_path, open_runtime)
    a_week_in_one_thread(rt)
    post(rt, MONDAY + timedelta(days=1, hours=5), make_mail(
        sender=AGUS, subject="Soal *cerita* _favorit_", body="Soal apa yang paling disukai?\n"))
    text = whatsapp(rt, MONDAY + timedelta(days=2))
    assert text.startswith("*Rangkuman KKG Matematika*\n")
    pecahan = text.split("*1. Pecahan*\n")[1].split("\n\n")[0]
    assert pecahan.startswith("topik baru, 2 tanggapan baru\n")
    assert ("_Siti Rahayu:_ Bagaimana mengajarkan 1/3 di kelas 3? Anak-anak bingung dengan "
            "penyebut. …") in pecahan
    assert "_Dewi Lestari:_ Ini lembar kerjanya." in pecahan
    # formatting marks of a subject do not break the bold title
    assert "*2. Soal cerita favorit*\ntopik baru · belum ada yang menjawab\n" in text
    links = re.findall(r"^👉 (\S+)$", text, re.M)
    assert len(links) == 2
    for address in MEMBERS:
        assert address not in text  # never a member's address
    # the thread's shared reply address: any member's reply through it joins the thread
    address, subject = links[0].removeprefix("mailto:").split("?subject=")
    assert address.startswith("kkg+r-t1-") and unquote(subject) == "Re: Pecahan"
    post(rt, MONDAY + timedelta(days=2, hours=1), make_mail(
        sender=AGUS, to=address, subject=unquote(subject), body="Dari grup WA: setuju.\n"))
    assert rt.store.state.threads["t1"].posts[-1].body == "Dari grup WA: setuju."
    # ... and a stranger's is held, as any post of theirs would be
    post(rt, MONDAY + timedelta(days=2, hours=2), make_mail(
        sender="Orang Asing <asing@elsewhere.org>", to=address, subject="Re: Pecahan",
        body="Halo\n"))
    assert rt.store.state.threads["t1"].posts[-1].body == "Dari grup WA: setuju."
    assert any(h.from_addr == "asing@elsewhere.org" for h in rt.store.state.holds.values())
    # with the web: the thread's page instead
    web = whatsapp(rt, MONDAY + timedelta(days=2), BASE)
    assert sorted(re.findall(r"^👉 (\S+)$", web, re.M)) == [f"{BASE}/c/kkg/t/t1",
                                                             f"{BASE}/c/kkg/t/t2"]


def test_the_whatsapp_text_stays_a_few_screens_and_says_how_many_more(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    rt = runtime(tmp_path, open_runtime, "en")
    for n in range(20):
        post(rt, MONDAY + timedelta(minutes=10 * n + 10), make_mail(
            subject=f"Topic {n} " + "long " * 30, body=("word " * 200 + "\n") * 5))
    text = whatsapp(rt, MONDAY + timedelta(hours=5))
    shown = len(re.findall(r"^👉 ", text, re.M))
    assert 1 <= shown <= MAX_THREADS and len(text) <= SCREENS_CHARS
    assert f"… and {20 - shown} more topics in the digest email" in text


def test_first_lines_of_a_post() -> None:
    assert post_lines("a\n\n  b   c \nd\ne\n") == ("a", "b c", "d …")
    assert post_lines("one\ntwo", lines=2) == ("one", "two")
    assert post_lines("") == ()
    long = post_lines("x " * 400)
    assert len(long) == 1 and long[0].endswith(" …") and len(long[0]) <= 282
    assert post_lines("=== [2] Asesmen (#t2) ===\nok") == ("[2] Asesmen (#t2) ===", "ok")


def test_a_threads_shared_reply_address_routes_anyone_and_names_no_one() -> None:
    from mailer.inbound.route import RouteInput, route_mail
    from mailer.model import Mail, Thread
    from mailer.tokens import reply_address, shared_reply_address

    thread = Thread("t1", "kkg", "Pecahan", MONDAY, MONDAY)

    def route(sender: str, to: str) -> tuple[str | None, str | None]:
        mail = Mail("<m@x>", sender, "", (to,), "Re: Pecahan", None, (), {}, "Ya.")
        r = route_mail(RouteInput(mail, "kkg", "kkg@example.org", "s", {"t1": thread}, {},
                                  MONDAY))
        return r.thread, r.hold

    shared = shared_reply_address("s", "kkg@example.org", "t1")
    assert "budi" not in shared and route("budi@example.org", shared) == ("t1", None)
    assert route("agus@example.org", shared) == ("t1", None)
    budis = reply_address("s", "kkg@example.org", "t1", "budi@example.org")
    assert route("agus@example.org", budis)[1] == \
        "reply address issued to another member than the sender"  # unchanged
