"""Personal web links in mail and what the meeting page shows (issue 18's gaps): a digest's
RSVP buttons are each member's own, RSVP links last until the series ends, and a meeting's
page lists each past occurrence's notes thread and who came."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailer.daemon import Runtime, tick
from mailer.handle.meetings import rsvp_record
from mailer.links import RSVP_MARGIN, read_link, rsvp_until, rsvp_urls
from mailer.membership import members_of
from mailer.outbound.compose import compose_digests
from mailer.outbound.digest import build_digest
from mailer.tokens import member_hash
from tests.conftest import OpenRuntime
from tests.test_pipeline import mail_for
from tests.webkit import BASE, T0, client_for, csrf_of, seed, sign_in, site_for, web_config

DIGEST_AT = datetime(2026, 12, 4, 8, 5, tzinfo=UTC)  # Friday 15:05 WIB: the weekly digest
SECRET = "test-secret"


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    runtime = open_runtime(web_config(tmp_path))
    seed(runtime)
    return runtime


def _text(mail: EmailMessage) -> str:
    return str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def _html(mail: EmailMessage) -> str:
    return str(mail.get_body(("html",)).get_content())  # type: ignore[union-attr]


def _rsvp_links(text: str) -> dict[str, str]:
    return dict(re.findall(r"(Ya, hadir|Tidak|Mungkin|Yes|No|Maybe): +(\S+/r/\S+)", text))


def test_a_digest_carries_the_members_own_rsvp_buttons(rt: Runtime) -> None:
    """Budi takes the digest: its upcoming meeting has Ya / Tidak / Mungkin links that are
    his, for that day's meeting, in the text and in the HTML part; one of them records his
    answer for that day."""
    tick(rt, DIGEST_AT)
    (digest,) = mail_for(rt.config.service.data_dir, "budi@example.org", "Rangkuman")
    text = _text(digest)
    links = _rsvp_links(text)
    assert set(links) == {"Ya, hadir", "Tidak", "Mungkin"}, text
    assert text.index("Pertemuan mendatang") < text.index(links["Ya, hadir"])
    html = _html(digest)
    for url in links.values():
        assert f'href="{url}"' in html
    token = links["Ya, hadir"].split("/r/")[1].split("/")[0]
    readers = ["budi@example.org", "dewi@example.org", "siti@example.org"]
    link = read_link(SECRET, token, "rsvp", readers, DIGEST_AT)
    assert link is not None and link.email == "budi@example.org"
    assert link.extra == "rutin_20261204"
    client = client_for(site_for(rt.config, DIGEST_AT))
    path = links["Mungkin"].removeprefix(BASE)
    page = client.get(path)
    assert page.status_code == 200
    assert client.post(path, data={"csrf": csrf_of(page.text)}).status_code == 200
    tick(rt, DIGEST_AT + timedelta(minutes=1))
    state = rt.store.state
    assert state.rsvp_of("kkg/rutin", "budi@example.org",
                         "2026-12-04T14:00:00+07:00") == "TENTATIVE"
    assert state.rsvp_of("kkg/rutin", "budi@example.org",
                         "2026-12-11T14:00:00+07:00") == "NEEDS-ACTION"  # that day only


def test_each_copy_of_a_digest_has_only_its_own_members_links(rt: Runtime) -> None:
    """One digest rendered once for everyone: every copy's RSVP links sign for its own
    member, none carries another member's, and the English digest has them too."""
    for language in ("id", "en"):
        community = replace(rt.config.communities[0], language=language)
        digest = build_digest(community, list(rt.store.state.threads.values()), None,
                              DIGEST_AT)
        members = [m for m in community.members
                   if m.email.lower() in members_of(community, rt.store.state)]
        copies = compose_digests(digest, members, SECRET, None, "<d1@example.org>",
                                 DIGEST_AT)
        assert len(copies) == 4
        readers = [m.email.lower() for m in members]
        seen: set[str] = set()
        for copy in copies:
            mail = message_from_bytes(copy.data, policy=policy.default)
            assert isinstance(mail, EmailMessage)
            links = _rsvp_links(_text(mail))
            assert len(links) == 3, (language, _text(mail))
            tokens = {url.split("/r/")[1].split("/")[0] for url in links.values()}
            assert len(tokens) == 1
            (token,) = tokens
            link = read_link(SECRET, token, "rsvp", readers, DIGEST_AT)
            assert link is not None and link.email == copy.to.lower()
            others = [r for r in readers if r != copy.to.lower()]
            assert read_link(SECRET, token, "rsvp", others, DIGEST_AT) is None
            assert not any(member_hash(SECRET, o) in copy.data.decode("ascii", "replace")
                           for o in others)
            assert token not in seen
            seen.add(token)
            assert "\x00" not in _text(mail) and "\x00" not in _html(mail)


def test_a_digest_without_the_web_has_no_rsvp_links(tmp_path: Path) -> None:
    from tests.helpers import write_config
    config = write_config(tmp_path)
    community = config.communities[0]
    digest = build_digest(community, [], None, DIGEST_AT)
    assert digest.meetings
    (copy,) = compose_digests(digest, [community.members[1]], SECRET, None,
                              "<d2@example.org>", DIGEST_AT)
    assert "/r/" not in copy.data.decode("ascii", "replace")


def test_an_rsvp_link_works_until_the_series_ends_and_a_margin(rt: Runtime) -> None:
    """The series runs until 2027-02-26: a link mailed on 1 December still answers in
    February (over 60 days later), and stops after the last meeting plus RSVP_MARGIN."""
    meeting = rt.config.communities[0].meetings[0]
    urls = rsvp_urls(BASE, SECRET, "kkg", "agus@example.org", meeting, "", T0)
    path = urls["ya"].removeprefix(BASE)
    february = datetime(2027, 2, 20, 3, 0, tzinfo=UTC)
    assert february - T0 > timedelta(days=60)
    late = client_for(site_for(rt.config, february))
    page = late.get(path)
    assert page.status_code == 200, page.text
    assert late.post(path, data={"csrf": csrf_of(page.text)}).status_code == 200
    last_end = datetime(2027, 2, 26, 15, 30, tzinfo=UTC) - timedelta(hours=7)
    assert rsvp_until(meeting, T0) == last_end + RSVP_MARGIN
    after = client_for(site_for(rt.config, last_end + RSVP_MARGIN + timedelta(minutes=1)))
    assert after.get(path).status_code == 400
    assert after.post(path, data={"csrf": "0" * 32}).status_code in (400, 403)
    # a series without an end: as far ahead as it is expanded, counted from the day mailed
    endless = replace(meeting, until=None, count=None)
    assert rsvp_until(endless, T0) > T0 + timedelta(days=3 * 365)
    # the same links for every copy composed on one day (re-composing gives the same bytes)
    assert rsvp_urls(BASE, SECRET, "kkg", "agus@example.org", endless, "", T0) == \
        rsvp_urls(BASE, SECRET, "kkg", "agus@example.org", endless, "",
                  T0 + timedelta(hours=3))


def test_the_meeting_page_lists_past_notes_threads_and_who_came(rt: Runtime) -> None:
    """After the 4 December meeting the daemon opens its notes thread; the meeting page
    links it under that day, says who said they would come, and shows organizers the
    roll-call (members do not see it). Names only, no addresses."""
    tick(rt, DIGEST_AT)
    rt.store.record(rsvp_record("kkg/rutin", "dewi@example.org", "ACCEPTED",
                                "2026-12-04T14:00:00+07:00", DIGEST_AT, "", "web"))
    after = datetime(2026, 12, 4, 9, 40, tzinfo=UTC)  # 16:40 WIB: notes an hour after
    tick(rt, after)
    notes = [t for t in rt.store.state.threads.values() if "Catatan pertemuan" in t.subject]
    assert len(notes) == 1
    rt.store.record({"t": "attendance", "meeting": "kkg/rutin",
                     "occurrence": "2026-12-04T14:00:00+07:00", "email": "agus@example.org",
                     "present": True, "source": "cli"})
    rt.store.flush()
    later = after + timedelta(days=1)
    member = client_for(site_for(rt.config, later))
    sign_in(member, rt, "budi@example.org", later)
    page = member.get("/c/kkg/m/rutin").text
    assert "Pertemuan yang lalu" in page
    past = page.split("Pertemuan yang lalu")[1]
    assert f'href="/c/kkg/t/{notes[0].id}"' in past
    assert "Jumat, 4 Desember 2026" in past and "Dewi Lestari" in past
    assert "Agus Wibowo" not in past  # the roll-call is the organizers'
    assert "@example.org" not in page
    coming = page.split("Pertemuan yang lalu")[0]
    assert "11 Desember 2026" in coming and 'name="word"' in coming
    assert 'name="word"' not in past  # no buttons for what is over
    organizer = client_for(site_for(rt.config, later))
    sign_in(organizer, rt, "siti@example.org", later)
    staff_past = organizer.get("/c/kkg/m/rutin").text.split("Pertemuan yang lalu")[1]
    assert "Hadir menurut daftar hadir (1):</strong> Agus Wibowo" in staff_past
