"""A member's own settings and aliases, the pure parts: what a message says, what cop.toml
allows, which delivery holds."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.config import Member
from mailer.errors import ConfigError
from mailer.inbound.classify import Context, classify_mail
from mailer.inbound.parse import parse_mail
from mailer.inbound.settings import Setting, read_setting, read_until, setting_in_body
from mailer.membership import memberships, on_pause, receivers
from mailer.state import State
from tests.helpers import make_mail, write_config

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(("text", "setting"), [
    ("rangkuman", Setting("digest")),
    ("Rangkuman saja", Setting("digest")),
    ("rangkuman saja, terima kasih.", Setting("digest")),
    ("Mohon rangkuman saja ya Bu", Setting("digest")),
    ("digest", Setting("digest")),
    ("Digest only, please", Setting("digest")),
    ("setiap pesan", Setting("each")),
    ("Tiap pesan", Setting("each")),
    ("each", Setting("each")),
    ("every post", Setting("each")),
    ("jeda sampai 2 Januari", Setting("pause", "2 januari")),
    ("Jeda sampai 02/01/2027.", Setting("pause", "02/01/2027")),
    ("jeda sampai 2 Januari ya, terima kasih", Setting("pause", "2 januari")),
    ("pause until January 2", Setting("pause", "january 2")),
    ("pause until 2027-01-02", Setting("pause", "2027-01-02")),
    ("lanjut", Setting("resume")),
    ("Lanjutkan", Setting("resume")),
    ("resume", Setting("resume")),
    ("rangkuman pertemuan kemarin", None),
    ("Lanjut diskusi", None),
    ("setiap pesan harus sopan", None),
    ("berhenti", None),  # the leave command, not a setting
    ("jeda", None),
])
def test_a_setting_is_the_whole_line(text: str, setting: Setting | None) -> None:
    assert read_setting(text) == setting


@pytest.mark.parametrize(("text", "day"), [
    ("2 januari", date(2027, 1, 2)),
    ("january 2", date(2027, 1, 2)),
    ("jan 2, 2027", date(2027, 1, 2)),
    ("02/01/2027", date(2027, 1, 2)),  # day first, as Indonesia writes it
    ("2/1", date(2027, 1, 2)),
    ("2027-01-02", date(2027, 1, 2)),
    ("2 jan 2027", date(2027, 1, 2)),
    ("tanggal 5 desember", date(2026, 12, 5)),
    ("1 desember", date(2027, 12, 1)),  # today has begun: the next one
    ("2026-11-30", None),  # past
    ("31/02", None),
    ("lebaran", None),
])
def test_the_day_a_pause_ends(text: str, day: date | None) -> None:
    assert read_until(text, TODAY) == day


@pytest.mark.parametrize(("text", "setting"), [
    ("Rangkuman saja\n\nSalam,\nBudi Santoso, S.Pd.\nSDN 1 Sukamaju", Setting("digest")),
    ("setiap pesan\nTerima kasih", Setting("each")),
    ("Rangkuman saja\nTerlampir rangkuman pertemuan kemarin", None),
    ("Lanjut\nkapan pertemuan berikutnya?", None),
    ("Pecahan di kelas 3: rangkuman saja", None),
])
def test_a_body_is_a_setting_only_with_a_sign_off_under_it(text: str,
                                                           setting: Setting | None) -> None:
    assert setting_in_body(text) == setting


CTX = Context(community_address="kkg@example.org", list_id="kkg.example.org")


@pytest.mark.parametrize(("to", "subject", "body", "rule", "detail"), [
    ("kkg@example.org", "Rangkuman saja", "\n", "subject-setting", "digest"),
    ("kkg@example.org", "Jeda sampai 2 Januari", "Saya cuti melahirkan.\n",
     "subject-setting", "pause 2 januari"),
    ("kkg@example.org", "Halo", "lanjut\n\n-- \nBudi\n", "body-setting", "resume"),
    ("kkg+rangkuman@example.org", "", "\n", "plus-setting", "digest"),
    ("kkg+jeda@example.org", "2 Januari", "\n", "plus-setting", "pause 2 januari"),
    ("kkg+pause@example.org", "", "until 2027-01-02\n", "plus-setting", "pause 2027-01-02"),
    ("kkg+jeda@example.org", "", "\n", "plus-setting", "pause"),  # answered: which day?
    ("kkg@example.org", "Rangkuman", "Terlampir rangkuman pertemuan kemarin.\n", "post", ""),
    ("kkg@example.org", "Re: Rangkuman", "Setuju, terima kasih Bu\n", "post", ""),
    ("kkg@example.org", "Re: Lanjut", "\n", "post", ""),  # a reply keeps a thread's subject
    ("kkg@example.org", "bantuan", "\n", "subject-command", "help"),
])
def test_classify_is_conservative(to: str, subject: str, body: str, rule: str,
                                  detail: str) -> None:
    mail = parse_mail(make_mail(sender="Budi <budi@example.org>", to=to, subject=subject,
                                body=body))
    outcome = classify_mail(mail, CTX)
    assert (outcome.rule, outcome.detail) == (rule, detail)


def test_which_delivery_holds_and_when_a_pause_ends(tmp_path: Path) -> None:
    community = write_config(tmp_path, meeting=False).communities[0]
    state = State()
    state.apply({"t": "setting", "community": "kkg", "email": "budi@example.org",
                 "delivery": "each", "listed": "digest", "at": "2026-12-01T02:00:00+00:00"})
    state.apply({"t": "setting", "community": "kkg", "email": "dewi@example.org",
                 "paused_until": "2026-12-10", "at": "2026-12-01T02:00:00+00:00"})
    delivery = {m.member.email: m.member.delivery for m in memberships(community, state)}
    assert delivery["budi@example.org"] == "each"  # his choice over cop.toml's "digest"
    # 9 December, 23.59 WIB: still paused; 10 December, 00.00 WIB: back
    assert on_pause(community, state, "dewi@example.org",
                    datetime(2026, 12, 9, 16, 59, tzinfo=UTC)) == date(2026, 12, 10)
    assert on_pause(community, state, "dewi@example.org",
                    datetime(2026, 12, 9, 17, 0, tzinfo=UTC)) is None
    each = {m.email for m in receivers(community, state, datetime(2026, 12, 5, tzinfo=UTC),
                                       "each")}
    assert "dewi@example.org" not in each and "budi@example.org" in each
    # an organizer edits Budi in cop.toml afterwards: the later change wins
    edited = community.__class__(**{**community.__dict__, "members": tuple(
        Member(m.email, m.name, "none") if m.email == "budi@example.org" else m
        for m in community.members)})
    delivery = {m.member.email: m.member.delivery for m in memberships(edited, state)}
    assert delivery["budi@example.org"] == "none"
    # leaving forgets the settings: one who joins again starts from cop.toml's
    state.apply({"t": "member", "community": "kkg", "email": "budi@example.org",
                 "name": "Budi", "state": "left", "source": "email",
                 "at": "2026-12-02T02:00:00+00:00"})
    assert ("kkg", "budi@example.org") not in state.settings


ALIASES = """
  [[community.member]]
  email = "rina@example.org"
  name = "Rina"
  aliases = ["rina@gmail.com", "budi@example.org", "rina@gmail.com"]

  [[community.member]]
  email = "eko@example.org"
  name = "Eko"
  aliases = ["rina@gmail.com", "eko@example.org"]
"""


@pytest.mark.parametrize(("language", "expected"), [
    ("id", ["alias budi@example.org sudah menjadi alamat budi@example.org (baris ",
            "alias rina@gmail.com tertulis dua kali; hapus salah satu",
            "alias rina@gmail.com sudah menjadi alamat rina@example.org",
            "alias eko@example.org adalah alamat eko@example.org sendiri"]),
    ("en", ["alias budi@example.org is already budi@example.org's address (line ",
            "alias rina@gmail.com is written twice; remove one of the two",
            "alias rina@gmail.com is already rina@example.org's address",
            "alias eko@example.org is eko@example.org's own address"]),
])
def test_cop_check_refuses_an_alias_of_another_member_or_written_twice(
        tmp_path: Path, language: str, expected: list[str]) -> None:
    path = tmp_path / "cop.toml"
    with pytest.raises(ConfigError):  # the file is written, then refused
        write_config(tmp_path, meeting=False, language=language, extra=ALIASES)
    result = CliRunner().invoke(main, ["--config", str(path), "check"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    line_of_rina = path.read_text().splitlines().index(
        '  aliases = ["rina@gmail.com", "budi@example.org", "rina@gmail.com"]') + 1
    for words in expected:
        assert any(words in line and line.startswith("cop.toml:") for line in lines), words
    assert any(line.startswith(f"cop.toml:{line_of_rina}: alias rina@gmail.com")
               for line in lines)


def test_members_json_shows_aliases(tmp_path: Path) -> None:
    write_config(tmp_path, meeting=False, extra=ALIASES.split("\n  [[community.member]]\n  "
                                                              "email = \"eko")[0]
                 .replace(', "budi@example.org", "rina@gmail.com"', ""))
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "cop.toml"), "members",
                                       "--community", "kkg", "--json"])
    rina = next(m for m in json.loads(result.stdout) if m["email"] == "rina@example.org")
    assert rina["aliases"] == ["rina@gmail.com"] and rina["paused_until"] is None
