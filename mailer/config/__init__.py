"""cop.toml -> a frozen Config: the model, the reader (problems by line), the init interview.

    model.py       the dataclasses and the words cop.toml accepts
    read.py        parse_config / load_config: [service], [inbound], [outbound], communities
    delivery.py    [[community.member]] and [community.digest]
    meetings.py    [[community.meeting]]: start, duration, until, breaks, moves
    repeat.py      repeat / on / rrule -> the meeting's RRULE ("sabtu ke-2" is BYDAY=2SA)
    recurrence.py  the starts a meeting's rule generates (shared with calendar/)
    reader.py      the walker that converts values and collects problems with line numbers
    tomlpos.py     where each key is in the text (for those line numbers)
    words.py       text in Indonesian and English; problems said in either
    values.py      durations ("2 jam"), zones (WIB/WITA/WIT), weekdays, times ("jam 8 pagi"),
                   how often ("rangkuman mingguan", "sebulan sekali")
    days.py        dates ("21/12/2026"), ranges, which day of the month ("sabtu ke-2")
    people.py      member lists ("Sri Wahyuni, S.Pd. <sri@...>"), the short subject tag
    interview.py   `cop init`'s questions, each answer checked as it is given
    document.py    the commented cop.toml the answers make
"""

from mailer.config.model import (
    REPEAT_RULES,
    Break,
    Community,
    Config,
    DigestConfig,
    InboundConfig,
    MeetingConfig,
    Member,
    Move,
    OutboundConfig,
    ServiceConfig,
)
from mailer.config.read import load_config, parse_config

__all__ = [
    "REPEAT_RULES", "Break", "Community", "Config", "DigestConfig", "InboundConfig",
    "MeetingConfig", "Member", "Move", "OutboundConfig", "ServiceConfig", "load_config",
    "parse_config",
]
