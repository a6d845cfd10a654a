from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import vobject

from mailer.calendar.ical import Series, build_calendar
from mailer.calendar.occurrences import expand
from mailer.config import Config, MeetingConfig, parse_config
from mailer.config.values import parse_duration, parse_time_of_day, parse_timezone, parse_weekday
from mailer.config.words import language_of, problem_text
from mailer.errors import ConfigError, Problem

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "cop.toml"


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
    # the organizer's words (issue 17); "1.5h" was refused before, as "1,5 jam" was
    ("2 jam", timedelta(hours=2)), ("90 menit", timedelta(minutes=90)),
    ("1,5 jam", timedelta(minutes=90)), ("1.5h", timedelta(minutes=90)),
    ("1 jam 30 menit", timedelta(minutes=90)), ("1 jam dan 30 menit", timedelta(minutes=90)),
    ("2 hours", timedelta(hours=2)), ("1 hour 30 minutes", timedelta(minutes=90)),
    ("dua jam", timedelta(hours=2)), ("satu setengah jam", timedelta(minutes=90)),
    ("setengah jam", timedelta(minutes=30)), ("empat puluh lima menit", timedelta(minutes=45)),
    ("1 hari", timedelta(days=1)), ("2 minggu", timedelta(weeks=2)),
])
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "m", "90", "-1h", "h30", "jam", "sembilan puluh",
                                  "2 jam lagi", "1,5"])
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


@pytest.mark.parametrize(("text", "expected"), [
    ("15:00", time(15, 0)), ("08.00", time(8, 0)), ("8:00", time(8, 0)), ("8", time(8, 0)),
    ("jam 8 pagi", time(8, 0)), ("pukul 2 siang", time(14, 0)), ("jam 4 sore", time(16, 0)),
    ("7 malam", time(19, 0)), ("12 siang", time(12, 0)), ("8am", time(8, 0)),
    ("2:30 pm", time(14, 30)),
])
def test_times_of_day_in_words(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize("text", ["", "25:00", "13 pagi", "jam delapan", "8.5"])
def test_bad_times_of_day(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time_of_day(text)


# --- cop.toml in the organizer's words (issue 17) ------------------------------------------

BASE = """\
[service]
timezone = "WITA"
language = "{language}"

[[community]]
id = "kkg"
name = "KKG Gugus III"
address = "kkg@example.org"
{community}
  [[community.meeting]]
  id = "rutin"
  title = "Pertemuan KKG"
{meeting}"""


def config_of(meeting: str, community: str = "", language: str = "id") -> Config:
    text = BASE.format(language=language, community=community, meeting=meeting)
    return parse_config(text, Path("/x/cop.toml"), {})


def problems_of(meeting: str, community: str = "", language: str = "id") -> list[Problem]:
    text = BASE.format(language=language, community=community, meeting=meeting)
    with pytest.raises(ConfigError) as caught:
        parse_config(text, Path("/x/cop.toml"), {})
    return caught.value.problems


def test_words_for_durations_and_digests_are_read_from_cop_toml() -> None:
    config = config_of('  start = 2026-12-12T08:00:00\n  duration = "2 jam"\n'
                       '  remind = ["1 hari", "2 jam"]\n',
                       '  [community.digest]\n  every = "rangkuman mingguan"\n'
                       '  at = "jam 3 sore"\n')
    community = config.communities[0]
    meeting = community.meetings[0]
    assert meeting.duration == timedelta(hours=2)
    assert meeting.remind == (timedelta(days=1), timedelta(hours=2))
    assert community.digest.every == "week" and community.digest.at == time(15, 0)


@pytest.mark.parametrize(("every", "expected"), [
    ("mingguan", "week"), ("weekly", "week"), ("rangkuman", "week"), ("setiap hari", "day"),
    ("rangkuman bulanan", "month"), ("tidak", "never"), ("month", "month"),
])
def test_digest_every_in_words(every: str, expected: str) -> None:
    config = config_of('  start = 2026-12-12T08:00:00\n',
                       f'  [community.digest]\n  every = "{every}"\n')
    assert config.communities[0].digest.every == expected


def saturdays(meeting: MeetingConfig) -> list[str]:
    return [o.start.strftime("%a %d %b") for o in expand(meeting)[0]][:4]


def test_monthly_keeps_the_weekday_of_the_month_of_its_start() -> None:
    """`repeat = "monthly"` on a 2nd Saturday means every 2nd Saturday, not every 12th (the
    old rule, FREQ=MONTHLY alone, gave Tuesday 12 January and Friday 12 February)."""
    config = config_of('  start = 2026-12-12T08:00:00\n  repeat = "bulanan"\n'
                       '  until = 2027-03-31\n')
    meeting = config.communities[0].meetings[0]
    assert meeting.rrule == "FREQ=MONTHLY;BYDAY=2SA"
    assert saturdays(meeting) == ["Sat 12 Dec", "Sat 09 Jan", "Sat 13 Feb", "Sat 13 Mar"]
    assert config.warnings == ()


def test_monthly_from_the_29th_on_is_the_last_such_weekday() -> None:
    config = config_of('  start = 2027-01-29T14:00:00\n  repeat = "monthly"\n')
    assert config.communities[0].meetings[0].rrule == "FREQ=MONTHLY;BYDAY=-1FR"


@pytest.mark.parametrize(("on", "start", "byday"), [
    ("sabtu ke-2", "2026-12-12", "2SA"), ("sabtu minggu kedua", "2026-12-12", "2SA"),
    ("Sabtu minggu ke-2", "2026-12-12", "2SA"), ("2nd saturday", "2026-12-12", "2SA"),
    ("second saturday", "2026-12-12", "2SA"), ("jumat terakhir", "2026-12-25", "-1FR"),
    ("last friday", "2026-12-25", "-1FR"), ("sabtu ke-2 dan ke-4", "2026-12-12", "2SA,4SA"),
    ("minggu pertama", "2026-12-06", "1SU"),
])
def test_on_names_a_weekday_of_the_month(on: str, start: str, byday: str) -> None:
    config = config_of(f'  start = {start}T08:00:00\n  repeat = "monthly"\n  on = "{on}"\n')
    assert config.communities[0].meetings[0].rrule == f"FREQ=MONTHLY;BYDAY={byday}"


def test_on_a_day_number_is_kept_deliberately_and_weekly_on_weekdays() -> None:
    config = config_of('  start = 2027-01-12T08:00:00\n  repeat = "monthly"\n'
                       '  on = "tanggal 12"\n')
    assert config.communities[0].meetings[0].rrule == "FREQ=MONTHLY;BYMONTHDAY=12"
    assert config.warnings == ()
    config = config_of('  start = 2027-01-04T08:00:00\n  repeat = "mingguan"\n'
                       '  on = "senin dan kamis"\n')
    assert config.communities[0].meetings[0].rrule == "FREQ=WEEKLY;BYDAY=MO,TH"


def test_a_start_outside_the_rule_names_the_first_day_that_fits() -> None:
    (found,) = problems_of('  start = 2026-12-05T08:00:00\n  repeat = "monthly"\n'
                           '  on = "sabtu ke-2"\n')
    assert found.line == 13 and "Sabtu, 5 Desember 2026" in problem_text(found, "id")
    assert "start = 2026-12-12T08:00:00" in str(found)


def test_monthly_on_a_bare_weekday_asks_which_one() -> None:
    (found,) = problems_of('  start = 2026-12-12T08:00:00\n  repeat = "monthly"\n'
                           '  on = "sabtu"\n')
    assert 'on = "sabtu ke-2"' in problem_text(found, "id")
    assert 'on = "2nd saturday"' in str(found)


def test_a_monthly_rrule_on_a_day_number_warns_that_the_weekday_drifts() -> None:
    config = config_of('  start = 2027-01-12T08:00:00\n  rrule = "FREQ=MONTHLY"\n')
    (warning,) = config.warnings
    said = problem_text(warning, "id")
    assert said.startswith("cop.toml:14: pertemuan bulanan ini tetap di tanggal 12")
    assert "Selasa 12 Januari 2027, Jumat 12 Februari 2027" in said
    assert 'on = "selasa ke-2"' in said and 'on = "tanggal 12"' in said
    assert "Tuesday 12 January 2027" in str(warning)


def test_breaks_and_until_may_be_written_as_people_write_dates() -> None:
    config = config_of('  start = 2026-12-12T08:00:00\n  repeat = "monthly"\n'
                       '  until = "25/06/2027"\n'
                       '  breaks = [{ from = "21/12/2026", to = "3/1/2027" }]\n')
    meeting = config.communities[0].meetings[0]
    assert meeting.until == date(2027, 6, 25)
    assert (meeting.breaks[0].start, meeting.breaks[0].end) == (date(2026, 12, 21),
                                                                date(2027, 1, 3))


def test_problems_read_in_the_service_language_each_hint_once() -> None:
    text = BASE.format(language="id", community='  [community.digest]\n  at = "sore"\n',
                       meeting='  start = 2026-12-12T08:00:00\n  duration = "lama"\n'
                       '  repeat = "kadang"\n')
    with pytest.raises(ConfigError) as caught:
        parse_config(text, Path("/x/cop.toml"), {})
    said = [problem_text(p, language_of(text)) for p in caught.value.problems]
    assert said == [
        "cop.toml:10: 'at': 'sore' bukan jam; tulis misalnya \"15.00\", \"08.00\" atau "
        "\"jam 8 pagi\"",
        "cop.toml:16: 'duration': 'lama' bukan lama waktu; tulis misalnya \"90m\", \"1h30m\", "
        "\"2 jam\", \"90 menit\" atau \"1,5 jam\"",
        "cop.toml:17: 'repeat': 'kadang' tidak menyebut seberapa sering pertemuan diadakan; "
        "tulis \"mingguan\", \"dua-mingguan\", \"bulanan\" atau \"tidak\" (atau weekly, "
        "biweekly, monthly, none)",
    ]
    english = [str(p) for p in caught.value.problems]
    assert english[0] == ("cop.toml:10: 'at': 'sore' is not a time of day; write e.g. "
                          "\"15:00\", \"08.00\" or \"8 am\"")


def test_every_problem_has_its_indonesian() -> None:
    """Every problem the reader finds in a file full of mistakes is also said in Indonesian."""
    with pytest.raises(ConfigError) as caught:
        parse_config(_EVERY_MISTAKE, Path("/x/cop.toml"), {})
    for problem in caught.value.problems:
        said = problem_text(problem, "id")
        assert said != str(problem), said


_EVERY_MISTAKE = """\
[service]
language = "jawa"
tiemzone = "x"
[inbound]
port = 70000
[[community]]
id = "KKG Mat"
name = 3
address = "bukan-alamat"
  [community.digest]
  every = "kadang"
  on = "jumuah"
  at = "sore"
  [[community.member]]
  email = "a@example.org"
  [[community.member]]
  email = "a@example.org"
  [[community.meeting]]
  id = "a"
  title = "A"
  start = "2026-12-04 14:00"
  duration = "lama"
  repeat = "monthly"
  on = "kadang"
  until = "31/02/2027"
  remind = ["besok"]
  breaks = [{ from = 2026-12-21, to = 2026-12-01 }]
"""


@pytest.mark.parametrize(("on", "start"), [("sabtu ke-2", "2026-12-12"),
                                           ("last friday", "2026-12-25")])
def test_invitations_carry_the_monthly_rule_an_independent_parser_expands_alike(
        on: str, start: str) -> None:
    config = config_of(f'  start = {start}T08:00:00\n  repeat = "monthly"\n  on = "{on}"\n'
                       '  until = 2027-06-25\n  skip_holidays = "ID"\n'
                       '  breaks = [{ from = "21/12/2026", to = "3/1/2027" }]\n',
                       '  [[community.member]]\n  email = "sri@example.org"\n'
                       '  name = "Sri Wahyuni, S.Pd."\n')
    community = config.communities[0]
    meeting = community.meetings[0]
    series = Series(community, meeting, uid="rutin@kkg", sequence=0)
    raw = build_calendar(series, community.members[0], "REQUEST",
                         datetime(2026, 12, 1, tzinfo=UTC))
    master = vobject.readOne(raw.decode()).vevent
    assert master.rrule.value.startswith("FREQ=MONTHLY;UNTIL=20270625T")
    assert master.rrule.value.endswith(f";BYDAY={meeting.rrule.split('BYDAY=')[1]}")
    theirs = sorted(master.getrruleset(addRDate=True))
    ours, skipped = expand(meeting)
    assert theirs == [o.start for o in ours]
    assert len(ours) + len(skipped) == 7 and all(o.start.hour == 8 for o in ours)
    assert all(o.start.utcoffset() == timedelta(hours=8) for o in ours)  # WITA
