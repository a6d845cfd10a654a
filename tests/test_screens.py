"""Every mail, both languages, looked at (issue 17): each kind of mail the service sends is
produced by the real code (tests/allmail.py), its HTML part opened in Debian's headless
Chromium at a phone's 360 px and a desktop's 1280 px, and kept as screenshots:

    $COP_ARTIFACTS/screens/<language>/<kind>-360.png, <kind>-1280.png (and <kind>.html)
    (without COP_ARTIFACTS: artifacts/ in the checkout, git-ignored)

It fails when a phone would have to scroll sideways, and on a link a member cannot use: a
scheme we do not send, hidden, covered by something else, or a button smaller than a finger.
Skipped, saying why, only where Chromium is not installed (scripts/test installs it)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.allmail import Sample, every_mail
from tests.browser import Chromium, Page, find_chromium

ROOT = Path(__file__).resolve().parent.parent
PHONE, DESKTOP = (360, 740), (1280, 800)
LANGUAGES = ("id", "en")
KINDS = (  # every kind of mail we send; test_every_template_is_looked_at keeps it whole
    "post", "post-reply", "digest", "notes",
    "invitation-invite", "invitation-update", "invitation-cancel", "invitation-cancel-dates",
    "reminder", "rsvp", "rsvp-again", "rollcall", "rollcall-recorded",
    "welcome", "confirm", "membership", "confirm-leave", "goodbye", "help", "files",
    "hold", "held", "rejected", "approved", "decided", "hold-summary", "attention",
    "quarantined", "probe", "unrouted",
    "join-waiting", "join-request", "join-rejected", "confirm-setting", "setting", "signin",
    "alert",
)
NOT_MAIL = {"attendance", "layout", "notice", "attendance-page"}  # pages and shared frames
PARTIALS = {  # no mail of their own: each is looked at inside the mails that take it in
    "meeting": "the meeting mails' sentences and words, imported by invitation.*",
    "web-links": "a member's web links (RSVP, the thread's page), included by post.txt, "
                 "invitation.txt and reminder.txt: the notice and post HTML show them",
}
TEMPLATE_OF = {"post-reply": "post", "digest": "digest"} | {
    k: "invitation" for k in KINDS if k.startswith("invitation-")}
SCHEMES = re.compile(r"^(https?://|mailto:[^@\s]+@|tel:\+?[0-9]|whatsapp://)", re.I)
MIN_TAP = 24  # CSS px: WCAG 2.5.8's smallest target; links inside running text are exempt

LOOK = """(() => {
  const links = [];
  for (const a of document.querySelectorAll('a')) {
    a.scrollIntoView({block: 'center', inline: 'nearest'});
    const style = getComputedStyle(a);
    const rects = [...a.getClientRects()].filter(r => r.width > 0 && r.height > 0);
    const link = {href: a.getAttribute('href') || '', text: a.textContent.trim().slice(0, 60),
                  visible: rects.length > 0 && style.visibility === 'visible'
                           && Number(style.opacity) > 0,
                  height: 0, hit: '', inline: false};
    if (rects.length) {
      const r = rects[0];
      const found = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      link.hit = !found ? 'nothing' : (found === a || a.contains(found)) ? '' :
                 found.tagName.toLowerCase() + ' ' + (found.textContent || '').trim().slice(0, 40);
      link.height = Math.max(...rects.map(q => q.height));
      const around = (a.parentElement ? a.parentElement.textContent : '').trim();
      link.inline = style.display === 'inline' && around.length > a.textContent.trim().length;
    }
    links.push(link);
  }
  window.scrollTo(0, 0);
  return {scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth,
          links: links};
})()"""


def artifacts() -> Path:
    return Path(os.environ.get("COP_ARTIFACTS") or ROOT / "artifacts") / "screens"


@pytest.fixture(scope="module")
def samples() -> Iterator[dict[str, dict[str, Sample]]]:
    with tempfile.TemporaryDirectory(prefix="cop-screens-") as folder, \
            pytest.MonkeyPatch.context() as monkeypatch:
        made = {}
        for language in LANGUAGES:
            made[language] = every_mail(Path(folder) / language, language, monkeypatch)
            monkeypatch.undo()
        yield made


@pytest.fixture(scope="module")
def tab() -> Iterator[Page]:
    """One Chromium, one tab, for every page (a fresh profile: nothing remembered)."""
    if find_chromium() is None:
        pytest.skip("Chromium is not installed (scripts/test installs Debian's: "
                    "apt-get install chromium)")
    shutil.rmtree(artifacts(), ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="cop-chromium-") as profile, \
            Chromium.start(Path(profile)) as chromium:
        yield chromium.new_page()


def html_page(msg: EmailMessage, folder: Path, name: str) -> Path:
    """The HTML part as a mail app shows it: images it carries (cid:) shown from files."""
    html = msg.get_body(("html",))
    assert html is not None, "no HTML part"
    text = html.get_content()
    for part in msg.walk():
        cid = str(part.get("Content-ID") or "").strip("<>")
        if cid and f"cid:{cid}" in text:
            image = folder / f"{name}-{len(cid)}-{part.get_filename() or 'image'}"
            image.write_bytes(part.get_payload(decode=True))
            text = text.replace(f"cid:{cid}", image.name)
    page = folder / f"{name}.html"
    page.write_text(text, encoding="utf-8")
    return page


def problems_of(looked: dict[str, Any], width: int) -> list[str]:
    found = []
    if looked["scrollWidth"] > width:
        found.append(f"scrolls sideways at {width} px: the page is {looked['scrollWidth']} px wide")
    for link in looked["links"]:
        what = f"link {link['text']!r} ({link['href'][:80]})"
        if not SCHEMES.match(link["href"]):
            found.append(f"{what}: not a link we send (https, http, mailto, tel, whatsapp)")
        if not link["visible"]:
            found.append(f"{what}: not visible")
        elif link["hit"]:
            found.append(f"{what}: covered by {link['hit']}")
        elif link["height"] < MIN_TAP and not link["inline"]:
            found.append(f"{what}: {link['height']:.0f} px tall: too small to tap")
    return found


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_mail_reads_on_a_phone_and_a_desktop(
        samples: dict[str, dict[str, Sample]], tab: Page, language: str, kind: str) -> None:
    sample = samples[language].get(kind)
    assert sample is not None, f"the scenario (tests/allmail.py) sent no {kind} mail"
    folder = artifacts() / language
    folder.mkdir(parents=True, exist_ok=True)
    page = html_page(sample.message, folder, kind)
    problems = []
    tab.open(page, *PHONE)
    for width, height in (PHONE, DESKTOP):
        tab.resize(width, height)  # laid out again for the desktop, not loaded again
        looked = tab.evaluate(LOOK)
        (folder / f"{kind}-{width}.png").write_bytes(tab.screenshot())
        problems += problems_of(looked, width)
    assert not problems, f"{language}/{kind} ({folder / kind}-360.png):\n" + "\n".join(problems)


def test_every_template_is_looked_at() -> None:
    """A new kind of mail needs a step in tests/allmail.py and a name in KINDS."""
    covered = {TEMPLATE_OF.get(k, k) for k in KINDS}
    for folder in (ROOT / "templates", ROOT / "templates" / "id", ROOT / "templates" / "en"):
        names = {p.name.split(".")[0] for p in folder.glob("*.j2")}
        missing = names - covered - NOT_MAIL - set(PARTIALS) - {"digest"}  # .whatsapp: no mail
        assert not missing, f"no screenshot of the mail made with {sorted(missing)}"
    for partial in PARTIALS:  # a partial nothing looked at takes in is a mail not looked at
        takers = {p.name.split(".")[0] for p in (ROOT / "templates").rglob("*.j2")
                  if re.search(rf'(include|import) "{partial}\.', p.read_text())}
        assert takers and takers <= covered, f"{partial} is taken in by {sorted(takers)}"


BAD_PAGE = """<!DOCTYPE html><html><head><meta name="viewport"
content="width=device-width, initial-scale=1"></head><body>
<p>Teks <a href="https://example.org/a">tautan dalam kalimat</a> boleh kecil.</p>
<p><a href="javascript:alert(1)">skrip</a></p>
<p><a href="https://example.org/b" style="display:inline-block;font-size:9px;">kecil</a></p>
<p><a href="https://example.org/c" style="display:none">tersembunyi</a></p>
<div style="position:relative;"><a href="mailto:kkg@example.org"
 style="display:inline-block;padding:12px;">tertutup</a>
<div style="position:absolute;inset:0;background:#fff;">penutup</div></div>
<table style="width:900px;"><tr><td>lebar</td></tr></table>
</body></html>"""


def test_the_checks_find_what_a_member_would_trip_on(tab: Page, tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text(BAD_PAGE)
    tab.open(page, *PHONE)
    problems = problems_of(tab.evaluate(LOOK), PHONE[0])
    assert problems[0] == "scrolls sideways at 360 px: the page is 908 px wide"
    said = {(p.split("'")[1], p.rsplit(": ", 1)[-1].split(" ")[0]) for p in problems[1:]}
    assert said == {("skrip", "not"), ("skrip", "too"), ("kecil", "too"),
                    ("tersembunyi", "not"), ("tertutup", "covered")}, problems
    # a link inside a sentence may be as small as the text ("kalimat": not said)
