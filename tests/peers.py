"""Real mail peers for the tests: a throwaway Dovecot IMAP server and an aiosmtpd recorder.

Notes from Debian's Dovecot 2.3.19 here: it refuses mail access as root, so mail belongs to
the `mail` user; the passwd-file must be readable by the `dovecot` user (pytest's 0700 temp
dirs are not); the daemonised master keeps the caller's stderr open, so its output goes to a
file; IDLE reports new mail about half a second late (a fixed delay in Dovecot).
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import itertools
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from imapclient import IMAPClient


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {seconds}s")


USER_POOL = 200


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found

DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
ssl_dh =
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/home/%u/Maildir
mail_uid = mail
mail_gid = mail
first_valid_uid = 1
imap_idle_notify_interval = 2 mins
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
"""


class Dovecot:
    """A Dovecot on a free loopback port, config and mail in its own folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.host = "127.0.0.1"
        self.conf = root / "dovecot.conf"
        self._users = itertools.count(1)

    def setup(self) -> None:
        binary = shutil.which("dovecot")
        if binary is None:
            raise RuntimeError("dovecot is not installed; the README's test command installs "
                               "it (apt-get install dovecot-imapd)")
        os.chmod(self.root, 0o755)
        for sub in ("run", "state", "home"):
            (self.root / sub).mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root / "home", "mail", "mail")  # Dovecot refuses mail as root
        # a pool of users written before start: Dovecot re-reads passwd-file on a new mtime,
        # which a second user added within the same second would not get
        (self.root / "passwd").write_text("".join(
            f"user{i}:{{PLAIN}}pw-user{i}::::::\n" for i in range(1, USER_POOL + 1)))
        os.chmod(self.root / "passwd", 0o644)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-keyout", str(self.root / "key.pem"), "-out", str(self.root / "cert.pem")],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.chmod(self.root / "key.pem", 0o644)
        conf = DOVECOT_CONF.format(root=self.root, port=self.port)
        if os.geteuid() != 0:  # a developer's own account runs every part of it
            me = pwd.getpwuid(os.geteuid()).pw_name
            conf = conf.replace("mail_uid = mail\nmail_gid = mail\n", "")
            conf = conf.replace("uid=mail gid=mail ", "")
            conf += (f"default_internal_user = {me}\ndefault_login_user = {me}\n"
                     f"default_internal_group = {grp.getgrgid(os.getegid()).gr_name}\n")
        self.conf.write_text(conf)
        self.start()

    @property
    def cafile(self) -> str:
        return str(self.root / "cert.pem")

    def start(self) -> None:
        """Start the server; nothing to do when it runs (a test's cleanup can always call it)."""
        if (self.root / "run" / "master.pid").exists():
            return
        with open(self.root / "start.log", "ab") as log:
            subprocess.run(["dovecot", "-c", str(self.conf)], check=True,
                           stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        wait_for_port(self.port)

    def stop(self) -> None:
        pid_file = self.root / "run" / "master.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().strip())
        children = _children(pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        # Debian's master leaves running imap sessions behind on SIGTERM; a restart of a
        # real server ends them (shutdown_clients), so do that here too
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        with contextlib.suppress(FileNotFoundError):
            pid_file.unlink()

    def add_user(self) -> tuple[str, str]:
        """A fresh, empty mailbox for one test."""
        number = next(self._users)
        if number > USER_POOL:
            raise RuntimeError(f"more than {USER_POOL} mailboxes asked for; raise USER_POOL")
        return f"user{number}", f"pw-user{number}"

    def client(self, user: str, password: str) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, password)
        return client

    def append(self, user: str, password: str, raw: bytes, folder: str = "INBOX") -> None:
        with self.client(user, password) as c:
            c.append(folder, raw)

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class SmtpRecorder:
    """Records every message; can be told to answer a code for RCPT or DATA."""

    messages: list[Received] = field(default_factory=list)
    rcpt_codes: dict[str, str] = field(default_factory=dict)  # address -> "550 ..."
    data_codes: list[str] = field(default_factory=list)  # consumed one per DATA
    delay: float = 0.0  # seconds to wait before answering DATA: a slow server
    keep: bool = True  # False: count messages, do not keep them (benchmarks)
    stall: list[float] = field(default_factory=list)  # seconds to stall, one per DATA
    # drop the connection, one per DATA: "mid" after the first line of the message, "end"
    # after all of it but before any answer (the client cannot know if it was taken)
    drops: list[str] = field(default_factory=list)
    dropped: int = 0
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.rcpt_codes.clear()
            self.data_codes.clear()
            self.stall.clear()
            self.drops.clear()
            self.dropped = 0
            self.delay = 0.0

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        code = self.rcpt_codes.get(address.lower())
        if code:
            return code
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.stall:
            await asyncio.sleep(self.stall.pop(0))
        with self.lock:
            if self.data_codes:
                return self.data_codes.pop(0)
            self.count += 1
            if self.keep:
                data = envelope.original_content or b""
                self.messages.append(Received(str(envelope.mail_from),
                                              list(envelope.rcpt_tos), bytes(data)))
        return "250 OK"


class DroppingSMTP(SMTP):
    """aiosmtpd's server, which can also hang up in the middle of DATA."""

    async def smtp_DATA(self, arg: str) -> None:
        recorder = self.event_handler
        assert isinstance(recorder, SmtpRecorder)
        if not (recorder.drops and self.envelope and self.envelope.rcpt_tos):
            await super().smtp_DATA(arg)
            return
        mode = recorder.drops.pop(0)
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        line = await self._reader.readline()
        while mode == "end" and line not in (b".\r\n", b""):
            line = await self._reader.readline()
        recorder.dropped += 1
        assert self.transport is not None
        self.transport.abort()  # no QUIT, no answer: the line just goes dead


class PeerController(Controller):
    def factory(self) -> SMTP:
        return DroppingSMTP(self.handler, **self.SMTP_kwargs)


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost: (cert, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


class PasswordCheck:
    """aiosmtpd authenticator: one user and password."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()
        self.attempts = 0

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                 auth_data: object) -> AuthResult:
        self.attempts += 1
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == self.user \
            and auth_data.password == self.password
        return AuthResult(success=ok, handled=False)  # handled=True: "I answered myself"


class SmtpPeer:
    def __init__(self, tls_folder: Path | None = None, user: str = "", password: str = "",
                 port: int | None = None) -> None:
        self.recorder = SmtpRecorder()
        self.port = port or free_port()
        options: dict[str, object] = {}
        self.cafile: Path | None = None
        if tls_folder is not None:
            cert, key = make_certificate(tls_folder)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            self.cafile = cert
            options.update(tls_context=context, require_starttls=True)
        if user:
            self.auth = PasswordCheck(user, password)
            options.update(authenticator=self.auth, auth_required=True,
                           auth_require_tls=tls_folder is not None)
        self.controller = PeerController(self.recorder, hostname="127.0.0.1", port=self.port,
                                         decode_data=False, **options)  # type: ignore[arg-type]

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
