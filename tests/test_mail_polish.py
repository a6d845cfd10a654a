"""What a colleague found playing organizer and members end to end (issue 17), each read as
the member or organizer reads it, in both languages: a line that keeps its line, lists of
names that stay apart when names carry degrees, every time with its zone, an alert that is
over says nothing of tomorrow, a join request that says what approving does, and an
attention line that says what to do."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailer.config import Config, load_config
from mailer.daemon import Runtime, tick
from mailer.outbound.digest import Attention
from mailer.outbound.render import builtin_templates, render
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, signed, write_config
from tests.test_pipeline import mail_for

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 10.00 WITA
LANGUAGES = ("id", "en")
DEGREES = {"Siti Rahayu": "Siti Rahayu, S.Pd.", "Dewi Lestari": "Dewi Lestari, S.Pd., M.Pd.",
           "Budi Santoso": "Budi Santoso, S.Pd.SD"}


def config_in(folder: Path, language: str, zone: str = "Asia/Jakarta",
              degrees: bool = False, extra: str = "") -> Config:
    path = write_config(folder, language=language, extra=extra).path
    text = path.read_text().replace('timezone = "Asia/Jakarta"', f'timezone = "{zone}"')
    for plain, full in DEGREES.items() if degrees else ():
        text = text.replace(f'name = "{plain}"', f'name = "{full}"')
    path.write_text(text)
    return load_config(path)


def text_of(msg: EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]


def html_of(msg: EmailMessage) -> str:
    return msg.get_body(("html",)).get_content()  # type: ignore[union-attr]


# --- 1. a line that ends in a block tag keeps its newline ---------------------------------

_LAST_TAG = re.compile(r"\{%-?\s*(?:end\w+|else|elif\b[^%]*|if\b[^%]*|for\b[^%]*)\s*%\}$")


def lines_that_lose_their_newline(text: str) -> list[int]:
    """Lines with text before a closing block tag: trim_blocks eats their newline, so the
    next line runs on (`{% endif +%}` keeps it). A line of tags alone vanishes on purpose,
    and one followed by `{%-` is inside a macro that strips anyway."""
    lines = text.splitlines()
    found = []
    for number, line in enumerate(lines, 1):
        tag = _LAST_TAG.search(line)
        if tag is None or not re.sub(r"\{%.*?%\}", "", line[:tag.start()]).strip():
            continue
        following = lines[number] if number < len(lines) else ""
        if not following.lstrip().startswith("{%-"):
            found.append(number)
    return found


def test_no_text_template_runs_a_line_into_the_next() -> None:
    texts = [p for p in builtin_templates().rglob("*.j2") if not p.name.endswith(".html.j2")]
    assert len(texts) > 40
    found = {f"{p.relative_to(builtin_templates())}:{n}"
             for p in texts for n in lines_that_lose_their_newline(p.read_text())}
    assert found == set()
    assert lines_that_lose_their_newline("a {{ x }}{% endif %}\nb\n") == [1]


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_answer_in_the_attention_mail_is_a_line_of_its_own(tmp_path: Path,
                                                               language: str) -> None:
    community = config_in(tmp_path, language).communities[0]
    text = render("attention.txt.j2", language, None, community=community, attention=Attention(
        answers=(("Budi Santoso", "ACCEPTED", "Jumat, 4 Desember 2026", ""),
                 ("Dewi Lestari", "DECLINED", "Jumat, 4 Desember 2026", "sakit"))))
    coming, not_coming = ("hadir", "tidak hadir") if language == "id" else (
        "coming", "not coming")
    closing = ("Email ini dikirim paling banyak sekali sehari." if language == "id"
               else "This mail comes at most once a day.")
    assert (f"  Budi Santoso: {coming} (Jumat, 4 Desember 2026)\n"
            f"  Dewi Lestari: {not_coming} (Jumat, 4 Desember 2026) - sakit\n\n{closing}\n"
            ) in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_rsvp_confirmation_keeps_the_meeting_on_its_own_line(tmp_path: Path,
                                                                language: str) -> None:
    community = config_in(tmp_path, language).communities[0]
    start = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)
    text = render("rsvp.txt.j2", language, None, community=community, status="ACCEPTED",
                  meeting=community.meetings[0], start=start, coming=2, posted=False)
    when = ("Jumat, 4 Desember 2026 pukul 14.00 WIB" if language == "id"
            else "Friday, 4 December 2026 at 14:00 WIB")
    link = "Tautan" if language == "id" else "Link"
    assert f"Pertemuan rutin, {when}\n{link}: https://meet.jit.si/kkg-test\n\n" in text


# --- 2. names with degrees: lists joined with "; " or one per line -------------------------

def play_a_week(rt: Runtime) -> None:
    """Siti asks, Dewi answers; Siti asks again and nobody answers; the digest goes out."""
    tick(rt, T0)
    rt.store.archive.add(make_mail(subject="Pecahan di kelas 3", body="Bagaimana?\n",
                                   message_id="<q1@example.org>", headers=signed()))
    tick(rt, T0 + timedelta(hours=2, minutes=15))  # 12.15 WITA
    rt.store.archive.add(make_mail(sender="Dewi Lestari <dewi@example.org>",
                                   subject="Re: Pecahan di kelas 3", body="Pakai kertas.\n",
                                   in_reply_to="<q1@example.org>", headers=signed()))
    rt.store.archive.add(make_mail(subject="Modul ajar", body="Ada yang punya?\n",
                                   message_id="<q2@example.org>", headers=signed()))
    tick(rt, T0 + timedelta(hours=3, minutes=5))  # 13.05 WITA
    from mailer.timed.digests import send_digest
    for later in (timedelta(hours=4), timedelta(days=1)):  # the second: t2 still waits
        send_digest(rt.app, rt.store, rt.config.communities[0], T0 + later, force=True)
        tick(rt, T0 + later)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_digest_keeps_names_with_degrees_apart_and_its_times_zoned(
        tmp_path: Path, open_runtime: OpenRuntime, language: str) -> None:
    rt = open_runtime(config_in(tmp_path, language, "Asia/Makassar", degrees=True))
    play_a_week(rt)
    first, second = mail_for(rt.config.service.data_dir, "budi@example.org", "KKG")[-2:]
    text, html = text_of(first), html_of(first)
    authors = "Siti Rahayu, S.Pd.; Dewi Lestari, S.Pd., M.Pd."
    assert f" {authors}\n" in text  # "Topik baru dari ..." / "New topic from ..."
    assert f" {authors}</p>" in html.replace("&#34;", '"')
    # the thread nobody answered: when it was started, in the community's zone
    day = "1 Des" if language == "id" else "1 Dec"
    clock = "13.05 WITA" if language == "id" else "13:05 WITA"
    text, html = text_of(second), html_of(second)
    assert f"- Modul ajar (Siti Rahayu, S.Pd., {day} {clock})" in text
    assert f"Modul ajar (Siti Rahayu, S.Pd., {day} {clock})</li>" in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_roll_call_lists_one_name_a_line(tmp_path: Path, language: str) -> None:
    community = config_in(tmp_path, language).communities[0]
    text = render("rollcall-recorded.txt.j2", language, None, community=community,
                  meeting=community.meetings[0], occurrence="2026-12-04T14:00:00+07:00",
                  held=datetime.fromisoformat("2026-12-04T14:00:00+07:00"),
                  present=["Budi Santoso, S.Pd.SD", "Rina Marlina, S.Pd., M.Pd."],
                  absent=[], unmatched=["Pak Yusuf, S.Pd."],
                  ambiguous=[("Bu Sri", ["Sri Wahyuni, S.Pd.", "Sri Lestari, S.Pd."])])
    present, absent = ("Hadir", "Tidak hadir") if language == "id" else ("Present", "Absent")
    assert (f"{present} (2):\n- Budi Santoso, S.Pd.SD\n- Rina Marlina, S.Pd., M.Pd.\n\n"
            f"{absent} (0): -\n") in text
    assert ": Pak Yusuf, S.Pd.\n" in text
    assert "- Bu Sri: Sri Wahyuni, S.Pd.; Sri Lestari, S.Pd.\n" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_attention_mail_keeps_names_apart(tmp_path: Path, language: str) -> None:
    community = config_in(tmp_path, language).communities[0]
    text = render("attention.txt.j2", language, None, community=community, attention=Attention(
        requests=("Budi Santoso, S.Pd.SD <budi@example.org>",
                  "Rina Marlina, S.Pd. <rina@example.org>")))
    assert ("Budi Santoso, S.Pd.SD <budi@example.org>; Rina Marlina, S.Pd. "
            "<rina@example.org>.") in text


# --- 3. every time a member sees carries the zone ------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_the_welcome_names_the_zone_of_recent_discussions(
        tmp_path: Path, open_runtime: OpenRuntime, language: str) -> None:
    rt = open_runtime(config_in(tmp_path, language, "Asia/Makassar"))
    data = rt.config.service.data_dir
    tick(rt, T0)
    rt.store.archive.add(make_mail(subject="Pecahan di kelas 3", headers=signed()))
    tick(rt, T0 + timedelta(hours=2, minutes=15))  # the post: 12.15 WITA
    rt.store.archive.add(make_mail(sender="Rina <rina@elsewhere.org>", subject="join",
                                   to="kkg+join@example.org", body="\n",
                                   headers=signed("elsewhere.org")))
    tick(rt, T0 + timedelta(hours=3))
    (confirm,) = mail_for(data, "rina@elsewhere.org")
    rt.store.archive.add(make_mail(sender="Rina <rina@elsewhere.org>",
                                   to=str(confirm["Reply-To"].addresses[0].addr_spec),
                                   subject="Re: confirm", body="Ya\n"))
    tick(rt, T0 + timedelta(hours=3, minutes=5))
    (welcome,) = mail_for(data, "rina@elsewhere.org",
                          "Selamat datang" if language == "id" else "Welcome")
    recent = ("(1 Des 12.15 WITA)" if language == "id" else "(1 Dec 12:15 WITA)")
    assert f"- Pecahan di kelas 3 {recent}" in text_of(welcome)


# --- 4. an alert that is over ----------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_a_resolved_alert_says_nothing_of_daily_reminders(tmp_path: Path,
                                                         language: str) -> None:
    community = config_in(tmp_path, language).communities[0]
    data = {"community": community, "kind": "config", "since": "kemarin", "reminder": False,
            "alert": {}, "problems": ["cop.toml:3: x"], "hint": "", "lines": []}
    daily = ("sekali sehari selama masalahnya ada" if language == "id"
             else "at most once a day while the trouble lasts")
    resolved = render("alert.txt.j2", language, None, resolved=True, **data)
    assert ("Sudah beres" if language == "id" else "Resolved") in resolved
    assert daily not in resolved and "cop status" in resolved
    assert daily in render("alert.txt.j2", language, None, resolved=False, **data)


# --- 5. a join request held for a moderator ------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_a_held_join_request_says_approving_makes_a_member(
        tmp_path: Path, open_runtime: OpenRuntime, language: str) -> None:
    rt = open_runtime(config_in(tmp_path, language))
    tick(rt, T0)
    join = "gabung" if language == "id" else "join"
    rt.store.archive.add(make_mail(sender="Rina <rina@elsewhere.org>", subject=join,
                                   body=f"{join}\n"))  # nothing proves the address
    tick(rt, T0 + timedelta(minutes=1))
    (hold,) = [m for m in mail_for(rt.config.service.data_dir, "siti@example.org")
               if "(h1)" in str(m["Subject"])]
    text, html = text_of(hold), html_of(hold)
    if language == "id":
        assert ('"setuju" untuk menerima rina@elsewhere.org sebagai anggota: alamat itu\n'
                "dikirimi email konfirmasi") in text
        assert "meneruskannya ke anggota" not in text
        assert ">Terima sebagai anggota</a>" in html
        assert text.startswith("Ada permintaan bergabung dengan KKG Matematika")
    else:
        assert ('"approve" to accept rina@elsewhere.org as a member: the address gets\n'
                "a confirmation mail") in text
        assert "pass it on to the members" not in text
        assert ">Accept as member</a>" in html
        assert text.startswith("A request to join KKG Matematika")
    assert text.endswith("cop holds approve h1\n")


# --- 9. what to do about someone who left but is still listed ------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_the_attention_mail_says_what_to_do_about_a_member_who_left(tmp_path: Path,
                                                                    language: str) -> None:
    community = config_in(tmp_path, language).communities[0]
    text = render("attention.txt.j2", language, None, community=community,
                  attention=Attention(requests=("Agus Wibowo <agus@example.org>",)))
    said = " ".join(text.split())
    assert ("Hapus mereka dari cop.toml (atau, bila ingin tetap mencantumkannya, tulis "
            'delivery = "none" pada entrinya).' if language == "id" else
            "Remove them from cop.toml (or, to keep them listed, write "
            'delivery = "none" in their entry).') in said


def test_the_web_says_each_zone_once(tmp_path: Path, open_runtime: OpenRuntime) -> None:
    from tests.webkit import client_for, seed, sign_in, site_for, web_config

    rt = open_runtime(web_config(tmp_path))
    seed(rt)
    client = client_for(site_for(rt.config))
    sign_in(client, rt, "budi@example.org")
    for page in ("/c/kkg", "/c/kkg/resources"):
        text = client.get(page).text
        assert re.search(r"\d\d\.\d\d WIB", text), page
        assert "WIB WIB" not in text, page


# --- 6. every time in --json: the community's zone, its offset, whole seconds ---------------

_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")


def times_in(doc: object) -> list[str]:
    if isinstance(doc, dict):
        return [t for v in doc.values() for t in times_in(v)]
    if isinstance(doc, list):
        return [t for v in doc for t in times_in(v)]
    return [doc] if isinstance(doc, str) and _TIME.match(doc) else []


def test_every_json_listing_gives_times_in_the_communitys_zone(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    import json

    from click.testing import CliRunner

    from mailer.cli import main
    from tests.test_quarantine import unparseable

    rt = open_runtime(config_in(tmp_path, "id", "Asia/Makassar"))
    tick(rt, T0)
    rt.store.archive.add(make_mail(subject="Pecahan", body="Bagaimana?\n", headers=signed(),
                                   message_id="<q1@example.org>"))
    rt.store.archive.add(make_mail(sender="Asing <asing@example.net>", subject="Penawaran",
                                   headers=signed("example.net")))  # held
    rt.store.archive.add(unparseable())  # quarantined
    tick(rt, T0 + timedelta(minutes=5, seconds=7, microseconds=266))
    item = next(iter(rt.store.state.outbox.values()))
    rt.store.record({"t": "outbox-state", "id": item.id, "state": "deferred", "attempts": 1,
                     "next_try": (T0 + timedelta(hours=1, microseconds=5)).isoformat(),
                     "error": "451 later", "at": T0.isoformat()})
    rt.store.flush()
    path = str(rt.config.path)
    for args in (["threads"], ["thread", "t1"], ["holds"], ["quarantine"], ["outbox"],
                 ["meetings"], ["report", "--now", "2026-12-02T00:00:00+08:00"],
                 ["plan", "--days", "3", "--now", "2026-12-02T00:00:00+08:00"]):
        result = CliRunner().invoke(main, ["--config", path, *args, "--json"])
        assert result.exit_code == 0, result.output
        found = times_in(json.loads(result.stdout))
        assert found, args
        for moment in found:  # '2026-12-01T10:05:07+08:00': WITA, no microseconds
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", moment), (args, moment)
    holds = json.loads(CliRunner().invoke(main, ["--config", path, "holds", "--json"]).stdout)
    assert holds[0]["received"] == "2026-12-01T10:05:07+08:00"


# --- 8. a break without a name ---------------------------------------------------------------

@pytest.mark.parametrize(("language", "called"), [("id", "Libur"), ("en", "Break")])
def test_cop_init_names_a_break_typed_without_one(tmp_path: Path, language: str,
                                                  called: str) -> None:
    import tomllib

    from click.testing import CliRunner

    from mailer.cli import main

    path = tmp_path / "cop.toml"
    result = CliRunner().invoke(main, [
        "--config", str(path), "init", "--language", language, "--defaults",
        "--now", "2026-11-28T10:00:00+08:00", "--name", "KKG Gugus III", "--address",
        "kkg3@example.org", "--timezone", "WITA", "--meet", "weekly", "--day", "sabtu",
        "--time", "08.00", "--first", "05/12/2026", "--breaks", "21/12/2026 - 03/01/2027",
        "--members", "Ani <ani@example.org>", "--digest", "never"])
    assert result.exit_code == 0, result.output
    (pause,) = tomllib.loads(path.read_text())["community"][0]["meeting"][0]["breaks"]
    assert pause["name"] == called
    assert load_config(path).communities[0].meetings[0].breaks[0].name == called


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("written", [', name = ""', ', name = "  "', ""])
def test_a_break_with_an_empty_name_or_none_reads_as_a_break(
        tmp_path: Path, language: str, written: str) -> None:
    from mailer.calendar.occurrences import expand

    config = config_in(tmp_path, language)
    path = config.path
    path.write_text(path.read_text().replace(', name = "Libur semester"', written))
    meeting = load_config(path).communities[0].meetings[0]
    _, skipped = expand(meeting, language)
    assert {s.reason for s in skipped if s.start.month == 12 and s.start.day >= 21} == {
        "Libur" if language == "id" else "Break"}
