"""The commented cop.toml that `cop init`'s answers make. Pure: answers and today in, a
tomlkit document out. Every answer has been checked by interview.check_answer; values are
written in the organizer's words where cop.toml reads them ("2 jam", "bulanan",
"sabtu ke-2") and comments are in the community's language."""

from __future__ import annotations

import re
from datetime import datetime

import tomlkit
from tomlkit.items import Table

from mailer.config.days import (
    On,
    break_name,
    describe_rule,
    parse_breaks,
    parse_date,
    parse_on,
    spell_on,
)
from mailer.config.interview import Answers, applies, end_of_term, link, meet_rule, meeting_on
from mailer.config.people import Person, normal_tag, parse_people
from mailer.config.values import (
    DAY_NAMES,
    TIMEZONE_ALIASES,
    parse_every,
    parse_time_of_day,
    parse_timezone,
    zone_label,
)

_REPEAT_WORDS = {
    "id": {"FREQ=DAILY": "harian", "FREQ=WEEKLY": "mingguan",
           "FREQ=WEEKLY;INTERVAL=2": "dua-mingguan", "FREQ=MONTHLY": "bulanan"},
    "en": {"FREQ=DAILY": "daily", "FREQ=WEEKLY": "weekly",
           "FREQ=WEEKLY;INTERVAL=2": "biweekly", "FREQ=MONTHLY": "monthly"},
}
_EVERY_WORDS = {"id": {"day": "harian", "week": "mingguan", "month": "bulanan",
                       "never": "tidak"},
                "en": {"day": "day", "week": "week", "month": "month", "never": "never"}}


def community_id(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-") or "komunitas"


def build_document(a: Answers, language: str) -> tomlkit.TOMLDocument:
    id_ = language == "id"
    lang = "id" if id_ else "en"
    doc = tomlkit.document()
    doc.add(tomlkit.comment(
        "cop.toml - ditulis oleh `cop init`. Ubah sesuka Anda, lalu jalankan `cop check`."
        if id_ else "cop.toml - written by `cop init`. Edit freely, then run `cop check`."))
    doc.add(tomlkit.comment("Setiap kunci dijelaskan oleh `cop help config`." if id_
                            else "Every key is explained by `cop help config`."))
    doc.add(tomlkit.nl())
    zone = parse_timezone(a.get("timezone", "WIB"))
    service = tomlkit.table()
    service.add("timezone", zone.key)
    service["timezone"].comment(zone_label(zone))
    service.add("language", language)
    service.add("data_dir", "var")
    service["data_dir"].comment("basis data, arsip surat masuk, antrean keluar" if id_
                                else "database, archive of received mail, outbox")
    doc.add("service", service)
    inbound = tomlkit.table()
    inbound.add(tomlkit.comment(
        "Penerima SMTP bawaan; untuk kotak surat IMAP lihat `cop help config`" if id_
        else "Built-in SMTP receiver; for an IMAP mailbox see `cop help config`"))
    inbound.add("protocol", "smtp")
    inbound.add("host", "127.0.0.1")
    inbound.add("port", 2525)
    doc.add("inbound", inbound)
    outbound = tomlkit.table()
    outbound.add(tomlkit.comment(
        "maildir: surat keluar ditulis ke var/outbox; ganti ke smtp untuk mengirim" if id_
        else "maildir: outgoing mail is written to var/outbox; switch to smtp to send"))
    outbound.add("protocol", "maildir")
    doc.add("outbound", outbound)

    moderators = parse_people(a.get("moderators", ""))
    community = tomlkit.table()
    community.add("id", community_id(a["name"]))
    community.add("name", a["name"])
    community.add("address", a["address"])
    community.add("purpose", a.get("purpose", ""))
    community.add("language", language)
    tag = normal_tag(a.get("tag", ""))
    community.add("subject_tag", tag)
    community["subject_tag"].comment("di depan setiap subjek" if id_
                                     else "in front of every subject")
    community.add("needs", _split(a.get("needs", "")))
    community["needs"].comment("yang dibutuhkan dan sudah dikuasai anggota" if id_
                               else "what members need and already know")
    community.add("benefits", _split(a.get("benefits", "")))
    community.add("moderators", [p.email for p in moderators])
    community.add("posting", "members")
    community["posting"].comment("members | moderated | open")
    if a.get("whatsapp"):
        community.add("whatsapp", link(a["whatsapp"]))

    every = parse_every(a.get("digest", "week"))
    on = meeting_on(a)
    weekly = (meet_rule(a.get("meet", "")) or "").startswith("FREQ=WEEKLY")
    weekday = on.days[0][1] if weekly and on is not None and on.days else 4  # else Friday
    digest = tomlkit.table()
    digest.add("every", _EVERY_WORDS[lang][every])
    digest.add("on", DAY_NAMES[lang][weekday].lower())
    digest.add("at", "15.00" if id_ else "15:00")
    digest.indent(2)
    community.add("digest", digest)
    members = _members(moderators, parse_people(a.get("members", "")), every, id_)
    if members:
        community.add("member", members)
    meeting = _meeting(a, language)
    if meeting is not None:
        meetings = tomlkit.aot()
        meetings.append(meeting)
        community.add("meeting", meetings)
    communities = tomlkit.aot()
    communities.append(community)
    doc.add("community", communities)
    return doc


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]


def _members(moderators: list[Person], invited: list[Person], every: str,
             id_: bool) -> tomlkit.items.AoT:
    """Everyone invited, and the moderators: moderators receive each post; the others the
    digest (each post when no digest is sent)."""
    member_list = tomlkit.aot()
    moderating = {p.email.lower() for p in moderators}
    names = {p.email.lower(): p.name for p in moderators if p.name}
    seen: set[str] = set()
    for person in [*invited, *moderators]:
        key = person.email.lower()
        if key in seen:
            continue
        seen.add(key)
        member = tomlkit.table()
        member.add("email", person.email)
        member.add("name", person.name or names.get(key) or person.email.split("@")[0])
        delivery = "each" if key in moderating or every == "never" else "digest"
        member.add("delivery", delivery)
        if key in moderating:
            member["delivery"].comment("moderator: setiap pesan" if id_
                                       else "moderator: every post")
        member.indent(2)
        member_list.append(member)
    return member_list


def _meeting(a: Answers, language: str) -> Table | None:
    id_ = language == "id"
    rule = meet_rule(a.get("meet", ""))
    if rule is None:
        return None
    zone = parse_timezone(a.get("timezone", "WIB"))
    first = parse_date(a["first"])
    meeting = tomlkit.table()
    meeting.add("id", "rutin")
    if rule:
        meeting.add("title", ("Pertemuan rutin " if id_ else "Regular meeting ") + a["name"])
    else:
        meeting.add("title", ("Pertemuan " if id_ else "Meeting of ") + a["name"])
    meeting.add("start", datetime.combine(first, parse_time_of_day(a["time"])))
    meeting["start"].comment(f"waktu setempat ({zone_label(zone)})" if id_
                             else f"local time ({zone_label(zone)})")
    meeting.add("duration", a["duration"])
    on = meeting_on(a)
    if rule:
        meeting.add("repeat", _REPEAT_WORDS["id" if id_ else "en"][rule])
        if on is not None:
            meeting.add("on", _on_words(a["day"], on, language))
            full = (f"{rule};BYMONTHDAY={on.monthday}" if on.monthday
                    else f"{rule};BYDAY={on.byday}")
            meeting["on"].comment(describe_rule(full, language))
        meeting.add("until", parse_date(a["until"]) if a.get("until") else end_of_term(first))
    if a.get("online"):
        meeting.add("online", link(a["online"]))
    if a.get("place"):
        meeting.add("location", a["place"])
    if rule and zone.key in TIMEZONE_ALIASES.values():  # a single meeting: its day was chosen
        meeting.add("skip_holidays", "ID")
        meeting["skip_holidays"].comment("libur nasional dilewati" if id_
                                         else "national holidays are skipped")
    breaks = tomlkit.array()
    for pause in parse_breaks(a.get("breaks", "")) if applies("breaks", a) else []:
        entry = tomlkit.inline_table()
        entry.update({"from": pause.start, "to": pause.end,  # a name as the mails say it
                      "name": pause.name or break_name(language)})
        breaks.append(entry)
    if breaks:
        meeting.add("breaks", breaks)
    meeting.add("remind", ["1 hari" if id_ else "1 day"])
    meeting["remind"].comment("pengingat sehari sebelumnya" if id_ else "a reminder a day before")
    meeting.indent(2)
    return meeting


def _on_words(answer: str, on: On, language: str) -> str:
    """The day as the organizer typed it when cop.toml reads it back the same, else spelled."""
    typed = answer.strip().lower()
    try:
        if parse_on(typed) == on:
            return typed
    except ValueError:
        pass
    return spell_on(on, language)

