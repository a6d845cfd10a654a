"""Reply trimming reads a long text condensed (mailer/inbound/condense.py): the candidate
search misses no line that trimming would examine, and the condensed reading trims exactly
as the line-by-line reading of the same text does."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mailer.inbound.condense import (
    _MAY_MARK,
    EXAMINE_AROUND,
    EXAMINE_HEAD,
    EXAMINE_TAIL,
    MARGIN,
    candidate_lines,
    condense,
)
from mailer.inbound.quote_headers import (
    _VERB_AT_END,
    _VERB_AT_END_BACKWARDS,
    MAX_LINE,
    field,
    is_separator,
)
from mailer.inbound.replies import _Mail, _split, _tidy, new_text, trim_reply

# lines of the shapes trimming reacts to, and plain ones (white space of every kind)
SHAPES = [
    "- Butir 7", "Kalimat tentang pecahan di kelas tiga.", "", "   ", "\t\u3000", "\u2028",
    "> kutipan", "  >> kutipan dalam", "-- ", "--", "Sent from my iPhone", "ſent from my phone",
    "Dikirim dari Yahoo Mail di Android", "On Mon, Dec 7, 2026 at 9:15 AM Siti <s@x.org> wrote:",
    "Pada Sen, 7 Des 2026 Siti menulis:", "Siti wrote", "From: Siti <s@x.org>",
    "Sent: Monday, 7 December 2026 09:15", "To: kkg@example.org", "Subject: Rapat",
    "-----Original Message-----", "* -- Pesan asli --", "**From:** Siti", "__________",
    "Salam,", "Siti Rahayu, S.Pd.", "NIP. 19800101 200501 2 001", "SDN 1 Mataram",
    "HP: 0812 3456 7890", "Terima kasih.", "ᐧ", "Halo semua,", "x" * (MAX_LINE + 5) + ":",
    "İnviato da iPhone", "Balas email ini untuk menanggapi di utas ini.", "a@b.c", "Catatan：",
]


def reference(body: str, new_thread: bool = False) -> str:
    """What trimming keeps when it reads every line itself, as before condensing: the head
    and tail line by line, in the middle the lines near what _MAY_MARK finds."""
    lines = _split(body)
    n = len(lines)
    near: set[int] = set()
    if n > EXAMINE_HEAD + EXAMINE_TAIL:
        for i in range(EXAMINE_HEAD, n - EXAMINE_TAIL):
            if len(lines[i]) <= MAX_LINE and _MAY_MARK.search(lines[i]):
                near.update(range(i - EXAMINE_AROUND, i + EXAMINE_AROUND + 1))
    seen = [n <= EXAMINE_HEAD + EXAMINE_TAIL or i < EXAMINE_HEAD or i >= n - EXAMINE_TAIL
            or i in near for i in range(n)]
    mail = _Mail(lines, seen)
    return _tidy([lines[i] for i in mail.new_lines()])


def long_texts() -> st.SearchStrategy[str]:
    """Long texts: runs of one shape (a list, paragraphs) with marked lines between."""
    run = st.tuples(st.sampled_from(SHAPES[:6]), st.sampled_from(SHAPES[:6]),
                    st.integers(1, 9), st.integers(0, 400)).map(
        lambda t: [t[0] if i % t[2] else t[1] for i in range(t[3])])
    mark = st.lists(st.sampled_from(SHAPES), min_size=1, max_size=4)
    return st.lists(st.one_of(run, mark), min_size=1, max_size=12).map(
        lambda parts: "\n".join(line for part in parts for line in part))


@settings(max_examples=300, deadline=None)
@given(body=long_texts(), new_thread=st.booleans())
def test_the_condensed_reading_trims_as_the_whole_reading_does(body: str,
                                                                  new_thread: bool) -> None:
    if new_thread and any(is_separator(line.strip()) or field(line) for line in _split(body)):
        return  # a forward: the text is kept whole, nothing is condensed
    trimmed = trim_reply(body, new_thread)
    if not trimmed.kept_untrimmed:
        assert trimmed.text == reference(body, new_thread)


def test_a_long_list_is_condensed_and_kept_whole() -> None:
    items = [f"- Butir {i}" for i in range(5000)]
    lines = _split("\n".join(items))
    view = condense(lines, candidate_lines(lines))
    assert len(view.lines) < EXAMINE_HEAD + EXAMINE_TAIL + 2 * MARGIN + 4
    assert new_text("\n".join(items), new_thread=True) == "\n".join(items)


def test_a_signature_above_a_long_stretch_ends_at_its_first_blank_line() -> None:
    body = ["-- ", "Siti"] + [f"baris {i}" for i in range(900)] + ["   ", "akhir"] + \
        [f"lagi {i}" for i in range(900)]
    assert new_text("\n".join(body)) == reference("\n".join(body))
    assert new_text("\n".join(body)).startswith("akhir\nlagi 0")


def test_history_in_the_middle_of_a_long_text_is_still_found() -> None:
    items = [f"Kalimat {i}." for i in range(2000)]
    body = [*items, "", "On Mon, Dec 7, 2026 at 9:15 AM Siti <s@x.org> wrote:", ""]
    body += [f"Isi lama {i}." for i in range(2000)]
    assert new_text("\n".join(body)) == "\n".join(items) == reference("\n".join(body))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(SHAPES), st.text(
    alphabet="ab:：>@-_=*#~ \t\u3000\u2028\x1cſıİKsentdkrimvoyg", max_size=30)),
    max_size=40))
def test_no_line_that_could_mark_history_is_missed(lines: list[str]) -> None:
    lines = [line.replace("\n", " ").replace("\r", " ") for line in lines]
    found = set(candidate_lines(lines))
    for i, line in enumerate(lines):
        could = (bool(_MAY_MARK.search(line)) or line.strip().startswith(">")
                 or is_separator(line.strip()) or field(line) is not None)
        assert not could or i in found, (i, line)


def test_white_space_in_the_candidate_search_is_python_white_space() -> None:
    """_MAY_START's "[^\\S\\n]" is what str.strip() takes away, less the line break."""
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace() and chr(c) != "\n"]
    assert all(re.fullmatch(r"[^\S\n]", c) for c in spaces)



VERBS = ["wrote", "Writes", "HAS WRITTEN", "menulis", "schrieb", "a  \u00e9crit", "nous a dit",
         "escribi\u00f3", "napisa\u0142 (a)", "NAPSALA", "yazd\u0131", "YAZDI", "yazd\u0130",
         "\u043d\u0430\u043f\u0438\u0441\u0430\u043b (\u0430)", "\u00edrta", "ra\u0161\u0117",
         "\u03ad\u03b3\u03c1\u03b1\u03c8\u03b5", "\u0111\u00e3 vi\u1ebft", "\u5199\u9053",
         "\u306e\u30e1\u30c3\u30bb\u30fc\u30b8", "\ub2d8\uc774 \uc791\uc131", "\u017fent", "sent"]
AROUND = ["", " ", ":", ".", "-", "\t", "x", "9", "_", "\u3000", "\uff1a"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(VERBS), st.sampled_from(AROUND), st.text(max_size=3)),
                max_size=8))
def test_the_reversed_verb_pattern_finds_what_the_forward_one_finds(parts: list[str]) -> None:
    """could_end_header matches the 'wrote' on the reversed line, anchored, in one try."""
    tail = "".join(parts)[-40:]
    assert bool(_VERB_AT_END.search(tail)) == bool(_VERB_AT_END_BACKWARDS.match(tail[::-1]))
