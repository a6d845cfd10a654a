"""Small texts as a member or moderator reads them, found by looking at every mail's
screenshot (tests/test_screens.py): English counts agree, dates are words with the zone,
notices' HTML is reflowed, buttons where a reply is already written, nothing a community's
[tag] does not belong to. Both languages where the words differ."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailer.config import Config, load_config
from mailer.daemon import tick
from mailer.outbound.compose import compose_notice
from mailer.outbound.dates import format_short
from mailer.outbound.digest import Attention
from mailer.outbound.render import render
from tests.allmail import Sample
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, signed, write_config
from tests.test_pipeline import mail_for

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 09.00 WIB
SECOND = """
[[community]]
id = "mgmp"
name = "MGMP IPA SMP"
address = "mgmp@example.org"
"""
HOLD = {"id": "h6", "sender": "tamu@elsewhere.org", "subject": "Info",
        "reason": "The sender is not a member", "address": "kkg+m-h6-x@example.org"}


def config_in(folder: Path, language: str = "en", meeting: bool = True) -> Config:
    return load_config(write_config(folder, language=language, meeting=meeting).path)


def parts(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return text.replace("\r\n", "\n"), html.replace("\r\n", "\n")


def shown(html: str) -> str:
    """What a reader sees of an HTML part: the text, without tags and styles."""
    body = html.split("<body", 1)[-1]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.mark.parametrize(("count", "said"), [
    (1, "1 message waiting for approval"), (2, "2 messages waiting for approval")])
def test_english_counts_agree_in_the_attention_mail(tmp_path: Path, count: int,
                                                    said: str) -> None:
    community = config_in(tmp_path).communities[0]
    text = render("attention.txt.j2", "en", None, community=community, attention=Attention(
        holds=count, quarantined=count, unrouted=count))
    assert said in text and "(s)" not in text
    assert ("1 message could not be processed and is set aside,\n  kept as it came. Its "
            "sender, if a member, was told." if count == 1 else
            "2 messages could not be processed and are set aside,\n  kept as they came. "
            "Their senders, when members, were told.") in text


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_hold_summary_has_buttons_and_each_reason_on_its_own_line(
        tmp_path: Path, language: str) -> None:
    community = config_in(tmp_path, language).communities[0]
    made = compose_notice(community, "siti@example.org", "Siti", "hold-summary",
                          "1 message waiting for approval", T0, None, key="s1", holds=[HOLD])
    text, html = parts(Sample("hold-summary", made.to, made.data).message)
    word = "setuju" if language == "id" else "approve"
    lines = text.splitlines()
    assert lines[0] == ("Ada 1 pesan lagi untuk KKG Matematika yang menunggu persetujuan."
                        if language == "id" else
                        "1 more message for KKG Matematika is waiting for approval.")
    at = next(i for i, line in enumerate(lines) if line.startswith("h6"))
    assert lines[at] == 'h6  tamu@elsewhere.org  "Info"'
    assert lines[at + 1].strip() == "The sender is not a member"
    assert f'href="mailto:kkg+m-h6-x@example.org?subject={word}&amp;body={word}"' in html
    assert "mailto:" not in shown(html)  # a button, not an address to copy


WRAPPED = ("Beberapa email terakhir dari KKG Matematika untuk alamat ini kembali kepada\n"
           "kami karena tidak bisa dikirim (mungkin kotak suratnya penuh, atau alamatnya\n"
           "sudah tidak aktif).\n\nSalam,\nKKG Matematika\n")


def test_a_notice_reads_as_paragraphs_in_html(tmp_path: Path) -> None:
    """A notice's text wrapped at ~72 columns (an organizer's template, say) is one paragraph
    in HTML; short lines (the greeting, the signature) stay as they are."""
    community = config_in(tmp_path, "id").communities[0]
    html = render("notice.html.j2", "id", None, community=community, title="x", text=WRAPPED)
    assert "kembali kepada kami karena tidak bisa dikirim (mungkin kotak suratnya penuh, " \
           "atau alamatnya sudah tidak aktif)." in html
    assert "Salam,\nKKG Matematika" in html


def test_list_dates_carry_the_zone() -> None:
    wita = datetime(2026, 12, 5, 12, 15, tzinfo=UTC).astimezone(ZoneInfo("Asia/Makassar"))
    assert format_short(wita, "id") == "5 Des 20.15 WITA"
    assert format_short(wita, "en") == "5 Dec 20:15 WITA"


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_roll_call_confirmation_words_its_day(tmp_path: Path, language: str) -> None:
    community = config_in(tmp_path, language).communities[0]
    text = render("rollcall-recorded.txt.j2", language, None, community=community,
                  meeting=community.meetings[0], occurrence="2026-12-04T14:00:00+07:00",
                  held=datetime.fromisoformat("2026-12-04T14:00:00+07:00"),
                  present=["Budi Santoso"], absent=[], unmatched=[], ambiguous=[])
    assert text.splitlines()[0] == (
        "Daftar hadir Pertemuan rutin hari Jumat, 4 Desember 2026 sudah tercatat:"
        if language == "id" else
        "The roll-call for Pertemuan rutin on Friday, 4 December 2026 is recorded:")
    assert "2026-12-04" not in text


def test_mail_to_no_community_is_answered_without_a_communitys_tag(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    rt = open_runtime(load_config(write_config(tmp_path, meeting=False, extra=SECOND).path))
    rt.store.archive.add(make_mail(sender="Dewi Lestari <dewi@example.org>",
                                   to="info@example.org", subject="Pertanyaan", body="Halo\n",
                                   headers=signed()))
    tick(rt, T0 + timedelta(minutes=1))
    (told,) = mail_for(rt.config.service.data_dir, "dewi@example.org")
    assert str(told["Subject"]) == "Pesan Anda belum sampai / Your message was not delivered"


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_hold_mail_offers_its_answers_as_buttons_and_no_link_of_the_sender(
        tmp_path: Path, open_runtime: OpenRuntime, language: str) -> None:
    rt = open_runtime(config_in(tmp_path, language, meeting=False))
    rt.store.archive.add(make_mail(sender="Rina <rina@elsewhere.org>", subject="Perkenalan",
                                   body="Salam kenal, lihat https://promo.example.net/x\n",
                                   headers=signed("elsewhere.org")))
    tick(rt, T0 + timedelta(minutes=1))
    (hold,) = mail_for(rt.config.service.data_dir, "siti@example.org")
    _, html = parts(hold)
    answer = str(hold["Reply-To"].addresses[0].addr_spec)
    words = ("setuju", "setuju%20dan%20tambahkan", "tolak") if language == "id" \
        else ("approve", "approve%20and%20add", "reject")
    for word in words:
        assert f'href="mailto:{answer}?subject={word}&amp;body={word}' in html
    assert "https://promo.example.net/x" in shown(html)  # shown, for the moderator to judge
    assert 'href="https://promo.example.net' not in html  # but never a link to click
