"""What the fault suite shares: how long it runs, the mail it sends, what must hold after.

Tests in the suite carry the `faults` marker. The normal run is the short version;
`pytest -m faults --faults-scale 3` (scripts/faults) is the long one: three times the kills,
the outages, the mail and the hostile examples.
"""

from __future__ import annotations

from collections import Counter

from mailer.state import State
from tests.helpers import make_mail

SCALE = 1  # set from --faults-scale by conftest.py before the test modules are imported

OUTSIDER = "liburan@example.net"  # sends only automatic mail: must never get an answer


def mail_mix(i: int) -> tuple[str, bytes, bool]:
    """The i-th message of a fault run: (Message-ID, raw, is it automatic?).

    One in seven is an auto-responder's mail, in the shapes that loop lists in practice:
    an auto-reply from a member, an out-of-office from an outsider to the help address,
    a no-reply notification. None of them may be posted or answered.
    """
    message_id = fault_id(i)
    kind = i % CYCLE
    if kind == 6:
        raw = make_mail(subject=f"Re: Topik {i - 1}", message_id=message_id,
                        body="Saya sedang cuti sampai Senin.\n",
                        headers={"Auto-Submitted": "auto-replied"})
    elif kind == 13:
        raw = make_mail(sender=f"Liburan <{OUTSIDER}>", to="kkg+help@example.org",
                        subject="Out of Office: Topik", message_id=message_id,
                        body="I am away.\n")
    elif kind == 20:
        raw = make_mail(sender="no-reply@example.net", subject=f"Pemberitahuan {i}",
                        message_id=message_id, body="Jangan balas.\n",
                        headers={"Precedence": "bulk"})
    else:
        raw = make_mail(subject=f"Topik {i}", message_id=message_id, body=f"Isi {i}\n")
    return message_id, raw, kind in AUTOMATIC


CYCLE, AUTOMATIC = 21, (6, 13, 20)  # mail_mix's shapes repeat every CYCLE messages


def fault_id(i: int) -> str:
    return f"<fault-{i}@example.org>"


def automatic_ids(count: int) -> set[str]:
    return {fault_id(i) for i in range(count) if i % CYCLE in AUTOMATIC}


def check_invariants(state: State, accepted: set[str], automatic: set[str],
                     copies_per_post: int | None = None) -> None:
    """After a fault run: every accepted message in exactly one recorded state, each post
    in its thread once, no automatic mail posted or answered, and every queued copy sent."""
    assert set(state.messages) == accepted, "a message was lost, or one appeared from nowhere"
    states = state.messages
    assert {mid for mid, s in states.items() if s == "automatic"} == automatic & accepted
    assert {s for mid, s in states.items() if mid not in automatic} == {"posted"}
    posts = Counter(p.message_id for t in state.threads.values() for p in t.posts)
    assert set(posts) == accepted - automatic, "a post is missing from its thread"
    assert max(posts.values()) == 1, "a message was posted twice"
    outbox = list(state.outbox.values())
    assert not [i for i in outbox if i.kind == "notice"], "automatic mail was answered"
    assert not [i for i in outbox if i.to.lower() in (OUTSIDER, "no-reply@example.net")]
    if copies_per_post is not None:
        copies = Counter(i.message_id for i in outbox if i.kind == "post")
        assert set(copies) == accepted - automatic
        assert set(copies.values()) == {copies_per_post}, "a copy was queued twice or never"
    assert {i.state for i in outbox} <= {"sent"}, "a queued copy was not delivered"


# An HTML-only post of lists nested 5,000 deep, 140 KB: html2text's cost grows with the
# square of the nesting (it held a post 108 s and took the daemon to 817 MB)
NESTED_LISTS = (b"<html><body>" + b"".join(b"<ul><li>Butir %d" % i for i in range(5000))
                + b"</li></ul>" * 5000 + b"</body></html>")
CJK = "数学教学方法研讨会" * 36  # 324 characters, ~970 bytes: its encoding folds past 998

# Mail built to be expensive: each must end in one recorded state at a bounded cost (the
# tests check what is kept; bench/hostile.py measures the time against the bare parser).
ABSURD_MAIL = {
    "5,000 header lines": b"From: a@example.org\r\n" + b"X-Header: v\r\n" * 5000
    + b"\r\nbody\r\n",
    "a 3 MB subject": b"From: a@example.org\r\nSubject: " + b"x" * 3_000_000
    + b"\r\n\r\nbody\r\n",
    "a 30 MB body": b"From: a@example.org\r\n\r\n" + b"y" * 30 * 2**20,
    "a 3 MB body line": b"From: siti@example.org\r\nSubject: panjang\r\n\r\n"
    + b"z" * 3 * 2**20 + b"\r\n",
    "20,000 Content-Type parameters": b"From: siti@example.org\r\nContent-Type: text/plain; "
    + b"p=v; " * 20_000 + b"\r\n\r\nx",
    "MIME nested 60 deep": b"From: siti@example.org\r\nContent-Type: multipart/mixed; "
    b"boundary=b0\r\n\r\n" + b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
        for i in range(60)),
    "140 KB HTML of nested lists": b"From: Siti Rahayu <siti@example.org>\r\nTo: "
    b"kkg@example.org\r\nSubject: Bahan ajar\r\nMessage-ID: <lists@example.org>\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n" + NESTED_LISTS,
    "a 324-character CJK subject": make_mail(subject=CJK, message_id="<cjk@example.org>"),
    "a member's post with 5,000 Received lines": b"".join(
        b"Received: from relay%d.example.net by mx.example.org; Tue, 1 Dec 2026 02:00:00 "
        b"+0000\r\n" % i for i in range(5000)) + make_mail(message_id="<hops@example.org>"),
}
