"""The attendance ledger after a semester of weekly meetings: every row of the CSV export
and of the printable report (issue 14).

The semester (2026-2), Fridays 14:00 WIB, 90 minutes, from 3 July to 25 September:

     n  date        what
     1  Jul  3
     2  Jul 10
     3  Jul 17
     4  Jul 24
     5  Jul 31      nobody took the roll: "no record", for everyone
        Aug 14, 21  a break (Libur HUT RI): no meetings
     6  Aug  7
     7  Aug  8      a Saturday workshop 08:00, 4 hours, since removed from cop.toml
     8  Aug 28
     9  Sep  5      Sep 4's meeting, moved to Saturday 09:00
    10  Sep 11      Rina is not on the roll-call: "no record" for her
    11  Sep 18
    12  Sep 25      no roll-call

Members: Siti and Dewi (cop.toml, all along); Budi (cop.toml, left 5 August, joined again
1 September; marked present on 28 August all the same); Agus (cop.toml, left 1 August;
an absence marked after that does not count); Rina (joined by email, confirmed 22 July);
Fajar (asked to join, never confirmed); lama@ (taken out of cop.toml, one mark on 3 July).
A one-off meeting on 26 June (semester 1) counts toward the year only.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.config import Config, load_config
from mailer.daemon import Runtime, tick
from mailer.edges.store import FileStore as Store
from mailer.ledger import Period, Span, build_ledger, people_of
from mailer.ledger.pdf import _latin, render_attendance_pdf
from mailer.ledger.report import report_context
from mailer.state import State
from tests.helpers import mark_edited, write_config

RUTIN = """
  [[community.meeting]]
  id = "rutin"
  title = "Pertemuan rutin"
  start = 2026-07-03T14:00:00
  duration = "90m"
  repeat = "weekly"
  until = 2026-09-25
  breaks = [{ from = 2026-08-14, to = 2026-08-21, name = "Libur HUT RI" }]
  moved = [{ date = 2026-09-04, to = 2026-09-05T09:00:00 }]
"""
RUTIN_WITA = RUTIN.replace('duration = "90m"', 'duration = "90m"\n  timezone = "Asia/Makassar"')
WORKSHOP = """
  [[community.meeting]]
  id = "lokakarya"
  title = "Lokakarya asesmen"
  start = 2026-08-08T08:00:00
  duration = "4h"
"""
OPENING = """
  [[community.meeting]]
  id = "persiapan"
  title = "Persiapan semester"
  start = 2026-06-26T14:00:00
  duration = "90m"
"""

WIB = "+07:00"
DATES = ["2026-07-03", "2026-07-10", "2026-07-17", "2026-07-24", "2026-07-31", "2026-08-07",
         "2026-08-08", "2026-08-28", "2026-09-05", "2026-09-11", "2026-09-18", "2026-09-25"]
# (meeting, date given to `attendance mark`, present, absent)
MARKS = [
    ("persiapan", "2026-06-26", ["siti", "dewi"], []),
    ("rutin", "2026-07-03", ["siti", "budi", "dewi"], ["agus"]),
    ("rutin", "2026-07-10", ["siti", "budi", "agus"], ["dewi"]),
    ("rutin", "2026-07-17", ["siti", "dewi", "agus"], ["budi"]),
    ("rutin", "2026-07-24", ["siti", "budi", "dewi", "rina"], ["agus"]),
    ("rutin", "2026-08-07", ["siti", "dewi", "rina"], []),
    ("lokakarya", "2026-08-08", ["siti", "dewi"], ["rina"]),
    ("rutin", "2026-08-28", ["siti", "rina", "budi"], ["dewi", "agus"]),
    ("rutin", "2026-09-05", ["siti", "budi", "dewi", "rina"], []),
    ("rutin", "2026-09-11", ["siti", "budi", "dewi"], []),
    ("rutin", "2026-09-18", ["siti", "dewi", "rina"], ["budi"]),
]
# each person's record at meetings 1-12: P present, A absent, - no record, " " not theirs
EXPECTED = {
    "siti@example.org": "PPPP-PPPPPP-",
    "budi@example.org": "PPAP-  PPPA-",
    "dewi@example.org": "PAPP-PPAPPP-",
    "agus@example.org": "APPA-       ",
    "rina@example.org": "   P-PAPP-P-",
    "lama@example.org": "P           ",
}
RECORD = {"P": "present", "A": "absent", "-": "no record"}
NOW = "2027-01-05T10:00:00+07:00"


def cop(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def member(email: str, state: str, at: str, name: str) -> dict[str, str]:
    return {"t": "member", "community": "kkg", "email": email, "name": name, "state": state,
            "source": "email", "at": at + WIB}


def semester(tmp_path: Path, language: str = "id", rutin: str = RUTIN) -> Config:
    """The semester above, recorded as the daemon and an organizer would."""
    config = write_config(tmp_path, meeting=False, language=language,
                          extra=rutin + WORKSHOP + OPENING)
    runtime = Runtime(config, Store(config.service.data_dir))
    tick(runtime, datetime(2026, 6, 20, 2, 0, tzinfo=UTC))  # invitations: what was sent
    for record in [
        member("rina@example.org", "pending", "2026-07-20T19:00:00", "Rina Marlina"),
        member("fajar@example.org", "pending", "2026-07-21T07:00:00", "Fajar Nugroho"),
        member("rina@example.org", "active", "2026-07-22T08:00:00", "Rina Marlina"),
        member("agus@example.org", "left", "2026-08-01T10:00:00", "Agus Wibowo"),
        member("budi@example.org", "left", "2026-08-05T10:00:00", "Budi Santoso"),
        member("budi@example.org", "active", "2026-09-01T10:00:00", "Budi Santoso"),
        {"t": "attendance", "meeting": "kkg/rutin", "occurrence": "2026-07-03T14:00:00+07:00",
         "email": "lama@example.org", "present": True, "source": "cli"},
    ]:
        runtime.store.record(record)
    runtime.close()
    path = str(config.path)
    for meeting, day, present, absent in MARKS:
        args = ["--config", path, "attendance", "mark", "--community", "kkg", "--meeting",
                meeting, "--date", day]
        args += [a for p in present for a in ("--present", f"{p}@example.org")]
        args += [a for p in absent for a in ("--absent", f"{p}@example.org")]
        code, _, err = cop(*args)
        assert code == 0, err
    # the workshop is taken out of cop.toml; the daemon cancels it, its roll-call stays
    config.path.write_text(config.path.read_text().replace(WORKSHOP, ""))
    mark_edited(config.path)
    config = load_config(config.path)
    runtime = Runtime(config, Store(config.service.data_dir))
    tick(runtime, datetime(2026, 10, 1, 2, 0, tzinfo=UTC))
    runtime.close()
    return config


def export(config: Config, *args: str) -> list[dict[str, str]]:
    code, out, err = cop("--config", str(config.path), "attendance", "export", *args)
    assert code == 0, err
    return list(csv.DictReader(io.StringIO(out)))


@pytest.fixture(scope="module")
def kkg(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return semester(tmp_path_factory.mktemp("ledger"))


def test_every_row_of_the_export(kkg: Config) -> None:
    rows = export(kkg, "--semester", "2026-2", "--now", NOW)
    expected = [(DATES[n], email, RECORD[marks[n]]) for n in range(12)
                for email, marks in EXPECTED.items() if marks[n] != " "]
    assert [(r["date"], r["email"], r["record"]) for r in rows] == expected
    for r in rows:
        workshop = r["date"] == "2026-08-08"
        assert r["meeting"] == ("lokakarya" if workshop else "rutin")
        assert r["title"] == ("Lokakarya asesmen" if workshop else "Pertemuan rutin")
        assert r["time"] == {"2026-08-08": "08:00", "2026-09-05": "09:00"}.get(r["date"],
                                                                               "14:00")
        assert r["zone"] == "WIB" and r["semester"] == "2026-2" and r["community"] == "kkg"
        assert r["moved_from"] == ("2026-09-04" if r["date"] == "2026-09-05" else "")
        assert r["attended"] == {"present": "yes", "absent": "no"}.get(r["record"], "")
        credit = ("4", "5.33") if workshop else ("1.5", "2")
        assert (r["hours"], r["jp"]) == (credit if r["record"] == "present" else ("0", "0"))
        assert r["source"] == {"rina@example.org": "email",
                               "lama@example.org": "former"}.get(r["email"], "cop.toml")
        assert r["rsvp"] == "NEEDS-ACTION"
    names = {r["email"]: r["name"] for r in rows}
    assert names["rina@example.org"] == "Rina Marlina" and "fajar@example.org" not in names


def test_the_summary_counts_each_member_from_joining_to_leaving(kkg: Config) -> None:
    rows = export(kkg, "--semester", "2026-2", "--summary", "--now", NOW)
    got = [(r["email"], r["semester"], r["meetings"], r["attended"], r["absent"],
            r["no_record"], r["hours"], r["jp"], r["rate"]) for r in rows]
    assert got == [
        ("siti@example.org", "2026-2", "12", "10", "0", "2", "17.5", "23.33", "100%"),
        ("budi@example.org", "2026-2", "10", "6", "2", "2", "9", "12", "75%"),
        ("dewi@example.org", "2026-2", "12", "8", "2", "2", "14.5", "19.33", "80%"),
        ("agus@example.org", "2026-2", "5", "2", "2", "1", "3", "4", "50%"),
        ("rina@example.org", "2026-2", "9", "5", "1", "3", "7.5", "10", "83%"),
        ("lama@example.org", "2026-2", "1", "1", "0", "0", "1.5", "2", "100%"),
    ]
    # without --semester: a row per member and semester, June's meeting in 2026-1
    rows = export(kkg, "--from", "2026-01-01", "--to", "2026-12-31", "--summary")
    assert [(r["email"], r["semester"], r["attended"], r["no_record"]) for r in rows][:4] == [
        ("siti@example.org", "2026-1", "1", "0"), ("budi@example.org", "2026-1", "0", "1"),
        ("dewi@example.org", "2026-1", "1", "0"), ("agus@example.org", "2026-1", "0", "1")]
    assert len(rows) == 4 + 6


def test_meetings_not_yet_started_are_left_out(kkg: Config) -> None:
    rows = export(kkg, "--semester", "2026-2", "--now", "2026-07-17T15:00:00+07:00")
    assert sorted({r["date"] for r in rows}) == DATES[:3]
    code, _, err = cop("--config", str(kkg.path), "attendance", "export", "--semester",
                       "2026-3")
    assert code == 2 and "2026-1 or 2026-2" in err


def test_the_ledger_counts_the_meetings_held_against_12_a_year(kkg: Config) -> None:
    community = kkg.communities[0]
    store = Store(kkg.service.data_dir, read_only=True)
    ledger = build_ledger(community, store.state, Period.semester("2026-2"),
                          datetime.fromisoformat(NOW))
    (totals,) = ledger.totals
    assert (totals.meetings, totals.held, totals.no_record) == (12, 10, 2)
    assert totals.met_semester and totals.year_held == 11 and not totals.met_year
    # without what was sent (`retired`), the removed workshop's roll-call keeps its date
    # and its marks, not its time and length
    assert [m.start.date().isoformat() for m in ledger.meetings] == DATES
    workshop = ledger.meetings[6]
    assert workshop.kept and not workshop.time_known and workshop.present == 2


class Tables(HTMLParser):
    """The report's tables as lists of cell texts, and its definition list."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.terms: list[str] = []
        self.cell: list[str] | None = None
        self.where = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th", "dt", "dd"):
            self.cell, self.where = [], tag
        elif tag == "span" and self.cell is not None \
                and "note" in (dict(attrs).get("class") or "").split():
            self.cell.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag in ("dt", "dd") and self.cell is not None:
            self.terms.append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def report(config: Config, *args: str) -> tuple[str, Tables]:
    code, out, err = cop("--config", str(config.path), "attendance", "report", *args)
    assert code == 0, err
    tables = Tables()
    tables.feed(out)
    return out, tables


def test_every_row_of_the_report(kkg: Config) -> None:
    html, page = report(kkg, "--semester", "2026-2", "--now", NOW)
    assert "<h1>KKG Matematika</h1>" in html
    assert "Semester 2 (Juli–Desember 2026)</p>" in html  # the semester is over
    meetings, members = page.tables
    assert meetings == [
        ["No", "Tanggal dan waktu", "Kegiatan", "Lama", "Hadir"],
        ["1", "Jumat, 3 Juli 2026 | pukul 14.00 WIB", "Pertemuan rutin", "1,5 jam | 2 JP", "4"],
        ["2", "Jumat, 10 Juli 2026 | pukul 14.00 WIB", "Pertemuan rutin", "1,5 jam | 2 JP",
         "3"],
        ["3", "Jumat, 17 Juli 2026 | pukul 14.00 WIB", "Pertemuan rutin", "1,5 jam | 2 JP",
         "3"],
        ["4", "Jumat, 24 Juli 2026 | pukul 14.00 WIB", "Pertemuan rutin", "1,5 jam | 2 JP",
         "4"],
        ["5", "Jumat, 31 Juli 2026 | pukul 14.00 WIB", "Pertemuan rutin", "1,5 jam | 2 JP",
         "tanpa daftar hadir"],
        ["6", "Jumat, 7 Agustus 2026 | pukul 14.00 WIB", "Pertemuan rutin", "1,5 jam | 2 JP",
         "3"],
        ["7", "Sabtu, 8 Agustus 2026 | pukul 08.00 WIB",
         "Lokakarya asesmen | tidak lagi ada di jadwal; daftar hadirnya disimpan",
         "4 jam | 5,33 JP", "2"],
        ["8", "Jumat, 28 Agustus 2026 | pukul 14.00 WIB", "Pertemuan rutin",
         "1,5 jam | 2 JP", "3"],
        ["9", "Sabtu, 5 September 2026 | pukul 09.00 WIB",
         "Pertemuan rutin | dipindah dari Jumat, 4 September 2026", "1,5 jam | 2 JP", "4"],
        ["10", "Jumat, 11 September 2026 | pukul 14.00 WIB", "Pertemuan rutin",
         "1,5 jam | 2 JP", "3"],
        ["11", "Jumat, 18 September 2026 | pukul 14.00 WIB", "Pertemuan rutin",
         "1,5 jam | 2 JP", "3"],
        ["12", "Jumat, 25 September 2026 | pukul 14.00 WIB", "Pertemuan rutin",
         "1,5 jam | 2 JP", "tanpa daftar hadir"],
    ]
    assert members == [
        ["No", "Nama", "Hadir", "Tanpa catatan", "Jam", "JP"],
        ["1", "Agus Wibowo | keluar Sabtu, 1 Agustus 2026", "2 dari 5 | 50% dari yang tercatat",
         "1", "3", "4"],
        ["2", "Budi Santoso | keluar Rabu, 5 Agustus 2026 | bergabung Selasa, 1 September 2026",
         "6 dari 10 | 75% dari yang tercatat", "2", "9", "12"],
        ["3", "Dewi Lestari", "8 dari 12 | 80% dari yang tercatat", "2", "14,5", "19,33"],
        ["4", "lama | tidak lagi terdaftar", "1 dari 1 | 100% dari yang tercatat", "0", "1,5",
         "2"],
        ["5", "Rina Marlina | bergabung Rabu, 22 Juli 2026 (lewat email)",
         "5 dari 9 | 83% dari yang tercatat", "3", "7,5", "10"],
        ["6", "Siti Rahayu", "10 dari 12 | 100% dari yang tercatat", "2", "17,5", "23,33"],
    ]
    assert page.terms == [
        "Pertemuan terjadwal", "12", "Pertemuan terlaksana (ada daftar hadir)", "10",
        "Tanpa daftar hadir", "2", "Jumlah kehadiran", "32",
        "Lama pertemuan terlaksana", "17,5 jam (23,33 JP)",
        "Semester ini", "10 dari 6 pertemuan: tercapai",
        "Tahun 2026", "11 dari 12 pertemuan: belum tercapai",
    ]
    assert "Libur" not in html  # the break's Fridays are no meetings
    assert "Dibuat oleh CoP Mailer pada Selasa, 5 Januari 2027 pukul 10.00 WIB" in html


def test_the_report_in_english_names_the_zone(tmp_path: Path) -> None:
    config = semester(tmp_path, language="en", rutin=RUTIN_WITA)
    out = tmp_path / "report.html"
    code, said, err = cop("--config", str(config.path), "attendance", "report", "--semester",
                          "2026-2", "--community", "kkg", "--out", str(out), "--now",
                          "2026-09-12T08:00:00+08:00")
    assert code == 0 and said.strip() == f"wrote {out}", err
    page = Tables()
    page.feed(out.read_text())
    meetings, members = page.tables
    assert meetings[1] == ["1", "Friday, 3 July 2026 | at 14:00 WITA", "Pertemuan rutin",
                           "1.5 h | 2 JP", "4"]
    assert meetings[9] == ["9", "Saturday, 5 September 2026 | at 09:00 WITA",
                           "Pertemuan rutin | moved from Friday, 4 September 2026",
                           "1.5 h | 2 JP", "4"]
    assert len(meetings) == 1 + 10  # up to 12 September: 11 and 18 September not yet
    assert members[-1] == ["6", "Siti Rahayu", "9 of 10 | 100% of those recorded", "1",
                           "16", "21.33"]
    text = out.read_text()
    assert "Semester 2 (July–December 2026), up to Saturday, 12 September 2026" in text
    assert "9 of 6 meetings: met" in text and "10 of 12 meetings: not met yet" in text


def test_the_report_as_pdf(kkg: Config, tmp_path: Path) -> None:
    out = tmp_path / "laporan.pdf"
    code, _, err = cop("--config", str(kkg.path), "attendance", "report", "--semester",
                       "2026-2", "--out", str(out), "--now", NOW)
    assert code == 0, err
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"/Type /Page" in data


def test_the_pdf_without_a_unicode_font_drops_accents_only(kkg: Config) -> None:
    assert _latin("Semester 2 (Juli–Desember) Ṣiti Ŕahayu José") == \
        "Semester 2 (Juli-Desember) Siti Rahayu José"
    store = Store(kkg.service.data_dir, read_only=True)
    ledger = build_ledger(kkg.communities[0], store.state, Period.semester("2026-2"),
                          datetime.fromisoformat(NOW))
    data = render_attendance_pdf(report_context(ledger, "2026-2"), "id", font=None)
    assert data.startswith(b"%PDF-") and b"/Helvetica" in data


def test_mark_takes_who_joined_by_email_not_who_only_asked(kkg: Config) -> None:
    code, _, err = cop("--config", str(kkg.path), "attendance", "mark", "--community", "kkg",
                       "--meeting", "rutin", "--date", "2026-09-25", "--present",
                       "fajar@example.org")
    assert code == 1 and "not members of kkg: fajar@example.org" in err  # never confirmed


def test_a_member_listed_after_joining_by_email_counts_from_the_join(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    history = [member("budi@example.org", "pending", "2026-10-01T08:00:00", "Budi"),
               member("budi@example.org", "active", "2026-10-02T08:00:00", "Budi"),
               member("agus@example.org", "left", "2026-10-03T08:00:00", "Agus"),
               member("agus@example.org", "pending", "2026-10-04T08:00:00", "Agus"),
               member("agus@example.org", "active", "2026-10-05T08:00:00", "Agus")]
    state = State()
    for record in history:
        state.apply(record)
    people = {p.email: p for p in people_of(config.communities[0], state, history)}
    joined = datetime.fromisoformat("2026-10-02T08:00:00+07:00")
    assert people["budi@example.org"].spans == (Span(joined, None),)
    assert people["agus@example.org"].spans == (
        Span(None, datetime.fromisoformat("2026-10-03T08:00:00+07:00")),
        Span(datetime.fromisoformat("2026-10-05T08:00:00+07:00"), None))
    assert people["siti@example.org"].spans == (Span(None, None),)
