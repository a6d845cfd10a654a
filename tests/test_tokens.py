"""Signed addresses (tokens.py): scoped to community, purpose and person; expiring; the
reply addresses of mail already sent keep routing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from mailer.cli import main
from mailer.daemon import Runtime, tick
from mailer.tokens import (
    confirm_address,
    confirms,
    moderation_address,
    plus_tag,
    read_moderation,
    read_token,
    reply_address,
    unsubscribe_address,
    unsubscribes,
)
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, write_config
from tests.test_pipeline import outbox_messages

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
KKG = "kkg@example.org"


def tag(address: str) -> str:
    found = plus_tag(address, KKG)
    assert found is not None
    return found


def test_a_confirmation_is_for_one_community_purpose_person_and_week() -> None:
    join = tag(confirm_address("s", KKG, "kkg", "rina@x.org", T0))
    leave = tag(confirm_address("s", KKG, "kkg", "rina@x.org", T0, purpose="leave"))
    assert confirms("s", join, "kkg", "Rina@X.org", T0 + timedelta(days=6)) == "join"
    assert confirms("s", leave, "kkg", "rina@x.org", T0) == "leave"
    assert confirms("s", join, "mgmp", "rina@x.org", T0) is None  # another community
    assert confirms("s", join, "kkg", "mallory@x.org", T0) is None  # another person
    assert confirms("s", join, "kkg", "rina@x.org", T0 + timedelta(days=9)) is None  # expired
    assert confirms("other-secret", join, "kkg", "rina@x.org", T0) is None
    assert not unsubscribes("s", "u" + join[1:], "kkg", "rina@x.org", T0)  # another purpose
    assert confirms("s", "c-" + "0" * 12, "kkg", "rina@x.org", T0) is None  # the old form


def test_moderation_and_unsubscribe_addresses() -> None:
    mod = tag(moderation_address("s", KKG, "kkg", "h7", "siti@example.org", T0))
    assert read_moderation("s", mod, "kkg", "siti@example.org", T0 + timedelta(days=29)) == "h7"
    assert read_moderation("s", mod, "kkg", "budi@example.org", T0) is None
    assert read_moderation("s", mod, "mgmp", "siti@example.org", T0) is None
    assert read_moderation("s", mod, "kkg", "siti@example.org", T0 + timedelta(days=32)) is None
    assert read_moderation("s", mod.replace("h7", "h8"), "kkg", "siti@example.org", T0) is None
    out = tag(unsubscribe_address("s", KKG, "kkg", "budi@example.org", T0))
    assert unsubscribes("s", out, "kkg", "budi@example.org", T0 + timedelta(days=80))
    assert not unsubscribes("s", out, "kkg", "dewi@example.org", T0)
    assert len(out) <= 20  # it goes into every copy's own headers


def test_reply_addresses_of_mail_already_sent_keep_routing() -> None:
    # the form of reply addresses before issue 16, issued long ago: still read
    address = reply_address("s", KKG, "t42", "dewi@example.org")
    found = read_token("s", tag(address))
    assert found is not None and found.thread == "t42"


def test_copies_show_the_members_name_from_cop_toml(tmp_path: Path,
                                                    open_runtime: OpenRuntime) -> None:
    rt: Runtime = open_runtime(write_config(tmp_path, meeting=False, posting="open"))
    rt.store.archive.add(make_mail(sender="Siti Rahayu (moderator) <dewi@example.org>",
                                   subject="Pengumuman"))
    rt.store.archive.add(make_mail(sender="Siti Rahayu <tamu@elsewhere.org>",
                                   subject="Dari tamu"))
    tick(rt, T0)
    names = {str(m["Subject"]): str(m["From"].addresses[0].display_name)
             for m in outbox_messages(rt.config.service.data_dir)
             if "agus@example.org" in str(m["To"])}
    assert names["[KKG] Pengumuman"] == "Dewi Lestari via KKG Matematika"
    assert names["[KKG] Dari tamu"] == "Siti Rahayu (bukan anggota) via KKG Matematika"
    copy = next(m for m in outbox_messages(rt.config.service.data_dir)
                if "agus@example.org" in str(m["To"]))
    assert "dewi@example.org" not in str(copy["List-Unsubscribe"])


def test_control_characters_never_reach_the_terminal(tmp_path: Path,
                                                      open_runtime: OpenRuntime) -> None:
    rt: Runtime = open_runtime(write_config(tmp_path, meeting=False))
    evil = "\x1b]0;pwned\x07Halo\x1b[2J\x9b31m\u202egnp.exe"
    rt.store.archive.add(make_mail(sender="Asing <x@elsewhere.org>", subject=evil))
    rt.store.archive.add(make_mail(subject=evil + " rapat"))
    tick(rt, T0)
    rt.store.flush()
    for verb in (["holds"], ["holds", "--json"], ["threads"], ["threads", "--json"],
                 ["thread", "t1"]):
        out = CliRunner().invoke(main, ["--config", str(rt.config.path), *verb]).output
        assert "Halo" in out
        assert not any(c in out for c in "\x1b\x07\x9b\u202e"), verb
