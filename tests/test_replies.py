"""The new text of replies from real mail programs, in Indonesian and English.

Each tests/data/mail/NAME.eml has NAME.expected.txt beside it: the text a member wrote,
with quoted history, quote headers, signatures and mobile footers removed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.inbound.parse import parse_mail
from mailer.inbound.replies import new_text

DATA = Path(__file__).parent / "data" / "mail"
CASES = sorted(p.stem for p in DATA.glob("*.eml"))


@pytest.mark.parametrize("name", CASES)
def test_new_text(name: str) -> None:
    mail = parse_mail((DATA / f"{name}.eml").read_bytes())
    expected = (DATA / f"{name}.expected.txt").read_text().strip()
    starts_a_thread = not mail.in_reply_to  # as routing decides for these cases
    assert new_text(mail.text, new_thread=starts_a_thread) == expected


def test_a_wrong_charset_degrades_and_never_crashes() -> None:
    raw = (b"From: a@example.org\r\nTo: kkg@example.org\r\nSubject: =?x-unknown?q?Halo?=\r\n"
           b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nSaya \xe9 hadir\r\n")
    mail = parse_mail(raw)
    assert "hadir" in mail.text
    assert mail.subject
