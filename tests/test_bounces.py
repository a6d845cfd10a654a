"""Bounces: attributed to the member, never posted, never answered; DMARC told apart.
Robots (ARF, MDN, robot and null senders) are never answered; probes come before a pause."""

from __future__ import annotations

import json
import smtplib
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mailer.daemon import Runtime, tick
from mailer.edges.smtpd import ReceiveHandler, SmtpReceiver, envelope_headers
from mailer.inbound.classify import is_robot
from mailer.inbound.dsn import grade_failure, read_report
from mailer.membership import needs_probe, paused
from mailer.model import OutboxItem
from mailer.state import BOUNCE_WEIGHTS, State
from mailer.timed.attention import attention_of
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, message_records, write_config
from tests.peers import free_port
from tests.test_pipeline import mail_for

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    config = write_config(tmp_path, meeting=False)
    runtime = open_runtime(config)
    runtime.store.archive.add(make_mail(subject="Pecahan"))
    tick(runtime, T0)  # copies to dewi and agus, each with its own envelope sender
    return runtime


def dsn(to: str, failed: str, status: str, diagnostic: str) -> bytes:
    boundary = "dsn-boundary"
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        f"To: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-" + failed + "@mx.example.net>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: multipart/report; report-type=delivery-status; boundary={boundary}\r\n"
        f"\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
        f"I'm sorry to have to inform you that your message could not be delivered.\r\n"
        f"<{failed}>: {diagnostic}\r\n"
        f"\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n"
        f"\r\n--{boundary}--\r\n").encode()


def envelope_of(rt: Runtime, member: str) -> str:
    return next(i.envelope_from for i in rt.store.state.outbox.values() if i.to == member)


def bounces(rt: Runtime) -> list[dict[str, object]]:
    return [r for r in rt.store.journal.replay() if r["t"] == "bounce"]


def test_a_dsn_to_our_envelope_sender_names_the_member(rt: Runtime) -> None:
    rt.store.archive.add(dsn(envelope_of(rt, "dewi@example.org"), "dewi@example.org",
                             "5.1.1", "550 5.1.1 User unknown"))
    tick(rt, T0)
    rt.store.flush()
    (record,) = bounces(rt)
    assert record["email"] == "dewi@example.org" and record["kind"] == "dead"
    assert len(rt.store.state.threads["t1"].posts) == 1
    assert not [i for i in rt.store.state.outbox.values() if "mx.example.net" in i.to]


def test_a_dmarc_rejection_is_told_apart_from_a_dead_address(rt: Runtime) -> None:
    rt.store.archive.add(dsn(envelope_of(rt, "agus@example.org"), "agus@example.org", "5.7.26",
                             "550 5.7.26 Unauthenticated email from example.org is not "
                             "accepted due to domain's DMARC policy"))
    tick(rt, T0)
    rt.store.flush()
    (record,) = bounces(rt)
    assert record["email"] == "agus@example.org" and record["kind"] == "dmarc"


def test_a_non_standard_bounce_without_our_tag_is_still_attributed(rt: Runtime) -> None:
    exim = (b"From: Mail Delivery System <Mailer-Daemon@mail.example.net>\r\n"
            b"To: kkg@example.org\r\nSubject: Mail delivery failed: returning message to "
            b"sender\r\nX-Failed-Recipients: dewi@example.org\r\nMessage-ID: <exim@x>\r\n"
            b"\r\nThis message was created automatically by mail delivery software.\r\n\r\n"
            b"A message that you sent could not be delivered to one or more of its\r\n"
            b"recipients. This is a permanent error. The following address(es) failed:\r\n"
            b"\r\n  dewi@example.org\r\n    mailbox is unavailable\r\n")
    rt.store.archive.add(exim)
    tick(rt, T0)
    rt.store.flush()
    (record,) = bounces(rt)
    assert record["email"] == "dewi@example.org"
    assert rt.store.state.messages["<exim@x>"] == "bounce"


# --- vendor shapes and robots: our own cases in tests/data/bounces/ (expected.json) -------

DATA = Path(__file__).parent / "data" / "bounces"
EXPECTED: dict[str, dict[str, str]] = json.loads((DATA / "expected.json").read_text())
SHAPES = sorted(n for n, e in EXPECTED.items() if "kind" in e)
ROBOTS = sorted(n for n, e in EXPECTED.items() if "rule" in e)
COMMUNITY = "kkg@example.org"


def case(name: str, envelope: str = COMMUNITY, verp: str = COMMUNITY) -> bytes:
    """A case as it arrives: {envelope} is where it was sent, {verp} the envelope sender
    of the copy it returns."""
    text = (DATA / name).read_text().replace("{envelope}", envelope).replace("{verp}", verp)
    return text.replace("\n", "\r\n").encode()


def at_bounce_address(rt: Runtime, name: str, member: str = "dewi@example.org") -> bytes:
    """The case sent to the bounce address of `member`'s copy, as our SMTP receiver keeps it."""
    verp = envelope_of(rt, member)
    return envelope_headers("<>", [verp]) + case(name, verp, verp)


def records(rt: Runtime, kind: str) -> list[dict[str, Any]]:
    rt.store.flush()
    return [r for r in rt.store.journal.replay() if r["t"] == kind]


def notices(rt: Runtime) -> list[OutboxItem]:
    """Notices queued, but the organizers' daily attention mail."""
    return [i for i in rt.store.state.outbox.values()
            if i.kind == "notice" and "Perlu perhatian" not in i.subject]


@pytest.mark.parametrize("name", SHAPES)
def test_each_vendor_shape_names_the_failed_address_and_how(name: str) -> None:
    report = read_report(case(name), ignore=[COMMUNITY])
    failure = next(f for f in report.failures if f.address == "dewi@example.org")
    assert failure.kind == EXPECTED[name]["kind"]
    if EXPECTED[name]["status"]:
        assert failure.status == EXPECTED[name]["status"]


@pytest.mark.parametrize("name", SHAPES)
def test_a_bounce_at_our_bounce_address_counts_against_that_member(rt: Runtime,
                                                                   name: str) -> None:
    before = len(rt.store.state.outbox)
    rt.store.archive.add(at_bounce_address(rt, name))
    tick(rt, T0)
    (record,) = records(rt, "bounce")
    kind = EXPECTED[name]["kind"]
    assert (record["email"], record["kind"], record["member"]) == ("dewi@example.org", kind,
                                                                   True)
    assert record["counted"] is (kind in ("dead", "full", "temporary"))
    assert rt.store.state.bounce_score("dewi@example.org", T0) == BOUNCE_WEIGHTS.get(kind, 0)
    assert len(rt.store.state.outbox) == before  # nothing answered, nobody told yet
    assert set(rt.store.state.messages.values()) == {"posted", "bounce"}


@pytest.mark.parametrize("name", SHAPES)
def test_a_bounce_to_the_community_address_is_recorded_never_counted(rt: Runtime,
                                                                     name: str) -> None:
    rt.store.archive.add(case(name))
    tick(rt, T0)
    found = {r["email"]: r for r in records(rt, "bounce")}
    assert found["dewi@example.org"]["kind"] == EXPECTED[name]["kind"]
    assert not any(r["counted"] for r in found.values())
    assert rt.store.state.bounce_score("dewi@example.org", T0) == 0
    assert not notices(rt)


@pytest.mark.parametrize("name", ROBOTS)
@pytest.mark.parametrize("where", ["community", "bounce-address"])
def test_robots_are_never_answered_nor_posted(rt: Runtime, name: str, where: str) -> None:
    verp = envelope_of(rt, "dewi@example.org")
    raw = case(name, COMMUNITY if where == "community" else verp, verp)
    rt.store.archive.add(raw)
    tick(rt, T0)
    (record,) = [r for r in records(rt, "message") if r["state"] != "posted"]
    assert record["state"] in ("automatic", "bounce")
    if where == "community":
        assert record["rule"] in (EXPECTED[name]["rule"], "arf-report")
    assert not notices(rt) and not rt.store.state.holds
    assert len(rt.store.state.threads) == 1
    assert not [i for i in rt.store.state.outbox.values() if is_robot(i.to)]


def test_a_spam_complaint_stops_delivery_to_that_member_and_tells_the_organizers(
        rt: Runtime) -> None:
    verp = envelope_of(rt, "dewi@example.org")
    rt.store.archive.add(case("arf-complaint.eml", "abuse@example.org", verp))
    tick(rt, T0 + timedelta(hours=1))
    (complaint,) = records(rt, "complaint")
    assert (complaint["email"], complaint["feedback_type"]) == ("dewi@example.org", "abuse")
    rt.store.archive.add(make_mail(subject="Sesudah keluhan"))
    tick(rt, T0 + timedelta(hours=2))
    copies = {i.to for i in rt.store.state.outbox.values() if "Sesudah" in i.subject}
    assert copies == {"agus@example.org"}
    attention = attention_of(rt.store, rt.config.communities[0], T0 + timedelta(hours=2))
    assert attention.complaints == ("dewi@example.org",) and attention.bouncing == ()
    (mail,) = mail_for(rt.config.service.data_dir, "siti@example.org", "Perlu perhatian")
    assert "dewi@example.org" in mail.get_body(("plain",)).get_content()


def test_a_complaint_naming_the_member_only_in_the_original_to_is_attributed(
        rt: Runtime) -> None:
    rt.store.archive.add(case("arf-complaint.eml", "abuse@example.org", "x@example.net"))
    tick(rt, T0)
    assert [r["email"] for r in records(rt, "complaint")] == ["dewi@example.org"]


def test_a_read_receipt_from_a_member_is_only_recorded(rt: Runtime) -> None:
    rt.store.archive.add(case("mdn-read-receipt.eml"))
    tick(rt, T0)
    assert message_records(rt.store)["<mdn@example.org>"]["rule"] == "mdn-report"
    assert not notices(rt) and not records(rt, "complaint")


VOUCHED = ("example.org; spf=pass smtp.mailfrom=budi@example.org; "
           "dkim=pass header.d=example.org; dmarc=pass header.from=example.org")


def test_bulk_mail_from_a_vouched_for_member_waits_for_a_moderator(rt: Runtime) -> None:
    rt.store.archive.add(make_mail(sender="Budi <budi@example.org>", subject="Buletin Desember",
                                   headers={"Precedence": "bulk",
                                            "Authentication-Results": VOUCHED}))
    tick(rt, T0)
    (hold,) = rt.store.state.holds.values()
    assert hold.reason == "message was sent as bulk mail (Precedence: bulk)"
    told = mail_for(rt.config.service.data_dir, "budi@example.org", "menunggu")
    assert "surat massal" in told[0].get_body(("plain",)).get_content()
    assert mail_for(rt.config.service.data_dir, "siti@example.org", "Buletin")


@pytest.mark.parametrize(("sender", "auth"), [
    ("Budi <budi@example.org>", ""),  # nobody vouched for the From: an auto-responder's
    ("Budi <budi@example.org>", VOUCHED.replace("dmarc=pass", "dmarc=fail").replace(
        "dkim=pass", "dkim=fail")),
    ("Asing <x@elsewhere.org>", VOUCHED.replace("example.org", "elsewhere.org")),
])
def test_bulk_mail_otherwise_stays_automatic(rt: Runtime, sender: str, auth: str) -> None:
    headers = {"Precedence": "junk"} | ({"Authentication-Results": auth} if auth else {})
    rt.store.archive.add(make_mail(sender=sender, subject="Buletin", headers=headers))
    tick(rt, T0)
    assert not rt.store.state.holds and not notices(rt)


def probe_of(rt: Runtime, member: str) -> OutboxItem | None:
    return next((rt.store.state.outbox[i] for i, e in rt.store.state.probes.items()
                 if e == member), None)


def bounce_three_days(rt: Runtime) -> None:
    """Three days of user-unknown reports at dewi's copy of the first post."""
    for day in range(3):
        report = dsn(envelope_of(rt, "dewi@example.org"), "dewi@example.org", "5.1.1",
                     "550 5.1.1 User unknown")
        rt.store.archive.add(report.replace(b"<dsn-", f"<dsn-{day}-".encode()))
        tick(rt, T0 + timedelta(days=day, hours=1))


def test_a_probe_goes_out_before_a_pause_and_only_its_bounce_pauses(rt: Runtime) -> None:
    bounce_three_days(rt)
    probe = probe_of(rt, "dewi@example.org")
    assert probe is not None and probe.state == "sent"
    assert probe.envelope_from == f"kkg+b-{probe.id}@example.org"
    (sent,) = mail_for(rt.config.service.data_dir, "dewi@example.org", "tidak sampai")
    assert "kembali kepada kami" in sent.get_body(("plain",)).get_content()
    assert paused(rt.store.state, "dewi@example.org", T0 + timedelta(days=3))  # waiting
    rt.store.archive.add(dsn(probe.envelope_from, "dewi@example.org", "5.1.1",
                             "550 5.1.1 User unknown").replace(b"<dsn-", b"<probe-dsn-"))
    tick(rt, T0 + timedelta(days=2, hours=2))
    assert [r["probe"] for r in records(rt, "bounce")][-1] is True
    for days in (5, 20):  # paused for 30 days, whatever the probe waited
        assert paused(rt.store.state, "dewi@example.org", T0 + timedelta(days=days))
    assert not paused(rt.store.state, "dewi@example.org", T0 + timedelta(days=33))
    attention = attention_of(rt.store, rt.config.communities[0], T0 + timedelta(days=5))
    assert attention.bouncing == ("dewi@example.org",)


def test_a_probe_that_does_not_bounce_forgives_the_failures(rt: Runtime) -> None:
    bounce_three_days(rt)
    assert probe_of(rt, "dewi@example.org") is not None
    later = T0 + timedelta(days=5)
    assert not paused(rt.store.state, "dewi@example.org", later)
    assert not needs_probe(rt.store.state, "dewi@example.org", later)
    rt.store.archive.add(make_mail(subject="Sesudah uji"))
    tick(rt, later)
    assert mail_for(rt.config.service.data_dir, "dewi@example.org", "Sesudah uji")
    assert len(rt.store.state.probes) == 1  # no second probe for the forgiven failures


def test_at_most_one_bounce_counts_a_member_a_day(rt: Runtime) -> None:
    for n in range(3):
        report = dsn(envelope_of(rt, "dewi@example.org"), "dewi@example.org", "5.1.1",
                     "550 5.1.1 User unknown")
        rt.store.archive.add(report.replace(b"<dsn-", f"<dsn-{n}-".encode()))
    tick(rt, T0 + timedelta(hours=1))
    assert [r["counted"] for r in records(rt, "bounce")] == [True, False, False]
    assert rt.store.state.bounce_score("dewi@example.org", T0 + timedelta(hours=1)) == 1.0


def test_a_bounce_for_a_copy_never_sent_or_unknown_does_not_count(rt: Runtime) -> None:
    rt.store.record({"t": "outbox", "id": "onever", "to": "agus@example.org", "kind": "post",
                     "subject": "x", "queued": T0.isoformat(), "spool": ["", 0, 0]})
    rt.store.record({"t": "outbox-state", "id": "onever", "state": "deferred", "attempts": 1,
                     "next_try": (T0 + timedelta(days=9)).isoformat(), "at": T0.isoformat()})
    for n, item in enumerate(("onever", "ounknown")):
        report = dsn(f"kkg+b-{item}@example.org", "agus@example.org", "5.1.1",
                     "550 5.1.1 User unknown")
        rt.store.archive.add(report.replace(b"<dsn-", f"<dsn-{n}-".encode()))
    tick(rt, T0)
    found = records(rt, "bounce")
    assert [(r["email"], r["counted"]) for r in found] == [("agus@example.org", False)] * 2
    assert rt.store.state.bounce_score("agus@example.org", T0) == 0


def test_a_temporary_failure_is_never_graded_dead() -> None:
    for status, words in (("4.2.2", "452 4.2.2 Mailbox full"), ("4.4.7", "expired"),
                          ("5.0.0", "554 Service unavailable, try again later"),
                          ("", "all hosts have been failing for a long time")):
        assert grade_failure(status, words) != "dead", (status, words)
    assert grade_failure("5.7.1", "550 5.7.1 SPF check failed") == "dmarc"
    assert grade_failure("5.2.2", "552 5.2.2 Mailbox unavailable, user disabled") == "dead"


def test_bounce_records_written_before_the_probes_are_read_as_before() -> None:
    state = State()
    old = {"t": "bounce", "community": "kkg", "email": "dewi@example.org", "kind": "dead",
           "member": True, "message_id": "<x@y>", "at": T0.isoformat()}
    state.apply(old)
    state.apply(old | {"kind": "temporary"})
    state.apply(old | {"kind": "dmarc"})
    assert state.bounce_score("dewi@example.org", T0) == 1.25
    state.apply(old | {"counted": False, "kind": "dead"})
    assert state.bounce_score("dewi@example.org", T0) == 1.25


def test_the_smtp_receiver_keeps_the_envelope(rt: Runtime) -> None:
    port = free_port()
    arrived = threading.Event()
    receiver = SmtpReceiver("127.0.0.1", port, ReceiveHandler(
        rt.store.archive, lambda: [COMMUNITY], arrived), 10**6)
    receiver.start()
    verp = envelope_of(rt, "dewi@example.org")
    try:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.sendmail("<>", [verp], case("postfix-user-unknown.eml", verp, verp))
            client.sendmail("opendmarc-postmaster@mx.example.net", [COMMUNITY],
                            case("opendmarc-failure.eml"))
    finally:
        receiver.stop()
    keys = rt.store.archive.pending()
    heads = [rt.store.archive.read(k).split(b"\r\n")[:3] for k in keys]
    assert [b"Return-Path: <>", f"Delivered-To: {verp}".encode(),
            f"X-Cop-Envelope-To: {verp}".encode()] in heads
    assert [b"Return-Path: <opendmarc-postmaster@mx.example.net>",
            b"Delivered-To: kkg@example.org", b"X-Cop-Envelope-To: kkg@example.org"] in heads
    tick(rt, T0)
    assert [(r["email"], r["counted"]) for r in records(rt, "bounce")] == [
        ("dewi@example.org", True)]
    assert not notices(rt)
