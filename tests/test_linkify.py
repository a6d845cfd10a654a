"""What a post's HTML part does with its text (mailer/outbound/links.py, reflow.py): the
quick paths for a long text give what reading every character and every line gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from mailer.outbound.links import _FOUND, _trim, anchor, linkify
from mailer.outbound.reflow import MIN_WIDTH, reflow


def every_character(text: str) -> Markup:
    """linkify as it was: the pattern tried over the whole text."""
    out: list[str] = []
    at = 0
    for found in _FOUND.finditer(text):
        shown = found.group(0)
        if found.group("url"):
            shown = _trim(shown)
            href = shown if "://" in shown else "https://" + shown
        else:
            href = "mailto:" + shown
        out.append(escape(text[at:found.start()]))
        out.append(anchor(href, shown))
        at = found.start() + len(shown)
    out.append(escape(text[at:]))
    return Markup("".join(out))


PIECES = ["https://meet.jit.si/x", "www.example.org", "http://a.b/c(d).", "siti@example.org",
          "a.b+c@x.co.id", "mailto:", "@", "http", "www.", "<", "&", "\"", "'", ")", ".",
          "\n", " ", "\t", "x", "Butir 7", "é", "_", "-", "%"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=40))
def test_linkify_finds_what_a_search_of_every_character_finds(parts: list[str]) -> None:
    text = "".join(parts)
    assert linkify(text) == every_character(text)


def test_a_long_list_without_links_is_escaped_as_it_is() -> None:
    items = "\n".join(f"- Butir {i} <b>&" for i in range(5000))
    assert linkify(items) == escape(items)
    text = items + "\nlihat https://x.org/a, atau tulis ke siti@x.org.\n" + items
    assert linkify(text) == every_character(text)
    assert linkify(text).count("<a href=") == 2


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["x" * (MIN_WIDTH - 1), "y", "", "> q", "--", "- item",
                                 "kata " * 14, "  indented", "z" * MIN_WIDTH]), max_size=12))
def test_reflow_of_short_lines_is_the_text_itself(lines: list[str]) -> None:
    text = "\n".join(lines)
    short = all(len(line) < MIN_WIDTH for line in lines)
    assert not short or reflow(text) == text
