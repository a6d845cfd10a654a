"""cop plan lists exactly what cop run then sends; no link in our mail changes state."""

from __future__ import annotations

import email
import json
import re
from datetime import datetime, timedelta
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from mailer.cli import main
from mailer.config import load_config
from mailer.plan import moments
from tests.peers import free_port

ROOT = Path(__file__).resolve().parent.parent
WIB = ZoneInfo("Asia/Jakarta")


def shipped_copy(folder: Path) -> Path:
    path = folder / "cop.toml"
    path.write_text((ROOT / "cop.toml").read_text().replace("port = 2525",
                                                            f"port = {free_port()}"))
    return path


def test_plan_for_14_days_is_what_cop_run_sends(tmp_path: Path) -> None:
    path = shipped_copy(tmp_path)
    start = datetime(2026, 11, 28, 10, 0, tzinfo=WIB)
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(path), "plan", "--days", "14", "--now",
                                  start.isoformat(), "--json"], catch_exceptions=False)
    planned = sorted((p["kind"], p["to"], p["subject"]) for p in json.loads(result.stdout))
    assert len(planned) == 20  # 4 invitations, 8 reminders, 2 digests, 6 after meetings
    config = load_config(path)
    assert not config.service.data_dir.exists()  # planning wrote nothing
    for moment in moments(config, start, start + timedelta(days=14)):
        done = runner.invoke(main, ["--config", str(path), "run", "--once", "--now",
                                    moment.isoformat()], catch_exceptions=False)
        assert done.exit_code == 0
    sent = []
    for file in (config.service.data_dir / "outbox" / "new").iterdir():
        msg = email.message_from_bytes(file.read_bytes(), policy=policy.default)
        subject = str(msg["Subject"])
        kind = ("invitation" if any(p.get_content_type() == "text/calendar" for p in msg.walk())
                else "digest" if "Rangkuman" in subject
                else "post" if "Catatan pertemuan" in subject else "notice")
        sent.append((kind, msg["To"].addresses[0].addr_spec, subject))
    assert sorted(sent) == planned


def test_no_link_in_our_mail_is_one_a_scanner_could_trigger(tmp_path: Path) -> None:
    from tests.test_cli import cop

    code, _, err = cop("demo", "--dir", str(tmp_path / "demo"))
    assert code == 0, err
    config = load_config(tmp_path / "demo" / "cop.toml")
    allowed = {m.online for c in config.communities for m in c.meetings} | {
        c.whatsapp for c in config.communities} | {c.archive_url for c in config.communities}
    for file in (config.service.data_dir / "outbox" / "new").iterdir():
        msg = email.message_from_bytes(file.read_bytes(), policy=policy.default)
        for part in msg.walk():
            if part.get_content_type() not in ("text/plain", "text/html"):
                continue
            for url in re.findall(r"https?://[^\s\"'<>)]+", part.get_content()):
                assert url in allowed, f"{url} in {msg['Subject']}"
