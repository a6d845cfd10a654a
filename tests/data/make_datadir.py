"""Write tests/data/datadir-0.1: a data_dir as version 0.1 left it, and what `cop` listed.

Run once with version 0.1 (`python3 -m tests.data.make_datadir`); test_compat reads the
folder with today's code and compares every listing. Kept for the record of how it was
made: it drives the daemon through a month of a small community with fixed times.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from mailer.cli import main
from mailer.daemon import Runtime, tick
from mailer.edges.store import FileStore as Store
from tests.helpers import make_mail, write_config

HERE = Path(__file__).resolve().parent / "datadir-0.1"
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
LISTINGS = {
    "threads": ["threads", "--json"],
    "thread-t1": ["thread", "t1", "--json"],
    "holds": ["holds", "--json"],
    "members": ["members", "--community", "kkg", "--json"],
    "outbox": ["outbox", "--json"],
    "meetings": ["meetings", "--json", "--now", "2026-12-20T00:00:00+07:00"],
}


def build(folder: Path) -> None:
    config = write_config(folder)
    rt = Runtime(config, Store(config.service.data_dir))
    add = rt.store.archive.add
    tick(rt, T0)
    add(make_mail(message_id="<p1@example.org>", body="Halo semua,\nada ide untuk 1/3?\n"))
    add(make_mail(sender="Orang Asing <asing@example.net>", message_id="<s1@example.net>",
                  subject="Penawaran"))
    add(make_mail(sender="Rina <rina@example.org>", subject="gabung", body="gabung\n",
                  message_id="<j1@example.org>"))
    tick(rt, T0 + timedelta(minutes=5))
    add(make_mail(sender="Dewi Lestari <dewi@example.org>", subject="Re: Pecahan di kelas 3",
                  body="Pakai pita, Bu.\n\n> ada ide untuk 1/3?\n",
                  message_id="<r1@example.org>", in_reply_to="<p1@example.org>"))
    add(b"this is not a mail at all\r\n")
    tick(rt, T0 + timedelta(hours=1))
    tick(rt, datetime(2026, 12, 4, 8, 30, tzinfo=UTC))  # the digest slot, Friday 15:00 WIB
    tick(rt, datetime(2026, 12, 4, 10, 0, tzinfo=UTC))  # after the first meeting
    rt.close()


def main_() -> None:
    shutil.rmtree(HERE, ignore_errors=True)
    HERE.mkdir(parents=True)
    build(HERE)
    listings = {}
    for name, args in LISTINGS.items():
        result = CliRunner().invoke(main, ["--config", str(HERE / "cop.toml"), *args])
        assert result.exit_code == 0, result.output
        listings[name] = json.loads(result.output)
    (HERE.parent / "datadir-0.1.listings.json").write_text(
        json.dumps(listings, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main_()
