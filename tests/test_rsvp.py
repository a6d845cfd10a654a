"""RSVPs from each calendar client and in plain words end up per member and occurrence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailer.daemon import Runtime, tick
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, write_config
from tests.test_pipeline import mail_for

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
KEY = "kkg/rutin"


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    config = write_config(tmp_path)
    runtime = open_runtime(config)
    tick(runtime, T0)  # the invitations go out
    return runtime


def uid(rt: Runtime) -> str:
    (value,) = rt.store.state.meeting_of_uid
    return value


def calendar_mail(sender: str, subject: str, ics: str, *, method_param: bool = True,
                  in_reply_to: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "kkg@example.org"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<rsvp-{abs(hash(ics))}@client.example>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content(subject)
    params = {"method": "REPLY"} if method_param else {}
    msg.add_alternative(ics.replace("\n", "\r\n").encode(), maintype="text",
                        subtype="calendar", params=params)
    return msg.as_bytes(policy=policy.SMTP)


def gmail(uid: str, email: str, status: str) -> str:
    return f"""BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:REPLY
BEGIN:VEVENT
DTSTART:20261204T070000Z
DTEND:20261204T083000Z
RRULE:FREQ=WEEKLY;UNTIL=20270226T165959Z;BYDAY=FR
DTSTAMP:20261201T031500Z
ORGANIZER;CN=KKG Matematika:mailto:kkg@example.org
UID:{uid}
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={status};CN=Dewi
 Lestari;X-NUM-GUESTS=0:mailto:{email}
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Pertemuan rutin
TRANSP:OPAQUE
END:VEVENT
END:VCALENDAR
"""


def outlook_occurrence(uid: str, email: str, status: str, day: str, stamp: str,
                       vtimezone: bool = True) -> str:
    zone = """BEGIN:VTIMEZONE
TZID:SE Asia Standard Time
BEGIN:STANDARD
DTSTART:16010101T000000
TZOFFSETFROM:+0700
TZOFFSETTO:+0700
END:STANDARD
END:VTIMEZONE
""" if vtimezone else ""
    return f"""BEGIN:VCALENDAR
METHOD:REPLY
PRODID:Microsoft Exchange Server 2010
VERSION:2.0
{zone}BEGIN:VEVENT
ATTENDEE;PARTSTAT={status};CN=Agus Wibowo:mailto:{email}
SUMMARY;LANGUAGE=id-ID:Diterima: Pertemuan rutin
DTSTART;TZID=SE Asia Standard Time:{day}T140000
DTEND;TZID=SE Asia Standard Time:{day}T153000
UID:{uid}
RECURRENCE-ID;TZID=SE Asia Standard Time:{day}T140000
CLASS:PUBLIC
PRIORITY:5
DTSTAMP:{stamp}
TRANSP:OPAQUE
STATUS:CONFIRMED
SEQUENCE:0
END:VEVENT
END:VCALENDAR
"""


def apple(uid: str, email: str, status: str) -> str:
    return f"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Apple Inc.//iPhone OS 18.1//EN
METHOD:REPLY
BEGIN:VTIMEZONE
TZID:Asia/Jakarta
BEGIN:STANDARD
DTSTART:19640101T000000
TZOFFSETFROM:+0730
TZOFFSETTO:+0700
TZNAME:WIB
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
ATTENDEE;CN="Siti Rahayu";PARTSTAT={status};EMAIL={email}:mailto:{email}
DTEND;TZID=Asia/Jakarta:20261204T153000
DTSTAMP:20261201T040000Z
DTSTART;TZID=Asia/Jakarta:20261204T140000
ORGANIZER;CN="KKG Matematika":mailto:kkg@example.org
RRULE:FREQ=WEEKLY;UNTIL=20270226T165959Z;BYDAY=FR
SEQUENCE:0
SUMMARY:Pertemuan rutin
UID:{uid}
X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC
END:VEVENT
END:VCALENDAR
"""


def thunderbird(uid: str, email: str) -> str:
    events = ""
    for day, status in (("20261211", "DECLINED"), ("20261218", "TENTATIVE")):
        events += f"""BEGIN:VEVENT
CREATED:20261201T050000Z
DTSTAMP:20261201T050000Z
UID:{uid}
SUMMARY:Pertemuan rutin
RECURRENCE-ID;TZID=Asia/Jakarta:{day}T140000
ORGANIZER;CN=KKG Matematika:mailto:kkg@example.org
ATTENDEE;RSVP=TRUE;CN=Budi Santoso;PARTSTAT={status};ROLE=REQ-PARTICIPANT:mailto:{email}
DTSTART;TZID=Asia/Jakarta:{day}T140000
DTEND;TZID=Asia/Jakarta:{day}T153000
SEQUENCE:0
BEGIN:VALARM
ACTION:DISPLAY
TRIGGER;VALUE=DURATION:-PT15M
DESCRIPTION:Default Mozilla Description
END:VALARM
END:VEVENT
"""
    return f"""BEGIN:VCALENDAR
PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN
VERSION:2.0
METHOD:REPLY
BEGIN:VTIMEZONE
TZID:Asia/Jakarta
BEGIN:STANDARD
TZOFFSETFROM:+0700
TZOFFSETTO:+0700
TZNAME:WIB
DTSTART:19700101T000000
END:STANDARD
END:VTIMEZONE
{events}END:VCALENDAR
"""


def test_gmail_accepts_the_series(rt: Runtime) -> None:
    rt.store.archive.add(calendar_mail("Dewi <dewi@example.org>", "Diterima: Pertemuan rutin",
                                       gmail(uid(rt), "dewi@example.org", "ACCEPTED")))
    tick(rt, T0 + timedelta(hours=1))
    assert rt.store.state.latest_rsvp(KEY, "dewi@example.org") == "ACCEPTED"
    assert rt.store.state.rsvp_of(KEY, "dewi@example.org",
                                  "2026-12-18T14:00:00+07:00") == "ACCEPTED"


def test_outlook_without_organizer_with_windows_zone_answers_one_occurrence(
        rt: Runtime) -> None:
    later = outlook_occurrence(uid(rt), "agus@example.org", "DECLINED", "20261211",
                               "20261202T010000Z", vtimezone=False)
    earlier = outlook_occurrence(uid(rt), "agus@example.org", "ACCEPTED", "20261211",
                                 "20261201T010000Z")
    rt.store.archive.add(calendar_mail("Agus <agus@example.org>", "Declined", later))
    rt.store.archive.add(calendar_mail("Agus <agus@example.org>", "Accepted", earlier))
    tick(rt, T0 + timedelta(hours=1))
    state = rt.store.state
    # ordered by DTSTAMP, not by arrival: the later answer stands
    assert state.rsvp_of(KEY, "agus@example.org", "2026-12-11T14:00:00+07:00") == "DECLINED"
    assert state.rsvp_of(KEY, "agus@example.org", "2026-12-04T14:00:00+07:00") == \
        "NEEDS-ACTION"


def test_apple_reply_counts_for_the_attendee_who_sent_it(rt: Runtime) -> None:
    rt.store.archive.add(calendar_mail("Siti <siti@example.org>", "Declined",
                                       apple(uid(rt), "siti@example.org", "DECLINED"),
                                       method_param=False))
    tick(rt, T0 + timedelta(hours=1))
    assert rt.store.state.latest_rsvp(KEY, "siti@example.org") == "DECLINED"


def test_a_calendar_reply_for_another_attendee_or_from_the_future_changes_nothing(
        rt: Runtime) -> None:
    """Anyone holding the meeting's UID (every invitation carries it) could decline for a
    member; a DTSTAMP in 2099 would beat the member's own later answers."""
    rt.store.archive.add(calendar_mail("Orang <orang@elsewhere.org>", "Declined",
                                       apple(uid(rt), "siti@example.org", "DECLINED"),
                                       method_param=False))
    rt.store.archive.add(calendar_mail("Agus <agus@example.org>", "Declined for Dewi",
                                       gmail(uid(rt), "dewi@example.org", "DECLINED")))
    future = gmail(uid(rt), "budi@example.org", "DECLINED").replace(
        "DTSTAMP:2026", "DTSTAMP:2099")
    rt.store.archive.add(calendar_mail("Budi <budi@example.org>", "Declined", future))
    tick(rt, T0 + timedelta(hours=1))
    assert rt.store.state.latest_rsvp(KEY, "siti@example.org") == "NEEDS-ACTION"
    assert rt.store.state.latest_rsvp(KEY, "dewi@example.org") == "NEEDS-ACTION"
    assert rt.store.state.latest_rsvp(KEY, "budi@example.org") == "DECLINED"
    rt.store.archive.add(calendar_mail("Budi <budi@example.org>", "Accepted after all",
                                       gmail(uid(rt), "budi@example.org", "ACCEPTED")))
    tick(rt, T0 + timedelta(hours=2))
    assert rt.store.state.latest_rsvp(KEY, "budi@example.org") == "ACCEPTED"


def test_thunderbird_answers_several_occurrences_at_once(rt: Runtime) -> None:
    rt.store.archive.add(calendar_mail("Budi <budi@example.org>", "Several",
                                       thunderbird(uid(rt), "budi@example.org")))
    tick(rt, T0 + timedelta(hours=1))
    state = rt.store.state
    assert state.rsvp_of(KEY, "budi@example.org", "2026-12-11T14:00:00+07:00") == "DECLINED"
    assert state.rsvp_of(KEY, "budi@example.org", "2026-12-18T14:00:00+07:00") == "TENTATIVE"


def test_a_reply_for_someone_not_invited_is_ignored(rt: Runtime) -> None:
    rt.store.archive.add(calendar_mail("X <x@elsewhere.org>", "Accepted",
                                       gmail(uid(rt), "x@elsewhere.org", "ACCEPTED")))
    tick(rt, T0 + timedelta(hours=1))
    assert not rt.store.state.rsvps
    assert list(rt.store.state.messages.values()) == ["rsvp"]


@pytest.mark.parametrize(("words", "expected"), [
    ("Insya Allah hadir, Bu.", "ACCEPTED"), ("hadir", "ACCEPTED"), ("Ya", "ACCEPTED"),
    ("Yes, see you there", "ACCEPTED"), ("Tidak bisa, ada rapat sekolah", "DECLINED"),
    ("No, sorry", "DECLINED"), ("Mungkin", "TENTATIVE"), ("maybe", "TENTATIVE"),
])
def test_plain_answers_to_the_invitation(rt: Runtime, words: str, expected: str) -> None:
    data = rt.config.service.data_dir
    (invitation,) = mail_for(data, "dewi@example.org", "Undangan")
    rt.store.archive.add(make_mail(
        sender="Dewi Lestari <dewi@example.org>", subject="Re: " + str(invitation["Subject"]),
        to=invitation["Reply-To"].addresses[0].addr_spec,  # the address mailed to her only
        message_id="<plain-rsvp@example.org>", in_reply_to=str(invitation["Message-ID"]),
        body=f"{words}\n\nPada Sel, 1 Des 2026 KKG <kkg@example.org> menulis:\n> ...\n"))
    tick(rt, T0 + timedelta(hours=1))
    state = rt.store.state
    assert state.rsvp_of(KEY, "dewi@example.org", "2026-12-04T14:00:00+07:00") == expected
    assert not state.threads, "an RSVP is not a post"
    (confirmation,) = [m for m in mail_for(data, "dewi@example.org")
                       if "tercatat" in str(m["Subject"])]
    text = confirmation.get_body(("plain",)).get_content()
    coming = 1 if expected == "ACCEPTED" else 0
    assert f"Sejauh ini {coming} anggota akan hadir." in text


def test_cop_meetings_json_shows_each_members_answer(rt: Runtime) -> None:
    import json

    from click.testing import CliRunner

    from mailer.cli import main

    rt.store.archive.add(calendar_mail("Dewi <dewi@example.org>", "Accepted",
                                       gmail(uid(rt), "dewi@example.org", "ACCEPTED")))
    rt.store.archive.add(calendar_mail("Agus <agus@example.org>", "Declined",
                                       outlook_occurrence(uid(rt), "agus@example.org",
                                                          "DECLINED", "20261211",
                                                          "20261202T010000Z")))
    tick(rt, T0 + timedelta(hours=1))
    rt.store.flush()
    result = CliRunner().invoke(main, ["--config", str(rt.config.path), "meetings", "--json"])
    (meeting,) = json.loads(result.stdout)
    assert meeting["rsvp"] == {"siti@example.org": "NEEDS-ACTION",
                               "budi@example.org": "NEEDS-ACTION",
                               "dewi@example.org": "ACCEPTED",
                               "agus@example.org": "DECLINED"}
    assert meeting["sequence"] == 0 and meeting["status"] == "active"
    by_start = {o["start"]: o["rsvp"] for o in meeting["occurrences"]}
    assert by_start["2026-12-11T14:00:00+07:00"]["agus@example.org"] == "DECLINED"
    assert by_start["2026-12-04T14:00:00+07:00"]["agus@example.org"] == "NEEDS-ACTION"
    assert by_start["2026-12-04T14:00:00+07:00"]["dewi@example.org"] == "ACCEPTED"
