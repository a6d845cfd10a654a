"""cop.toml -> a frozen Config: the model, the reader (problems by line), the init interview.

    model.py       the dataclasses and the words cop.toml accepts
    read.py        parse_config / load_config: [service], [inbound], [outbound], communities
    meetings.py    [[community.meeting]]: start, recurrence, breaks, moves
    recurrence.py  the starts a meeting's rule generates (shared with calendar/)
    reader.py      the walker that converts values and collects problems with line numbers
    tomlpos.py     where each key is in the text (for those line numbers)
    values.py      durations, zones (WIB/WITA/WIT), weekdays, times of day
    interview.py   `cop init`'s questions and the commented cop.toml they make
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
