"""Every verb that writes goes through here: it works whether `cop run` runs or not.

    no daemon       take data_dir's lock, carry the request out at once (requested.py),
                    deliver what it queued, print the answer
    `cop run` runs  leave the request in data_dir/requests, wake the daemon (SIGUSR1), wait
                    for its answer and print that: the same words as when run alone. After
                    WAIT seconds without one: say it is queued and will be done, exit 0.
                    Should the daemon stop meanwhile, take the lock and do it here (once:
                    the request's name keys it, requested.py).

Another `cop` verb holding the lock (not the daemon): the request is left for the daemon,
and said so. On PostgreSQL ([service] database) the database is where requests and answers
go, and the workers' leader carries them out: askpg.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from datetime import datetime

import click

from mailer.cli.askpg import ask_database
from mailer.cli.askpg import progress_bar as _bar
from mailer.cli.common import fail, setup_logging
from mailer.config import Config
from mailer.daemon import Runtime, steps_of
from mailer.edges.store import DataDirLock, FileStore, Requests, requests_of
from mailer.errors import StoreError
from mailer.outbound.outbox import Limits, deliver
from mailer.requested import Answer, carry_out, finish
from mailer.state import Record

DAEMON = "cop run"  # the role the daemon writes into data_dir/cop.lock
WAIT = 120.0  # seconds; $COP_WAIT changes it. The daemon ticks at least once a minute.


def ask(config: Config, records: list[Record], label: str, now: datetime,
        progress: bool = False) -> None:
    """Carry out `records` (here, or by the running daemon) and print the answer; exit 1
    with its message when it could not be done. `label` names it while it waits. On
    PostgreSQL: askpg.py."""
    if config.service.database:
        answer = ask_database(config, records, label, now, progress, _seconds())
        if answer is not None:
            _print(answer)
        return
    lock = DataDirLock(config.service.data_dir)
    try:
        lock.acquire()
    except StoreError:
        _hand_over(config, lock, records, label, now)
        return
    try:
        answer = _carry_here(config, None, records, now, progress)
    finally:
        lock.release()
    _print(answer)


def _carry_here(config: Config, name: str | None, records: list[Record], now: datetime,
                progress: bool) -> Answer:
    setup_logging(config.service.log_level)
    rt = Runtime(config, FileStore(config.service.data_dir))
    try:
        before = len(rt.store.state.outbox)
        answer = carry_out(name, records, rt.store, steps_of(rt, now))
        if len(rt.store.state.outbox) > before:  # it queued mail (a mark queues none, and
            deliver(rt.store, rt.transport, now,  # needs no password exported)
                    Limits(config.outbound.per_minute, config.outbound.per_day),
                    _bar if progress else None)
        return finish(answer, rt.store.state)
    finally:
        rt.close()


def _hand_over(config: Config, lock: DataDirLock, records: list[Record], label: str,
               now: datetime) -> None:
    holder = lock.holder()
    requests = requests_of(config.service.data_dir)
    name = requests.submit(records)
    if holder is None or holder[2] != DAEMON:
        click.echo(f"{label} recorded; the running daemon carries it out")
        return
    pid, host, _ = holder
    if host == socket.gethostname():
        with contextlib.suppress(OSError):  # gone meanwhile: the wait below finds out
            os.kill(pid, signal.SIGUSR1)
    answer = _wait(config, lock, requests, name, records, now)
    if answer is None:
        click.echo(f"{label} recorded; the running daemon (pid {pid}) carries it out at its "
                   f"next cycle: not done after {_seconds():.0f} s, it is busy. "
                   "`cop status` shows what waits")
        return
    _print(answer)


def _wait(config: Config, lock: DataDirLock, requests: Requests, name: str,
          records: list[Record], now: datetime) -> Answer | None:
    deadline = time.monotonic() + _seconds()
    while True:
        answer = requests.answer_of(name)
        if answer is not None:
            return answer
        if requests.waiting(name):
            with contextlib.suppress(StoreError):
                lock.acquire()  # the daemon stopped before carrying it out: do it here
                try:
                    answer = _carry_here(config, name, records, now, False)
                    requests.done(name)
                    return answer
                finally:
                    lock.release()
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


def _seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("COP_WAIT", WAIT)))
    except ValueError:
        return WAIT


def _print(answer: Answer) -> None:
    if answer.get("code"):
        fail(str(answer.get("err") or "failed"))
    click.echo(str(answer.get("out", "")))
