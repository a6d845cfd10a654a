"""The questions a community of practice answers when it starts, and the commented
cop.toml their answers make. Pure: the asking is in cli/init.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import getaddresses
from zoneinfo import ZoneInfo

import tomlkit

from mailer.config.model import REPEAT_RULES
from mailer.config.values import parse_time_of_day, parse_timezone, parse_weekday


@dataclass(frozen=True)
class Question:
    key: str
    id: str
    en: str
    default: str


QUESTIONS = (
    Question("name", "Nama komunitas", "Name of the community", "KKG Matematika Gugus 3"),
    Question("address", "Alamat email komunitas (untuk menulis ke semua)",
             "The community's email address (to write to everyone)", "kkg@example.org"),
    Question("purpose", "Apa tujuan komunitas ini? (satu kalimat)",
             "What is this community for? (one sentence)",
             "Belajar bersama cara mengajar matematika"),
    Question("needs", "Apa yang dibutuhkan anggota, dan apa yang sudah mereka kuasai? "
             "(pisahkan dengan koma)",
             "What do members need, and what do they already know? (comma separated)",
             "contoh soal, cara mengajar pecahan"),
    Question("benefits", "Manfaat apa yang diharapkan anggota? (pisahkan dengan koma)",
             "What benefits do members expect? (comma separated)",
             "berbagi praktik baik"),
    Question("timezone", "Zona waktu (WIB, WITA, WIT, atau nama IANA)",
             "Time zone (WIB, WITA, WIT, or an IANA name)", "WIB"),
    Question("meet", "Seberapa sering bertemu? (mingguan, dua-mingguan, bulanan, tidak)",
             "How often do you meet? (weekly, biweekly, monthly, none)", "weekly"),
    Question("day", "Hari pertemuan", "Meeting day", "jumat"),
    Question("time", "Jam mulai (misalnya 14:00)", "Start time (e.g. 14:00)", "14:00"),
    Question("duration", "Lama pertemuan (misalnya 90m)", "How long (e.g. 90m)", "90m"),
    Question("first", "Tanggal pertemuan pertama (YYYY-MM-DD, kosong = minggu depan)",
             "Date of the first meeting (YYYY-MM-DD, empty = next week)", ""),
    Question("until", "Sampai tanggal (YYYY-MM-DD, kosong = akhir semester)",
             "Until (YYYY-MM-DD, empty = end of term)", ""),
    Question("breaks", "Libur / jeda (misalnya 2026-12-21..2027-01-03 Libur semester; "
             "pisahkan dengan ;)", "Breaks (e.g. 2026-12-21..2027-01-03 Term break; "
             "separate with ;)", ""),
    Question("online", "Tautan pertemuan daring (kosong bila tatap muka)",
             "Online meeting link (empty if in person only)", ""),
    Question("place", "Tempat pertemuan tatap muka (kosong bila daring saja)",
             "Meeting place (empty if online only)", ""),
    Question("whatsapp", "Tautan grup WhatsApp (kosong bila tidak ada)",
             "WhatsApp group link (empty if none)", ""),
    Question("moderators", "Siapa moderatornya? (alamat email, pisahkan dengan koma)",
             "Who moderates? (email addresses, comma separated)", ""),
    Question("members", "Siapa yang diundang? (Nama <email>, pisahkan dengan koma)",
             "Who do you invite? (Name <email>, comma separated)", ""),
    Question("digest", "Kirim rangkuman: mingguan, harian, bulanan, atau tidak",
             "Send a digest: weekly, daily, monthly, or never", "weekly"),
)


def check_answer(key: str, value: str) -> str | None:
    value = value.strip()
    try:
        if key == "timezone":
            parse_timezone(value)
        elif key == "day":
            parse_weekday(value)
        elif key == "time":
            parse_time_of_day(value)
        elif key in ("first", "until") and value:
            date.fromisoformat(value)
        elif key == "meet" and value.lower() not in (*REPEAT_RULES, "none", "tidak", "once",
                                                     "sekali"):
            return "answer weekly, biweekly, monthly or none"
    except ValueError as exc:
        return str(exc)
    return None


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]


def _first_date(day: int, first: str, zone: ZoneInfo) -> date:
    if first:
        return date.fromisoformat(first)
    today = datetime.now(zone).date()
    ahead = (day - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


def _end_of_term(start: date) -> date:
    """The end of the school semester the start falls in: semester 2 ends in late June,
    semester 1 in mid-December (Indonesian school year)."""
    if start.month <= 6:
        return date(start.year, 6, 25)
    if start.month == 12 and start.day > 15:
        return date(start.year + 1, 6, 25)
    return date(start.year, 12, 15)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "komunitas"


def build_document(a: dict[str, str], language: str) -> tomlkit.TOMLDocument:
    id_ = language == "id"
    doc = tomlkit.document()
    doc.add(tomlkit.comment(
        "cop.toml - ditulis oleh `cop init`. Ubah sesuka Anda, lalu jalankan `cop check`."
        if id_ else "cop.toml - written by `cop init`. Edit freely, then run `cop check`."))
    doc.add(tomlkit.comment("Every key is explained in config/reference.toml."))
    doc.add(tomlkit.nl())

    zone = parse_timezone(a["timezone"]).key
    service = tomlkit.table()
    service.add("timezone", zone)
    service.add("language", language)
    service.add("data_dir", "var")
    service["data_dir"].comment("database, archive of received mail, outbox")
    doc.add("service", service)

    inbound = tomlkit.table()
    inbound.add(tomlkit.comment(
        "Penerima SMTP bawaan; untuk kotak surat IMAP lihat config/gmail.toml" if id_
        else "Built-in SMTP receiver; for an IMAP mailbox see config/gmail.toml"))
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

    community = tomlkit.table()
    community.add("id", _slug(a["name"]))
    community.add("name", a["name"])
    community.add("address", a["address"])
    community.add("purpose", a["purpose"])
    community.add("language", language)
    community.add("needs", _split(a["needs"]))
    community["needs"].comment("yang dibutuhkan dan sudah dikuasai anggota" if id_
                               else "what members need and already know")
    community.add("benefits", _split(a["benefits"]))
    moderators = [addr for _, addr in getaddresses([a["moderators"]]) if "@" in addr]
    community.add("moderators", moderators)
    community.add("posting", "members")
    community["posting"].comment("members | moderated | open")
    if a["whatsapp"]:
        community.add("whatsapp", a["whatsapp"])

    digest = tomlkit.table()
    every = {"weekly": "week", "mingguan": "week", "daily": "day", "harian": "day",
             "monthly": "month", "bulanan": "month"}.get(a["digest"].lower(), "never")
    digest.add("every", every)
    digest.add("on", a["day"].lower())
    digest.add("at", "15:00")
    community.add("digest", digest)

    member_list = tomlkit.aot()
    seen: set[str] = set()
    for name, addr in getaddresses([a["members"].replace(";", ",")]):
        if "@" not in addr or addr.lower() in seen:
            continue
        seen.add(addr.lower())
        member = tomlkit.table()
        member.add("email", addr)
        member.add("name", name or addr.split("@")[0])
        member.add("delivery", "digest")
        member_list.append(member)
    for addr in moderators:
        if addr.lower() not in seen:
            member = tomlkit.table()
            member.add("email", addr)
            member.add("name", addr.split("@")[0])
            member.add("delivery", "each")
            member_list.append(member)
            seen.add(addr.lower())
    if member_list:
        community.add("member", member_list)

    repeat = a["meet"].lower()
    if repeat not in ("none", "tidak"):
        day = parse_weekday(a["day"])
        first = _first_date(day, a["first"], parse_timezone(a["timezone"]))
        clock = parse_time_of_day(a["time"])
        meeting = tomlkit.table()
        meeting.add("id", "rutin")
        meeting.add("title", ("Pertemuan rutin " if id_ else "Regular meeting ") + a["name"])
        meeting.add("start", datetime.combine(first, clock))
        meeting["start"].comment(f"waktu setempat ({a['timezone']})" if id_
                                 else f"local time ({a['timezone']})")
        meeting.add("duration", a["duration"])
        if repeat not in ("once", "sekali"):
            meeting.add("repeat", repeat)
            until = date.fromisoformat(a["until"]) if a["until"] else _end_of_term(first)
            meeting.add("until", until)
        if a["online"]:
            meeting.add("online", a["online"])
        if a["place"]:
            meeting.add("location", a["place"])
        if zone.startswith("Asia/J") or zone.startswith("Asia/Ma") or zone == "Asia/Jayapura":
            meeting.add("skip_holidays", "ID")
        breaks = tomlkit.array()
        for part in [p for p in a["breaks"].split(";") if p.strip()]:
            match = re.match(r"\s*(\d{4}-\d{2}-\d{2})\s*(?:\.\.|to|s/d|-|sampai)\s*"
                             r"(\d{4}-\d{2}-\d{2})\s*(.*)", part)
            if match:
                entry = tomlkit.inline_table()
                entry.update({"from": date.fromisoformat(match.group(1)),
                              "to": date.fromisoformat(match.group(2)),
                              "name": match.group(3).strip()})
                breaks.append(entry)
        if breaks:
            meeting.add("breaks", breaks)
        meeting.add("remind", ["1d"])
        meetings = tomlkit.aot()
        meetings.append(meeting)
        community.add("meeting", meetings)

    communities = tomlkit.aot()
    communities.append(community)
    doc.add("community", communities)
    return doc
