"""A throwaway Postfix for the tests: its own config_directory, queue and data directories in
a temp dir, listening on 127.0.0.1 on a free port, delivering the test domain over LMTP to
CoP Mailer and everything else to an SMTP sink (the relayhost).

Notes from Debian's Postfix 3.7 here: the package is installed with debconf's "No
configuration" (scripts/test), so the machine's own /etc/postfix has no main.cf and nothing
runs; `postfix -c DIR start` needs root (the master drops to `mail_owner`); Debian's
master.cf chroots most services into the queue directory, which a temp queue does not
furnish, so ours chroots nothing; retries are made fast (backoff 1-2 s) for the tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

POSTFIX = "/usr/sbin/postfix"
POSTQUEUE = "/usr/sbin/postqueue"

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
myhostname = mx.{domain}
mydomain = {domain}
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
# the communities' domain is relayed: transport_maps sends it to CoP Mailer over LMTP
relay_domains = {domain}
transport_maps = texthash:{root}/transport
recipient_delimiter = +
# everything else (members' copies, bounces) to the test's SMTP sink
relayhost = [127.0.0.1]:{relay_port}
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
# retry within seconds, not minutes (tests only)
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
{extra}
"""

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def unavailable() -> str:
    """Why a throwaway Postfix cannot run here, or ''."""
    if not os.path.exists(POSTFIX):
        return "Postfix is not installed (scripts/test installs Debian's postfix package)"
    if os.geteuid() != 0:
        return "a throwaway Postfix needs root (its master starts as root)"
    return ""


class Postfix:
    def __init__(self, root: Path, port: int, relay_port: int, transport: str,
                 domain: str = "example.org", extra: str = "") -> None:
        self.root = root
        self.port = port
        self.config_dir = root / "etc"
        for name in ("etc", "queue", "data"):
            (root / name).mkdir(parents=True, exist_ok=True)
            (root / name).chmod(0o755)
        shutil.chown(root / "data", "postfix")
        root.chmod(0o755)  # the postfix user walks into queue/ and data/
        (self.config_dir / "main.cf").write_text(MAIN_CF.format(
            root=root, domain=domain, relay_port=relay_port, extra=extra))
        (self.config_dir / "master.cf").write_text(MASTER_CF.format(port=port))
        (root / "transport").write_text(transport)

    def _run(self, *args: str, program: str = POSTFIX) -> str:
        # umask 022 whatever this process has: `cop run` in-process tests leave it 077, and
        # the queue folders Postfix makes must be walkable by its own user
        done = subprocess.run([program, "-c", str(self.config_dir), *args],
                              capture_output=True, text=True, timeout=60, check=False,
                              umask=0o022)
        if done.returncode != 0:
            raise RuntimeError(f"{program} {' '.join(args)} failed: {done.stderr}"
                               f"\n{self.log()[-3000:]}")
        return done.stdout

    def start(self) -> None:
        self._run("start")

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self._run("stop")
        pid_file = self.root / "queue" / "pid" / "master.pid"
        deadline = time.monotonic() + 10
        while pid_file.exists() and time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pid_file.read_text().split()[0]), 0)
                time.sleep(0.1)
                continue
            break

    def flush(self) -> None:
        """Try the deferred mail now (postqueue -f)."""
        self._run("-f", program=POSTQUEUE)

    def queue(self) -> list[dict[str, Any]]:
        """The mail waiting in the queue (postqueue -j): queue_name, recipients (with
        delay_reason), sender."""
        out = self._run("-j", program=POSTQUEUE)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def log(self) -> str:
        try:
            return (self.root / "maillog").read_text(errors="replace")
        except OSError:
            return ""
