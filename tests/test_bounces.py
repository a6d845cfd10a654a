"""Bounces: attributed to the member, never posted, never answered; DMARC told apart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailer.daemon import Runtime, tick
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, write_config

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
