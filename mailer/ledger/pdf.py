"""The attendance report as an A4 PDF, drawn with fpdf2 (pure Python) from the same data as
the HTML report (report.report_context). Bytes out; the caller writes them.

The HTML templates are what organizers may override; the PDF has a fixed layout and its
own words below, in both languages. With a Unicode font (DejaVu Sans, passed in by the
caller) every name prints as written; without one, the PDF's built-in Helvetica prints
Latin-1 only, and other letters are written without their accents.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from mailer.outbound.dates import format_clock, format_day, format_when

WORDS: dict[str, dict[str, str]] = {
    "id": {
        "kind": "LAPORAN KEHADIRAN PERTEMUAN", "semester": "Semester",
        "months1": "Januari-Juni", "months2": "Juli-Desember", "until": "sampai",
        "meetings": "Pertemuan", "no": "No", "when": "Tanggal dan waktu",
        "title": "Kegiatan", "length": "Lama", "present": "Hadir", "at": "pukul",
        "hours_unit": "jam", "moved": "dipindah dari", "kept": "tidak lagi ada di jadwal",
        "none_taken": "tanpa daftar hadir", "no_meetings": "Belum ada pertemuan.",
        "members": "Anggota", "name": "Nama", "attended": "Hadir",
        "no_record": "Tanpa catatan", "hours": "Jam", "of": "dari",
        "recorded": "dari yang tercatat", "joined": "bergabung", "by_email": "(lewat email)",
        "left": "keluar", "former": "tidak lagi terdaftar",
        "summary": "Ringkasan", "scheduled": "Pertemuan terjadwal",
        "held": "Pertemuan terlaksana (ada daftar hadir)",
        "without": "Tanpa daftar hadir", "attendances": "Jumlah kehadiran",
        "held_length": "Lama pertemuan terlaksana", "this_semester": "Semester ini",
        "year": "Tahun", "to_june": "(sampai Juni)", "met": "tercapai",
        "unmet": "belum tercapai", "meetings_word": "pertemuan",
        "rules": "Target: {year} pertemuan setahun, {semester} tiap semester. Pertemuan "
                 "dihitung terlaksana bila ada daftar hadir dengan sedikitnya satu anggota "
                 "hadir. Pertemuan tanpa daftar hadir tidak dihitung sebagai ketidakhadiran. "
                 "Anggota dihitung sejak bergabung sampai keluar. 1 JP = 45 menit. Waktu "
                 "dalam zona waktu pertemuan.",
        "acknowledged": "Mengetahui,\nPengawas Sekolah", "chair": "Ketua",
        "signature": "Nama dan NIP", "page": "Halaman {n} dari {total}",
        "made": "Dibuat oleh CoP Mailer",
    },
    "en": {
        "kind": "MEETING ATTENDANCE REPORT", "semester": "Semester",
        "months1": "January-June", "months2": "July-December", "until": "up to",
        "meetings": "Meetings", "no": "No", "when": "Date and time",
        "title": "Activity", "length": "Length", "present": "Present", "at": "at",
        "hours_unit": "h", "moved": "moved from", "kept": "no longer scheduled",
        "none_taken": "no roll-call", "no_meetings": "No meetings yet.",
        "members": "Members", "name": "Name", "attended": "Attended",
        "no_record": "No record", "hours": "Hours", "of": "of",
        "recorded": "of those recorded", "joined": "joined", "by_email": "(by email)",
        "left": "left", "former": "no longer listed",
        "summary": "Summary", "scheduled": "Meetings scheduled",
        "held": "Meetings held (with a roll-call)", "without": "Without a roll-call",
        "attendances": "Attendances", "held_length": "Length of the meetings held",
        "this_semester": "This semester", "year": "Year", "to_june": "(to June)",
        "met": "met", "unmet": "not met yet", "meetings_word": "meetings",
        "rules": "Target: {year} meetings a year, {semester} a semester. A meeting counts "
                 "as held when its roll-call has at least one member present. A meeting "
                 "without a roll-call is not counted as an absence. Members count from "
                 "joining to leaving. 1 JP (lesson hour) = 45 minutes. Times in the "
                 "meeting's time zone.",
        "acknowledged": "Acknowledged by\nSchool supervisor", "chair": "Chair,",
        "signature": "Name and NIP", "page": "Page {n} of {total}",
        "made": "Made by CoP Mailer",
    },
}
GREY = (87, 96, 106)
HEAD = FontFace(emphasis="BOLD", fill_color=(238, 241, 244))


class _Page(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.footer_text.format(n=self.page_no(), total="{nb}"), align="C")


def _latin(text: str) -> str:
    """What Helvetica can print: accents dropped where the letter is outside Latin-1."""
    out = []
    for ch in text.replace("–", "-").replace("—", "-").replace("’", "'"):
        if ord(ch) < 256:
            out.append(ch)
        else:
            bare = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode()
            out.append(bare or "?")
    return "".join(out)


def render_attendance_pdf(context: dict[str, Any], language: str,
                          font: tuple[Path, Path] | None = None) -> bytes:
    """The report as PDF bytes. `font`: a regular and a bold TrueType file, or None."""
    w = WORDS.get(language, WORDS["en"])
    pdf = _Page(format="A4")
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(True, 18)
    text: Callable[[str], str] = _latin
    family = "helvetica"
    if font:
        pdf.add_font("body", "", font[0])
        pdf.add_font("body", "B", font[1])
        family, text = "body", str
    pdf.footer_text = text(w["page"])
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font(family, size=10)

    def day(moment: date | datetime) -> str:
        return text(format_day(moment, language))  # type: ignore[arg-type]

    def line(words: str, size: float = 10, bold: bool = False, color: tuple[int, ...] = (),
             height: float = 5.2) -> None:
        pdf.set_font(family, "B" if bold else "", size)
        pdf.set_text_color(*(color or (31, 35, 40)))
        pdf.multi_cell(0, height, text(words), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(31, 35, 40)

    def heading(words: str) -> None:
        pdf.ln(4)
        if pdf.will_page_break(20):
            pdf.add_page()
        line(words, 12, bold=True, height=7)
        pdf.set_draw_color(140, 149, 159)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(2)

    semester = context["semester"]
    line(w["kind"], 8, color=GREY)
    line(context["community"]["name"], 16, bold=True, height=8)
    sub = f"{w['semester']} {semester['half']} ({w['months' + str(semester['half'])]} " \
          f"{semester['year']})"
    if not semester["complete"]:
        sub += f", {w['until']} {day(semester['until'])}"
    line(sub)
    pdf.set_draw_color(31, 35, 40)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
    pdf.set_line_width(0.2)
    pdf.ln(2)

    heading(w["meetings"])
    if context["meetings"]:
        pdf.set_font(family, size=9)
        with pdf.table(col_widths=(8, 50, 68, 22, 24), text_align=("RIGHT", "LEFT", "LEFT",
                       "RIGHT", "RIGHT"), headings_style=HEAD, line_height=4.6,
                       padding=1.4) as table:
            table.row([text(w["no"]), text(w["when"]), text(w["title"]), text(w["length"]),
                       text(w["present"])])
            for m in context["meetings"]:
                when = day(m["start"])
                if m["time_known"]:
                    when += "\n" + text(f"{w['at']} {format_clock(m['start'], language)}")
                title = text(m["title"])
                if m["usual"]:
                    title += "\n" + text(f"{w['moved']} ") + day(m["usual"])
                if m["kept"]:
                    title += "\n" + text(w["kept"])
                length = f"{m['hours']} {w['hours_unit']}\n{m['jp']} JP" \
                    if m["time_known"] else "?"
                present = str(m["present"]) if m["roll_call"] else w["none_taken"]
                table.row([str(m["n"]), when, title, text(length), text(present)])
    else:
        line(w["no_meetings"], color=GREY)

    heading(w["members"])
    if context["members"]:
        pdf.set_font(family, size=9)
        with pdf.table(col_widths=(8, 66, 44, 22, 20, 20), text_align=("RIGHT", "LEFT",
                       "RIGHT", "RIGHT", "RIGHT", "RIGHT"), headings_style=HEAD,
                       line_height=4.6, padding=1.4) as table:
            table.row([text(w["no"]), text(w["name"]), text(w["attended"]),
                       text(w["no_record"]), text(w["hours"]), "JP"])
            for p in context["members"]:
                name = text(p["name"])
                for note in p["notes"]:
                    parts = []
                    if note.joined:
                        via = f" {w['by_email']}" if p["source"] == "email" else ""
                        parts.append(f"{w['joined']} " + day(note.joined) + text(via))
                    if note.left:
                        parts.append(f"{w['left']} " + day(note.left))
                    name += "\n" + text("; ".join(parts))
                if p["source"] == "former":
                    name += "\n" + text(w["former"])
                attended = f"{p['attended']} {w['of']} {p['meetings']}"
                if p["rate"]:
                    attended += f"\n{p['rate']} {w['recorded']}"
                table.row([str(p["n"]), name, text(attended), str(p["no_record"]),
                           text(p["hours"]), text(p["jp"])])

    totals = context["totals"]
    heading(w["summary"])
    year = f"{w['year']} {semester['year']}" + (f" {w['to_june']}" if semester["half"] == 1
                                                else "")
    rows = [
        (w["scheduled"], str(totals["meetings"])), (w["held"], str(totals["held"])),
        (w["without"], str(totals["no_record"])), (w["attendances"], str(totals["present"])),
        (w["held_length"], f"{totals['hours']} {w['hours_unit']} ({totals['jp']} JP)"),
        (w["this_semester"], f"{totals['held']} {w['of']} {totals['semester_target']} "
                             f"{w['meetings_word']}: "
                             + (w["met"] if totals["met_semester"] else w["unmet"])),
        (year, f"{totals['year_held']} {w['of']} {totals['year_target']} "
               f"{w['meetings_word']}: " + (w["met"] if totals["met_year"] else w["unmet"])),
    ]
    pdf.set_font(family, size=10)
    for label, value in rows:
        pdf.set_font(family, "", 10)
        pdf.cell(80, 6, text(label))
        pdf.set_font(family, "B", 10)
        pdf.cell(0, 6, text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    line(w["rules"].format(year=totals["year_target"], semester=totals["semester_target"]),
         8.5, color=GREY, height=4.4)

    if pdf.will_page_break(45):
        pdf.add_page()
    pdf.ln(8)
    top = pdf.get_y()
    generated = context["generated"]
    right = (day(generated) if generated else "") + "\n" + \
        text(f"{w['chair']} {context['community']['name']}")
    for x, words in ((pdf.l_margin, text(w["acknowledged"])), (pdf.w / 2 + 6, right)):
        pdf.set_xy(x, top)
        pdf.set_font(family, "", 10)
        pdf.multi_cell(pdf.w / 2 - 20, 5, words)
        pdf.set_xy(x, top + 34)
        pdf.set_draw_color(31, 35, 40)
        pdf.line(x, top + 33, x + pdf.w / 2 - 20, top + 33)
        pdf.set_font(family, "", 8.5)
        pdf.cell(pdf.w / 2 - 20, 4, text(w["signature"]))
    pdf.set_xy(pdf.l_margin, top + 44)
    made = w["made"] + (f" ({format_when(generated, language)})" if generated else "")
    line(made, 8, color=GREY)
    return bytes(pdf.output())
