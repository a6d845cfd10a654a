"""Meeting mail and small texts read as a member gets them: text and HTML parts, both
languages (issue 17). Calendars are read back with vobject, links with html.parser."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest
import vobject

from mailer.calendar.occurrences import expand
from mailer.daemon import Runtime, tick
from mailer.outbound.compose import compose_notice
from mailer.timed.digests import send_digest
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, mark_edited, signed, write_config
from tests.test_pipeline import mail_for

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
FIRST = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)  # Friday 14:00 WIB
WORDS = {  # what each language's mail says
    "id": {"update": "diperbarui", "cancel": "Dibatalkan", "leave": "Tidak lagi di kalender",
           "invite": "Undangan"},
    "en": {"update": "Updated", "cancel": "Cancelled", "leave": "Removed from your calendar",
           "invite": "Invitation"},
}


def open_rt(tmp_path: Path, open_runtime: OpenRuntime, language: str,
            edit: tuple[tuple[str, str], ...] = ()) -> Runtime:
    config = write_config(tmp_path, language=language)
    text = config.path.read_text()
    for old, new in edit:
        assert old in text, old
        text = text.replace(old, new)
    config.path.write_text(text)
    from mailer.config import load_config

    return open_runtime(load_config(config.path))


def change(rt: Runtime, *pairs: tuple[str, str]) -> None:
    path = rt.config.path
    text = path.read_text()
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)
    mark_edited(path)
    assert rt.reload_if_changed()


def parts(msg: EmailMessage) -> tuple[str, str]:
    """The text and the HTML part, as the member's program shows them."""
    text = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    html = next(p for p in msg.walk() if p.get_content_type() == "text/html")
    return (text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n"))


class Links(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.texts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)


def one(rt: Runtime, who: str, subject: str) -> EmailMessage:
    (found,) = mail_for(rt.config.service.data_dir, who, subject)
    return found


@pytest.mark.parametrize("language", ["id", "en"])
def test_an_update_says_what_changed(tmp_path: Path, open_runtime: OpenRuntime,
                                     language: str) -> None:
    rt = open_rt(tmp_path, open_runtime, language)
    tick(rt, T0)
    change(rt, ("start = 2026-12-04T14:00:00", "start = 2026-12-04T14:30:00"),
           ('location = "SDN 1 Sukamaju"', 'location = "SDN 2 Sukamaju"'),
           ('online = "https://meet.jit.si/kkg-test"', 'online = "https://meet.jit.si/kkg-baru"'),
           ('agenda = "Pecahan"', 'agenda = "Desimal"'),
           ('title = "Pertemuan rutin"', 'title = "Pertemuan KKG"'))
    tick(rt, T0 + timedelta(minutes=1))
    text, html = parts(one(rt, "budi@example.org", WORDS[language]["update"]))
    shown = Links(html).text
    expected = {
        "id": ["Waktu berubah: 14.00 → 14.30 WIB", "Tempat berubah: SDN 1 Sukamaju → SDN 2 "
               "Sukamaju", "Tautan berubah: https://meet.jit.si/kkg-test → "
               "https://meet.jit.si/kkg-baru", "Agenda berubah: Pecahan → Desimal",
               "Judul berubah: Pertemuan rutin → Pertemuan KKG"],
        "en": ["Time changed: 14:00 → 14:30 WIB", "Place changed: SDN 1 Sukamaju → SDN 2 "
               "Sukamaju", "Link changed: https://meet.jit.si/kkg-test → "
               "https://meet.jit.si/kkg-baru", "Agenda changed: Pecahan → Desimal",
               "Title changed: Pertemuan rutin → Pertemuan KKG"],
    }[language]
    for line in expected:
        assert line in text and line in shown, line
    assert ("Tanggal" if language == "id" else "Date") + " berubah" not in text
    assert "berulang" not in text and "repeating" not in text


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_one_off_meetings_new_date_and_length(tmp_path: Path, open_runtime: OpenRuntime,
                                               language: str) -> None:
    rt = open_rt(tmp_path, open_runtime, language, (
        ('  repeat = "weekly"\n  until = 2027-02-26\n', ""), ('  breaks = [{ from = 2026-12-21, '
                                                             'to = 2027-01-03, name = "Libur '
                                                             'semester" }]\n', "")))
    tick(rt, T0)
    invitation, _ = parts(one(rt, "budi@example.org", WORDS[language]["invite"]))
    assert ("Waktu: Jumat, 4 Desember 2026 pukul 14.00-15.30 WIB" if language == "id" else
            "When: Friday, 4 December 2026 at 14:00-15:30 WIB") in invitation
    change(rt, ("start = 2026-12-04T14:00:00", "start = 2026-12-05T08:00:00"),
           ('duration = "90m"', 'duration = "2h"'))
    tick(rt, T0 + timedelta(minutes=1))
    text, _ = parts(one(rt, "budi@example.org", WORDS[language]["update"]))
    assert ("Tanggal berubah: Jumat, 4 Desember 2026 → Sabtu, 5 Desember 2026\n"
            "- Waktu berubah: 14.00-15.30 → 08.00-10.00 WIB" if language == "id" else
            "Date changed: Friday, 4 December 2026 → Saturday, 5 December 2026\n"
            "- Time changed: 14:00-15:30 → 08:00-10:00 WIB") in text


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_cancellation_names_its_date_or_the_whole_series(
        tmp_path: Path, open_runtime: OpenRuntime, language: str) -> None:
    rt = open_rt(tmp_path, open_runtime, language)
    tick(rt, T0)
    change(rt, ('name = "Libur semester" }]', 'name = "Libur semester" },\n'
                '            { from = 2026-12-11, to = 2026-12-11, name = "Rapat dinas" }]'))
    tick(rt, T0 + timedelta(minutes=1))
    text, html = parts(one(rt, "budi@example.org", WORDS[language]["cancel"]))
    sentence = ("Pertemuan rutin Jumat, 11 Desember 2026 pukul 14.00 WIB dibatalkan."
                if language == "id" else
                '"Pertemuan rutin" on Friday, 11 December 2026 at 14:00 WIB is cancelled.')
    assert sentence in text and sentence in Links(html).text.replace("\n", " ")

    whole = rt.config.path.read_text()
    change(rt, (whole[whole.index("  [[community.meeting]]"):], ""))
    tick(rt, T0 + timedelta(minutes=2))
    series = [m for m in mail_for(rt.config.service.data_dir, "budi@example.org",
                                  WORDS[language]["cancel"]) if "11 De" not in str(m["Subject"])]
    (cancel,) = series
    assert ("(seluruh jadwal)" if language == "id" else "(all meetings)") in str(cancel["Subject"])
    text, _ = parts(cancel)
    assert ("Seluruh rangkaian Pertemuan rutin (setiap Jumat, 14.00-15.30 WIB) dibatalkan."
            if language == "id" else
            'The whole series "Pertemuan rutin" (every Friday, 14:00-15:30 WIB) is cancelled.'
            ) in text
    assert ("- Jumat, 4 Desember 2026 pukul 14.00 WIB" if language == "id" else
            "- Friday, 4 December 2026 at 14:00 WIB") in text


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("how", ["leaves", "delivery none"])
def test_no_longer_invited_is_not_a_cancelled_meeting(
        tmp_path: Path, open_runtime: OpenRuntime, language: str, how: str) -> None:
    rt = open_rt(tmp_path, open_runtime, language)
    tick(rt, T0)
    agus = '  [[community.member]]\n  email = "agus@example.org"\n  name = "Agus Wibowo"\n' \
           '  delivery = "each"\n'
    change(rt, (agus, "" if how == "leaves" else agus.replace('"each"', '"none"')))
    tick(rt, T0 + timedelta(minutes=1))
    data = rt.config.service.data_dir
    assert mail_for(data, "agus@example.org", WORDS[language]["cancel"]) == []
    gone = one(rt, "agus@example.org", WORDS[language]["leave"])
    text, html = parts(gone)
    for part in (text, Links(html).text):
        assert ("Anda tidak lagi menerima undangan Pertemuan rutin" in part
                and "(pertemuan tetap berjalan)" in part) if language == "id" else (
            'You will no longer receive invitations to "Pertemuan rutin"' in part
            and "the meeting itself goes on" in part)
        assert "dibatalkan" not in part.lower() and "cancelled" not in part.lower()
    calendar = vobject.readOne(next(p for p in gone.walk()
                                    if p.get_content_type() == "text/calendar").get_content())
    assert calendar.method.value == "CANCEL"  # the meeting leaves their calendar
    assert mail_for(data, "budi@example.org", WORDS[language]["leave"]) == []


MONTHLY = (('subject_tag = "[KKG]"', 'subject_tag = "[KKG]"\ntimezone = "Asia/Makassar"'),
           ('start = 2026-12-04T14:00:00', 'start = 2026-12-12T08:00:00'),
           ('duration = "90m"', 'duration = "2h"'),
           ('repeat = "weekly"\n  until = 2027-02-26', 'repeat = "monthly"\n  on = "sabtu ke-2"\n'
            '  until = 2027-06-30'))


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_series_in_words_and_a_moved_occurrence_by_its_own_date(
        tmp_path: Path, open_runtime: OpenRuntime, language: str) -> None:
    rt = open_rt(tmp_path, open_runtime, language, MONTHLY)
    tick(rt, T0)
    text, html = parts(one(rt, "budi@example.org", WORDS[language]["invite"]))
    rule = ("setiap Sabtu minggu ke-2, 08.00-10.00 WITA" if language == "id" else
            "every 2nd Saturday of the month, 08:00-10:00 WITA")
    assert rule in text and rule in Links(html).text
    april = datetime(2027, 4, 1, 2, 0, tzinfo=UTC)
    change(rt, ('  agenda = "Pecahan"\n', '  agenda = "Pecahan"\n'
                '  moved = [{ date = 2027-04-10, to = 2027-04-17T08:30:00 }]\n'))
    tick(rt, april)
    text, html = parts(one(rt, "budi@example.org", WORDS[language]["update"]))
    for part in (text, Links(html).text):
        assert rule in part
        assert "12 Desember 2026" not in part and "12 December 2026" not in part
        assert "berulang" not in part and "repeating" not in part
        assert ("Pertemuan Sabtu, 10 April 2027 dipindah ke Sabtu, 17 April 2027 pukul 08.30 "
                "WITA" if language == "id" else "The meeting on Saturday, 10 April 2027 moves "
                "to Saturday, 17 April 2027 at 08:30 WITA") in part
        assert ("Sabtu, 17 April 2027 pukul 08.30 WITA (dipindah dari Sabtu, 10 April 2027 "
                "pukul 08.00 WITA)" if language == "id" else "Saturday, 17 April 2027 at 08:30 "
                "WITA (moved from Saturday, 10 April 2027 at 08:00 WITA)") in part


WHATSAPP = ('subject_tag = "[KKG]"',
            'subject_tag = "[KKG]"\nwhatsapp = "https://chat.whatsapp.com/KkgGugus3"')


@pytest.mark.parametrize("language", ["id", "en"])
def test_links_in_invitation_and_welcome_are_clickable(
        tmp_path: Path, open_runtime: OpenRuntime, language: str) -> None:
    rt = open_rt(tmp_path, open_runtime, language, (WHATSAPP,))
    tick(rt, T0)
    text, html = parts(one(rt, "budi@example.org", WORDS[language]["invite"]))
    hrefs = Links(html).hrefs
    assert "https://meet.jit.si/kkg-test" in hrefs
    assert "https://chat.whatsapp.com/KkgGugus3" in hrefs and "chat.whatsapp.com" in text
    assert "mailto:kkg@example.org" in hrefs
    assert "mailto:kkg+help@example.org?subject=help" in hrefs

    community = rt.config.communities[0]
    meeting = community.meetings[0]
    welcome = email.message_from_bytes(compose_notice(
        community, "rina@example.org", "Rina", "welcome", "Selamat datang", T0, None, "w1",
        recent=[], next_meeting=(meeting, expand(meeting)[0][0])).data, policy=policy.default)
    assert isinstance(welcome, EmailMessage)
    _, html = parts(welcome)
    hrefs = Links(html).hrefs
    assert "mailto:kkg@example.org" in hrefs
    assert "https://chat.whatsapp.com/KkgGugus3" in hrefs


FIXED = (
    "Ibu dan Bapak sekalian,\n"
    "\n"
    "Minggu ini saya mencoba mengenalkan pecahan dengan melipat kertas di\n"
    "kelas 3. Murid cepat paham setengah dan seperempat, tetapi sepertiga\n"
    "masih sulit. Lembar kerjanya ada di https://example.org/lembar-kerja.pdf\n"
    "bagi yang ingin mencoba.\n"
    "\n"
    "Langkahnya:\n"
    "- lipat kertas menjadi dua\n"
    "- warnai satu bagian\n"
    "\n"
    "Salam,\n"
    "Siti\n")
PARAGRAPH = ("Minggu ini saya mencoba mengenalkan pecahan dengan melipat kertas di kelas 3. "
             "Murid cepat paham setengah dan seperempat, tetapi sepertiga masih sulit. "
             "Lembar kerjanya ada di https://example.org/lembar-kerja.pdf bagi yang ingin "
             "mencoba.")


def flowed(body: str) -> bytes:
    """The FIXED post as a phone sends it: format=flowed, soft breaks end in a space."""
    soft = body.replace(" di\nkelas", " di \nkelas").replace("sepertiga\nmasih",
                                                             "sepertiga \nmasih")
    soft = soft.replace(".pdf\nbagi", ".pdf \nbagi")
    raw = make_mail(body="x\n", headers=signed()).decode()
    head = raw[:raw.index("\r\n\r\n")]
    head = head.replace("Content-Type: text/plain; charset=\"utf-8\"",
                        "Content-Type: text/plain; charset=\"utf-8\"; format=flowed")
    assert "format=flowed" in head
    head = "\r\n".join(line for line in head.split("\r\n")
                       if not line.startswith("Content-Transfer-Encoding"))
    return (head + "\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + soft.replace("\n", "\r\n")).encode()


@pytest.mark.parametrize("how", ["fixed", "flowed"])
def test_a_72_column_post_reads_as_paragraphs_in_html(
        tmp_path: Path, open_runtime: OpenRuntime, how: str) -> None:
    rt = open_rt(tmp_path, open_runtime, "id")
    tick(rt, T0)
    raw = make_mail(body=FIXED, headers=signed()) if how == "fixed" else flowed(FIXED)
    rt.store.archive.add(raw)
    tick(rt, T0 + timedelta(minutes=1))
    post = one(rt, "dewi@example.org", "Pecahan di kelas 3")
    text, html = parts(post)
    shown = Links(html)
    assert PARAGRAPH in shown.text  # one paragraph, no short broken lines
    assert "Langkahnya:\n- lipat kertas menjadi dua\n- warnai satu bagian\n" in shown.text
    assert "Salam,\nSiti" in shown.text
    assert "https://example.org/lembar-kerja.pdf" in shown.hrefs
    assert "mailto:kkg@example.org" in shown.hrefs  # the footer
    if how == "fixed":  # the text part stays as the member wrote it
        assert "melipat kertas di\nkelas 3." in text


@pytest.mark.parametrize("language", ["id", "en"])
def test_notes_mail_and_counts_read_right(tmp_path: Path, open_runtime: OpenRuntime,
                                          language: str) -> None:
    rt = open_rt(tmp_path, open_runtime, language)
    tick(rt, T0)
    after = FIRST + timedelta(hours=2, minutes=30)
    tick(rt, after)
    notes = one(rt, "dewi@example.org", "Catatan pertemuan" if language == "id" else
                "Meeting notes")
    assert notes["From"].addresses[0].display_name == "KKG Matematika"
    text, html = parts(notes)
    for part in (text, Links(html).text):
        assert "via" not in str(notes["From"])
        assert "pertemuan pertemuan" not in part.lower()
        assert "KKG Matematika menulis di KKG Matematika" not in part
        assert "KKG Matematika wrote in KKG Matematika" not in part
    assert ("Terima kasih untuk Pertemuan rutin, Jumat, 4 Desember 2026." if language == "id"
            else "Thank you for Pertemuan rutin, Friday, 4 December 2026.") in text

@pytest.mark.parametrize("language", ["id", "en"])
def test_a_digest_of_one_topic_says_one_topic(tmp_path: Path, open_runtime: OpenRuntime,
                                              language: str) -> None:
    rt = open_rt(tmp_path, open_runtime, language)
    tick(rt, T0)
    rt.store.archive.add(make_mail(subject="Satu topik", headers=signed()))
    tick(rt, T0 + timedelta(minutes=1))
    send_digest(rt.app, rt.store, rt.config.communities[0], T0 + timedelta(minutes=2),
                force=True)
    tick(rt, T0 + timedelta(minutes=3))  # what is queued goes out
    (digest,) = [m for m in mail_for(rt.config.service.data_dir, "budi@example.org")
                 if "Rangkuman" in str(m["Subject"]) or "digest" in str(m["Subject"])]
    assert str(digest["Subject"]).endswith(": 1 topik" if language == "id" else ": 1 topic")


def test_counted_words() -> None:
    from mailer.outbound.wording import after, counted, sender_name

    assert counted(1, "copy", "copies") == "1 copy" and counted(2, "copy", "copies") == \
        "2 copies"
    assert counted(0, "topic") == "0 topics" and counted(3, "topik", language="id") == "3 topik"
    assert after("Pertemuan rutin", "pertemuan") == "Pertemuan rutin"
    assert after("KKG Gugus 3", "Pertemuan") == "Pertemuan KKG Gugus 3"
    assert sender_name("KKG Matematika", "KKG Matematika") == "KKG Matematika"
    assert sender_name("Siti", "KKG Matematika") == "Siti via KKG Matematika"


def test_flowed_text_is_unflowed_as_rfc_3676_says() -> None:
    from mailer.inbound.flowed import unflow

    sent = ("Satu dua \r\ntiga.\r\n> kutipan yang \r\n> panjang\r\n>> lebih \r\n> dalam\r\n"
            " From stuffed\r\n-- \r\nSiti")
    assert unflow(sent) == ("Satu dua tiga.\n> kutipan yang panjang\n>> lebih \n> dalam\n"
                            "From stuffed\n-- \nSiti")
    assert unflow("Satu dua \r\ntiga", delsp=True) == "Satu duatiga"


def test_reflow_joins_wrapped_lines_only() -> None:
    from mailer.outbound.reflow import reflow

    poem = "Pelangi\nindah sekali\nwarnanya\n"
    assert reflow(poem) == poem  # short lines: nothing was wrapped
    quoted = "> " + "a " * 40 + "\n> kutipan\n"
    assert reflow(quoted) == quoted
    wrapped = FIXED
    assert PARAGRAPH in reflow(wrapped)
    assert "Langkahnya:\n- lipat" in reflow(wrapped)


def test_linkify_escapes_and_links() -> None:
    from mailer.outbound.links import linkify

    html = str(linkify('Lihat (https://example.org/a_(b)), <b>x</b> & tulis ke kkg@example.org.'))
    assert '<a href="https://example.org/a_(b)"' in html
    assert '<a href="mailto:kkg@example.org"' in html and "kkg@example.org</a>." in html
    assert "&lt;b&gt;x&lt;/b&gt; &amp;" in html and "<b>" not in html
    assert str(linkify('https://x.org/"onmouseover=1')).count('"') == 4  # the quote ends it
