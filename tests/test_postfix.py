"""A real Postfix in front of `cop run` (a subprocess) over LMTP, as config/postfix/ sets it up:
mail sent to Postfix with smtplib becomes a post to the members (cop run sends through the
same Postfix, which relays to an SMTP sink); an address no community has is refused by our
LMTP and bounced by Postfix, once; a `cop run` killed while Postfix delivers leaves the mail
deferred in Postfix's queue, delivered once when it is back."""

from __future__ import annotations

import smtplib
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest

from mailer.edges.store import FileStore
from mailer.state import State
from tests.dnszone import SPF_ONLY
from tests.faults import check_invariants
from tests.helpers import make_mail, smtp_outbound, until, write_config
from tests.peers import SmtpPeer, free_port
from tests.postfix import Postfix, unavailable
from tests.test_crash import Daemon

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bool(unavailable()), reason=unavailable() or "-")]

SENDER = f"eko@{SPF_ONLY}"  # SPF names 127.0.0.1, where the test's mail reaches Postfix
MEMBER = f"""
  [[community.member]]
  email = "{SENDER}"
  name = "Eko Prasetyo"
  delivery = "each"
"""
EACH = {"siti@example.org", "dewi@example.org", "agus@example.org"}  # delivery = "each"


class Site:
    """Postfix, the sink it relays to, and cop run behind it."""

    def __init__(self, root: Path, sink: SmtpPeer, daemon: Daemon, unix: bool,
                 main_cf: str = "") -> None:
        self.root = root
        self.sink = sink
        self.daemon = daemon
        self.port = free_port()
        folder = Path(tempfile.mkdtemp(prefix="cop-postfix-", dir="/tmp"))  # postfix walks it
        self.socket = folder / "lmtp.sock"
        lmtp_port = free_port()
        inbound = (f'protocol = "lmtp"\nsocket = "{self.socket}"' if unix
                   else f'protocol = "lmtp"\nhost = "127.0.0.1"\nport = {lmtp_port}')
        nexthop = f"unix:{self.socket}" if unix else f"inet:127.0.0.1:{lmtp_port}"
        # kkg: a community; lama: one removed from cop.toml that Postfix still routes to us
        transport = (f"kkg@example.org lmtp:{nexthop}\n"
                     f"lama@example.org lmtp:{nexthop}\n")
        self.config = write_config(root, meeting=False, extra=MEMBER, inbound=inbound,
                                   outbound=smtp_outbound(self.port))
        self.postfix = Postfix(folder, self.port, sink.port, transport, extra=main_cf)

    def send(self, raw: bytes, to: list[str]) -> None:
        with smtplib.SMTP("127.0.0.1", self.port) as client:
            client.sendmail(SENDER, to, raw)

    def copies(self, subject: str) -> Counter[str]:
        """Recipients of the copies of the post `subject` the sink got (once each?)."""
        found: Counter[str] = Counter()
        for m in list(self.sink.recorder.messages):
            if str(message_from_bytes(m.data)["Subject"]).replace("[KKG]", "").strip() \
                    == subject:
                found.update(a.lower() for a in m.rcpt_tos)
        return found

    def bounces(self) -> list[bytes]:
        return [m.data for m in list(self.sink.recorder.messages) if m.mail_from in ("", "<>")]

    def messages(self) -> dict[str, str]:
        """Message-ID -> its recorded state, read as `cop threads` reads while cop runs."""
        store = FileStore(self.config.service.data_dir, read_only=True)
        try:
            return dict(store.state.messages)
        finally:
            store.close()

    def state(self) -> State:
        """After cop run stopped."""
        store = FileStore(self.config.service.data_dir)
        try:
            return store.state
        finally:
            store.close()


@pytest.fixture(params=["inet", "unix"])
def site(request: pytest.FixtureRequest, tmp_path: Path, smtp_peer: SmtpPeer,
         daemon: Daemon) -> Iterator[Site]:
    made = Site(tmp_path, smtp_peer, daemon, request.param == "unix")
    made.postfix.start()
    try:
        yield made
    finally:
        made.postfix.stop()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    running = Daemon(tmp_path / "daemon.log")
    yield running
    if running.process is not None and running.process.poll() is None:
        running.process.kill()
        running.process.wait(10)


def test_postfix_delivers_a_post_and_bounces_what_no_community_has(site: Site) -> None:
    site.daemon.start(site.config.path)
    site.daemon.wait_started()
    site.send(make_mail(sender=f"Eko <{SENDER}>", subject="Media pecahan",
                        message_id="<post@guru.test>"),
              ["kkg@example.org", "lama@example.org"])
    until(lambda: set(site.copies("Media pecahan")) >= EACH, "copies to the members",
             90)
    until(lambda: site.bounces() and not site.postfix.queue(), "the bounce for lama@")
    # the reply, through Postfix's recipient_delimiter: kkg+... goes to the same place
    site.send(make_mail(sender=f"Eko <{SENDER}>", subject="Re: Media pecahan",
                        message_id="<reply@guru.test>", in_reply_to="<post@guru.test>"),
              ["kkg+reply@example.org"])
    until(lambda: set(site.copies("Re: Media pecahan")) >= EACH, "copies of the reply", 90)
    assert site.daemon.stop() == 0
    assert max(site.copies("Media pecahan").values()) == 1
    bounces = site.bounces()
    assert len(bounces) == 1, "one bounce, to the sender, and nothing bounced back"
    bounce = message_from_bytes(bounces[0])
    assert str(bounce["To"]) == SENDER
    text = bounces[0].decode(errors="replace")
    assert "<lama@example.org>" in text and "550 5.1.1 No community has this address" in text
    state = site.state()
    assert state.messages == {"<post@guru.test>": "posted", "<reply@guru.test>": "posted"}
    (thread,) = state.threads.values()
    assert [p.message_id for p in thread.posts] == ["<post@guru.test>", "<reply@guru.test>"]
    log = site.postfix.log()
    assert "to=<kkg@example.org>" in log and "status=sent (250 2.0.0 Stored)" in log
    assert "to=<lama@example.org>" in log and "status=bounced" in log


@pytest.mark.timeout(300)
def test_a_killed_cop_run_leaves_the_mail_deferred_in_postfix(site: Site) -> None:
    """SIGKILL while Postfix delivers: what was not answered 250 stays in Postfix's queue
    (connection refused: deferred), and comes once when cop run is back."""
    site.daemon.start(site.config.path)
    site.daemon.wait_started()
    sent = [f"<kill{n}@guru.test>" for n in range(30)]

    def send_all() -> None:
        for n, message_id in enumerate(sent):
            site.send(make_mail(sender=f"Eko <{SENDER}>", subject=f"Soal nomor {n}",
                                message_id=message_id), ["kkg@example.org"])

    sending = threading.Thread(target=send_all)
    sending.start()
    until(lambda: site.daemon.text().count("received key=") >= 3, "the first deliveries")
    site.daemon.kill()
    sending.join(60)
    until(lambda: any("connect to" in r.get("delay_reason", "")
                         for q in site.postfix.queue() for r in q["recipients"]),
             "Postfix deferring the rest (connection refused)")
    site.daemon.start(site.config.path)
    site.daemon.wait_started()
    site.postfix.flush()
    until(lambda: not site.postfix.queue(), "Postfix's queue empty", 120)
    until(lambda: set(site.messages()) == set(sent), "every message recorded")
    until(lambda: all(set(site.copies(f"Soal nomor {n}")) >= EACH for n in range(30)),
             "every post's copies", 120)
    assert site.daemon.stop() == 0
    check_invariants(site.state(), set(sent), set())
    assert not site.bounces(), "nothing bounced: deferred, then delivered"


# config/postfix/main.cf's recipient check, first here: the test's mail comes from mynetworks
VERIFY = """
smtpd_recipient_restrictions = reject_unverified_recipient, permit_mynetworks,
    reject_unauth_destination
unverified_recipient_reject_code = 550
address_verify_poll_delay = 1s
"""


def test_postfix_asks_cop_and_refuses_an_unknown_address_up_front(
        tmp_path: Path, smtp_peer: SmtpPeer, daemon: Daemon) -> None:
    """reject_unverified_recipient: Postfix probes our LMTP (RCPT only) and refuses in the
    sender's own SMTP dialogue: no bounce to a sender who may be forged."""
    site = Site(tmp_path, smtp_peer, daemon, unix=False, main_cf=VERIFY)
    site.postfix.start()
    try:
        daemon.start(site.config.path)
        daemon.wait_started()
        codes: list[int] = []

        def refused_code() -> int:
            """Postfix's answer to RCPT lama@ (450 while its probe is on the way)."""
            with smtplib.SMTP("127.0.0.1", site.port) as client:
                client.ehlo("mail.guru.test")
                client.mail(SENDER)
                codes.append(client.rcpt("lama@example.org")[0])
            return codes[-1]

        until(lambda: refused_code() == 550, "Postfix refusing lama@ after its probe")
        assert set(codes) <= {450, 550}
        site.send(make_mail(sender=f"Eko <{SENDER}>", subject="Tanya",
                            message_id="<ask@guru.test>"), ["kkg@example.org"])
        until(lambda: set(site.copies("Tanya")) >= EACH, "the post to the members")
        assert daemon.stop() == 0
    finally:
        site.postfix.stop()
    assert site.messages() == {"<ask@guru.test>": "posted"}
    assert not site.bounces()
    assert "lama@example.org" in site.postfix.log() and "Recipient address rejected" in \
        site.postfix.log()
