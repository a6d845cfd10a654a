"""The in-memory view of the journal: messages, threads, posts, holds, outbox items.

`State.apply(record)` folds one journal record in. Pure: the store replays the journal through
it at start, and every new record goes through it as it is appended. Records are plain dicts
with a type in "t"; times are ISO 8601 strings with offset.
"""

from __future__ import annotations

import heapq
import sys
from collections.abc import MutableMapping, MutableSet
from datetime import UTC, datetime, timedelta
from typing import Any

from mailer.coldmap import Cold, ColdMap, ColdSet
from mailer.model import Attachment, Hold, OutboxItem, Post, Quarantine, Thread

Record = dict[str, Any]

# what one counted bounce of each kind weighs (dmarc and policy: nothing, our mail's fault)
BOUNCE_WEIGHTS = {"dead": 1.0, "full": 0.5, "temporary": 0.25}
PROBE_CONFIRMS = ("dead", "full")  # a probe bouncing so confirms the address fails

# The states an inbound message ends in, exactly one each: posted, held, automatic, bounce,
# rsvp, command, attendance, quarantined, unrouted (a second copy of a Message-ID is a
# `duplicate` record of the first; a quarantined message is recorded again when released).


def _parts(spool: list[Any]) -> tuple[tuple[str, int, int], ...]:
    """[segment, offset, length] (0.1), or a list of them (a copy's own part, then a part its
    copies share)."""
    if spool and isinstance(spool[0], list):
        return tuple((str(s), int(o), int(n)) for s, o, n in spool)
    segment, offset, length = spool
    return ((str(segment), int(offset), int(length)),)


def day(occurrence: str) -> str:
    """The key of an occurrence: the local date its ISO start (Occurrence.id, in the
    meeting's zone) begins with. Answers and marks stay with that day's meeting when its
    time of day changes; "" (the whole series) stays ""."""
    return occurrence[:10]


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# the maps that grow with every message: kept in a Cold index when the store has one
COLD_MAPS = ("messages", "fingerprints", "threads", "thread_of", "outbox", "archive_done")
SENT_WINDOW = timedelta(days=2)  # sent_times kept past a snapshot: the longest rate window


class State:
    def __init__(self, cold: Cold | None = None) -> None:
        # Message-ID -> the state it ended in; the journal keeps the whole record (rule,
        # sender, detail), which nothing in the daemon reads back
        self.messages: MutableMapping[str, str] = {}
        # Message-ID -> what the message said (parse.py's fingerprint): the same ID with
        # other content is another message. Records from before it was kept have none.
        self.fingerprints: MutableMapping[str, str] = {}
        self.threads: MutableMapping[str, Thread] = {}
        self.thread_of: MutableMapping[str, str] = {}  # any Message-ID we sent or received
        self.holds: dict[str, Hold] = {}
        self.quarantine: dict[str, Quarantine] = {}  # q1, q2, ...: mail set aside
        self.outbox: MutableMapping[str, OutboxItem] = {}
        # kept as records apply, so a tick never walks all of history:
        self.outbox_waiting: set[str] = set()  # queued or deferred: what deliver looks at
        self.sent_times: list[datetime] = []  # when each message went, oldest first
        self.unrouted = 0  # messages for no community
        self.archive_done: MutableSet[str] = set()  # archive keys whose outcome is recorded
        # invitation Message-ID -> (meeting key, the member it was sent to)
        self.invitation_of: dict[str, tuple[str, str]] = {}
        self.meeting_of_uid: dict[str, str] = {}  # calendar UID -> meeting key
        # Message-ID of a mail we sent about a meeting -> (kind, meeting key, occurrence id):
        # invitation, reminder, notes, digest ("" meeting: the community's), rollcall, ...
        self.meeting_mail: dict[str, tuple[str, str, str]] = {}
        # answers recorded from members' own words and calendars, oldest first, for the
        # organizers' attention mail: (community, record)
        self.answers: list[Record] = []
        # (meeting key, occurrence day or "" for the series) -> email -> (status, stamp)
        self.rsvps: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
        # (meeting key, occurrence day) -> email -> present (roll-call, by mail or CLI)
        self.attendance: dict[tuple[str, str], dict[str, bool]] = {}
        # (community, email) -> the latest membership record made by email (join, leave)
        self.members: dict[tuple[str, str], Record] = {}
        self.member_history: list[Record] = []  # every join and leave, oldest first
        # (community, email) -> a member's own settings by email (membership.py reads
        # them): delivery, the cop.toml delivery it was chosen over, paused_until
        self.settings: dict[tuple[str, str], Record] = {}
        # (community, email) -> a setting asked for without proof, until the member confirms
        self.settings_asked: dict[tuple[str, str], Record] = {}
        self.posters: set[tuple[str, str]] = set()  # (community, address) that posted
        self.notices_to: dict[str, list[datetime]] = {}  # address -> when notices were queued
        # address -> (when, weight) of delivery failures: bounces and 5xx answers
        self.failures: dict[str, list[tuple[datetime, float]]] = {}
        self.bounce_day: dict[str, str] = {}  # address -> the day its last bounce counted
        self.probes: dict[str, str] = {}  # outbox id of a probe -> the address it tests
        self.probe_sent: dict[str, datetime] = {}  # address -> when its last probe went
        self.probe_failed: dict[str, datetime] = {}  # address -> when a probe bounced
        self.complaints: dict[str, Record] = {}  # address -> its latest ARF complaint
        self._thread_serial = 0
        self._hold_serial = 0
        self._quarantine_serial = 0
        if cold is not None:
            for name in COLD_MAPS:
                setattr(self, name, (ColdSet if name == "archive_done" else ColdMap)(cold, name))

    def cold_maps(self) -> dict[str, ColdMap[Any]]:
        """The maps kept in a Cold index (none when the state is all in memory)."""
        found = {}
        for name in COLD_MAPS:
            value = getattr(self, name)
            value = value.map if isinstance(value, ColdSet) else value
            if isinstance(value, ColdMap):
                found[name] = value
        return found

    def hot_parts(self) -> dict[str, Any]:
        """What a snapshot keeps of the state besides its cold maps: everything else. Send
        times past the longest rate window are dropped first (nothing reads them), the
        rest kept as timestamps (compact)."""
        if self.sent_times:
            newest = self.sent_times[-1]
            self.sent_times = [t for t in self.sent_times if newest - t <= SENT_WINDOW]
        parts = {k: v for k, v in vars(self).items() if k not in COLD_MAPS}
        parts["sent_times"] = [t.timestamp() for t in self.sent_times]
        return parts

    def restore(self, parts: dict[str, Any]) -> None:
        """Take back what `hot_parts` gave, onto a state made with the same Cold."""
        for name, value in parts.items():
            if name not in COLD_MAPS:
                setattr(self, name, value)
        self.sent_times = [datetime.fromtimestamp(t, UTC) for t in parts["sent_times"]]

    def settle(self) -> None:
        """After a snapshot: forget the cold maps' hot entries but the waiting outbox
        items (deliver reads them every tick)."""
        for name, cold_map in self.cold_maps().items():
            cold_map.settle(self.outbox_waiting.__contains__ if name == "outbox"
                            else lambda key: False)

    def apply(self, rec: Record) -> None:
        kind = rec["t"]
        handler = getattr(self, "_apply_" + kind.replace("-", "_"), None)
        if handler is not None:  # records of a newer version are kept, not understood
            handler(rec)

    def _apply_message(self, rec: Record) -> None:
        if self.messages.get(rec["id"], "quarantined") == "quarantined":  # new, or released
            self.messages[rec["id"]] = sys.intern(rec["state"])
            if rec.get("fingerprint"):
                self.fingerprints[rec["id"]] = rec["fingerprint"]
            if rec["state"] == "unrouted":
                self.unrouted += 1
        if rec["state"] == "quarantined" and "quarantine" not in rec:
            # set aside before quarantine records existed: listed all the same
            self._quarantine_serial += 1
            self._apply_quarantine({
                "id": f"q{self._quarantine_serial}", "message_id": "", "from": rec["from"],
                "subject": rec["subject"], "reason": rec.get("detail", ""),
                "received": rec["received"], "archive": rec.get("archive", ""),
                "community": rec.get("community")})
        if rec["state"] == "posted":
            self.posters.add((rec["community"], rec["from"]))
        if rec.get("archive"):
            self.archive_done.add(rec["archive"])

    def _apply_duplicate(self, rec: Record) -> None:
        self.archive_done.add(rec["archive"])

    def _apply_thread(self, rec: Record) -> None:
        started = datetime.fromisoformat(rec["started"])
        self.threads[rec["id"]] = Thread(rec["id"], rec["community"], rec["subject"],
                                         started, started)
        serial = int(rec["id"].lstrip("t"))
        self._thread_serial = max(self._thread_serial, serial)

    def _apply_post(self, rec: Record) -> None:
        thread = self.threads[rec["thread"]]
        post = Post(
            message_id=rec["message_id"], thread=thread.id, from_addr=sys.intern(rec["from"]),
            name=sys.intern(rec["name"]), date=datetime.fromisoformat(rec["date"]),
            body=rec["body"],
            attachments=tuple(Attachment(**a) for a in rec.get("attachments", ())),
        )
        thread.posts.append(post)
        thread.last_activity = max(thread.last_activity, post.date)
        self.thread_of[post.message_id] = thread.id

    def _apply_sent_id(self, rec: Record) -> None:
        self.thread_of[rec["message_id"]] = rec["thread"]
        kind, _, rest = rec["thread"].partition(":")
        if kind == "invitation":
            self.invitation_of[rec["message_id"]] = (rest, rec.get("to", ""))
            self.meeting_mail[rec["message_id"]] = ("invitation", rest, "")
        elif kind == "digest":
            self.meeting_mail[rec["message_id"]] = ("digest", "", "")

    def _apply_meeting_mail(self, rec: Record) -> None:
        self.meeting_mail[rec["message_id"]] = (rec["kind"], rec["meeting"],
                                                rec.get("occurrence", ""))

    def _apply_meeting_uid(self, rec: Record) -> None:
        self.meeting_of_uid[rec["uid"]] = rec["meeting"]

    def _apply_rsvp(self, rec: Record) -> None:
        answers = self.rsvps.setdefault((rec["meeting"], day(rec.get("occurrence") or "")), {})
        previous = answers.get(rec["email"])
        if previous is None or previous[1] <= rec["stamp"]:  # ordered by DTSTAMP
            answers[rec["email"]] = (rec["status"], rec["stamp"])
        if rec.get("source"):  # from the member's own words or calendar, not a migration
            self.answers.append(rec)

    def _apply_poster(self, rec: Record) -> None:
        self.posters.add((rec["community"], rec["email"]))

    def _apply_member(self, rec: Record) -> None:
        self.members[(rec["community"], rec["email"])] = rec
        self.member_history.append(rec)
        if rec["state"] == "left":  # one who joins again starts from cop.toml's settings
            self.settings.pop((rec["community"], rec["email"]), None)

    def _apply_setting(self, rec: Record) -> None:
        """A member's own choice (handle/settings.py): only the keys it carries change."""
        key = (rec["community"], rec["email"])
        self.settings[key] = {**self.settings.get(key, {}), **rec}
        self.settings_asked.pop(key, None)

    def _apply_setting_asked(self, rec: Record) -> None:
        self.settings_asked[(rec["community"], rec["email"])] = rec

    def _apply_attendance(self, rec: Record) -> None:
        marks = self.attendance.setdefault((rec["meeting"], day(rec["occurrence"])), {})
        marks[rec["email"]] = bool(rec["present"])

    def marks(self, meeting: str, occurrence: str) -> dict[str, bool]:
        """An occurrence's roll-call: email -> present; empty when nobody took it."""
        return self.attendance.get((meeting, day(occurrence)), {})

    def attended(self, meeting: str, occurrence: str, email: str) -> bool | None:
        """True/False once an organizer took the roll; None before."""
        return self.marks(meeting, occurrence).get(email)

    def rsvp_of(self, meeting: str, email: str, occurrence: str = "") -> str:
        """The answer that holds for one occurrence: its own, else the series'."""
        for key in ((meeting, day(occurrence)), (meeting, "")):
            if email in self.rsvps.get(key, {}):
                return self.rsvps[key][email][0]
        return "NEEDS-ACTION"

    def latest_rsvp(self, meeting: str, email: str) -> str:
        """The series' answer, else the member's latest answer for any occurrence."""
        series = self.rsvps.get((meeting, ""), {}).get(email)
        if series is not None:
            return series[0]
        answers = [a[email] for (m, occ), a in self.rsvps.items()
                   if m == meeting and occ and email in a]
        return max(answers, key=lambda s: s[1])[0] if answers else "NEEDS-ACTION"

    def head_count(self, meeting: str, occurrence: str, emails: list[str]) -> int:
        return sum(1 for e in emails if self.rsvp_of(meeting, e, occurrence) == "ACCEPTED")

    def _apply_hold(self, rec: Record) -> None:
        hold = Hold(
            id=rec["id"], community=rec["community"], from_addr=rec["from"],
            subject=rec["subject"], reason=rec["reason"],
            received=datetime.fromisoformat(rec["received"]), message_id=rec["message_id"],
            archive_key=rec["archive"], trusted=rec.get("trusted", True),
            notified=rec.get("notified", True),
        )
        self.holds[hold.id] = hold
        self._hold_serial = max(self._hold_serial, int(hold.id.lstrip("h")))

    def _apply_hold_state(self, rec: Record) -> None:
        hold = self.holds[rec["id"]]
        hold.state = rec["state"]
        hold.decided_by = rec.get("by", "")
        hold.decided_at = _time(rec.get("at"))

    def _apply_quarantine(self, rec: Record) -> None:
        """A message set aside, or set aside again by a release that failed the same way."""
        self.quarantine[rec["id"]] = Quarantine(
            id=rec["id"], message_id=rec["message_id"], from_addr=rec["from"],
            subject=rec["subject"], reason=rec["reason"],
            received=datetime.fromisoformat(rec["received"]), archive_key=rec["archive"],
            community=rec.get("community"))
        self._quarantine_serial = max(self._quarantine_serial, int(rec["id"].lstrip("q")))

    def _apply_quarantine_state(self, rec: Record) -> None:
        """released (processed again) or discarded (raw kept in the archive); only what is
        still waiting changes."""
        entry = self.quarantine.get(rec["id"])
        if entry is not None and entry.state == "quarantined":
            entry.state = rec["state"]

    def _apply_outbox(self, rec: Record) -> None:
        if rec["id"] in self.outbox:  # queued again after a crash: the first one stands
            return
        if rec["kind"] == "notice" and rec.get("queued"):
            self.notices_to.setdefault(rec["to"].lower(), []).append(
                datetime.fromisoformat(rec["queued"]))
        self.outbox[rec["id"]] = OutboxItem(
            id=rec["id"], to=rec["to"], subject=rec["subject"], kind=rec["kind"],
            state="queued", envelope_from=rec.get("envelope_from", ""),
            message_id=rec.get("message_id", ""), queued=_time(rec.get("queued")),
            spool=_parts(rec["spool"]),
        )
        self.outbox_waiting.add(rec["id"])

    def _apply_bounce(self, rec: Record) -> None:
        """A bounce counts by its kind (a DMARC or policy refusal is our mail's fault, not
        theirs) when handle/bounces.py counted it: at the address of a copy really sent to
        that member, one a day. Records from before `counted` existed count by kind."""
        email = rec["email"].lower()
        weight = BOUNCE_WEIGHTS.get(rec.get("kind", "dead"), 0.0)
        if weight and rec.get("at") and rec.get("counted", True):
            self.failures.setdefault(email, []).append(
                (datetime.fromisoformat(rec["at"]), weight))
        if rec.get("counted") and rec.get("day"):
            self.bounce_day[email] = rec["day"]
        if rec.get("probe") and rec.get("kind") in PROBE_CONFIRMS and rec.get("at"):
            self.probe_failed[email] = datetime.fromisoformat(rec["at"])

    def _apply_probe(self, rec: Record) -> None:
        email = rec["email"].lower()
        self.probes[rec["item"]] = email
        self.probe_sent[email] = datetime.fromisoformat(rec["at"])

    def _apply_complaint(self, rec: Record) -> None:
        if rec.get("stops", True):  # one that names no copy we sent is only kept
            self.complaints[rec["email"].lower()] = rec

    def bounce_score(self, email: str, now: datetime, days: int = 30,
                     since: datetime | None = None) -> float:
        start = now.timestamp() - days * 86400
        if since is not None:
            start = max(start, since.timestamp())
        return sum(w for when, w in self.failures.get(email.lower(), [])
                   if when.timestamp() >= start)

    def _apply_outbox_state(self, rec: Record) -> None:
        item = self.outbox[rec["id"]]
        if rec["state"] == "failed" and item.state != "failed" and rec.get("at") \
                and (rec.get("error") or "").startswith("5"):
            self.failures.setdefault(item.to.lower(), []).append(
                (datetime.fromisoformat(rec["at"]), 1.0))
            if item.id in self.probes:  # the probe itself was refused: as good as bounced
                self.probe_failed[item.to.lower()] = datetime.fromisoformat(rec["at"])
        item.state = rec["state"]
        item.attempts = rec.get("attempts", item.attempts)
        item.next_try = _time(rec.get("next_try"))
        item.error = rec.get("error")
        item.updated = _time(rec.get("at"))
        if item.state in ("queued", "deferred"):
            self.outbox_waiting.add(item.id)
        else:
            self.outbox_waiting.discard(item.id)
        if item.state == "sent" and item.updated is not None:
            self.sent_times.append(item.updated)

    def new_thread_id(self) -> str:
        self._thread_serial += 1
        return f"t{self._thread_serial}"

    def new_hold_id(self) -> str:
        self._hold_serial += 1
        return f"h{self._hold_serial}"

    def new_quarantine_id(self) -> str:
        self._quarantine_serial += 1
        return f"q{self._quarantine_serial}"

    def threads_newest_first(self, community: str | None = None,
                             limit: int | None = None) -> list[Thread]:
        """With a limit, only that many are held while the rest are walked past. Threads as
        recent as each other: the later one first (t10 after t9), however the map was filled
        (a snapshot's order is not the journal's)."""
        chosen = (t for t in self.threads.values() if community in (None, t.community))
        if limit is not None:
            return heapq.nlargest(limit, chosen, key=_recency)
        return sorted(chosen, key=_recency, reverse=True)


def _recency(thread: Thread) -> tuple[datetime, int, str]:
    return thread.last_activity, len(thread.id), thread.id
