"""Moderation as moderators and senders read it (issue 17): one mail per held post per
moderator, the reason said about the sender, names from cop.toml, the sender told the
outcome, a second decision answered, "approve and add", and closed groups (join = "approve").
End to end: mail archived as the receiver keeps it (one test through the real aiosmtpd
receiver), `tick`, and the outbox read back as people would see it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.config import load_config, parse_config
from mailer.config.words import problem_text
from mailer.daemon import Runtime, tick
from mailer.errors import ConfigError
from mailer.handle import reasons
from mailer.handle.moderation import adds_member
from mailer.handle.reasons import HOLD_REASONS, reason_text
from tests.conftest import OpenRuntime
from tests.dnszone import SPF_ONLY, ZoneServer
from tests.helpers import make_mail, signed, write_config
from tests.test_pipeline import mail_for, outbox_messages

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 09.00 WIB
RINA = "Rina Guru Baru <rina@elsewhere.org>"
RINA_SIGNED = signed("elsewhere.org")
WORDS = {"id": {"needs": "Perlu persetujuan", "held": "menunggu", "join": "Permintaan bergabung",
                "approve": "setuju", "reject": "tolak", "add": "setuju dan tambahkan",
                "welcome": "Selamat datang"},
         "en": {"needs": "Needs approval", "held": "waiting", "join": "Request to join",
                "approve": "approve", "reject": "reject", "add": "approve and add",
                "welcome": "Welcome"}}


def open_community(tmp_path: Path, open_runtime: OpenRuntime, language: str = "id",
                   **keys: str) -> Runtime:
    """The test community (Siti Rahayu moderates), with more `[[community]]` keys."""
    config = write_config(tmp_path, meeting=False, language=language)
    moderators = keys.pop("moderators", '["siti@example.org"]')
    extra = "".join(f"\n{k} = {v}" for k, v in keys.items())
    config.path.write_text(config.path.read_text().replace(
        'moderators = ["siti@example.org"]', f"moderators = {moderators}{extra}", 1))
    return open_runtime(load_config(config.path))


def send(rt: Runtime, minutes: int, **kwargs: Any) -> None:
    rt.store.archive.add(make_mail(**kwargs))
    tick(rt, T0 + timedelta(minutes=minutes))


def text(msg: EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def html(msg: EmailMessage) -> str:
    return msg.get_body(("html",)).get_content()  # type: ignore[union-attr]


def reply_to(msg: EmailMessage) -> str:
    return str(msg["Reply-To"].addresses[0].addr_spec)


def to_of(rt: Runtime, address: str) -> list[EmailMessage]:
    return mail_for(rt.config.service.data_dir, address)


def answer(rt: Runtime, minutes: int, notice: EmailMessage, words: str,
           sender: str = "Siti <siti@example.org>") -> None:
    send(rt, minutes, sender=sender, to=reply_to(notice), subject="Re: x", body=words + "\n",
         in_reply_to=str(notice["Message-ID"]))


def cop(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def members_json(rt: Runtime) -> dict[str, dict[str, str]]:
    rt.store.flush()
    code, out, _ = cop("--config", str(rt.config.path), "members", "--community", "kkg",
                       "--json")
    assert code == 0
    return {m["email"]: m for m in json.loads(out)}


@pytest.mark.parametrize("language", ["id", "en"])
def test_one_mail_per_hold_addressed_by_name_with_the_reason_about_the_sender(
        tmp_path: Path, open_runtime: OpenRuntime, language: str) -> None:
    rt = open_community(tmp_path, open_runtime, language)
    send(rt, 0, sender=RINA, subject="Perkenalan", body="Salam kenal semua.\n",
         headers=RINA_SIGNED)
    for hours in (1, 2, 26):  # the hourly summary, the daily attention mail: nothing more
        tick(rt, T0 + timedelta(hours=hours))
    (notice,) = to_of(rt, "siti@example.org")
    assert WORDS[language]["needs"] in str(notice["Subject"])
    assert str(notice["To"]) == "Siti Rahayu <siti@example.org>"
    said = text(notice) + html(notice)
    assert ("Pengirim belum terdaftar sebagai anggota" if language == "id"
            else "The sender is not a member") in said
    assert "Anda belum terdaftar" not in said and "your address" not in said.lower()
    assert ("setuju dan tambahkan" if language == "id" else "approve and add") in said
    (held,) = to_of(rt, "rina@elsewhere.org")  # what the sender reads is about her own
    assert ("alamat Anda belum terdaftar" if language == "id"
            else "your address is not a member") in text(held)


def test_every_reason_reads_right_to_each_side_in_both_languages() -> None:
    named = [getattr(reasons, n) for n in ("FORGED", "BULK", "EMPTY", "NOT_MEMBER",
                                           "JOIN_UNVERIFIED", "JOIN_APPROVAL")]
    route = Path(__file__).resolve().parent.parent / "mailer" / "inbound" / "route.py"
    from_route = re.findall(r'(?:hold=|return )"([a-z][a-z ]+)"', route.read_text())
    assert {"community is moderated", "reply address with a bad signature"} <= set(from_route)
    for reason in {*named, *from_route, "message contains a listed word"}:
        assert reason in HOLD_REASONS, f"no words for {reason!r}"
        for language in ("id", "en"):
            sender = reason_text(reason + " (x)", language)
            moderator = reason_text(reason + " (x)", language, to="moderator")
            assert sender != reason and moderator != reason
            assert not re.search(r"\b(Anda|your|you)\b", moderator), moderator
            assert moderator[0].isupper()
    assert reason_text("message contains a listed word (pinjol)", "id") == \
        "pesan memuat kata yang diperiksa moderator"  # never repeated to the sender
    assert reason_text("message contains a listed word (pinjol)", "en", to="moderator") == \
        "The message contains a listed word (pinjol)"


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_sender_is_told_of_approval_and_politely_of_rejection(
        tmp_path: Path, open_runtime: OpenRuntime, language: str) -> None:
    rt = open_community(tmp_path, open_runtime, language)
    send(rt, 0, sender=RINA, subject="Perkenalan", body="Salam kenal.\n", headers=RINA_SIGNED)
    send(rt, 1, sender=RINA, subject="Jualan", body="Diskon.\n", headers=RINA_SIGNED,
         message_id="<jualan@elsewhere.org>")
    first, second = sorted(to_of(rt, "siti@example.org"), key=lambda m: "Jualan" in text(m))
    answer(rt, 5, first, WORDS[language]["approve"])
    answer(rt, 6, second, f"{WORDS[language]['reject']}: bukan tempat berjualan")
    told = {str(m["Subject"]): text(m) for m in to_of(rt, "rina@elsewhere.org")}
    approved = next(t for s, t in told.items() if "Perkenalan" in t and "menunggu" not in s
                    and "waiting" not in s)
    assert ("sudah diteruskan ke anggota" if language == "id"
            else "has gone out to the community") in approved
    rejected = next(t for t in told.values() if "Jualan" in t and "bukan tempat" in t)
    assert ("Mohon maaf" if language == "id" else "We are sorry") in rejected
    assert mail_for(rt.config.service.data_dir, "dewi@example.org", "Perkenalan")
    assert not mail_for(rt.config.service.data_dir, "dewi@example.org", "Jualan")


def test_a_stranger_nobody_vouched_for_hears_nothing_either_way(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    rt = open_community(tmp_path, open_runtime)
    send(rt, 0, sender="Iklan <promo@elsewhere.org>", subject="Diskon", body="Beli.\n")
    send(rt, 1, sender="Iklan <promo2@elsewhere.org>", subject="Diskon", body="Beli.\n")
    first, second = to_of(rt, "siti@example.org")
    answer(rt, 5, first, "setuju")
    answer(rt, 6, second, "tolak iklan")
    assert not to_of(rt, "promo@elsewhere.org") and not to_of(rt, "promo2@elsewhere.org")


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_second_decision_is_answered_and_changes_nothing(
        tmp_path: Path, open_runtime: OpenRuntime, language: str) -> None:
    rt = open_community(tmp_path, open_runtime, language,
                        moderators='["siti@example.org", "dewi@example.org"]')
    send(rt, 0, sender=RINA, subject="Perkenalan", body="Salam kenal.\n", headers=RINA_SIGNED)
    (to_siti,) = to_of(rt, "siti@example.org")
    (to_dewi,) = mail_for(rt.config.service.data_dir, "dewi@example.org",
                          WORDS[language]["needs"])
    answer(rt, 15, to_siti, WORDS[language]["approve"])  # 09.15 WIB
    answer(rt, 20, to_dewi, WORDS[language]["approve"], sender="Dewi <dewi@example.org>")
    answer(rt, 21, to_dewi, WORDS[language]["reject"], sender="Dewi <dewi@example.org>")
    decided = "Sudah diputuskan: Perkenalan" if language == "id" else \
        "Already decided: Perkenalan"
    (already, rejected_late) = mail_for(rt.config.service.data_dir, "dewi@example.org", decided)
    if language == "id":
        assert "Kiriman ini sudah disetujui oleh Siti Rahayu pada Selasa 1 Des 09.15 WIB" \
            in text(already)
    else:
        assert "already approved by Siti Rahayu on Tuesday 1 Dec 09:15 WIB" in text(already)
    assert str(already["To"]) == "Dewi Lestari <dewi@example.org>"
    assert text(rejected_late) == text(already)  # reject after approve: the same answer
    (hold,) = rt.store.state.holds.values()
    assert (hold.state, hold.decided_by) == ("approved", "siti@example.org")
    assert len(mail_for(rt.config.service.data_dir, "agus@example.org", "Perkenalan")) == 1
    assert len(rt.store.state.threads) == 1


@pytest.mark.parametrize("language", ["id", "en"])
def test_approve_and_add_posts_and_makes_the_sender_a_member(
        tmp_path: Path, open_runtime: OpenRuntime, language: str) -> None:
    rt = open_community(tmp_path, open_runtime, language)
    send(rt, 0, sender=RINA, subject="Perkenalan", body="Salam kenal.\n", headers=RINA_SIGNED)
    (notice,) = to_of(rt, "siti@example.org")
    answer(rt, 5, notice, WORDS[language]["add"].capitalize() + ", silakan")
    (copy,) = mail_for(rt.config.service.data_dir, "dewi@example.org", "Perkenalan")
    assert str(copy["From"]).startswith("Rina Guru Baru via")  # not "(bukan anggota)"
    assert mail_for(rt.config.service.data_dir, "rina@elsewhere.org", WORDS[language]["welcome"])
    rina = members_json(rt)["rina@elsewhere.org"]
    assert (rina["state"], rina["name"]) == ("active", "Rina Guru Baru")
    send(rt, 10, sender=RINA, subject="Pertanyaan", body="Ada RPP?\n", headers=RINA_SIGNED)
    assert mail_for(rt.config.service.data_dir, "dewi@example.org", "Pertanyaan")  # a member


@pytest.mark.parametrize(("rest", "adds"), [
    (" dan tambahkan", True), (" and add as member", True), (" & tambah jadi anggota", True),
    (", silakan", False), (". Jangan ditambahkan sebagai anggota", False),
    (" but do not add them", False)])
def test_what_after_approve_asks_to_add_the_sender(rest: str, adds: bool) -> None:
    assert adds_member(rest) is adds


def test_cop_holds_approve_add_member_and_an_unverified_sender_confirms_first(
        tmp_path: Path, open_runtime: OpenRuntime) -> None:
    rt = open_community(tmp_path, open_runtime, "en", join='"approve"')
    send(rt, 0, sender="Joko <joko@elsewhere.org>", subject="Hello", body="Hi all.\n")
    rt.close()
    code, out, err = cop("--config", str(rt.config.path), "holds", "approve", "h1",
                         "--add-member")
    assert code == 0 and "added" in out, err
    runtime = open_runtime(rt.config)
    assert mail_for(runtime.config.service.data_dir, "dewi@example.org", "Hello")
    # nothing proved the address is Joko's: he is asked to confirm, and is not asked to wait
    # for an organizer again (the moderator already said yes)
    (confirm,) = mail_for(runtime.config.service.data_dir, "joko@elsewhere.org", "Confirm")
    assert members_json(runtime)["joko@elsewhere.org"]["state"] == "pending"
    send(runtime, 10, sender="Joko <joko@elsewhere.org>", to=reply_to(confirm),
         subject="Re: Confirm", body="yes\n")
    assert members_json(runtime)["joko@elsewhere.org"]["state"] == "active"
    assert mail_for(runtime.config.service.data_dir, "joko@elsewhere.org", "Welcome")
    code, _, err = cop("--config", str(rt.config.path), "holds", "approve", "h1")
    assert code == 1 and "already approved by" in err


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_closed_group_asks_an_organizer_and_tells_the_requester(
        tmp_path: Path, open_runtime: OpenRuntime, language: str) -> None:
    rt = open_community(tmp_path, open_runtime, language, join='"approve"')
    data = rt.config.service.data_dir
    send(rt, 0, sender=RINA, to="kkg+join@example.org", subject="gabung", body="\n",
         headers=RINA_SIGNED)
    (confirm,) = to_of(rt, "rina@elsewhere.org")
    send(rt, 1, sender=RINA, to=reply_to(confirm), subject="Re: Konfirmasi", body="Ya\n")
    send(rt, 2, sender=RINA, to=reply_to(confirm), subject="Re: Konfirmasi", body="Ya\n",
         message_id="<again@elsewhere.org>")  # a second reply: nothing twice
    waiting = [m for m in to_of(rt, "rina@elsewhere.org") if m is not confirm
               and ("menunggu" in str(m["Subject"]) or "waiting" in str(m["Subject"]))]
    assert len(waiting) == 1
    assert ("menunggu persetujuan pengurus" if language == "id"
            else "waits for the organizers") in text(waiting[0])
    assert not mail_for(data, "rina@elsewhere.org", WORDS[language]["welcome"])
    (request,) = to_of(rt, "siti@example.org")  # one mail naming the person
    assert WORDS[language]["join"] + ": Rina Guru Baru" in str(request["Subject"])
    assert "Rina Guru Baru <rina@elsewhere.org>" in text(request)
    assert members_json(rt)["rina@elsewhere.org"]["state"] == "pending"
    code, out, _ = cop("--config", str(rt.config.path), "holds", "--json")
    assert code == 0
    (hold,) = json.loads(out)
    assert hold["reason"] == "join request waiting for approval"
    for hours in (1, 26):  # neither the summary nor the attention mail repeats it
        tick(rt, T0 + timedelta(hours=hours))
    assert len(to_of(rt, "siti@example.org")) == 1

    answer(rt, 30, request, WORDS[language]["approve"])
    (welcome,) = mail_for(data, "rina@elsewhere.org", WORDS[language]["welcome"])
    assert str(welcome["To"]) == "Rina Guru Baru <rina@elsewhere.org>"
    assert members_json(rt)["rina@elsewhere.org"]["state"] == "active"


def test_a_closed_group_rejection_is_told_politely(tmp_path: Path,
                                                   open_runtime: OpenRuntime) -> None:
    rt = open_community(tmp_path, open_runtime, "en", join='"approve"')
    send(rt, 0, sender=RINA, to="kkg+join@example.org", subject="join", body="\n",
         headers=RINA_SIGNED)
    (confirm,) = to_of(rt, "rina@elsewhere.org")
    send(rt, 1, sender=RINA, to=reply_to(confirm), subject="Re: Confirm", body="Yes\n")
    (request,) = to_of(rt, "siti@example.org")
    answer(rt, 5, request, "reject: this group is for teachers of our cluster only")
    (told,) = [m for m in to_of(rt, "rina@elsewhere.org") if "request to join" in
               str(m["Subject"]).lower() and "waiting" not in str(m["Subject"])]
    assert "We are sorry" in text(told) and "teachers of our cluster only" in text(told)
    assert members_json(rt)["rina@elsewhere.org"]["state"] == "rejected"
    assert "rina@elsewhere.org" not in {m.email for m in rt.config.communities[0].members}


def test_an_open_group_takes_a_proven_address_at_once(tmp_path: Path,
                                                      open_runtime: OpenRuntime) -> None:
    rt = open_community(tmp_path, open_runtime, join='"open"')
    send(rt, 0, sender=RINA, to="kkg+join@example.org", subject="gabung", body="\n",
         headers=RINA_SIGNED)
    assert mail_for(rt.config.service.data_dir, "rina@elsewhere.org", "Selamat datang")
    assert members_json(rt)["rina@elsewhere.org"]["state"] == "active"
    send(rt, 1, sender="Tamu <tamu@elsewhere.org>", to="kkg+join@example.org",
         subject="gabung", body="\n")  # nothing proves this address: held, as before
    assert not to_of(rt, "tamu@elsewhere.org")


BASE = """[service]
timezone = "Asia/Jakarta"
language = "{language}"
secret = "x"
[inbound]
protocol = "smtp"
[outbound]
protocol = "maildir"
[[community]]
id = "kkg"
name = "KKG"
address = "kkg@example.org"
join = "{join}"
"""


@pytest.mark.parametrize(("language", "said"), [
    ("id", "cop.toml:13: 'join' berisi \"tertutup\"; pakai salah satu: open, confirm, approve"),
    ("en", "cop.toml:13: 'join' is \"tertutup\"; use one of: open, confirm, approve")])
def test_cop_check_reads_join(language: str, said: str) -> None:
    for value, meant in (("approve", "approve"), ("persetujuan", "approve"),
                         ("konfirmasi", "confirm"), ("open", "open")):
        config = parse_config(BASE.format(language=language, join=value), Path("/x/cop.toml"),
                              {})
        assert config.communities[0].join == meant
    with pytest.raises(ConfigError) as caught:
        parse_config(BASE.format(language=language, join="tertutup"), Path("/x/cop.toml"), {})
    assert [problem_text(p, language) for p in caught.value.problems] == [said]


def test_help_config_documents_join() -> None:
    code, out, _ = cop("help", "config")
    assert code == 0 and re.search(r'^join = "confirm" ', out, re.M)
    assert "approve (a closed group)" in out


def test_through_the_real_receiver_a_held_post_and_its_approval(
        tmp_path: Path, open_runtime: OpenRuntime, dns_zone: ZoneServer) -> None:
    from tests.test_receiver_trust import Receiving

    rt = open_community(tmp_path, open_runtime)
    stranger = f"Tono Guru <tono@{SPF_ONLY}>"  # SPF passes for loopback: authenticated
    with Receiving(rt, dns_zone) as receiving:
        receiving.send(make_mail(sender=stranger, subject="Media ajar", body="Saya berbagi.\n"),
                       f"tono@{SPF_ONLY}")
    tick(rt, T0)
    (notice,) = to_of(rt, "siti@example.org")
    assert "Pengirim belum terdaftar sebagai anggota" in text(notice)
    with Receiving(rt, dns_zone) as receiving:
        receiving.send(make_mail(sender="Siti <siti@example.org>", to=reply_to(notice),
                                 subject="Re: x", body="setuju\n"), "siti@example.org")
    tick(rt, T0 + timedelta(minutes=5))
    assert mail_for(rt.config.service.data_dir, "dewi@example.org", "Media ajar")
    told = [text(m) for m in to_of(rt, f"tono@{SPF_ONLY}")]
    assert any("sudah diteruskan ke anggota" in t for t in told)
    assert len(outbox_messages(rt.config.service.data_dir)) == len(
        {str(m["Message-ID"]) + str(m["To"]) for m in outbox_messages(
            rt.config.service.data_dir)})  # nothing sent twice
