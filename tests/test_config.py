from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from mailer.config import parse_config
from mailer.config.values import parse_duration, parse_timezone, parse_weekday
from mailer.errors import ConfigError

SHIPPED = Path(__file__).resolve().parent.parent / "cop.toml"


def problems(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, Path("/x/cop.toml"), env or {})
    return [str(p) for p in caught.value.problems]


def test_shipped_config_is_valid() -> None:
    config = parse_config(SHIPPED.read_text(), SHIPPED, {})
    community = config.communities[0]
    assert community.id == "kkg-matematika"
    assert config.inbound.protocol == "smtp" and config.inbound.port == 2525
    assert config.outbound.protocol == "maildir"
    assert community.digest.weekday == 4 and community.digest.at == time(15, 0)
    meeting = community.meetings[0]
    assert meeting.start.utcoffset() == timedelta(hours=7)
    assert meeting.rrule == "FREQ=WEEKLY;BYDAY=FR"


def test_five_different_mistakes_are_all_reported_with_their_lines() -> None:
    text = """\
[service]
tiemzone = "Asia/Jakarta"
language = "id"

[[community]]
id = "kkg"
name = "KKG"
address = "kkg@example.org"

  [[community.member]]
  email = "budi@example.org"

  [[community.member]]
  email = "BUDI@example.org"

  [[community.meeting]]
  id = "rutin"
  title = "Rutin"
  start = 2026-12-04T14:00:00
  end = 2026-12-04T13:00:00
  timezone = "Asia/Jakartaa"

[[community]]
id = "kkg"
name = "Lagi"
address = "lagi@example.org"
"""
    found = problems(text)
    assert any(p.startswith("cop.toml:2: unknown key 'tiemzone'") and "timezone" in p
               for p in found), found
    assert any(p.startswith("cop.toml:14: member BUDI@example.org is listed twice")
               for p in found), found
    assert any(p.startswith("cop.toml:20: the meeting ends before it starts") for p in found)
    assert any(p.startswith("cop.toml:21: 'timezone': unknown time zone") for p in found)
    assert any(p.startswith("cop.toml:24: community id 'kkg' is used twice") for p in found)
    assert len(found) == 5, found


def test_every_problem_says_how_to_fix_it() -> None:
    text = """\
[service]
language = "jawa"
[inbound]
protocol = "imap"
host = "imap.example.org"
username = "kkg@example.org"
password = "${COP_IMAP_PASSWORD}"
poll_interval = "sebentar"
[[community]]
id = "KKG Mat"
name = 3
address = "not-an-address"
  [community.digest]
  every = "fortnight"
  on = "jumuah"
  [[community.meeting]]
  id = "a"
  title = "A"
  start = "2026-12-04 14:00"
  rrule = "FREQ=SOMETIMES"
"""
    found = problems(text)
    by_line = {int(p.split(":")[1]): p for p in found}
    assert "id, en" in by_line[2]
    assert "COP_IMAP_PASSWORD is not set" in by_line[7] and "export" in by_line[7]
    assert "90m" in by_line[8]
    assert "a-z, 0-9" in by_line[10] and 'id = "kkg-mat"' in by_line[10]
    assert "text in \"quotes\"" in by_line[11]
    assert "not an email address" in by_line[12]
    assert "every" in by_line[14]
    assert "weekday" in by_line[15]
    assert "remove the quotes" in by_line[19]
    assert "rrule" in by_line[20]
    assert all("; " in p for p in found), found


def test_toml_syntax_error_names_its_line() -> None:
    found = problems('[service]\ntimezone = "Asia/Jakarta\nlanguage = "id"\n')
    assert len(found) == 1
    assert found[0].startswith("cop.toml:2: TOML syntax error")


def test_secrets_come_from_the_environment() -> None:
    text = SHIPPED.read_text().replace('# secret = "${COP_SECRET}"', 'secret = "${COP_SECRET}"')
    assert "COP_SECRET is not set" in problems(text)[0]
    config = parse_config(text, SHIPPED, {"COP_SECRET": "s3cret"})
    assert config.service.secret == "s3cret"


@pytest.mark.parametrize(("text", "expected"), [
    ("90m", timedelta(minutes=90)), ("1h30m", timedelta(minutes=90)),
    ("2d", timedelta(days=2)), ("1w", timedelta(weeks=1)), ("45s", timedelta(seconds=45)),
])
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "m", "90", "1.5h", "-1h", "h30"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_indonesian_zone_names_and_weekdays() -> None:
    assert parse_timezone("WIB").key == "Asia/Jakarta"
    assert parse_timezone("wita").key == "Asia/Makassar"
    assert parse_timezone("WIT").key == "Asia/Jayapura"
    assert [parse_weekday(d) for d in ("Senin", "jumat", "Jum'at", "minggu", "Friday")] == \
        [0, 4, 4, 6, 4]


@pytest.mark.parametrize("path", sorted((SHIPPED.parent / "config").glob("*.toml")),
                         ids=lambda p: p.name)
def test_every_example_config_is_valid(path: Path) -> None:
    env = {"COP_IMAP_PASSWORD": "x", "COP_SMTP_PASSWORD": "y", "COP_SECRET": "z"}
    parse_config(path.read_text(), path, env)
