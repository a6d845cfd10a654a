"""HTML mail as text (mailer/inbound/html.py): the quick paths give what the passes over
the whole text give."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailer.inbound.html import _OTHER_TAGS, _replace_other_tags, html_to_text, strip_tags
from tests.faults import NESTED_LISTS

PIECES = ["<", ">", "/", "<hr>", "<HR size=2>", "<li>", "<LI class=x>", "<p>", "</p >",
          "<div", "</ul>", "<ol start=3>", "<br/>", "<b>", "<!x>", "<?x>", "<a href=x>",
          "<html>", "<body>", "<li", "hr", "li", "x", " ", "\n", "&amp;", "<<li>>", "<h1>"]


def every_pattern_over_the_whole_text(html: str) -> str:
    for pattern, text in _OTHER_TAGS:
        html = pattern.sub(text, html)
    return html


@settings(max_examples=1000, deadline=None)
@example(parts=["<div", "<hr>", ">"])  # a "<" closed only by what replaces the tag after it
@example(parts=["<p", "<li>", ">", "<b", "<br/>", ">x"])
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=40))
def test_few_tags_are_replaced_in_place_as_the_whole_text_passes_replace_them(
        parts: list[str]) -> None:
    html = "".join(parts)
    assert _replace_other_tags(html) == every_pattern_over_the_whole_text(html)


def test_a_long_list_of_nested_lists_is_its_items() -> None:
    text = html_to_text(NESTED_LISTS.decode())
    assert text == "\n".join(f"- Butir {i}" for i in range(5000)) + "\n"
    assert strip_tags("<!-- x --><STYLE>p{}</style><p>a</p>") == "\na\n"
