"""Found by playing a KKG's weeks end to end (issue 17): members' own words read right.

Each case is what a member or organizer wrote in the played scenario."""

from __future__ import annotations

from datetime import date, timedelta

from mailer.cli.service import plural
from mailer.inbound.answers import read_rsvp
from mailer.inbound.settings import read_until, setting_in_body
from mailer.timed.missed import _meeting, _span

TODAY = date(2026, 12, 3)


def test_a_pause_with_its_reason_after_the_date_is_read() -> None:
    # "jeda sampai 2 Januari, saya cuti ..." was answered "we cannot read the date"
    for text, day in [
        ("jeda sampai 2 Januari, saya cuti melahirkan istri", date(2027, 1, 2)),
        ("jeda sampai 2 Januari karena cuti", date(2027, 1, 2)),
        ("pause until January 2, I am on leave", date(2027, 1, 2)),
        ("jeda sampai 02/01/2027; pelatihan", date(2027, 1, 2)),
        ("jeda sampai 2 jan 2027, cuti", date(2027, 1, 2)),
    ]:
        setting = setting_in_body(text)
        assert setting is not None and setting.what == "pause", text
        assert read_until(setting.until, TODAY) == day, text


def test_a_pause_date_still_refused_when_it_is_no_day_to_come() -> None:
    assert read_until("1/12/2026 karena pelatihan", TODAY) is None  # past: not next year's
    assert read_until("2 januari 2020, cuti", TODAY) is None
    assert read_until("minggu depan", TODAY) is None
    assert read_until("31/02", TODAY) is None
    assert read_until("tanggal 2 januari", TODAY) == date(2027, 1, 2)


def test_an_apology_for_the_meeting_just_held_is_no_answer_for_the_next() -> None:
    # a reply to the notes mail: was recorded as "not coming" to the meeting two months on
    said = "Mohon maaf saya tidak bisa hadir tadi karena anak sakit. Apakah ada materi?"
    assert read_rsvp(said, TODAY) is None
    assert read_rsvp("Maaf kemarin tidak hadir karena sakit", TODAY) is None
    assert read_rsvp("Sorry I could not come yesterday because my son was ill.", TODAY) is None
    # what is about a meeting to come is still read
    reading = read_rsvp("Maaf Bu, ada acara keluarga", TODAY)
    assert reading is not None and reading.answers == (("DECLINED", None),)
    reading = read_rsvp("Mohon maaf tidak bisa hadir karena rapat", TODAY)
    assert reading is not None and reading.answers == (("DECLINED", None),)


def test_the_missed_reminder_names_the_meeting_once() -> None:
    # "Pengingat 1 hari untuk pertemuan Pertemuan rutin ..."
    assert _meeting("Pertemuan rutin KKG") == "Pertemuan rutin KKG"
    assert _meeting("pertemuan bulanan") == "pertemuan bulanan"
    assert _meeting("Lokakarya P5") == "pertemuan Lokakarya P5"
    assert _span(timedelta(days=1), "id") == "1 hari"


def test_english_counts_as_people_write_them() -> None:
    assert plural(1, "problem") == "1 problem"
    assert plural(2, "occurrence") == "2 occurrences"
    assert plural(0, "meeting") == "0 meetings"
