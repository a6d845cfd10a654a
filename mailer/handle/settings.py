"""A member's own delivery setting by email: "rangkuman" (digest), "setiap pesan" (each),
"jeda sampai 2 Januari" (pause), "lanjut" (resume). Never posted; always answered.

Only the member acts for themselves, as with a leave (handle/members.py):
    From authenticated, or sent to an address issued to them (their reply address of a
    thread, their answer address, or the s- confirmation below)  -> done, and confirmed
    a member, nothing proves it -> nothing changes; the member is asked at their own
        address (one mail a day for each setting); only their reply to it (s- token,
        tokens.py) makes the change asked for
    forged -> nothing, nobody is mailed
    not a member -> told so (when we may answer them), nothing changes
Every answer is in the community's language: the setting now in force and how to undo it.
What a setting does, and which wins when cop.toml changes later, is membership.py's.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from mailer.config import Community, Member
from mailer.handle.app import App, Result, may_answer, notice, sent_to_own_address
from mailer.inbound.classify import Outcome
from mailer.inbound.settings import Setting, read_until
from mailer.membership import members_of, on_pause
from mailer.model import Mail
from mailer.outbound.compose import Outgoing, compose_notice
from mailer.state import Record, State
from mailer.tokens import answer_address, confirm_address, confirms, plus_tag

SUBJECTS = {"id": "Pengaturan email Anda", "en": "Your email settings"}


def change_setting(app: App, state: State, mail: Mail, community: Community,
                   outcome: Outcome, now: datetime, result: Result) -> None:
    what, _, written = outcome.detail.partition(" ")
    setting = Setting(what, written)
    verdict = app.verdict(mail)
    if verdict.forged:  # somebody else changing a member's mail: nothing, nobody is mailed
        result.detail = f"setting ignored: sender address failed verification ({verdict.reason})"
        return
    member = members_of(community, state).get(mail.from_addr)
    if member is None:
        if may_answer(app, state, mail):
            result.outgoing.append(_answer(app, community, mail, now, situation="not-member"))
        result.detail = "setting: not a member"
        return
    today = now.astimezone(community.timezone).date()
    until = read_until(setting.until, today) if what == "pause" else None
    if what == "pause" and until is None:
        result.outgoing.append(_answer(app, community, mail, now, situation="bad-date",
                                       written=setting.until))
        result.detail = f"setting: no date after today in {setting.until!r}"
        return
    if verdict.authenticated or sent_to_own_address(app, mail, community) \
            or _confirming(app, mail, community, now):
        apply_setting(app, state, mail, community, member, what, until, now, result)
        return
    # nothing proves the member sent it: ask them, at their own address
    result.records.append({"t": "setting-asked", "community": community.id,
                           "email": member.email.lower(), "what": what,
                           "until": until.isoformat() if until else "",
                           "message_id": mail.message_id, "at": now.isoformat()})
    result.outgoing.append(compose_notice(
        community, member.email, member.name, "confirm-setting",
        "Konfirmasi: " + SUBJECTS["id"][0].lower() + SUBJECTS["id"][1:]  # "Anda" keeps its A
        if community.language == "id" else "Confirm: " + SUBJECTS["en"].lower(), now,
        app.templates,
        key=f"confirm-setting:{community.id}:{today.isoformat()}:{outcome.detail}",
        reply_to=confirm_address(app.secret, community.address, community.id, member.email,
                                 now, purpose="setting"),
        situation=what, delivery=what if what in ("digest", "each") else member.delivery,
        **_moments(community, until)))
    result.detail = f"setting {outcome.detail}: confirmation asked ({verdict.reason})"


def confirm_setting(app: App, state: State, mail: Mail, community: Community, tag: str,
                    now: datetime, result: Result) -> None:
    """The member's reply to the confirmation (s- token): the setting they were asked about
    takes effect."""
    asked = state.settings_asked.get((community.id, mail.from_addr))
    member = members_of(community, state).get(mail.from_addr)
    if confirms(app.secret, tag, community.id, mail.from_addr, now) != "setting" \
            or asked is None or member is None or app.verdict(mail).forged:
        result.detail = "confirm: no setting asked by this sender (or expired)"
        return
    until = date.fromisoformat(asked["until"]) if asked.get("until") else None
    apply_setting(app, state, mail, community, member, asked["what"], until, now, result)


def apply_setting(app: App, state: State, mail: Mail, community: Community, member: Member,
                  what: str, until: date | None, now: datetime, result: Result) -> None:
    record: Record = {"t": "setting", "community": community.id,
                      "email": member.email.lower(), "at": now.isoformat(),
                      "message_id": mail.message_id}
    if what in ("digest", "each"):
        listed = community.member(member.email)
        # what cop.toml said when they chose: an organizer's later edit wins (membership.py)
        record |= {"delivery": what, "listed": listed.delivery if listed else ""}
    else:
        record["paused_until"] = until.isoformat() if until else ""
    was_paused = on_pause(community, state, member.email, now)
    result.records.append(record)
    pause_end = until if what == "pause" else None if what == "resume" else was_paused
    result.outgoing.append(_answer(
        app, community, mail, now, situation=what, was_paused=was_paused,
        # undoing is a reply away: their own answer address proves it is them
        reply_to=answer_address(app.secret, community.address, member.email),
        delivery=what if what in ("digest", "each") else member.delivery,
        **_moments(community, pause_end)))
    result.detail = f"setting {what}" + (f" until {until.isoformat()}" if until else "")


def _confirming(app: App, mail: Mail, community: Community, now: datetime) -> bool:
    """Sent to the s- confirmation address mailed to this member."""
    return any(confirms(app.secret, tag, community.id, mail.from_addr, now) == "setting"
               for tag in (plus_tag(a, community.address) or "" for a in mail.to_addrs)
               if tag.startswith("s-"))


def _moments(community: Community, until: date | None) -> dict[str, Any]:
    """A pause's first day back as a moment in the community's zone (the templates show
    it with its WIB/WITA/WIT), and the last day without mail."""
    back = datetime.combine(until, time(0), community.timezone) if until else None
    return {"back": back, "last_day": back - timedelta(days=1) if back else None}


def _answer(app: App, community: Community, mail: Mail, now: datetime,
            **data: Any) -> Outgoing:
    for key in ("written", "was_paused", "delivery", "back", "last_day"):
        data.setdefault(key, None)
    return notice(app, community, mail, "setting", SUBJECTS["id"], SUBJECTS["en"], now,
                  **data)
