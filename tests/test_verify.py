"""A forged From: what the receiving server wrote in Authentication-Results, read back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailer.daemon import Runtime, tick
from mailer.inbound.verify import check_from, trusted_headers
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, message_records, write_config
from tests.test_pipeline import mail_for

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

GMAIL_PASS = ("mx.google.com; dkim=pass header.i=@example.org header.s=s1 header.b=Ab12; "
              "spf=pass (google.com: domain of dewi@example.org designates 192.0.2.1 as "
              "permitted sender) smtp.mailfrom=dewi@example.org; dmarc=pass (p=NONE sp=NONE "
              "dis=NONE) header.from=example.org")
GMAIL_FAIL = ("mx.google.com; spf=fail (google.com: domain of dewi@example.org does not "
              "designate 203.0.113.9 as permitted sender) smtp.mailfrom=dewi@example.org; "
              "dmarc=fail (p=QUARANTINE sp=QUARANTINE dis=QUARANTINE) header.from=example.org")
OUTLOOK_FAIL = ("spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=example.org; dkim=none "
                "(message not signed) header.d=none;dmarc=fail action=quarantine "
                "header.from=example.org;compauth=fail reason=000")
YAHOO_PASS = ("atlas102.free.mail.bf1.yahoo.com; dkim=pass header.i=@example.org "
              "header.s=s1; spf=pass smtp.mailfrom=example.org; dmarc=pass(p=REJECT) "
              "header.from=example.org;")
# Postfix with OpenDKIM and OpenDMARC: one header per milter
POSTFIX_SPF_FAIL = ["mail.kkg.example; spf=fail smtp.mailfrom=dewi@example.org",
                    "mail.kkg.example; dkim=none"]
POSTFIX_SPF_FAIL_DKIM_PASS = ["mail.kkg.example; spf=fail smtp.mailfrom=dewi@example.org",
                              "mail.kkg.example; dkim=pass header.d=example.org"]


GOOGLE, MICROSOFT, YAHOO, POSTFIX = ("mx.google.com", "mx.microsoft.com",
                                     "atlas102.free.mail.bf1.yahoo.com", "mail.kkg.example")


@pytest.mark.parametrize(("trusted", "headers", "verdict"), [
    (GOOGLE, [GMAIL_PASS], ("pass", "dkim=pass")),
    (GOOGLE, [GMAIL_FAIL], ("fail", "dmarc=fail")),
    (MICROSOFT, [OUTLOOK_FAIL], ("fail", "dmarc=fail")),
    (YAHOO, [YAHOO_PASS], ("pass", "dkim=pass")),
    (POSTFIX, POSTFIX_SPF_FAIL, ("fail", "spf=fail")),
    # a lower header with the server's id never cancels a failure above it: the sender can
    # write one (issue 16: it used to count, as "forwarded mail keeps its signature")
    (POSTFIX, POSTFIX_SPF_FAIL_DKIM_PASS, ("fail", "spf=fail")),
    (GOOGLE, ["mx.google.com; spf=softfail smtp.mailfrom=dewi@example.org"], ("none", "")),
    (GOOGLE, ["mx.google.com; dmarc=fail header.from=other.example"], ("none", "")),
    (GOOGLE, [], ("none", "")),  # nothing to go on
    # DMARC policy "none" is no pass; SPF passing for the sender's own envelope domain is
    # no alignment (issue 16: this counted as not forged)
    (GOOGLE, ["mx.google.com; spf=pass smtp.mailfrom=x@attacker.example; dmarc=fail (p=NONE "
              "sp=NONE dis=NONE) header.from=example.org"], ("fail", "dmarc=fail")),
    (MICROSOFT, ["spf=softfail (sender IP is 192.0.2.7) smtp.mailfrom=example.org; dkim=none; "
                 "dmarc=fail action=none header.from=example.org;compauth=softpass "
                 "reason=201"], ("fail", "dmarc=fail")),
    (GOOGLE, ["mx.google.com; spf=fail smtp.mailfrom=dewi@example.org; dmarc=fail (p=NONE "
              "sp=NONE dis=NONE) header.from=example.org"], ("fail", "dmarc=fail")),
    # only the configured server's headers are read, wherever the others stand
    (GOOGLE, ["mx.evil.example; dmarc=pass header.from=example.org", GMAIL_FAIL],
     ("fail", "dmarc=fail")),
    (GOOGLE, [GMAIL_FAIL, "mx.evil.example; dmarc=pass header.from=example.org"],
     ("fail", "dmarc=fail")),
    (GOOGLE, ["mx.google.com; dmarc=fail header.from=example.org", GMAIL_PASS],
     ("fail", "dmarc=fail")),
    # the sender's own lower "pass" under the server's id is not a pass either
    (GOOGLE, ["mx.google.com; spf=softfail smtp.mailfrom=dewi@example.org",
              "mx.google.com; dkim=pass header.d=example.org"], ("none", "")),
    # Exchange's form without an authserv-id counts only when Microsoft is the server
    (GOOGLE, [OUTLOOK_FAIL], ("none", "")),
    (GOOGLE, ["spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org"],
     ("none", "")),
    (MICROSOFT, ["mx.google.com; x=y", "spf=pass smtp.mailfrom=example.org"], ("none", "")),
    ("", [GMAIL_PASS], ("none", "")),  # no server named: nothing is trusted
    ("MX.Google.COM", [GMAIL_PASS.replace("mx.google.com", "MX.GOOGLE.COM")],
     ("pass", "dkim=pass")),
    # a signature of another domain vouches for nobody here
    (GOOGLE, ["mx.google.com; dkim=pass header.d=attacker.example"], ("none", "")),
])
def test_what_the_trusted_server_found(trusted: str, headers: list[str],
                                       verdict: tuple[str, str]) -> None:
    found = check_from(headers, trusted, "dewi@example.org")
    assert found.result == verdict[0]
    if verdict[1]:
        assert found.reason == verdict[1]


def test_only_headers_of_the_trusted_server_are_read() -> None:
    assert trusted_headers(["a.example; spf=pass", "b.example; x", "a.example; dkim=pass"],
                           "a.example") == ["a.example; spf=pass", "a.example; dkim=pass"]
    assert trusted_headers(["spf=pass"], "a.example") == []


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    return open_runtime(write_config(tmp_path, meeting=False,
                                     inbound='protocol = "smtp"\nauthserv_id = "mx.google.com"'))


def test_a_forged_member_is_held_for_the_moderator_and_the_owner_is_not_told(
        rt: Runtime) -> None:
    rt.store.archive.add(make_mail(
        sender="Dewi Lestari <dewi@example.org>", subject="Pinjaman cepat",
        headers={"Authentication-Results": GMAIL_FAIL}))
    rt.store.archive.add(make_mail(
        sender="Dewi Lestari <dewi@example.org>", subject="Media pecahan",
        headers={"Authentication-Results": GMAIL_PASS}))
    tick(rt, T0)
    (hold,) = rt.store.state.holds.values()
    assert hold.subject == "Pinjaman cepat"
    assert hold.reason == "sender address failed verification (dmarc=fail)"
    assert [t.subject for t in rt.store.state.threads.values()] == ["Media pecahan"]
    data = rt.config.service.data_dir
    assert not mail_for(data, "dewi@example.org", "menunggu")  # Dewi did not send it
    (notice,) = mail_for(data, "siti@example.org", "Perlu persetujuan")
    text = notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "dipalsukan" in text


def test_a_forged_leave_does_not_unsubscribe_the_member(rt: Runtime) -> None:
    rt.store.archive.add(make_mail(
        sender="dewi@example.org", to="kkg+leave@example.org", subject="leave",
        message_id="<forged-leave@example.org>", headers={"Authentication-Results": GMAIL_FAIL}))
    tick(rt, T0)
    record = message_records(rt.store)["<forged-leave@example.org>"]
    assert record["detail"] == "leave ignored: sender address failed verification (dmarc=fail)"
    assert not rt.store.state.members  # no membership record: Dewi is still a member
    assert not mail_for(rt.config.service.data_dir, "dewi@example.org")
