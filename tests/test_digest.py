"""Digests: what each member gets, and that it can be answered."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote

import pytest

from mailer.daemon import Runtime, tick
from mailer.edges.store import FileStore as Store
from mailer.timed.digests import send_digest
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, write_config
from tests.test_pipeline import mail_for

MONDAY = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 09:00 WIB; digests on Friday 15:00 WIB


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    config = write_config(tmp_path)
    runtime = open_runtime(config)
    tick(runtime, MONDAY)  # invitations out, digest schedule starts
    return runtime


def digests(rt: Runtime, who: str) -> list[EmailMessage]:
    return mail_for(rt.config.service.data_dir, who, "Rangkuman")


def text_of(msg: EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")


def post(rt: Runtime, when: datetime, **kwargs: str) -> None:
    rt.store.archive.add(make_mail(**kwargs))
    tick(rt, when)


def test_a_week_of_posts_then_the_weekly_digest(rt: Runtime) -> None:
    post(rt, MONDAY + timedelta(hours=1), subject="Pecahan", body="Ide untuk 1/3?\n")
    post(rt, MONDAY + timedelta(days=1), subject="Soal cerita", body="Soal favorit?\n",
         sender="Agus Wibowo <agus@example.org>")
    copy = mail_for(rt.config.service.data_dir, "dewi@example.org", "Pecahan")[0]
    post(rt, MONDAY + timedelta(days=2), sender="Dewi Lestari <dewi@example.org>",
         to=str(copy["Reply-To"].addresses[0].addr_spec), subject="Re: Pecahan",
         body="Pakai pita.\n")
    # an RSVP, so the digest can say who is coming
    invitation = mail_for(rt.config.service.data_dir, "dewi@example.org", "Undangan")[0]
    post(rt, MONDAY + timedelta(days=2, hours=1), sender="Dewi <dewi@example.org>",
         to=invitation["Reply-To"].addresses[0].addr_spec,  # her own answer address
         subject="Re: Undangan", body="hadir\n", in_reply_to=str(invitation["Message-ID"]))
    tick(rt, datetime(2026, 12, 4, 7, 59, tzinfo=UTC))  # Friday 14:59 WIB: not yet
    assert digests(rt, "budi@example.org") == []
    tick(rt, datetime(2026, 12, 4, 8, 0, tzinfo=UTC))  # 15:00 WIB
    (digest,) = digests(rt, "budi@example.org")
    text = text_of(digest)
    assert re.search(r"=== \[\d\] Pecahan \(#t1\) ===", text)
    assert re.search(r"=== \[\d\] Soal cerita \(#t2\) ===", text)
    assert "Topik baru dari Siti Rahayu; Dewi Lestari" in text  # authors, never addresses
    assert "dewi@example.org" not in digest.as_string()
    assert "(1 anggota akan hadir)" in text
    assert "Soal cerita (#t2) ===\nTopik baru dari Agus Wibowo - belum ada yang menjawab" in text
    # the moderator reads digests too: only she sees what waits for organizers
    assert "Untuk pengurus" not in text

    # the next week: one new reply and one new thread; only those
    post(rt, datetime(2026, 12, 7, 2, 0, tzinfo=UTC), sender="Agus <agus@example.org>",
         subject="Re: Pecahan", body="Atau kertas lipat.\n",
         in_reply_to="<nope@x>")
    post(rt, datetime(2026, 12, 8, 2, 0, tzinfo=UTC), subject="Asesmen", body="Formatif?\n")
    tick(rt, datetime(2026, 12, 11, 8, 0, tzinfo=UTC))
    second = text_of(digests(rt, "budi@example.org")[1])
    assert "Pecahan (#t1)" in second and "1 tanggapan baru dari Agus" in second
    assert "Asesmen (#t3)" in second
    assert "Soal cerita (#t2)" not in second.split("=== Menunggu tanggapan ===")[0]
    assert "- Soal cerita (Agus Wibowo" in second  # still waiting for an answer


def test_replying_through_a_sections_link_lands_in_that_thread(rt: Runtime) -> None:
    post(rt, MONDAY + timedelta(hours=1), subject="Pecahan", body="Ide?\n")
    post(rt, MONDAY + timedelta(hours=2), subject="Asesmen", body="Formatif?\n")
    send_digest(rt.app, rt.store, rt.config.communities[0], MONDAY + timedelta(hours=3),
                force=True)
    tick(rt, MONDAY + timedelta(hours=3))
    (digest,) = digests(rt, "budi@example.org")
    html = digest.get_body(("html",)).get_content()
    links = re.findall(r'href="mailto:(kkg\+r-[^"?]+)\?subject=([^"]+)"', html)
    assert len(links) == 2
    address, subject = links[1]
    assert address.startswith("kkg+r-t2-")
    post(rt, MONDAY + timedelta(hours=4), sender="Budi Santoso <budi@example.org>",
         to=address, subject=unquote(subject), body="Saya pakai kuis singkat.\n")
    assert [p.body for p in rt.store.state.threads["t2"].posts][-1] == "Saya pakai kuis singkat."


def test_nothing_new_means_no_digest(rt: Runtime) -> None:
    tick(rt, datetime(2026, 12, 4, 8, 0, tzinfo=UTC))
    assert digests(rt, "budi@example.org") == []


def test_staff_see_what_needs_their_attention(tmp_path: Path) -> None:
    config = write_config(tmp_path, meeting=False)
    config.path.write_text(config.path.read_text().replace(
        'email = "siti@example.org"\n  name = "Siti Rahayu"\n  delivery = "each"',
        'email = "siti@example.org"\n  name = "Siti Rahayu"\n  delivery = "digest"'))
    from mailer.config import load_config

    config = load_config(config.path)
    rt = Runtime(config, Store(config.service.data_dir))
    rt.store.archive.add(make_mail(sender="Orang Asing <x@elsewhere.org>", subject="Halo"))
    rt.store.archive.add(make_mail(subject="Topik"))
    tick(rt, MONDAY)
    send_digest(rt.app, rt.store, config.communities[0], MONDAY + timedelta(hours=1),
                force=True)
    tick(rt, MONDAY + timedelta(hours=1))
    rt.close()
    staff = text_of(digests(rt, "siti@example.org")[0])
    member = text_of(digests(rt, "budi@example.org")[0])
    assert "1 pesan menunggu persetujuan" in staff
    assert "Untuk pengurus" not in member
