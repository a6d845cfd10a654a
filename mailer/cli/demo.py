"""`cop demo`: a whole scenario on the embedded defaults, no accounts needed.

It writes a demo cop.toml into a folder, starts the built-in SMTP receiver, and plays:
a member starts a thread, another replies with her mail program's reply button, the meeting
invitations go out, and a digest goes to the members who read digests. Everything sent is in
the folder's outbox Maildir, and every `cop` verb works on it afterwards.
"""

from __future__ import annotations

import email
import smtplib
import socket
import threading
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from mailer.config import load_config
from mailer.daemon import Runtime, _start_receiver, tick
from mailer.edges.store import DataDirLock, FileStore, outbox_folder
from mailer.outbound.outbox import deliver
from mailer.outbound.wording import counted
from mailer.timed.digests import send_digest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_config(port: int, today: date) -> str:
    ahead = (4 - today.weekday()) % 7 or 7  # next Friday
    first = today + timedelta(days=ahead)
    until = first + timedelta(weeks=12)
    shipped = (Path(__file__).parent / "demo.toml").read_text(encoding="utf-8")
    return (shipped.replace("@PORT@", str(port))
            .replace("@START@", f"{first.isoformat()}T14:00:00")
            .replace("@UNTIL@", until.isoformat())
            .replace("@BREAK_FROM@", (first + timedelta(weeks=3)).isoformat())
            .replace("@BREAK_TO@", (first + timedelta(weeks=3, days=6)).isoformat()))


@click.command()
@click.option("--dir", "folder", type=click.Path(file_okay=False), default="cop-demo",
              show_default=True, help="Where to put the demo's cop.toml and data.")
def demo(folder: str) -> None:
    """A self-contained showcase on the embedded defaults."""
    root = Path(folder).resolve()
    root.mkdir(parents=True, exist_ok=True)
    config_path = root / "cop.toml"
    port = _free_port()
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()  # the demo community is in WIB
    config_path.write_text(demo_config(port, today), encoding="utf-8")
    config = load_config(config_path)
    say = click.echo
    say(f"CoP Mailer demo in {root}")
    say(f"  config:   {config_path}")
    say(f"  receiver: built-in SMTP on 127.0.0.1:{port}")
    outbox = outbox_folder(config.service.data_dir)
    say(f"  outbox:   {outbox / 'new'} (a Maildir)\n")
    lock = DataDirLock(config.service.data_dir)
    lock.acquire()
    arrived = threading.Event()
    store = FileStore(config.service.data_dir)
    rt = Runtime(config, store)
    receiver = _start_receiver(rt, arrived)
    community = config.communities[0]
    try:
        now = datetime.now(UTC)
        report = tick(rt, now)
        say(f"1. The daemon starts and sends the meeting invitation to every member: "
            f"{counted(report.delivered.get('sent', 0), 'message')} with a calendar invitation.")

        post = EmailMessage()
        post["From"] = "Siti Rahayu <siti@example.org>"
        post["To"] = community.address
        post["Subject"] = "Pecahan di kelas 3: pakai kertas lipat?"
        post["Message-ID"] = make_msgid(domain="example.org")
        post.set_content("Ibu dan Bapak sekalian,\n\nMinggu ini saya mencoba mengenalkan "
                         "pecahan dengan melipat kertas. Murid cepat paham 1/2 dan 1/4.\n"
                         "Ada yang punya ide untuk 1/3?\n\nSalam,\nSiti\n")
        _send(port, post)
        arrived.wait(5)
        report = tick(rt, now + timedelta(minutes=1))
        thread = store.state.threads_newest_first(community.id)[0]
        say(f"2. Siti writes to {community.address}. The post starts thread {thread.id} and "
            f"goes to the members who read every message "
            f"({counted(report.delivered.get('sent', 0), 'copy', 'copies')}, each addressed to "
            "one member).")

        copy = _received_by(outbox, "dewi@example.org",
                            "kertas lipat")
        reply = EmailMessage()
        reply["From"] = "Dewi Lestari <dewi@example.org>"
        reply["To"] = copy["Reply-To"]
        reply["Subject"] = "Re: " + str(copy["Subject"])
        reply["Message-ID"] = make_msgid(domain="example.org")
        reply["In-Reply-To"] = copy["Message-ID"]
        reply.set_content(
            "Untuk 1/3 saya pakai pita yang dipotong jadi tiga sama panjang, Bu.\n"
            "Murid mengukur sendiri dengan penggaris.\n\n"
            "Pada Jum, 4 Des 2026 pukul 09.15 Siti Rahayu <kkg-matematika@example.org> "
            "menulis:\n> Ada yang punya ide untuk 1/3?\n\nDikirim dari iPhone saya\n")
        _send(port, reply)
        arrived.wait(5)
        report = tick(rt, now + timedelta(minutes=2))
        posts = store.state.threads[thread.id].posts
        say(f"3. Dewi presses Reply. Her answer lands in {thread.id} "
            f"(now {counted(len(posts), 'post')}); the quoted text and "
            "'Dikirim dari iPhone saya' are removed:")
        for line in posts[-1].body.splitlines():
            say(f"     | {line}")

        queued = send_digest(rt.app, store, community, now + timedelta(minutes=3), force=True)
        deliver(store, rt.transport, now + timedelta(minutes=3))
        say(f"4. The weekly digest goes to the {counted(queued, 'member')} who read digests, "
            "with a reply link per thread.\n")
    finally:
        receiver.stop()
        rt.close()
        lock.release()
    sent = sorted((outbox / "new").iterdir())
    say(f"Sent mail ({counted(len(sent), 'message')}) is in {outbox / 'new'}:")
    for path in sent:
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        say(f"  {str(msg['To'])[:38]:<38}  {msg['Subject']}")
    say("\nLook further:")
    say(f"  cop --config {config_path} threads")
    say(f"  cop --config {config_path} thread {thread.id}")
    say(f"  cop --config {config_path} meetings")
    say(f"  cop --config {config_path} outbox")
    say(f"  cop --config {config_path} digest preview --community {community.id} "
        "--format whatsapp")
    say("Open any file in the outbox with your mail program (it is a normal .eml); the "
        "invitations carry a real calendar event.")


def _send(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)


def _received_by(outbox: Path, address: str, subject_part: str) -> email.message.Message:
    for path in sorted((outbox / "new").iterdir()):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if address in str(msg["To"]) and subject_part in str(msg["Subject"]):
            return msg
    raise click.ClickException(f"demo: no message for {address} in {outbox}")
