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
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

from mailer.config import Config, load_config
from mailer.edges.auth import Authenticator
from mailer.edges.imap import ImapMailbox
from mailer.edges.inbox import fetch_new, flag_processed, remember_processed
from mailer.edges.outbound import open_transport
from mailer.edges.smtpd import ReceiveHandler, SmtpReceiver
from mailer.edges.storage import open_store, prune_sent
from mailer.edges.store import DataDirLock, load_secret, outbox_folder, receiving_folder
from mailer.errors import ConfigError, ImapUnavailable, ServiceError, StoreConflict
from mailer.handle.app import App, Result, find_community
from mailer.handle.dispatch import process_message
from mailer.handle.moderation import release_hold
from mailer.handle.quarantine import Release, quarantine_mail
from mailer.inbound.parse import read_heading
from mailer.outbound.outbox import Limits, Transport, deliver, queue
from mailer.store import Store
from mailer.timed.due import run_due

log = logging.getLogger(__name__)

# IDLE is renewed this often so that SIGTERM is answered within these seconds; mail that
# arrives between two IDLEs is announced at once by the next one.
IDLE_CHUNK = 5.0
FOLLOWER_WAIT = 3.0  # seconds between a follower's ticks: a new leader within seconds


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
        self.leader = True  # with several workers, whether this one led in its last tick

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
            return False
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
    applied, decisions, releases = [], [], []
    with store.exclusive():
        for request, records in store.requests.pending() if leader else ():
            for record in records:  # asked for by `cop` while we run
                if record["t"] == "hold-decision":
                    decisions.append((record["id"], record["decision"],
                                      record.get("reason", ""), record.get("by", "cop")))
                elif record["t"] == "quarantine-release":
                    releases.append((record["id"], record.get("by", "cop")))
                else:
                    store.record(record)
            applied.append(request)
        for entry, by in releases:  # `cop quarantine release`: processed again
            result = release_quarantined(rt, entry, by, now)
            report.queued += apply_result(rt, result, now)
            decisions += result.decisions
    uids_by_key: dict[str, int] = {}
    try:
        if leader:
            _receive(rt, report, uids_by_key, now)
    except ImapUnavailable as exc:
        report.inbound_error = str(exc)  # what came before the outage is processed below
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
    for request in applied:
        store.requests.done(request)
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


class Clock:
    """Real time, or real time shifted so that it starts at --now."""

    def __init__(self, start: datetime | None) -> None:
        self.offset = (start - datetime.now(UTC)) if start else None

    def now(self) -> datetime:
        real = datetime.now(UTC)
        return real + self.offset if self.offset is not None else real


def run(config: Config, once: bool = False, start: datetime | None = None,
        on_ready: Callable[[Runtime], None] | None = None) -> int:
    """The daemon's outer loop. Returns the exit code."""
    os.umask(0o077)  # what we write (data_dir, logs) is its owner's only
    lock = DataDirLock(config.service.data_dir)
    if not config.service.database:  # on PostgreSQL, several workers are welcome
        lock.acquire()
    stop = threading.Event()
    arrived = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("stopping signal=%d; finishing the current step", signum)
        stop.set()
        arrived.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    receiver: SmtpReceiver | None = None
    rt: Runtime | None = None
    try:
        rt = Runtime(config, open_store(config, name=f"cop-{os.getpid()}"))
        if config.inbound.protocol == "smtp":
            receiver = _start_receiver(rt, arrived)
        clock = Clock(start)
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
            _wait(rt, arrived, stop, failures)
        return 0
    finally:
        if receiver is not None:
            receiver.stop()
        if rt is not None:
            rt.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        lock.release()


def _start_receiver(rt: Runtime, arrived: threading.Event) -> SmtpReceiver:
    inbound = rt.config.inbound
    handler = ReceiveHandler(rt.store.archive,
                             lambda: [c.address for c in rt.config.communities], arrived,
                             Authenticator(inbound.authserv_id))
    try:
        receiver = SmtpReceiver(inbound.host, inbound.port, handler, inbound.max_message_bytes,
                                inbound.tls_cert, inbound.tls_key,
                                receiving_folder(rt.config.service.data_dir))
        receiver.start()
    except (OSError, RuntimeError) as exc:
        raise ServiceError(f"cannot listen on {inbound.host}:{inbound.port} ({exc}); is "
                           "another program using that port? Set [inbound] port") from exc
    log.info("listening smtp=%s:%d", inbound.host, inbound.port)
    return receiver


def _wait(rt: Runtime, arrived: threading.Event, stop: threading.Event, failures: int) -> None:
    """Until mail arrives, the poll interval passes, or we are told to stop."""
    interval = rt.config.inbound.poll_interval.total_seconds()
    if failures:
        interval = min(2 ** min(failures, 8), 300)  # the service is down: back off
    # due jobs (digests, reminders) need a tick at least every minute; a worker that does
    # not lead looks every few seconds whether the leader is gone
    interval = min(interval, 60.0 if rt.leader else FOLLOWER_WAIT)
    if rt.mailbox is not None and rt.mailbox.can_idle and not failures:
        deadline = time.monotonic() + interval
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                if rt.mailbox.wait(min(IDLE_CHUNK, deadline - time.monotonic())):
                    return
            except ServiceError as exc:
                log.error("imap wait failed error=%s", exc)
                return
        return
    arrived.wait(interval)
    arrived.clear()
