"""The new text of replies from real mail programs, in Indonesian and English.

Each tests/data/mail/NAME.eml has NAME.expected.txt beside it: the text a member wrote,
with quoted history, quote headers, signatures and mobile footers removed.

tests/data/replies/*.txt hold our own reply set, many cases per file (see README there):

    %%% case: a-unique-name
    the body as the mail program wrote it
    %%% expected
    what new_text() must return
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.inbound.parse import parse_mail
from mailer.inbound.replies import new_text

DATA = Path(__file__).parent / "data" / "mail"
CASES = sorted(p.stem for p in DATA.glob("*.eml"))
REPLIES = Path(__file__).parent / "data" / "replies"


def reply_cases() -> list[tuple[str, str, str]]:
    """[(name, body, expected)] from tests/data/replies/*.txt, in file order."""
    out: list[tuple[str, str, str]] = []
    for path in sorted(REPLIES.glob("*.txt")):
        text = "\n" + path.read_text(encoding="utf-8")
        for block in text.split("\n%%% case: ")[1:]:
            head, _, rest = block.partition("\n")
            body, marker, expected = rest.partition("%%% expected\n")
            assert marker, f"{path.name}: case {head} has no '%%% expected' line"
            out.append((f"{path.stem}/{head.strip()}", body, expected.strip()))
    names = [name for name, _, _ in out]
    assert len(names) == len(set(names)), "case names must be unique"
    return out


REPLY_CASES = reply_cases()


@pytest.mark.parametrize("name", CASES)
def test_new_text(name: str) -> None:
    mail = parse_mail((DATA / f"{name}.eml").read_bytes())
    expected = (DATA / f"{name}.expected.txt").read_text().strip()
    starts_a_thread = not mail.in_reply_to  # as routing decides for these cases
    assert new_text(mail.text, new_thread=starts_a_thread) == expected


@pytest.mark.parametrize(("name", "body", "expected"), REPLY_CASES,
                         ids=[name for name, _, _ in REPLY_CASES])
def test_reply_set(name: str, body: str, expected: str) -> None:
    assert new_text(body) == expected


def test_a_wrong_charset_degrades_and_never_crashes() -> None:
    raw = (b"From: a@example.org\r\nTo: kkg@example.org\r\nSubject: =?x-unknown?q?Halo?=\r\n"
           b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nSaya \xe9 hadir\r\n")
    mail = parse_mail(raw)
    assert "hadir" in mail.text
    assert mail.subject
