"""A data_dir written by version 0.1 is read by today's code as it is.

tests/data/datadir-0.1 was written by 0.1 (tests/data/make_datadir.py); its listings beside
it are what 0.1's `cop` printed. Every listing must come out the same (every field 0.1 printed,
with the same value; fields added since are welcome, as the contract says), and the daemon
must carry on from it: one more reply lands in the thread 0.1 started.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import main
from tests.data.make_datadir import LISTINGS
from tests.helpers import make_mail

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def old(tmp_path: Path) -> Path:
    folder = tmp_path / "datadir-0.1"
    shutil.copytree(DATA / "datadir-0.1", folder)
    return folder / "cop.toml"


def cop(config: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_every_listing_reads_as_version_0_1_printed_it(old: Path) -> None:
    expected = json.loads((DATA / "datadir-0.1.listings.json").read_text())
    for name, args in LISTINGS.items():
        listing = json.loads(cop(old, *args))
        assert instants(as_printed_by_0_1(listing, expected[name])) == \
            instants(expected[name]), name


def as_printed_by_0_1(now: object, then: object) -> object:
    """`now` with only the fields `then` (0.1's output) had, at every depth."""
    if isinstance(now, dict) and isinstance(then, dict):
        return {k: as_printed_by_0_1(now[k], then[k]) if k in now else now.get(k)
                for k in then} if set(then) <= set(now) else now
    if isinstance(now, list) and isinstance(then, list) and len(now) == len(then):
        return [as_printed_by_0_1(a, b) for a, b in zip(now, then, strict=True)]
    return now


# An ISO 8601 date-time with its offset, as every listing gives times
_MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)$")


def instants(doc: object) -> object:
    """`doc` with each time as the instant it names. 0.1 gave some times in UTC, today's
    `cop` gives every time in its community's zone (issue 17): 2026-12-01T02:05:00+00:00
    and 2026-12-01T09:05:00+07:00 are the same moment and compare equal; any other value,
    and a time that names another moment, still compares as it is."""
    if isinstance(doc, dict):
        return {k: instants(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [instants(v) for v in doc]
    if isinstance(doc, str) and _MOMENT.match(doc):
        return datetime.fromisoformat(doc)
    return doc


def test_the_daemon_carries_on_from_a_0_1_data_dir(old: Path) -> None:
    from mailer.edges.store import FileStore as Store

    Store(old.parent / "data").archive.add(make_mail(
        sender="Agus Wibowo <agus@example.org>", subject="Re: Pecahan di kelas 3",
        body="Saya pakai tali.\n", message_id="<r2@example.org>", in_reply_to="<r1@example.org>"))
    cop(old, "run", "--once", "--now", datetime(2026, 12, 5, 1, 0, tzinfo=UTC).isoformat())
    thread = json.loads(cop(old, "thread", "t1", "--json"))
    assert [p["message_id"] for p in thread["posts"]] == [
        "<p1@example.org>", "<r1@example.org>", "<r2@example.org>"]
    assert instants(json.loads(cop(old, "holds", "--json"))) == instants(json.loads(
        (DATA / "datadir-0.1.listings.json").read_text())["holds"])
