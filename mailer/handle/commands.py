"""Commands by email: help, join, confirm, leave (handed to members.py); a member's own
delivery setting and its confirmation (settings.py); a moderator's reply is handed to
moderation.py. Help answers only people we may answer (app.may_answer)."""

from __future__ import annotations

from datetime import datetime

from mailer.config import Community
from mailer.handle.app import App, Result, may_answer
from mailer.handle.members import ask_to_join, ask_to_leave, confirm
from mailer.handle.moderation import answer_hold
from mailer.handle.settings import change_setting, confirm_setting
from mailer.inbound.classify import Outcome
from mailer.model import Mail
from mailer.outbound.compose import compose_notice
from mailer.state import State


def run_command(app: App, state: State, mail: Mail, key: str, community: Community,
                outcome: Outcome, now: datetime) -> Result:
    result = Result("command", outcome.rule, mail.message_id, community.id,
                    detail=outcome.detail)
    if outcome.rule == "moderation":
        return answer_hold(app, mail, community, outcome.detail, result, now)
    if outcome.rule.endswith("-setting"):
        change_setting(app, state, mail, community, outcome, now, result)
        return result
    if outcome.rule == "confirm" and outcome.detail.startswith("s-"):
        confirm_setting(app, state, mail, community, outcome.detail, now, result)
        return result
    if outcome.detail == "help":
        if not may_answer(app, state, mail):
            result.detail = "help: not answered (sender not verified, not a member)"
            return result
        result.outgoing.append(compose_notice(
            community, mail.from_addr, mail.from_name, "help",
            "Bantuan" if community.language == "id" else "Help", now, app.templates,
            key=f"help:{mail.message_id}", in_reply_to=mail.message_id))
    elif outcome.detail == "join":
        return ask_to_join(app, state, mail, key, community, now, result)
    elif outcome.detail == "leave":
        ask_to_leave(app, state, mail, community, now, result)
    elif outcome.rule == "confirm":
        confirm(app, state, mail, community, outcome.detail, now, result, key)
    return result
