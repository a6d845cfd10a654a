"""Files reach members: every copy carries them byte for byte, programs never, large ones on
request; each file is kept once, whatever the number of copies."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.daemon import Runtime, tick
from mailer.model import Attachment
from mailer.outbound.attachments import blocked, judge_files
from mailer.timed.digests import send_digest
from tests.conftest import OpenRuntime
from tests.helpers import write_config
from tests.peers import Dovecot
from tests.test_imap import imap_config
from tests.test_pipeline import mail_for

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
rng = random.Random(13)
PDF = b"%PDF-1.4\n" + rng.randbytes(300_000) + b"\n%%EOF\n"
PHOTO_1 = b"\xff\xd8\xff\xe0" + rng.randbytes(120_000)
PHOTO_2 = b"\xff\xd8\xff\xe0" + rng.randbytes(90_000)
LOGO = b"\x89PNG\r\n\x1a\n" + rng.randbytes(2_000)
PROGRAM = b"MZ" + rng.randbytes(5_000)
PDF_NAME = "LKPD Pecahan Kelas 3 — revisi.pdf"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def post_with_files(files: list[tuple[str, str, bytes]], *, inline_logo: bool = False,
                    sender: str = "Siti Rahayu <siti@example.org>",
                    subject: str = "Lembar kerja pecahan") -> bytes:
    """A member's post as Gmail on Android sends it: text and HTML, files attached."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "kkg@example.org"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.org")
    msg.set_content("Ibu dan Bapak, ini LKPD dan foto kegiatan kemarin.\n")
    html = "<p>Ibu dan Bapak, ini LKPD dan foto kegiatan kemarin.</p>"
    if inline_logo:
        html += '<p><img src="cid:logo-sdn2@example.org"></p>'
    msg.add_alternative(html, subtype="html")
    if inline_logo:
        msg.get_payload()[1].add_related(LOGO, "image", "png", cid="<logo-sdn2@example.org>",
                                         filename="logo.png")
    for name, ctype, data in files:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes(policy=policy.SMTP)


def files_of(msg: EmailMessage) -> dict[str, bytes]:
    return {str(p.get_filename()): p.get_payload(decode=True) for p in msg.walk()
            if p.get_filename()}


def thread_json(config_path: Path, thread_id: str) -> dict[str, object]:
    result = CliRunner().invoke(main, ["--config", str(config_path), "thread", thread_id,
                                       "--json"])
    assert result.exit_code == 0, result.output
    doc: dict[str, object] = json.loads(result.output)
    return doc


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    return open_runtime(write_config(tmp_path, meeting=False))


def test_programs_are_blocked_by_name_or_type_and_large_sets_kept_back() -> None:
    def a(name: str, ctype: str = "application/pdf", size: int = 10) -> Attachment:
        return Attachment(name, ctype, size, sha256=sha(name.encode()))

    assert blocked(a("setup.exe")) and blocked(a("LKPD.pdf.exe . ")) and blocked(a("x.JS"))
    assert blocked(a("rapor", "application/x-msdownload"))
    assert not blocked(a("rapor.pdf")) and not blocked(a("exe-files.docx"))
    judged = judge_files([a("a.pdf", size=6), a("b.jpg", size=5), a("c.vbs")], limit=10)
    assert [j.withheld for j in judged] == ["large", "large", "blocked"]
    judged = judge_files([a("a.pdf", size=6), a("b.jpg", size=4), a("c.vbs")], limit=10)
    assert [j.withheld for j in judged] == ["", "", "blocked"]


@pytest.mark.dovecot
def test_a_pdf_two_photos_and_a_program_through_dovecot(
        tmp_path: Path, dovecot: Dovecot, open_runtime: OpenRuntime) -> None:
    account = dovecot.add_user()
    config = write_config(tmp_path, meeting=False, inbound=imap_config(dovecot, *account))
    rt = open_runtime(config)
    dovecot.append(*account, post_with_files([
        (PDF_NAME, "application/pdf", PDF), ("foto-1.jpg", "image/jpeg", PHOTO_1),
        ("foto-2.jpg", "image/jpeg", PHOTO_2),
        ("pembaruan.exe", "application/octet-stream", PROGRAM)]))
    tick(rt, T0)
    data = config.service.data_dir
    wanted = {PDF_NAME: sha(PDF), "foto-1.jpg": sha(PHOTO_1), "foto-2.jpg": sha(PHOTO_2)}
    for member in ("dewi@example.org", "agus@example.org"):  # delivery "each"
        (copy,) = mail_for(data, member, "Lembar kerja")
        got = {name: sha(content) for name, content in files_of(copy).items()}
        assert got == wanted, member
        text = copy.get_body(("plain",)).get_content()
        assert "pembaruan.exe" in text and "Dihapus demi keamanan" in text
        assert "LKPD Pecahan Kelas 3 — revisi.pdf (293 KB)" in text
    # each file kept once in the store, the program not at all
    kept = sorted(p.name for p in (data / "files").rglob("*") if p.is_file())
    assert kept == sorted(wanted.values())
    assert sha(PROGRAM) not in kept
    # the copies share one stored body: the queue holds the files once, not once a copy
    queued = sum(p.stat().st_size for p in (data / "queue").iterdir())
    assert queued < 1.5 * (len(PDF) + len(PHOTO_1) + len(PHOTO_2)) * 4 / 3
    (thread,) = rt.store.state.threads.values()
    posts = thread_json(config.path, thread.id)["posts"]
    assert isinstance(posts, list)
    listed = {a["filename"]: a for a in posts[0]["attachments"]}
    assert listed[PDF_NAME] == {"filename": PDF_NAME, "content_type": "application/pdf",
                                "size": len(PDF), "sha256": sha(PDF)}
    assert listed["pembaruan.exe"]["withheld"] == "blocked"
    # the digest names each file beside its post
    send_digest(rt.app, rt.store, config.communities[0], T0 + timedelta(hours=1), force=True)
    tick(rt, T0 + timedelta(hours=1))
    (digest,) = mail_for(data, "budi@example.org", "Rangkuman")
    text = digest.get_body(("plain",)).get_content()
    assert f"Lampiran: {PDF_NAME} (293 KB, Siti Rahayu); foto-1.jpg" in text
    assert "pembaruan.exe" not in text
    html = digest.get_body(("html",)).get_content()
    assert PDF_NAME in html


def test_an_inline_image_stays_in_the_html_of_every_copy(rt: Runtime) -> None:
    rt.store.archive.add(post_with_files([], inline_logo=True))
    tick(rt, T0)
    (copy,) = mail_for(rt.config.service.data_dir, "dewi@example.org", "Lembar kerja")
    html_part = copy.get_body(("html",))
    assert 'src="cid:logo-sdn2@example.org"' in html_part.get_content()
    related = next(p for p in copy.walk() if p.get_content_type() == "multipart/related")
    (image,) = [p for p in related.iter_parts() if p.get_content_maintype() == "image"]
    assert image["Content-ID"] == "<logo-sdn2@example.org>"
    assert image.get_payload(decode=True) == LOGO


def test_files_over_the_limit_are_kept_back_and_sent_on_request(tmp_path: Path,
                                                                open_runtime: OpenRuntime) -> None:
    config = write_config(tmp_path, meeting=False)
    text = config.path.read_text().replace('subject_tag = "[KKG]"',
                                           'subject_tag = "[KKG]"\nmax_attachments_size = "200k"')
    config.path.write_text(text)
    from mailer.config import load_config

    rt = open_runtime(load_config(config.path))
    rt.store.archive.add(post_with_files([(PDF_NAME, "application/pdf", PDF),
                                          ("foto-1.jpg", "image/jpeg", PHOTO_1)]))
    tick(rt, T0)
    data = rt.config.service.data_dir
    (copy,) = mail_for(data, "dewi@example.org", "Lembar kerja")
    assert files_of(copy) == {}
    body = copy.get_body(("plain",)).get_content()
    assert "terlalu besar" in body and "kirim lampiran" in body and PDF_NAME in body
    # Dewi asks: the files come to her alone, and nobody gets a post
    ask = EmailMessage()
    ask["From"] = "Dewi Lestari <dewi@example.org>"
    ask["To"] = str(copy["Reply-To"])
    ask["Subject"] = "Re: " + str(copy["Subject"])
    ask["Message-ID"] = make_msgid(domain="example.org")
    ask["In-Reply-To"] = str(copy["Message-ID"])
    ask.set_content("Bu, tolong kirim lampirannya ya. Terima kasih\n\n> Ibu dan Bapak, ini\n")
    rt.store.archive.add(ask.as_bytes(policy=policy.SMTP))
    tick(rt, T0 + timedelta(minutes=5))
    (answer,) = mail_for(data, "dewi@example.org", "Lampiran yang Anda minta")
    assert {n: sha(c) for n, c in files_of(answer).items()} == {
        PDF_NAME: sha(PDF), "foto-1.jpg": sha(PHOTO_1)}
    assert answer["Auto-Submitted"] == "auto-replied"
    for other in ("agus@example.org", "siti@example.org", "budi@example.org"):
        assert mail_for(data, other, "Lampiran yang Anda minta") == []
        assert [m for m in mail_for(data, other) if "Re:" in str(m["Subject"])] == []
    (thread,) = rt.store.state.threads.values()
    assert len(thread.posts) == 1


def test_a_stranger_cannot_ask_for_files(rt: Runtime) -> None:
    rt.store.archive.add(post_with_files([(PDF_NAME, "application/pdf", PDF)]))
    tick(rt, T0)
    (copy,) = mail_for(rt.config.service.data_dir, "dewi@example.org", "Lembar kerja")
    ask = EmailMessage()
    ask["From"] = "Orang Lain <lain@example.net>"
    ask["To"] = "kkg@example.org"
    ask["Subject"] = "Re: Lembar kerja pecahan"
    ask["Message-ID"] = make_msgid(domain="example.net")
    ask["In-Reply-To"] = str(copy["Message-ID"])
    ask.set_content("send files\n")
    rt.store.archive.add(ask.as_bytes(policy=policy.SMTP))
    tick(rt, T0 + timedelta(minutes=5))
    assert mail_for(rt.config.service.data_dir, "lain@example.net") == []
