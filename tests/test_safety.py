"""Keeping the climate safe: content holds, notice limits, bouncing addresses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailer.config import load_config
from mailer.daemon import Runtime, tick
from mailer.edges.store import FileStore as Store
from mailer.membership import paused
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, signed, write_config
from tests.test_pipeline import mail_for

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    config = write_config(tmp_path, meeting=False)
    config.path.write_text(config.path.read_text().replace(
        'posting = "members"', 'posting = "members"\nheld_words = ["pinjol"]\n'
        'max_recipients = 3\nmax_post_size = "20k"'))
    runtime = open_runtime(load_config(config.path))
    return runtime


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"body": "Ada tawaran PINJOL murah.\n"}, "message contains a listed word (pinjol)"),
    ({"to": "kkg@example.org, a@x.org, b@x.org, c@x.org"},
     "message is addressed to many other people too"),
    ({"body": "x" * 30_000}, "message is larger than the community allows"),
])
def test_content_that_waits_for_a_moderator(rt: Runtime, kwargs: dict[str, str],
                                            reason: str) -> None:
    rt.store.archive.add(make_mail(sender="Budi <budi@example.org>", **kwargs))
    tick(rt, T0)
    (hold,) = rt.store.state.holds.values()
    assert hold.reason == reason
    told = mail_for(rt.config.service.data_dir, "budi@example.org", "menunggu")[0]
    assert "pinjol" not in told.get_body(("plain",)).get_content().lower()


def test_automatic_notices_to_one_address_are_limited(rt: Runtime) -> None:
    for i in range(8):
        rt.store.archive.add(make_mail(sender="Asing <x@elsewhere.org>", subject=f"Halo {i}",
                                       headers=signed("elsewhere.org")))
    tick(rt, T0)
    assert len(mail_for(rt.config.service.data_dir, "x@elsewhere.org")) == 5
    assert len(rt.store.state.holds) == 8  # the messages themselves are all kept


def test_an_address_that_keeps_failing_is_paused_not_removed(tmp_path: Path) -> None:
    from tests.test_bounces import dsn, envelope_of

    config = write_config(tmp_path, meeting=False)
    rt = Runtime(config, Store(config.service.data_dir))
    for day in range(3):
        rt.store.archive.add(make_mail(subject=f"Topik {day}"))
        tick(rt, T0 + timedelta(days=day))
        report = dsn(envelope_of(rt, "dewi@example.org"), "dewi@example.org", "5.2.2",
                     "552 5.2.2 Mailbox unavailable, user disabled")
        rt.store.archive.add(report.replace(b"<dsn-", f"<dsn-{day}-".encode()))
        tick(rt, T0 + timedelta(days=day, hours=1))
    assert paused(rt.store.state, "dewi@example.org", T0 + timedelta(days=3))
    rt.store.archive.add(make_mail(subject="Setelah jeda"))
    tick(rt, T0 + timedelta(days=3))
    assert not mail_for(config.service.data_dir, "dewi@example.org", "Setelah jeda")
    assert mail_for(config.service.data_dir, "agus@example.org", "Setelah jeda")
    from mailer.timed.attention import attention_of as _attention

    attention = _attention(rt.store, config.communities[0], T0 + timedelta(days=3))
    assert attention.bouncing == ("dewi@example.org",)
    assert "dewi@example.org" in {m.email for m in config.communities[0].members}
    rt.close()


def test_organizers_get_one_needs_attention_mail_a_day(tmp_path: Path,
                                                       open_runtime: OpenRuntime) -> None:
    # an organizer who does not moderate: the moderator got a mail of her own per hold, and
    # no second one about it (issue 17), so she gets no attention mail for holds
    config = write_config(tmp_path, meeting=False)
    config.path.write_text(config.path.read_text().replace(
        'moderators = ["siti@example.org"]',
        'moderators = ["siti@example.org"]\norganizers = ["ketua@example.org"]'))
    rt = open_runtime(load_config(config.path))
    rt.store.archive.add(make_mail(sender="Asing <x@elsewhere.org>", subject="Halo"))
    tick(rt, T0)
    tick(rt, T0 + timedelta(hours=5))
    rt.store.archive.add(make_mail(sender="Asing Lagi <y@elsewhere.org>", subject="Hai"))
    tick(rt, T0 + timedelta(hours=6))
    (mail,) = mail_for(rt.config.service.data_dir, "ketua@example.org", "Perlu perhatian")
    assert "1 pesan menunggu persetujuan" in mail.get_body(("plain",)).get_content()
    tick(rt, T0 + timedelta(days=1))
    assert len(mail_for(rt.config.service.data_dir, "ketua@example.org", "Perlu perhatian")) == 2
    assert not mail_for(rt.config.service.data_dir, "siti@example.org", "Perlu perhatian")


def test_cop_report(rt: Runtime) -> None:
    import json

    from click.testing import CliRunner

    from mailer.cli import main

    rt.store.archive.add(make_mail(subject="Pecahan", body="Ide?\n"))
    rt.store.archive.add(make_mail(sender="Dewi <dewi@example.org>", subject="Re: Pecahan",
                                   body="Pita.\n"))
    rt.store.archive.add(make_mail(sender="Agus <agus@example.org>", subject="Asesmen",
                                   body="Formatif?\n"))
    tick(rt, T0)
    rt.store.flush()
    result = CliRunner().invoke(main, ["--config", str(rt.config.path), "report", "--now",
                                       (T0 + timedelta(days=1)).isoformat(), "--json"])
    (report,) = json.loads(result.stdout)
    by = {m["email"]: m for m in report["members"]}
    assert (by["siti@example.org"]["threads"], by["dewi@example.org"]["replies"]) == (1, 1)
    assert [t["subject"] for t in report["unanswered"]] == ["Asesmen"]
    assert report["quiet"] == [{"name": "Budi Santoso", "email": "budi@example.org"}]
    text = CliRunner().invoke(main, ["--config", str(rt.config.path), "report", "--now",
                                     (T0 + timedelta(days=1)).isoformat()]).stdout
    assert "belum terdengar (sapa secara pribadi): Budi Santoso" in text
