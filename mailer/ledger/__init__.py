"""The attendance ledger a KKG or MGMP reports to the district education office.

    spans.py   who was a member when (cop.toml, joins and leaves by email)
    book.py    meetings, a row per member and meeting, tallies, the 12-a-year count (pure)
    report.py  the printable report: HTML from templates/<language>/attendance.html.j2
    pdf.py     the same report as an A4 PDF (fpdf2)
"""

from mailer.ledger.book import (
    JP_MINUTES,
    SEMESTER_TARGET,
    YEAR_TARGET,
    Ledger,
    Meeting,
    Period,
    Row,
    Tally,
    Totals,
    build_ledger,
    hours,
    jp,
    meetings_of,
    semester_of,
)
from mailer.ledger.spans import Person, Span, people_of

__all__ = [
    "JP_MINUTES", "SEMESTER_TARGET", "YEAR_TARGET", "Ledger", "Meeting", "Period", "Person",
    "Row", "Span", "Tally", "Totals", "build_ledger", "hours", "jp", "meetings_of",
    "people_of", "semester_of",
]
