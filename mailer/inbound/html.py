"""HTML mail -> readable text, at a bounded cost. Pure.

html2text writes the nicest text (paragraphs, lists, quotes, links as 'text (url)'), but it
is pure Python at about 2 ms a KB, and its output grows with the square of list and quote
nesting (every line carries its depth): a 105 KB HTML-only mail of nested lists held a post
for 48 s and took the daemon to 487 MB. So it only sees HTML that is small and shallow, as
members' mail is; the rest goes through `strip_tags`, a few regular-expression passes whose
cost is about what reading the bytes cost, whatever the nesting.
"""

from __future__ import annotations

import html as entities
import re

from mailer.inbound.plainlines import rarest

HTML2TEXT_CHARS = 32_000  # html2text above this takes more than ~60 ms
HTML2TEXT_DEPTH = 12  # lists and quotes nested deeper go through strip_tags
MAX_HTML_CHARS = 2_000_000  # what is read of one HTML part (10x the text that is kept)


def html_to_text(html: str) -> str:
    """Readable text from HTML mail: paragraphs kept, links kept as 'text (url)'."""
    html = html[:MAX_HTML_CHARS]
    if len(html) > HTML2TEXT_CHARS or nesting_depth(html) > HTML2TEXT_DEPTH:
        text = strip_tags(html)
        if " \n" in text:  # only spaces are left in it
            text = _TRAILING_SPACES.sub("\n", text)
    else:
        text = _MARKDOWN_LINK.sub(_readable_link, _html2text(html))
        text = _HTML2TEXT_RULE.sub(RULE, text).replace("\xa0", " ")
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip() + "\n"


RULE = "_" * 32  # <hr>
_HTML2TEXT_RULE = re.compile(r"^[ \t]*\* \* \*[ \t]*$", re.M)
# written to start with a fixed string, which the regex engine looks for at C speed (a
# pattern starting with a repeat is tried at every character: 20x slower on 70 KB of text)
_TRAILING_SPACES = re.compile(r" +\n")  # used only where " \n" is found
_BLANK_LINES = re.compile(r"\n\n\n+")


_NESTING = re.compile(r"<(/?)(?:ul|ol|dl|blockquote)\b", re.I)


def nesting_depth(html: str) -> int:
    """How deep lists and quotes nest (what makes html2text's cost grow as a square)."""
    depth = deepest = 0
    for match in _NESTING.finditer(html):
        depth = max(depth - 1, 0) if match.group(1) else depth + 1
        deepest = max(deepest, depth)
    return deepest


def _html2text(html: str) -> str:
    import html2text

    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True  # no **bold** around Outlook's "From:" and the like
    converter.inline_links = True
    converter.protect_links = False
    converter.use_automatic_links = False
    converter.unicode_snob = True
    try:
        return converter.handle(html)
    except Exception:  # html2text on hostile markup: fall back to stripping tags
        return strip_tags(html)


# Every pattern is linear: a tag is matched up to the next "<" or ">" only, a link's text
# to 500 characters, and what is cut out (comments, style, script) is found with a search
# that starts where the last one ended. The commonest tags, written plainly, are replaced
# first with str.replace, which costs a fraction of a regular expression's match.
_HIDDEN = re.compile(r"<!--|<(style|script|title)\b", re.I)
_CLOSING = {tag: re.compile(rf"</{tag}\s*>", re.I) for tag in ("style", "script", "title")}
_BLOCK_NAMES = ("p", "div", "br", "tr", "table", "dl", "dt", "dd", "h1", "h2", "h3", "h4",
                "h5", "h6", "blockquote", "pre", "section", "article", "header", "footer",
                "center")
# a list's items follow one another without blank lines (its start is the first item's)
_PLAIN_TAGS = {"<li>": "\n- ", "</li>": "", "<ul>": "", "</ul>": "\n", "<ol>": "",
               "</ol>": "\n", "<p>": "\n", "</p>": "\n", "<br>": "\n", "<div>": "\n",
               "</div>": "\n", "<b>": "", "</b>": "", "<span>": "", "</span>": ""}
_BLOCK = re.compile(r"</?(?:" + "|".join(_BLOCK_NAMES) + r")\b[^<>]*>|</(?:ul|ol)\b[^<>]*>",
                    re.I)
_ITEM = re.compile(r"<li\b[^<>]*>", re.I)
_RULE = re.compile(r"<hr\b[^<>]*>", re.I)
_LINK = re.compile(r"<a\s[^<>]*?href\s*=\s*[\"']?([^\"'<>\s]{1,2000})[^<>]*>([^<]{0,500})"
                   r"</a\s*>", re.I)
_TAG = re.compile(r"</?[A-Za-z!?][^<>]*>")
_BLANKS = re.compile(r"  +")
_NOT_SPACE = str.maketrans("\t\r\f\v\xa0", "     ")


def strip_tags(html: str) -> str:
    """Text from HTML in linear time: blocks and list items on lines of their own, links
    as 'text (url)', comments, styles and scripts left out, entities decoded."""
    lowered = html.lower()  # for cheap looks first (lower() folds "a" and "A" as re.I does)
    html = _drop_hidden(html, lowered)
    if "<a" in lowered:
        html = _LINK.sub(lambda m: _readable_link(m, text_group=2, url_group=1), html)
    html = _replace_plain_tags(html)
    if "<" in html:
        html = _replace_other_tags(html)
    text = entities.unescape(html) if "&" in html else html
    if any(space in text for space in "\t\r\f\v\xa0"):
        text = text.translate(_NOT_SPACE)
    return _BLANKS.sub(" ", text) if "  " in text else text


_PLAIN_TAG = re.compile("|".join(map(re.escape, _PLAIN_TAGS)))


def _replace_plain_tags(html: str) -> str:
    """The commonest tags replaced with str.replace. Each look for a tag reads the whole
    text; once few tags are left (an HTML list of 5,000 items leaves <html> and <body>), the
    ones there are found in one search instead, and again after each replacement (taking a
    tag out can join two pieces into another)."""
    left = html.count("<")  # each tag replaced takes one "<" out, and adds none
    present: set[str] | None = None
    for tag, text in _PLAIN_TAGS.items():
        if present is None and left <= 64:
            present = set(_PLAIN_TAG.findall(html))
        if tag in (html if present is None else present):
            before = len(html)
            html = html.replace(tag, text)
            left -= (before - len(html)) // (len(tag) - len(text))
            present = None
    return html


# each of these matches from a "<" to the first ">" after it, never over another "<"
_OTHER_TAGS = ((_RULE, f"\n{RULE}\n"), (_ITEM, "\n- "), (_BLOCK, "\n"), (_TAG, ""))


def _replace_other_tags(html: str) -> str:
    """The tags left after the plain ones, by _OTHER_TAGS in order. A pattern's search tries
    every "<" of the text; when few are left (an HTML list of 5,000 items leaves <html>
    and <body>), each of them is tried in place instead, the patterns in the same order:
    what one puts in has no "<", so the next could only match where the text was. A "<"
    not closed before the next one ("<div<hr>>") could be closed by what replaces the tag
    after it, so then the whole text is passed over after all."""
    if html.count("<") <= 64:
        out: list[str] = []
        position, at = 0, html.find("<")
        while at >= 0:
            after = html.find("<", at + 1)
            if after >= 0 and html.find(">", at, after) < 0:
                break
            for pattern, text in _OTHER_TAGS:
                if found := pattern.match(html, at):
                    out += (html[position:at], text)
                    position = found.end()
                    break
            at = after
        else:
            out.append(html[position:])
            return "".join(out)
    for pattern, text in _OTHER_TAGS:
        html = pattern.sub(text, html)
    return html


def _drop_hidden(html: str, lowered: str) -> str:
    """Without comments, styles, scripts and the title; one never closed hides the rest.
    `lowered`: html.lower(), for a look first (the search costs more than five of these)."""
    if not any(mark in lowered for mark, looks in _HIDDEN_LOOKS
               if all(c in lowered for c in looks)):
        return html
    kept, position = [], 0
    while (match := _HIDDEN.search(html, position)) is not None:
        kept.append(html[position:match.start()])
        if match.group(1) is None:  # a comment
            end = html.find("-->", match.end())
            position = -1 if end < 0 else end + 3
        else:
            close = _CLOSING[match.group(1).lower()].search(html, match.end())
            position = -1 if close is None else close.end()
        if position < 0:
            return "".join(kept)
    kept.append(html[position:])
    return "".join(kept)


# a look for "<!--" reads the whole text when "<" is everywhere: one for "!" does not
_HIDDEN_LOOKS = tuple((mark, rarest(mark[1:])) for mark in ("<!--", "<style", "<script",
                                                            "<title"))
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)(?: \"[^\"]*\")?\)")


def _readable_link(match: re.Match[str], text_group: int = 1, url_group: int = 2) -> str:
    """[text](url) or <a href="url">text</a> as members read it: 'text (url)', or just the
    URL or address."""
    text, url = match.group(text_group).strip(), match.group(url_group)
    if not text or text == url or url == f"mailto:{text}":
        return text or url
    return f"{text} ({url})"
