"""A forged From: what the receiving server wrote in Authentication-Results, read back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailer.daemon import Runtime, tick
from mailer.inbound.verify import forged_from, own_headers
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


@pytest.mark.parametrize(("headers", "verdict"), [
    ([GMAIL_PASS], None),
    ([GMAIL_FAIL], "dmarc=fail"),
    ([OUTLOOK_FAIL], "dmarc=fail"),
    ([YAHOO_PASS], None),
    (POSTFIX_SPF_FAIL, "spf=fail"),
    (POSTFIX_SPF_FAIL_DKIM_PASS, None),  # forwarded mail breaks SPF; the signature holds
    (["mx.google.com; spf=softfail smtp.mailfrom=dewi@example.org"], None),  # too weak
    (["mx.google.com; dmarc=fail header.from=other.example"], None),  # about another From
    ([], None),  # nothing to go on: the built-in receiver, small servers
    # a domain with DMARC policy "none" is still being set up: its failure alone is no proof
    (["mx.google.com; spf=pass smtp.mailfrom=dewi@example.org; dmarc=fail (p=NONE sp=NONE "
      "dis=NONE) header.from=example.org"], None),
    (["spf=softfail (sender IP is 192.0.2.7) smtp.mailfrom=example.org; dkim=none; "
      "dmarc=fail action=none header.from=example.org;compauth=softpass reason=201"], None),
    (["mx.google.com; spf=fail smtp.mailfrom=dewi@example.org; dmarc=fail (p=NONE sp=NONE "
      "dis=NONE) header.from=example.org"], "spf=fail"),
    # the subdomain policy (sp=) is not the domain's own
    (["mx.google.com; spf=pass smtp.mailfrom=dewi@example.org; dmarc=fail (p=REJECT sp=NONE "
      "dis=REJECT) header.from=example.org"], "dmarc=fail"),
    # a forged "pass" the sender put below the server's own header is not read
    ([GMAIL_FAIL, "mx.evil.example; dmarc=pass header.from=example.org"], "dmarc=fail"),
    # and the sender's own header cannot hide the server's verdict under it
    (["mx.google.com; dmarc=fail header.from=example.org", GMAIL_PASS], "dmarc=fail"),
])
def test_what_the_receiving_server_found(headers: list[str], verdict: str | None) -> None:
    assert forged_from(headers, "dewi@example.org") == verdict


def test_only_the_topmost_servers_headers_count() -> None:
    assert own_headers(["a.example; spf=pass", "a.example; dkim=pass", "b.example; x"]) == [
        "a.example; spf=pass", "a.example; dkim=pass"]


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    return open_runtime(write_config(tmp_path, meeting=False))


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
        message_id="<forged-leave@example.org>", headers={"Authentication-Results": OUTLOOK_FAIL}))
    tick(rt, T0)
    record = message_records(rt.store)["<forged-leave@example.org>"]
    assert record["detail"] == "leave ignored: sender address failed verification (dmarc=fail)"
    assert not rt.store.state.members  # no membership record: Dewi is still a member
    assert not mail_for(rt.config.service.data_dir, "dewi@example.org")
