"""The store in PostgreSQL (edges/pg/): migrations, the daemon on it, exactly-once keys as
constraints, several workers on one database, `cop store copy` both ways. Against a
throwaway cluster (tests/pg.py)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.config import Config, load_config
from mailer.daemon import Runtime, tick
from mailer.edges.pg.migrate import migrate
from mailer.edges.pg.store import PgStore
from mailer.edges.store import FileStore
from mailer.errors import StoreConflict
from tests.helpers import make_mail, mark_edited, signed, write_config
from tests.test_quarantine import unparseable

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 09:00 WIB


def pg_config(folder: Path, url: str, **kwargs: object) -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    write_config(folder, **kwargs)  # type: ignore[arg-type]
    path = folder / "cop.toml"
    path.write_text(path.read_text().replace(
        'secret = "test-secret"\n', f'secret = "test-secret"\ndatabase = "{url}"\n', 1))
    return load_config(path)


def cop(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    return result.exit_code, result.output


def test_run_refuses_an_unmigrated_database_and_migrate_is_idempotent(
        tmp_path: Path, pg_url: str) -> None:
    config = pg_config(tmp_path, pg_url)
    code, out = cop(config.path, "run", "--once")
    assert code == 1
    assert "cop migrate" in out and "version 0" in out and "versi skema 0" in out
    code, out = cop(config.path, "migrate")
    assert code == 0, out
    # 0002_answers since the verbs wait for answers in the database (was: "versi skema 1"),
    # 0003_sent since batched delivery marks each copy sent (edges/pg/marks.py)
    assert "diterapkan 0001_store" in out and "0002_answers" in out and "0003_sent" in out
    assert "versi skema 3" in out
    code, out = cop(config.path, "migrate")
    assert code == 0 and "diterapkan" not in out
    assert "cop-test-password" not in out  # from PGPASSWORD, never printed


def test_a_url_that_is_not_postgresql_is_a_config_problem(tmp_path: Path) -> None:
    write_config(tmp_path)
    path = tmp_path / "cop.toml"
    path.write_text(path.read_text().replace('secret = "test-secret"\n',
                                             'secret = "test-secret"\ndatabase = "mysql://x"\n'))
    code, out = cop(path, "check")
    assert code == 1 and "postgresql://" in out


def open_pg(config: Config, name: str = "cop") -> Runtime:
    assert config.service.database
    return Runtime(config, PgStore(config.service.database, name=name))


def test_the_daemon_on_postgresql_keeps_everything_across_a_restart(
        tmp_path: Path, pg_url: str) -> None:
    migrate(pg_url)
    config = pg_config(tmp_path, pg_url)
    rt = open_pg(config)
    try:
        rt.store.archive.add(make_mail(subject="Pecahan", message_id="<p1@example.org>",
                                       headers=signed()))
        rt.store.archive.add(make_mail(sender="Orang <orang@example.net>", subject="Halo",
                                       message_id="<stranger@example.net>"))
        tick(rt, T0)
        state = rt.store.state
        assert state.messages == {"<p1@example.org>": "posted",
                                  "<stranger@example.net>": "held"}
        (thread,) = state.threads.values()
        assert {i.state for i in state.outbox.values()} == {"sent"}
        posts = [i for i in state.outbox.values() if i.kind == "post"]
        assert sorted(i.to for i in posts) == ["agus@example.org", "dewi@example.org"]
        sent = {i.id: rt.store.read_outgoing(i.spool) for i in state.outbox.values()}
        assert rt.store.archive.pending() == []
    finally:
        rt.close()
    again = open_pg(config)
    try:
        state = again.store.state
        assert state.messages == {"<p1@example.org>": "posted",
                                  "<stranger@example.net>": "held"}
        assert list(state.threads) == [thread.id]
        assert {i.id: again.store.read_outgoing(i.spool) for i in state.outbox.values()} == sent
        assert len(again.store.state.holds) == 1
        tick(again, T0 + timedelta(minutes=1))  # nothing new, nothing again
        assert {i.id for i in again.store.state.outbox.values()} == set(sent)
    finally:
        again.close()


def test_a_thread_id_taken_by_two_workers_at_once_is_written_once(pg_url: str) -> None:
    migrate(pg_url)
    first, second = PgStore(pg_url), PgStore(pg_url)
    try:
        for store, community in ((first, "a"), (second, "b")):
            store.record({"t": "thread", "id": "t1", "community": community,
                          "subject": community, "started": T0.isoformat()})
        first.flush()
        with pytest.raises(StoreConflict, match="another worker"):
            second.flush()
        assert second.state.threads["t1"].community == "a"  # read again from the table
        assert second.state.new_thread_id() == "t2"
    finally:
        first.close()
        second.close()


def test_another_worker_s_records_are_caught_up_in_commit_order(pg_url: str) -> None:
    migrate(pg_url)
    writer, reader = PgStore(pg_url), PgStore(pg_url)
    try:
        writer.record({"t": "thread", "id": "t1", "community": "kkg", "subject": "s",
                       "started": T0.isoformat()})
        writer.put_meta("digest", "kkg", {"serial": 3})
        writer.flush()
        assert reader.catch_up() == 1
        assert list(reader.state.threads) == ["t1"]
        assert reader.catch_up() == 0
        assert writer.catch_up() == 0  # its own records are not folded twice
        reader.refresh_meta()
        assert reader.get_meta("digest", "kkg") == {"serial": 3}
    finally:
        writer.close()
        reader.close()


def test_one_leader_and_another_takes_over_when_its_session_ends(pg_url: str) -> None:
    migrate(pg_url)
    first, second = PgStore(pg_url, name="w1"), PgStore(pg_url, name="w2")
    try:
        assert first.is_leader() and first.is_leader()
        assert not second.is_leader()
        first.close()  # a dead worker's session ends: its lock goes with it
        for _ in range(200):  # its campaign thread takes the lock within a second or so
            if second.is_leader():
                break
            time.sleep(0.05)
        assert second.is_leader()
    finally:
        second.close()


def test_a_message_claimed_by_one_worker_is_skipped_by_the_other(pg_url: str) -> None:
    migrate(pg_url)
    first, second = PgStore(pg_url), PgStore(pg_url)
    try:
        key = first.archive.add(make_mail())
        with first.claim(key, "kkg") as mine:
            assert mine
            with second.claim(key, "kkg") as theirs:
                assert not theirs
            first.record({"t": "duplicate", "archive": key})
        assert first.archive.pending() == []  # done in the same transaction as its record
        with second.claim(key, "kkg") as theirs:
            assert not theirs
    finally:
        first.close()
        second.close()


MEMBER_JOIN = """
  [[community.member]]
  email = "rina@example.org"
  name = "Rina Kurnia"
  delivery = "each"
"""


def run_semester(config: Config) -> None:
    """A semester in a data_dir, by the daemon over scripted mail: posts and replies most
    days, a stranger held, mail too deep to parse quarantined, a member joining by cop.toml,
    answers to invitations, weekly meetings with reminders, notes and digests."""
    rt = Runtime(config, FileStore(config.service.data_dir))
    try:
        day = T0
        last = ""
        for n in range(84):  # December to February
            day = T0 + timedelta(days=n)
            if n % 2 == 0:
                last = f"<s{n}@example.org>"
                rt.store.archive.add(make_mail(subject=f"Topik {n}", message_id=last,
                                               body=f"Bagaimana dengan {n}?\n",
                                               headers=signed(), date=day))
            elif n % 3 == 0:
                rt.store.archive.add(make_mail(sender="Dewi Lestari <dewi@example.org>",
                                               subject="Re: topik", in_reply_to=last,
                                               message_id=f"<r{n}@example.org>",
                                               body=f"Setuju, {n}.\n", headers=signed(),
                                               date=day))
            if n % 17 == 5:
                rt.store.archive.add(make_mail(sender="Orang <orang@example.net>",
                                               subject=f"Jual {n}",
                                               message_id=f"<x{n}@example.net>", date=day))
            if n % 29 == 7:
                rt.store.archive.add(unparseable(message_id=f"<q{n}@example.org>".encode()))
            if n == 20:
                path = config.path
                path.write_text(path.read_text() + MEMBER_JOIN)
                mark_edited(path)
                assert rt.reload_if_changed()
            for hour in (1, 9):
                tick(rt, day + timedelta(hours=hour))
    finally:
        rt.close()


LISTINGS = (("threads", "--json"), ("meetings", "--json", "--now", "2026-12-01T00:00:00+07:00"),
            ("members", "--community", "kkg", "--json"), ("holds", "--json"),
            ("outbox", "--json"), ("quarantine", "--json", "--all"))


def listings(config: Path) -> dict[str, object]:
    found: dict[str, object] = {}
    for args in LISTINGS:
        code, out = cop(config, *args)
        assert code == 0, out
        found[args[0]] = json.loads(out)
    threads = found["threads"]
    assert isinstance(threads, list)
    for thread in threads:
        code, out = cop(config, "thread", thread["id"], "--json")
        assert code == 0, out
        found[f"thread {thread['id']}"] = json.loads(out)
    return found


def test_store_copy_a_semester_into_postgresql_and_back_lists_the_same(
        tmp_path: Path, pg_url: str) -> None:
    (tmp_path / "files").mkdir()
    source = write_config(tmp_path / "files")
    run_semester(source)
    before = listings(source.path)
    assert len(before["threads"]) >= 40 and before["holds"] and before["quarantine"]  # type: ignore[arg-type]
    in_pg = pg_config(tmp_path / "pg", pg_url)
    in_pg.path.write_text(source.path.read_text().replace(
        'secret = "test-secret"\n', f'secret = "test-secret"\ndatabase = "{pg_url}"\n', 1))
    code, out = cop(source.path, "store", "copy", str(source.service.data_dir), pg_url)
    assert code == 0, out
    assert "records=" in out and "archive=" in out
    assert listings(in_pg.path) == before
    back = tmp_path / "back"
    back.mkdir()
    back_config = back / "cop.toml"
    back_config.write_text(source.path.read_text())
    code, out = cop(back_config, "store", "copy", pg_url, str(back / "data"))
    assert code == 0, out
    assert listings(back_config) == before
    code, out = cop(back_config, "store", "copy", pg_url, str(back / "data"))
    assert code == 1 and "not empty" in out
    copied, original = FileStore(back / "data", read_only=True), \
        FileStore(source.service.data_dir, read_only=True)
    assert copied.archive.pending() == original.archive.pending()
    assert copied.archive.done_keys() == original.archive.done_keys()
    waiting = list(original.state.outbox_waiting)
    assert [copied.read_outgoing(copied.state.outbox[i].spool) for i in waiting] == \
        [original.read_outgoing(original.state.outbox[i].spool) for i in waiting]
