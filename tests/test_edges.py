"""The edges of MIME (issue 15): subjects and names of any length and script, RFC 6532
UTF-8 headers in and out, the receiver's SMTPUTF8 and long lines, HTML at a bounded cost.
Each known loss has its own test, named after it."""

from __future__ import annotations

import email
import smtplib
import threading
from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailer.config import Config, load_config
from mailer.daemon import Runtime, _start_receiver, tick
from mailer.handle.app import App
from mailer.handle.dispatch import process_message
from mailer.inbound.html import HTML2TEXT_DEPTH, html_to_text, nesting_depth, strip_tags
from mailer.inbound.parse import parse_mail
from mailer.outbound.mime import encode_address, encode_text, header_lines
from mailer.state import State
from tests.conftest import OpenRuntime
from tests.faults import CJK, NESTED_LISTS
from tests.helpers import make_mail, write_config
from tests.peers import free_port

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
ACCENTED = "Pelajaran Matemática: fracções e números décimais, ĝéñçà øü " * 7  # ~400
SUBJECTS = {"cjk-320": CJK, "accented-380": ACCENTED,
            "emoji": "👩‍🏫 Guru hebat 👨‍👩‍👧 " * 30, "arabic": "درس الرياضيات للصف الثالث " * 20,
            "long-ascii-word": "x" * 1500, "looks-encoded": "Lihat =?utf-8?q?ini?= ya",
            "combining": "e\u0301" * 500}


def decoded(value: str) -> str:
    """A header as an RFC 2047 reader shows it: unfolded (RFC 5322: a line break before
    white space goes), then adjacent encoded words joined."""
    return str(make_header(decode_header(value.replace("\r\n", "").replace("\n", ""))))


def head_lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> App:
    return App(utf8_names(write_config(tmp_path_factory.mktemp("edges"), meeting=False)),
               "secret")


def utf8_names(config: Config) -> Config:
    """Budi's name as cop.toml gives it, in UTF-8: copies show members' names from cop.toml
    (a From can claim any name), so that is what must arrive unmangled."""
    config.path.write_text(config.path.read_text().replace('name = "Budi Santoso"',
                                                           'name = "Budi Sántoso 王"'))
    return load_config(config.path)


@pytest.mark.parametrize("subject", SUBJECTS.values(), ids=SUBJECTS.keys())
def test_a_long_subject_in_any_script_is_posted_and_folds(app: App, subject: str) -> None:
    """Regression: a subject folding past 998 encoded characters crashed composition
    ("HeaderInjection: line break in header value") and the post was quarantined."""
    raw = make_mail(subject=subject, message_id="<long@example.org>")
    result = process_message(app, State(), "key", raw, T0)
    assert result.state == "posted" and result.outgoing
    for copy in result.outgoing:
        assert max(len(line) for line in head_lines(copy.data)) <= 78
        parsed = email.message_from_bytes(copy.data)
        assert decoded(parsed["Subject"]) == f"[KKG] {parse_mail(raw).subject}"[:898]


def test_a_long_subject_folds_in_notices_too(app: App) -> None:
    """A member's post held (a moderated community): the sender's notice and the
    moderator's carry it."""
    moderated = App(replace(app.config, communities=(replace(
        app.config.communities[0], posting="moderated"),)), app.secret)
    raw = make_mail(sender="Budi <budi@example.org>", subject=CJK)
    result = process_message(moderated, State(), "key", raw, T0)
    assert result.state == "held" and len(result.outgoing) == 2
    moderator = next(o for o in result.outgoing if o.to == "siti@example.org")
    assert max(len(line) for line in head_lines(moderator.data)) <= 78
    assert decoded(email.message_from_bytes(moderator.data)["Subject"]) == \
        f"[KKG] Perlu persetujuan: {CJK}"[:898]


@settings(max_examples=200, deadline=None)
@example(text='Rapat "=?utf-8?q?x?=" ' + "y" * 90)
@example(text="Ñ  ñ (x) " * 20)
@example(text=" 0 ")  # found by hypothesis: the parser kept one space of two
@given(text=st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=400))
def test_any_text_encodes_to_short_lines_and_reads_back(text: str) -> None:
    name = " ".join(text.replace("<", "").replace(">", "").split())[:120]
    data = header_lines([("Subject", encode_text(text)),
                         ("To", encode_address(name, "budi@example.org"))])
    lines = data.split(b"\r\n")[:-1]
    assert all(len(line) <= 78 for line in lines)
    assert all(line.strip() for line in lines)  # no line of only white space
    parsed = email.message_from_bytes(data + b"\r\n")
    subject = decoded(parsed["Subject"])
    assert subject == text[:898] or subject == text[:898].strip()
    # quoted as needed, or encoded words with the atoms between them as they are
    assert parseaddr(parsed["To"]) == (name, "budi@example.org") \
        or decoded(parsed["To"]) == f"{name} <budi@example.org>"


def test_a_utf8_display_name_reaches_every_copy_unmangled(app: App) -> None:
    """Regression (RFC 6532): raw UTF-8 in From came out as "Budi S��ntoso via …"."""
    raw = make_mail(sender="Budi Santoso <budi@example.org>").replace(
        b"From: Budi Santoso", "From: Budi Sántoso 王".encode())
    result = process_message(app, State(), "key", raw, T0)
    assert result.state == "posted" and result.outgoing
    post = next(r for r in result.records if r["t"] == "post")
    assert post["name"] == "Budi Sántoso 王"
    for copy in result.outgoing:
        shown = decoded(email.message_from_bytes(copy.data)["From"])
        assert shown == "Budi Sántoso 王 via KKG Matematika <kkg@example.org>"
        assert "\ufffd" not in shown


def test_utf8_subject_and_address_headers_are_read(app: App) -> None:
    raw = ("From: \"Dewi Lestari, S.Pd.\" <dewi@example.org>\r\nTo: Grup KKG Ñ <kkg@example.org>"
           "\r\nSubject: Pecahan — kelas 3 ✓\r\nMessage-ID: <u8@example.org>\r\n\r\nHalo\r\n"
           ).encode()
    mail = parse_mail(raw)
    assert (mail.from_name, mail.from_addr) == ("Dewi Lestari, S.Pd.", "dewi@example.org")
    assert mail.subject == "Pecahan — kelas 3 ✓" and mail.to_addrs == ("kkg@example.org",)


def test_a_folded_subject_keeps_the_space_at_the_fold() -> None:
    raw = b"From: a@example.org\r\nSubject: Rapat (guru)\r\n =?utf-8?q?=C3=91?= x\r\n\r\nb\r\n"
    assert parse_mail(raw).subject == "Rapat (guru) Ñ x"


@pytest.mark.parametrize("header", [
    b"From: Agus Wibowo (Guru Kelas 3 <agus@example.org>",
    b"From: Agus \"Wibowo <agus@example.org>",
    b"From: Agus Wibowo) <agus@example.org>",
])
def test_a_stray_parenthesis_or_quote_in_the_name_keeps_the_sender(app: App,
                                                                    header: bytes) -> None:
    """Regression: a stray byte that decodes to "(" made From unparseable; the post was
    dropped as a robot's."""
    raw = make_mail(sender="Agus Wibowo <agus@example.org>")
    raw = raw.replace(b"From: Agus Wibowo <agus@example.org>", header)
    assert parse_mail(raw).from_addr == "agus@example.org"
    result = process_message(app, State(), "key", raw, T0)
    assert result.state == "posted"


def test_the_fallback_never_takes_an_address_from_an_encoded_word() -> None:
    raw = b"From: (x =?utf-8?q?=3Cevil=40example=2Enet=3E?=\r\nSubject: s\r\n\r\nbody\r\n"
    assert parse_mail(raw).from_addr == ""


def test_deeply_nested_html_goes_through_the_linear_path() -> None:
    """Regression: a 105 KB HTML-only mail of nested lists held a post for 48 s and took the
    daemon to 487 MB (html2text's output grows with the square of the nesting)."""
    html = NESTED_LISTS.decode()
    assert nesting_depth(html) > HTML2TEXT_DEPTH
    text = html_to_text(html)
    assert text.startswith("- Butir 0") and "- Butir 4999\n" in text
    assert len(text) < len(html)  # linear: no line carries its depth


def test_small_shallow_html_still_gets_html2text() -> None:
    html = ("<p>Halo <b>semua</b>,</p><ul><li>satu<ul><li>dua</li></ul></li></ul>"
            "<p>Lihat <a href='https://example.org/x'>materi</a>.</p>")
    assert html_to_text(html) == (
        "Halo semua,\n\n  * satu\n    * dua\n\nLihat materi (https://example.org/x).\n")


def test_strip_tags_keeps_text_links_and_drops_what_is_hidden() -> None:
    html = ("<html><head><title>t</title><style>p{color:red}</style></head><body>"
            "<!-- secret --><p>Halo&nbsp;&amp; selamat</p><ul><li>satu</li></ul>"
            "<a href=\"https://example.org/a\">tautan</a><hr><script>x()</script>Akhir<!--")
    assert html_to_text("<!-- pad -->" * 3000 + html) == (
        "Halo & selamat\n\n- satu\ntautan (https://example.org/a)\n" + "_" * 32 + "\nAkhir\n")
    assert "secret" not in strip_tags(html) and "color" not in strip_tags(html)


@pytest.mark.parametrize("html", [
    "<a" * 50_000, "<!--" * 50_000, "<style>" * 50_000, "<a href='x'>" * 50_000,
    "<ul>" * 50_000, "&amp;" * 50_000,
], ids=["open-tags", "comments", "styles", "links", "lists", "entities"])
def test_hostile_html_ends_in_bounded_text(html: str) -> None:
    text = html_to_text(html)
    assert len(text) <= len(html) + 1


@pytest.fixture
def smtp_rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    config = write_config(tmp_path, meeting=False,
                          inbound=f'protocol = "smtp"\nport = {free_port()}')
    return open_runtime(utf8_names(config))


def test_the_receiver_offers_smtputf8_and_reads_utf8_headers(smtp_rt: Runtime) -> None:
    server = _start_receiver(smtp_rt, threading.Event())
    raw = ("From: Budi Sántoso <budi@example.org>\r\nTo: kkg@example.org\r\n"
           "Subject: Rapat guru — Jumat\r\nMessage-ID: <utf8@example.org>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\nSampai jumpa, Bu Siti.\r\n").encode()
    try:
        with smtplib.SMTP("127.0.0.1", smtp_rt.config.inbound.port, timeout=10) as smtp:
            smtp.ehlo()
            assert smtp.has_extn("smtputf8") and smtp.has_extn("8bitmime")
            smtp.sendmail("budi@example.org", ["kkg@example.org"], raw,
                          mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    finally:
        server.stop()
    tick(smtp_rt, T0)
    (thread,) = smtp_rt.store.state.threads.values()
    assert thread.subject == "Rapat guru — Jumat"
    assert thread.posts[0].name == "Budi Sántoso 王"


def test_the_receiver_takes_long_lines_as_real_servers_send_them(smtp_rt: Runtime) -> None:
    """Regression: aiosmtpd answered "500 Line too long" to lines over ~1,000 bytes, and
    Amazon SES and GMX bounces were refused."""
    line = "<p>" + "Laporan pengiriman " * 400 + "</p>"  # ~7.6 KB on one line
    raw = ("From: siti@example.org\r\nTo: kkg@example.org\r\nSubject: Panjang\r\n"
           "Message-ID: <line@example.org>\r\nContent-Type: text/html\r\n\r\n"
           f"{line}\r\n").encode()
    server = _start_receiver(smtp_rt, threading.Event())
    try:
        with smtplib.SMTP("127.0.0.1", smtp_rt.config.inbound.port, timeout=10) as smtp:
            smtp.sendmail("siti@example.org", ["kkg@example.org"], raw)
    finally:
        server.stop()
    (key,) = smtp_rt.store.archive.pending()
    assert line.encode() in smtp_rt.store.archive.read(key)
    tick(smtp_rt, T0)
    assert smtp_rt.store.state.messages["<line@example.org>"] == "posted"


def test_a_copy_with_a_utf8_name_parses_with_the_strict_parser_too(app: App) -> None:
    raw = make_mail(sender="Budi Santoso <budi@example.org>").replace(
        b"From: Budi Santoso", "From: Budi Sántoso".encode())
    (copy, *_) = process_message(app, State(), "key", raw, T0).outgoing
    msg = email.message_from_bytes(copy.data, policy=policy.default)
    assert isinstance(msg, EmailMessage) and not msg.defects
    assert msg["From"].addresses[0].display_name == "Budi Sántoso 王 via KKG Matematika"
