"""The excerpt a moderator reads of a held post (handle/posts.py): its first lines, read
from the start of a long text only."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mailer.handle.posts import _first_lines

BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(BREAKS), st.text(max_size=300)), max_size=60),
       st.integers(1, 20))
def test_the_first_lines_are_those_of_the_whole_text(parts: list[str], count: int) -> None:
    text = "".join(parts)
    assert _first_lines(text, count) == text.splitlines()[:count]


def test_a_long_text_and_one_cut_in_a_line_break() -> None:
    text = "\n".join(f"- Butir {i}" for i in range(5000))
    assert _first_lines(text, 15) == text.splitlines()[:15]
    cut = "x" * 199 + "\r\n" + "y\n" * 40
    assert _first_lines(cut, 1) == ["x" * 199]
