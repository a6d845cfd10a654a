"""Joining and leaving by email, end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import vobject
from click.testing import CliRunner

from mailer.cli import main
from mailer.daemon import Runtime, tick
from tests.conftest import OpenRuntime
from tests.helpers import make_mail, signed, write_config
from tests.test_pipeline import mail_for

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
RINA = "Rina Guru Baru <rina@elsewhere.org>"
RINA_SIGNED = signed("elsewhere.org")  # her provider signs her mail: the receiver says so


@pytest.fixture
def rt(tmp_path: Path, open_runtime: OpenRuntime) -> Runtime:
    config = write_config(tmp_path)
    config.path.write_text(config.path.read_text().replace(
        'posting = "members"', 'posting = "members"\nmoderate_first_post = true'))
    from mailer.config import load_config

    runtime = open_runtime(load_config(config.path))
    tick(runtime, T0)
    return runtime


def send(rt: Runtime, minutes: int, **kwargs: Any) -> None:
    rt.store.archive.add(make_mail(**kwargs))
    tick(rt, T0 + timedelta(minutes=minutes))


def reply_to(msg: EmailMessage) -> str:
    return str(msg["Reply-To"].addresses[0].addr_spec)


def members_json(rt: Runtime) -> list[dict[str, str]]:
    rt.store.flush()
    out = CliRunner().invoke(main, ["--config", str(rt.config.path), "members",
                                    "--community", "kkg", "--json"]).stdout
    return json.loads(out)


def test_a_stranger_joins_posts_is_approved_and_leaves_by_email_alone(rt: Runtime) -> None:
    data = rt.config.service.data_dir
    send(rt, 1, sender=RINA, to="kkg+join@example.org", subject="gabung", body="\n",
         headers=RINA_SIGNED)
    (confirm,) = mail_for(data, "rina@elsewhere.org", "Konfirmasi")
    assert "BALAS email ini" in confirm.get_body(("plain",)).get_content()
    assert "http" not in confirm.get_body(("plain",)).get_content()  # nothing to click
    assert {m["email"]: m["state"] for m in members_json(rt)}["rina@elsewhere.org"] == "pending"

    send(rt, 2, sender=RINA, to=reply_to(confirm), subject="Re: Konfirmasi", body="Ya\n")
    (welcome,) = mail_for(data, "rina@elsewhere.org", "Selamat datang")
    text = welcome.get_body(("plain",)).get_content()
    assert "Pertemuan berikutnya: Pertemuan rutin, Jumat, 4 Desember 2026" in text
    (invitation,) = mail_for(data, "rina@elsewhere.org", "Undangan")
    cal = vobject.readOne(next(p for p in invitation.walk()
                               if p.get_content_type() == "text/calendar").get_content())
    assert cal.vevent.attendee.value == "mailto:rina@elsewhere.org"
    rina = {m["email"]: m for m in members_json(rt)}["rina@elsewhere.org"]
    assert rina["state"] == "active" and rina["source"] == "email"

    send(rt, 3, sender=RINA, subject="Salam kenal", body="Saya guru kelas 2.\n")
    assert not rt.store.state.threads  # held: a new member's first post
    (notice,) = mail_for(data, "siti@example.org", "Perlu persetujuan")
    send(rt, 4, sender="Siti <siti@example.org>", to=reply_to(notice), subject="Re: x",
         body="setuju\n")
    (thread,) = rt.store.state.threads.values()
    assert thread.posts[0].body == "Saya guru kelas 2."
    assert mail_for(data, "dewi@example.org", "Salam kenal")  # delivered
    send(rt, 5, sender=RINA, subject="Pertanyaan kedua", body="Boleh tanya?\n")
    assert len(rt.store.state.threads) == 2  # only the first post waits

    send(rt, 6, sender=RINA, subject="keluar", body="\n", headers=RINA_SIGNED)
    assert mail_for(data, "rina@elsewhere.org", "Sampai jumpa")
    (cancel,) = mail_for(data, "rina@elsewhere.org", "Tidak lagi di kalender")
    assert "METHOD:CANCEL" in next(p for p in cancel.walk()
                                   if p.get_content_type() == "text/calendar").get_content()
    assert {m["email"]: m["state"] for m in members_json(rt)}["rina@elsewhere.org"] == "left"
    send(rt, 7, subject="Setelah Rina keluar", body="Halo\n")
    assert not mail_for(data, "rina@elsewhere.org", "Setelah")


def test_confirming_needs_the_persons_own_reply(rt: Runtime) -> None:
    send(rt, 1, sender=RINA, to="kkg+join@example.org", subject="join", body="\n",
         headers=RINA_SIGNED)
    (confirm,) = mail_for(rt.config.service.data_dir, "rina@elsewhere.org", "Konfirmasi")
    send(rt, 2, sender="Orang Lain <mallory@elsewhere.org>", to=reply_to(confirm),
         subject="Re", body="ya\n")
    send(rt, 3, sender=RINA, to="kkg+c-000000000000@example.org", subject="Re", body="ya\n")
    assert {m["email"]: m["state"] for m in members_json(rt)}["rina@elsewhere.org"] == "pending"


def test_a_cop_toml_member_who_leaves_is_left_and_organizers_are_told(rt: Runtime) -> None:
    # issue 16: a plain "keluar" nobody vouched for no longer leaves at once; the member is
    # asked at their own address and only their reply leaves
    send(rt, 1, sender="Budi <budi@example.org>", subject="keluar", body="\n")
    assert {m["email"]: m["state"] for m in members_json(rt)}["budi@example.org"] == "active"
    (ask,) = mail_for(rt.config.service.data_dir, "budi@example.org", "Konfirmasi: keluar")
    assert reply_to(ask).startswith("kkg+k-")
    send(rt, 2, sender="Budi <budi@example.org>", to=reply_to(ask), subject="Re", body="ya\n")
    assert {m["email"]: m["state"] for m in members_json(rt)}["budi@example.org"] == "left"
    assert mail_for(rt.config.service.data_dir, "budi@example.org", "Sampai jumpa")
    from mailer.timed.attention import attention_of as _attention

    (told,) = mail_for(rt.config.service.data_dir, "siti@example.org", "Perlu perhatian")
    text = told.get_body(("plain",)).get_content()
    assert "Keluar lewat email, tetapi masih tercantum di cop.toml: Budi Santoso " \
        "<budi@example.org>" in text  # in Indonesian, no English "left:"
    assert _attention(rt.store, rt.config.communities[0], T0).requests == ()  # told once
    send(rt, 3, sender="Budi <budi@example.org>", to="kkg+join@example.org", subject="gabung",
         body="\n", headers=signed())
    (confirm,) = mail_for(rt.config.service.data_dir, "budi@example.org", "Konfirmasi: berg")
    send(rt, 4, sender="Budi <budi@example.org>", to=reply_to(confirm), subject="Re", body=".\n")
    assert {m["email"]: m["state"] for m in members_json(rt)}["budi@example.org"] == "active"


def test_an_authenticated_leave_leaves_at_once(rt: Runtime) -> None:
    send(rt, 1, sender="Budi <budi@example.org>", subject="keluar", body="\n", headers=signed())
    assert {m["email"]: m["state"] for m in members_json(rt)}["budi@example.org"] == "left"
    assert mail_for(rt.config.service.data_dir, "budi@example.org", "Sampai jumpa")


def test_a_providers_unsubscribe_mail_is_honoured_but_not_answered(rt: Runtime) -> None:
    (invitation,) = mail_for(rt.config.service.data_dir, "budi@example.org", "Undangan")
    button = str(invitation["List-Unsubscribe"]).strip().removeprefix("<mailto:").split(">")[0]
    assert button.startswith("kkg+u-")
    send(rt, 1, sender="Budi <budi@example.org>", to=button,
         subject="unsubscribe", body="This is an automatic unsubscribe request.\n",
         headers={"Auto-Submitted": "auto-generated"})
    assert {m["email"]: m["state"] for m in members_json(rt)}["budi@example.org"] == "left"
    assert not mail_for(rt.config.service.data_dir, "budi@example.org", "Sampai jumpa")


def test_an_unsubscribe_address_works_only_for_its_member(rt: Runtime) -> None:
    (invitation,) = mail_for(rt.config.service.data_dir, "budi@example.org", "Undangan")
    button = str(invitation["List-Unsubscribe"]).strip().removeprefix("<mailto:").split(">")[0]
    send(rt, 1, sender="Dewi <dewi@example.org>", to=button, subject="unsubscribe", body=".\n")
    send(rt, 2, sender="Budi <budi@example.org>", to="kkg+leave@example.org",
         subject="unsubscribe", body=".\n", headers={"Auto-Submitted": "auto-generated"})
    assert {m["email"]: m["state"] for m in members_json(rt)}["budi@example.org"] == "active"
    assert {m["email"]: m["state"] for m in members_json(rt)}["dewi@example.org"] == "active"


@pytest.mark.parametrize("body", ["gabung", "Join.", "GABUNG\n\n-- \nRina\n"])
def test_a_command_can_be_the_whole_body(rt: Runtime, body: str) -> None:
    send(rt, 1, sender=RINA, subject="", body=body, headers=RINA_SIGNED)
    assert mail_for(rt.config.service.data_dir, "rina@elsewhere.org", "Konfirmasi")


def test_a_post_that_starts_with_a_command_word_is_a_post(rt: Runtime) -> None:
    send(rt, 1, sender="Budi <budi@example.org>", subject="",
         body="Gabung dengan kami di pelatihan besok ya.\n")
    assert rt.store.state.holds or rt.store.state.threads
