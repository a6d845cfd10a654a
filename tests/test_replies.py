"""The new text of replies from real mail programs, in Indonesian and English.

Each tests/data/mail/NAME.eml has NAME.expected.txt beside it: the text a member wrote,
with quoted history, quote headers, signatures and mobile footers removed.

tests/data/replies/*.txt hold our own reply set, many cases per file (see README there):

    %%% case: a-unique-name
    the body as the mail program wrote it
    %%% expected
    what new_text() must return

Text above the first case of a file says what the file holds. "%%% case: NAME new_thread"
reads the body as a post that starts a thread (new_text(body, new_thread=True)).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from mailer.inbound.parse import parse_mail
from mailer.inbound.replies import new_text, trim_reply

DATA = Path(__file__).parent / "data" / "mail"
CASES = sorted(p.stem for p in DATA.glob("*.eml"))
REPLIES = Path(__file__).parent / "data" / "replies"


def reply_cases(new_threads: bool = False) -> list[tuple[str, str, str]]:
    """[(name, body, expected)] from tests/data/replies/*.txt, in file order: the replies,
    or (`new_threads`) the posts that start a thread."""
    out: list[tuple[str, str, str]] = []
    names: set[str] = set()
    for path in sorted(REPLIES.glob("*.txt")):
        text = "\n" + path.read_text(encoding="utf-8")
        for block in text.split("\n%%% case: ")[1:]:
            head, _, rest = block.partition("\n")
            name, *flags = head.split()
            body, marker, expected = rest.partition("%%% expected\n")
            assert marker, f"{path.name}: case {name} has no '%%% expected' line"
            assert f"{path.stem}/{name}" not in names, f"{path.name}: {name} twice"
            names.add(f"{path.stem}/{name}")
            if ("new_thread" in flags) == new_threads:
                out.append((f"{path.stem}/{name}", body, expected.strip()))
    return out


REPLY_CASES = reply_cases()
NEW_THREAD_CASES = reply_cases(new_threads=True)


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


@pytest.mark.parametrize(("name", "body", "expected"), NEW_THREAD_CASES,
                         ids=[name for name, _, _ in NEW_THREAD_CASES])
def test_new_thread_set(name: str, body: str, expected: str) -> None:
    assert new_text(body, new_thread=True) == expected


def test_the_set_is_large_and_mostly_indonesian() -> None:
    cases = REPLY_CASES + NEW_THREAD_CASES
    indonesian = [n for n, _, _ in cases if n.startswith(("id-", "traps/"))]
    assert len(cases) >= 120
    assert len(indonesian) * 2 >= len(cases)


def test_windows_line_endings() -> None:
    body = ("Siap, Bu.\r\n\r\nPada Sen, 7 Des 2026 pukul 09.15 Siti Rahayu "
            "<siti@example.org> menulis:\r\n\r\n> Hadir?\r\n")
    assert new_text(body) == "Siap, Bu."


def test_kept_untrimmed_is_returned_and_logged_without_the_body(
        caplog: pytest.LogCaptureFixture) -> None:
    body = ("Dear all,\n\nFrom: Siti <siti@example.org>\nSent: Monday, December 7, 2026 "
            "9:15 AM\nTo: KKG\nSubject: Workshop\n\nWho can present?\n\nI can present.\n")
    with caplog.at_level(logging.INFO, logger="mailer.inbound.replies"):
        trimmed = trim_reply(body)
    assert trimmed.kept_untrimmed
    assert trimmed.text == body.strip()
    assert len(caplog.records) == 1
    assert "present" not in caplog.text and "Siti" not in caplog.text
    assert not trim_reply("Oke.\n\nOn Mon, 7 Dec 2026 at 09:15, Siti <s@x.org> wrote:\n"
                          "> Hadir?\n").kept_untrimmed


HOSTILE = {
    "a 3 MB line": "z" * 3 * 2**20,
    "200,000 characters of text": "Saya setuju dengan usulan Bu Siti.\n" * 5800,
    "quote headers on every line": "On Mon, Dec 7, 2026 at 9:15 AM Siti <s@x.org> wrote:\n"
                                   * 3800,
    "'wrote:' on every line": "Siti wrote:\n" * 18000,
    "quotes and answers alternating": "> q\nanswer\n" * 20000,
    "header fields on every line": "From: a@b.c\n" * 18000,
    "colons and angle brackets": ("<" * 900 + ":\n" + ">" * 900 + ":\n") * 110,
    "rules and text alternating": "----------\nx\n" * 15000,
    "trailing rules": "Oke.\n" + "-----\n" * 40000,
    "blank lines": "Oke.\n" + "\n" * 200000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_bodies_take_linear_time(name: str) -> None:
    """Posts of 200,000 characters built to be expensive: well under a few seconds each
    (each takes a fraction of a second on a quiet machine; no pattern backtracks)."""
    body = HOSTILE[name]
    started = time.perf_counter()
    new_text(body)
    new_text(body, new_thread=True)
    assert time.perf_counter() - started < 20


def test_a_wrong_charset_degrades_and_never_crashes() -> None:
    raw = (b"From: a@example.org\r\nTo: kkg@example.org\r\nSubject: =?x-unknown?q?Halo?=\r\n"
           b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nSaya \xe9 hadir\r\n")
    mail = parse_mail(raw)
    assert "hadir" in mail.text
    assert mail.subject


def test_a_long_text_is_examined_where_history_may_start() -> None:
    """Past its head and tail a long text is examined line by line only around lines that
    could start history: a list of 3,000 items costs little, and history in its middle is
    still found."""
    items = [f"- Butir {i}" for i in range(3000)]
    assert new_text("\n".join(items)) == "\n".join(items)
    history = ["", "From: Siti Rahayu <siti@example.org>", "Sent: Monday, 1 December 2026",
               "To: KKG <kkg@example.org>", "Subject: Daftar", "", "isi lama"]
    reply = items[:1500] + history + ["lama"] * 1500
    assert new_text("\n".join(reply)) == "\n".join(items[:1500])
