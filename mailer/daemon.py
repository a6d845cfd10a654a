"""`cop run`: the one place where side effects are put in order.

    tick(runtime, now):
      1. receive   IMAP: fetch new mail into the archive (the SMTP receiver archives as it
                   accepts, in its own thread)
      2. process   every archived message not yet done -> records + outgoing mail
      3. jobs      what is due at `now`: meeting invitations and updates, digests
      4. flush     journal, then metadata (fsync)            <- the outcome is durable here
      5. mark done archive new/ -> cur/, IMAP $CopDone, cursor
      6. deliver   the outbox, one fsync per sent message

A crash anywhere repeats at most the steps after the last flush, and every step is keyed
(Message-ID, outbox id), so repeating it changes nothing.

An IMAP outage stops only steps 1 and 5: what was fetched before it is processed, and jobs
and delivery go on (a digest must not wait for the inbox to come back). The UIDs processed
but not yet flagged are kept in metadata and flagged first when the server is back, so
they are not fetched again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType

from mailer.config import Config, load_config
from mailer.config.words import problem_text
from mailer.edges.imap import ImapMailbox
from mailer.edges.inbox import fetch_new, flag_processed, remember_processed
from mailer.edges.listen import Receiver, start_receiver
from mailer.edges.outbound import open_transport
from mailer.edges.pg.wakeups import start_pace
from mailer.edges.storage import open_store, prune_sent
from mailer.edges.store import DataDirLock, load_secret, outbox_folder, receiving_folder
from mailer.edges.waiting import Clock, wait_for_work
from mailer.errors import (
    ConfigError,
    ImapLoginRefused,
    ImapUnavailable,
    ServiceError,
    StoreConflict,
)
from mailer.handle.app import App, Result, find_community
from mailer.handle.dispatch import process_message
from mailer.handle.moderation import release_hold
from mailer.handle.quarantine import Release, quarantine_mail
from mailer.handle.web import web_request
from mailer.inbound.parse import read_heading
from mailer.outbound.outbox import Limits, Transport, deliver, queue
from mailer.requested import Answer, Steps, carry_out, finish
from mailer.state import Record
from mailer.store import Store
from mailer.timed.alerts import note_service
from mailer.timed.due import run_due

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    received: int = 0
    processed: dict[str, int] = field(default_factory=dict)
    queued: int = 0
    delivered: dict[str, int] = field(default_factory=dict)
    inbound_error: str = ""  # the IMAP server could not be reached or went away

    def line(self) -> str:
        parts = [f"received={self.received}", f"queued={self.queued}"]
        parts += [f"{k}={v}" for k, v in sorted(self.processed.items())]
        parts += [f"{k}={v}" for k, v in sorted(self.delivered.items()) if v]
        return "tick " + " ".join(parts)


class Runtime:
    """The daemon's edges and its current configuration."""

    def __init__(self, config: Config, store: Store, transport: Transport | None = None,
                 mailbox: ImapMailbox | None = None) -> None:
        self.config = config
        self.store = store
        self.app = App(config, load_secret(config.service.data_dir, config.service.secret))
        self.transport = transport or open_transport(config.outbound,
                                                      outbox_folder(config.service.data_dir))
        if mailbox is None and config.inbound.protocol == "imap":
            mailbox = ImapMailbox(config.inbound)
        self.mailbox = mailbox
        self.config_mtime = _mtime(config.path)
        self.config_problems: dict[str, list[str]] = {}  # a broken edit's, by language
        self.leader = True  # with several workers, whether this one led in its last tick
        self.ask_mailbox = True  # IMAP: whether a tick looks (PostgreSQL: edges/pg/wakeups.py)

    def close(self) -> None:
        self.transport.close()
        if self.mailbox is not None:
            self.mailbox.close()
        self.store.close()

    def reload_if_changed(self) -> bool:
        mtime = _mtime(self.config.path)
        if mtime == self.config_mtime:
            return False
        self.config_mtime = mtime
        try:
            config = load_config(self.config.path)
        except ConfigError as exc:
            for problem in exc.problems:
                log.error("config invalid, keeping the last good one: %s", problem)
            self.config_problems = {language: [problem_text(p, language) for p in exc.problems]
                                    for language in ("id", "en")}  # told: timed/alerts.py
            return False
        self.config_problems = {}
        if config.service.data_dir != self.config.service.data_dir:
            log.error("config data_dir changed; restart cop run to use %s",
                      config.service.data_dir)
            return False
        self.config = config
        self.app = App(config, load_secret(config.service.data_dir, config.service.secret))
        log.info("config reloaded communities=%d", len(config.communities))
        return True


def tick(rt: Runtime, now: datetime) -> TickReport:
    report = TickReport()
    store = rt.store
    store.catch_up()  # what other workers on the same database recorded (PostgreSQL)
    rt.leader = leader = store.is_leader()  # IMAP, requests and jobs: one worker only
    decisions: list[tuple[str, str, str, str]] = []
    uids_by_key: dict[str, int] = {}
    imap_login: str | None = None  # "ok", the server's refusal, or not known this tick
    try:
        if leader and rt.ask_mailbox:
            _receive(rt, report, uids_by_key, now)
            imap_login = "ok" if rt.mailbox is not None else None
    except ImapUnavailable as exc:
        report.inbound_error = str(exc)  # what came before the outage is processed below
        imap_login = exc.refused if isinstance(exc, ImapLoginRefused) else None
    answers: dict[str, Answer] = {}
    if leader:
        with store.exclusive():
            note_service(store, now, rt.config, rt.config_problems, imap_login,
                         getattr(rt.transport, "login", None))  # alerts to the organizers
            answers = {request: carry_out(request, records, store, steps_of(rt, now))
                       for request, records in store.requests.pending()}  # asked by `cop`
    done: list[str] = []
    for key in store.archive.pending():
        if key in store.state.archive_done:
            done.append(key)  # recorded by a run that stopped before marking it done
            continue
        try:
            with store.claim(key, _group(rt, key) if store.shared else "") as mine:
                if not mine:
                    continue  # another worker has it
                result = process_archived(rt, key, now)
                queued = apply_result(rt, result, now)
        except StoreConflict as exc:  # nothing of it was kept: again at the next tick
            log.warning("processing again next tick archive=%s reason=%s", key, exc)
            continue
        report.queued += queued
        report.processed[result.state] = report.processed.get(result.state, 0) + 1
        decisions += result.decisions
        done.append(key)
    with store.exclusive():
        for hold_id, decision, reason, by in decisions:
            report.queued += apply_result(rt, decide_hold(rt, hold_id, decision, reason, by,
                                                          now), now)
        report.queued += run_due(rt.app, store, now) if leader else 0
        if rt.mailbox is not None and leader:
            remember_processed(rt.mailbox, store,
                               [uids_by_key[k] for k in done if k in uids_by_key])
    store.flush()  # the outcome of every message is durable: now it may be marked done
    store.archive.mark_done(done)
    try:
        if rt.mailbox is not None and leader:
            flag_processed(rt.mailbox, store)
    except ImapUnavailable as exc:
        report.inbound_error = report.inbound_error or str(exc)
    report.delivered = deliver(store, rt.transport, now,
                               Limits(rt.config.outbound.per_minute, rt.config.outbound.per_day),
                               claim=store.claim_outgoing if store.shared else None)
    store.flush()
    for request, answer in answers.items():  # the waiting `cop` prints it
        store.requests.answer(request, finish(answer, store.state))
    prune_sent(store)
    return report


def _group(rt: Runtime, key: str) -> str:
    """The community a message is for, as far as its headers say: messages of one are
    processed one at a time, communities in parallel (several workers)."""
    community = find_community(rt.config, read_heading(rt.store.archive.read(key)).to_addrs)
    return community.id if community is not None else ""


def apply_result(rt: Runtime, result: Result, now: datetime) -> int:
    """Keep a result's files, record it, queue its mail, and say so in one log line."""
    for data in result.files.values():  # durable before the records that name them
        rt.store.add_file(data)
    for record in result.records:
        rt.store.record(record)
    queued = 0
    community = rt.config.community(result.community or "")
    sender = community.address if community else rt.config.communities[0].address
    staff = {e.lower() for c in rt.config.communities for e in (*c.organizers, *c.moderators)}
    for outgoing in result.outgoing:
        if outgoing.kind == "notice" and outgoing.to.lower() not in staff \
                and _notices_today(rt, outgoing.to, now) >= NOTICES_PER_DAY:
            log.warning("notice suppressed to=%s reason=rate-limit limit=%d/day", outgoing.to,
                        NOTICES_PER_DAY)
            continue
        queued += queue(rt.store, outgoing, sender, now)
    log.info("%s message_id=%s community=%s thread=%s rule=%s%s", result.state,
             result.message_id or "-", result.community or "-", result.thread or "-",
             result.rule, f" detail={result.detail!r}" if result.detail else "")
    return queued


NOTICES_PER_DAY = 5  # automatic answers to one address a day (help, held, unrouted, ...)


def _notices_today(rt: Runtime, address: str, now: datetime) -> int:
    since = now - timedelta(days=1)
    return sum(1 for when in rt.store.state.notices_to.get(address.lower(), ()) if when > since)


def process_archived(rt: Runtime, key: str, now: datetime,
                     release: Release | None = None) -> Result:
    raw = rt.store.archive.read(key)
    try:
        return process_message(rt.app, rt.store.state, key, raw, now, rt.store.read_file,
                               release)
    except Exception as exc:  # a bug for this one message must not hold up every other one
        log.exception("processing failed, quarantined archive=%s", key)
        reason = f"internal error: {type(exc).__name__}: {exc}"
    try:  # set aside like unreadable mail: raw kept, sender told, can be released later
        return quarantine_mail(rt.app, rt.store.state, key, raw, reason, now, release=release)
    except Exception:  # telling the sender failed too: set aside all the same
        log.exception("quarantine notice failed archive=%s", key)
        return quarantine_mail(rt.app, rt.store.state, key, raw, reason, now,
                               release=release, tell=False)


def release_quarantined(rt: Runtime, entry_id: str, by: str, now: datetime) -> Result:
    """`cop quarantine release`: a quarantined message processed again."""
    entry = rt.store.state.quarantine.get(entry_id)
    with contextlib.suppress(KeyError):  # its raw message is gone from the archive
        if entry is not None and entry.state == "quarantined":
            return process_archived(rt, entry.archive_key, now,
                                    Release(entry_id, by, entry.message_id))
    return Result("quarantined", "release", "", detail=f"{entry_id} cannot be released")


def steps_of(rt: Runtime, now: datetime) -> Steps:
    """What a request from `cop` (requested.py) does through this runtime, applied."""
    def decide(hold_id: str, decision: str, reason: str, by: str) -> Result:
        result = decide_hold(rt, hold_id, decision, reason, by, now)
        apply_result(rt, result, now)
        return result

    def release(entry_id: str, by: str) -> Result:
        result = release_quarantined(rt, entry_id, by, now)
        apply_result(rt, result, now)
        for decision in result.decisions:  # a released moderator's reply decides
            decide(*decision)
        return result

    def web(record: Record) -> Result:  # asked for on the members' web (handle/web.py)
        result = web_request(rt.app, rt.store.state, record, now)
        apply_result(rt, result, now)
        return result
    return Steps(rt.app, now, decide, release, web)


def decide_hold(rt: Runtime, hold_id: str, decision: str, reason: str, by: str,
                now: datetime) -> Result:
    """A moderator's decision about one held message, from a reply or from `cop holds`."""
    hold = rt.store.state.holds.get(hold_id)
    if hold is None:
        return Result("held", "moderation", "", detail=f"no hold {hold_id}")
    raw = rt.store.archive.read(hold.archive_key)
    return release_hold(rt.app, rt.store.state, hold, raw, decision, reason, by, now)


def _receive(rt: Runtime, report: TickReport, uids_by_key: dict[str, int],
             now: datetime) -> None:
    """Fetch new IMAP mail into the archive; `uids_by_key` keeps what came, even when the
    connection drops half-way. A message over the size limit is not fetched: its few
    header fields are archived and recorded as quarantined, with the reason."""
    if rt.mailbox is None:
        return
    for key, uid, large in fetch_new(rt.mailbox, rt.store):
        if large is not None:  # recorded now: the processing below skips it
            apply_result(rt, quarantine_mail(rt.app, rt.store.state, key, large.head,
                                             large.reason, now, rule="too-large"), now)
        uids_by_key[key] = uid
        report.received += 1


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def run(config: Config, once: bool = False, start: datetime | None = None,
        on_ready: Callable[[Runtime], None] | None = None) -> int:
    """The daemon's outer loop. Returns the exit code."""
    os.umask(0o077)  # what we write (data_dir, logs) is its owner's only
    lock = DataDirLock(config.service.data_dir)
    if not config.service.database:  # on PostgreSQL, several workers are welcome
        lock.acquire("cop run")  # a verb that finds it so hands its request over, wakes us
    stop = threading.Event()
    arrived = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("stopping signal=%d; finishing the current step", signum)
        stop.set()
        arrived.set()

    def on_wake(signum: int, frame: FrameType | None) -> None:
        arrived.set()  # `cop` left a request: a tick now carries it out

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    previous[signal.SIGUSR1] = signal.signal(signal.SIGUSR1, on_wake)
    receiver: Receiver | None = None
    rt: Runtime | None = None
    web = pace = None
    try:
        rt = Runtime(config, open_store(config, name=f"cop-{os.getpid()}"))
        if config.inbound.protocol in ("smtp", "lmtp"):
            receiver = _start_receiver(rt, arrived)
        if config.web is not None:  # the members' web, in this process (ARCHITECTURE.md)
            from mailer.edges.web.serve import WebThread
            web = WebThread(lambda: rt.config if rt else config, arrived.set)
            web.start()
        clock = Clock(start)
        pace = start_pace(rt, arrived, stop)  # PostgreSQL: LISTEN/NOTIFY wakes the workers
        log.info("started data_dir=%s inbound=%s outbound=%s communities=%d",
                 config.service.data_dir, config.inbound.protocol, config.outbound.protocol,
                 len(config.communities))
        if on_ready is not None:
            on_ready(rt)
        failures = 0
        while not stop.is_set():
            rt.reload_if_changed()
            try:
                report = tick(rt, clock.now())
                if report.received or report.processed or report.queued or any(
                        report.delivered.values()):
                    log.info(report.line())
                if report.inbound_error:
                    failures += 1  # the rest of the tick ran; only receiving backs off
                    log.error("receiving failed, will retry error=%s", report.inbound_error)
                else:
                    failures = 0
            except ServiceError as exc:
                failures += 1
                log.error("tick failed, will retry error=%s", exc)
            except Exception:
                failures += 1
                log.exception("tick failed unexpectedly, will retry")
            if once:
                return 0 if failures == 0 else 1
            if pace is not None:
                pace.wait(rt, failures)
            else:
                wait_for_work(rt.mailbox, rt.config.inbound.poll_interval, arrived, stop,
                              failures)
        return 0
    finally:
        if pace is not None:
            pace.close()
        if web is not None:
            web.stop()
        if receiver is not None:
            receiver.stop()
        if rt is not None:
            rt.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        lock.release()


def _start_receiver(rt: Runtime, arrived: threading.Event) -> Receiver:
    """The SMTP or LMTP receiver (edges/listen.py), archiving into the store."""
    return start_receiver(rt.config.inbound, rt.store.archive,
                          lambda: [c.address for c in rt.config.communities], arrived,
                          receiving_folder(rt.config.service.data_dir))
