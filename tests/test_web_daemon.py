"""The web inside `cop run` (a real subprocess, [web] configured): it serves pages, a
sign-in request and an RSVP wake the daemon, which carries them out at once (not at its
next minute tick), and SIGTERM stops both cleanly."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.config import Config, load_config
from mailer.daemon import Runtime
from mailer.edges.store import FileStore
from mailer.links import rsvp_urls
from tests.helpers import until
from tests.peers import free_port, wait_for_port
from tests.test_pipeline import mail_for
from tests.webkit import csrf_of, seed, web_config

# The daemon ticks at least every minute by itself: what it does within this bound after
# the web asked was done because the web woke it.
PROMPTLY = 30.0


def _config(folder: Path) -> Config:
    port, smtp = free_port(), free_port()
    config = web_config(folder, base=f"http://127.0.0.1:{port}")
    text = config.path.read_text().replace("port = 8025", f"port = {port}").replace(
        'protocol = "smtp"', f'protocol = "smtp"\nhost = "127.0.0.1"\nport = {smtp}')
    config.path.write_text(text)
    return load_config(config.path)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[tuple[Config, subprocess.Popen[bytes], Path]]:
    config = _config(tmp_path)
    rt = Runtime(config, FileStore(config.service.data_dir))
    seed(rt)
    rt.close()
    log = tmp_path / "daemon.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "mailer", "--config",
                                    str(config.path), "run"], stdout=out, stderr=out,
                                   stdin=subprocess.DEVNULL)
    try:
        assert config.web is not None
        wait_for_port(config.web.port, 60)
        yield config, process, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _meetings(config: Config) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["--config", str(config.path), "meetings", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert isinstance(found, list)
    return found


def test_the_web_inside_cop_run(daemon: tuple[Config, subprocess.Popen[bytes], Path]) -> None:
    config, process, log = daemon
    assert config.web is not None
    base = config.web.base_url
    data = config.service.data_dir
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        assert client.get("/c/kkg").status_code == 403
        page = client.get("/signin")
        assert page.status_code == 200 and "nosniff" in page.headers["x-content-type-options"]
        # the sign-in mail: the web asks, the daemon mails the link at once
        asked = client.post("/signin", data={"email": "budi@example.org",
                                             "csrf": csrf_of(page.text)})
        assert asked.status_code == 200
        until(lambda: mail_for(data, "budi@example.org", "Tautan masuk"), "the sign-in mail",
              PROMPTLY)
        (mail,) = mail_for(data, "budi@example.org", "Tautan masuk")
        text = str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        link = re.findall(r"http://\S+/s/\S+", text)[-1].removeprefix(base)
        shown = client.get(link)
        assert shown.status_code == 200
        signed_in = client.post(link, data={"csrf": csrf_of(shown.text)})
        assert signed_in.status_code == 303 and client.cookies.get("cop_session")
        thread = client.get("/c/kkg/t/t2")
        assert thread.status_code == 200 and "Saya pakai origami" in thread.text
        # an RSVP: the daemon records it at once, `cop meetings --json` shows it
        meeting = config.communities[0].meetings[0]
        yes = rsvp_urls(base, "test-secret", "kkg", "agus@example.org", meeting, "",
                        datetime.now(UTC))["ya"].removeprefix(base)
        page = client.get(yes)
        assert page.status_code == 200
        assert client.post(yes, data={"csrf": csrf_of(page.text)}).status_code == 200
        until(lambda: _meetings(config)[0]["rsvp"]["agus@example.org"] == "ACCEPTED",
              "the RSVP in cop meetings --json", PROMPTLY)
    # SIGTERM, as systemd stops it: both stop, exit code 0, nothing left listening
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0
    output = log.read_text()
    assert "web listening" in output and "Traceback" not in output
    with pytest.raises(httpx.TransportError):
        httpx.get(base + "/", timeout=5)
    # and nothing was lost: the store opens for the next run with what was done
    store = FileStore(data, read_only=True)
    assert store.state.latest_rsvp("kkg/rutin", "agus@example.org") == "ACCEPTED"
