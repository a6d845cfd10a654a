"""What was due while the machine was off or asleep, told to the organizers (alerts.py).

The daemon marks the time it runs (the `alive` metadata, every MARK_EVERY). A tick that finds
the mark older than GAP knows the service was down from the mark to now, and looks at what
fell due in between. The other jobs decide what is sent late: a reminder still before its
meeting goes late, one for a meeting already begun is skipped (cycle.py); a digest goes
late, once, however many slots passed (digests.py). This job only says so, in the
community's language:

    "Pengingat 1 hari untuk Pertemuan rutin, Sabtu, 12 Desember 2026 tidak terkirim
     karena server mati dari ... sampai ...; pertemuannya sudah dimulai."
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mailer.calendar.occurrences import expand
from mailer.config import Community
from mailer.handle.app import App
from mailer.membership import invitees
from mailer.outbound.compose import make_message_id
from mailer.outbound.dates import format_day, format_when
from mailer.outbound.outbox import outbox_id
from mailer.store import Store
from mailer.timed.alerts import raise_alert
from mailer.timed.schedule import next_slot

GAP = timedelta(minutes=15)  # the daemon ticks at least every minute: this is a stop
MARK_EVERY = timedelta(minutes=5)
LATE = timedelta(minutes=30)  # a reminder sent this much after its time is named as late


def report_missed(app: App, store: Store, now: datetime) -> int:
    """Open a `missed:` alert per community for what fell due while the service was down;
    then mark that it runs. Queues nothing itself (send_alerts mails it)."""
    mark = store.get_meta("alive", "tick")
    last = datetime.fromisoformat(mark["at"]) if mark else None
    if last is not None and now - last > GAP:
        for community in app.config.communities:
            lines = {language: _missed(app, store, community, last, now, language)
                     for language in ("id", "en")}
            if lines["id"]:
                raise_alert(store, f"missed:{community.id}:{last.isoformat()}", now,
                            community=community.id, lines=lines, down_from=last.isoformat(),
                            down_to=now.isoformat())
    if last is None or now - last >= MARK_EVERY or now < last:
        store.put_meta("alive", "tick", {"at": now.isoformat()})
    return 0


def _missed(app: App, store: Store, community: Community, last: datetime, now: datetime,
            language: str) -> list[str]:
    id_ = language == "id"
    zone = community.timezone
    down = (f"server mati dari {format_when(last.astimezone(zone), language)} sampai "
            f"{format_when(now.astimezone(zone), language)}" if id_ else
            f"the server was off from {format_when(last.astimezone(zone), language)} to "
            f"{format_when(now.astimezone(zone), language)}")
    lines: list[str] = []
    members = sorted(invitees(community, store.state))
    for meeting in community.meetings:
        key = f"{community.id}/{meeting.id}"
        for occ in expand(meeting, community.language)[0]:
            for before in meeting.remind:
                due = occ.start - before
                if not last < due <= now:
                    continue
                queued = [store.state.outbox[i].queued for e in members
                          if (i := outbox_id(f"notice:remind:{key}:{occ.start.isoformat()}"
                                             f":{before}:{e}")) in store.state.outbox]
                sent = bool(queued)
                if any(q is not None and q - due <= LATE for q in queued):
                    continue  # it went in time, before the stop
                what = (f"Pengingat {_span(before, language)} untuk {_meeting(meeting.title)}, "
                        f"{format_day(occ.start.astimezone(zone), language)}" if id_ else
                        f"The {_span(before, language)} reminder for {meeting.title}, "
                        f"{format_day(occ.start.astimezone(zone), language)}")
                if now >= occ.start and not sent:
                    lines.append(f"{what} tidak terkirim karena {down}; pertemuannya sudah "
                                 "dimulai." if id_ else
                                 f"{what} was not sent because {down}; the meeting had "
                                 "already begun.")
                elif now - due > LATE:
                    lines.append(f"{what} terkirim terlambat karena {down}." if id_ else
                                 f"{what} went late because {down}.")
    slots = _slots(community, last, now)
    digest_id = make_message_id(community, "digest", slots[-1].isoformat()) if slots else ""
    if slots and now - slots[-1] > LATE and any(
            item.message_id == digest_id for item in store.state.outbox.values()):
        first = format_when(slots[0].astimezone(zone), language)
        merged = (f" ({len(slots)} jadwal digabung menjadi satu)" if id_ else
                  f" ({len(slots)} slots in one)") if len(slots) > 1 else ""
        lines.append(f"Rangkuman jadwal {first} terkirim terlambat, sekali{merged}, karena "
                     f"{down}." if id_ else
                     f"The digest due {first} went late, once{merged}, because {down}.")
    return lines


def _slots(community: Community, last: datetime, now: datetime) -> list[datetime]:
    found: list[datetime] = []
    slot = next_slot(community.digest, community.timezone, last)
    while slot is not None and slot <= now and len(found) < 400:
        found.append(slot)
        slot = next_slot(community.digest, community.timezone, slot)
    return found


def _meeting(title: str) -> str:
    """'pertemuan KKG Mat' for a title that does not say it is a meeting; 'Pertemuan rutin'
    as it is (not 'pertemuan Pertemuan rutin')."""
    return title if title.lower().startswith("pertemuan") else f"pertemuan {title}"


def _span(delta: timedelta, language: str) -> str:
    """'1 hari', '2 jam', '30 menit' / '1-day', '2-hour', '30-minute'."""
    seconds = int(delta.total_seconds())
    units: list[tuple[int, Any, Any]] = [(86400, "hari", "day"), (3600, "jam", "hour"),
                                         (60, "menit", "minute")]
    for size, word_id, word_en in units:
        if seconds >= size and seconds % size == 0:
            return (f"{seconds // size} {word_id}" if language == "id"
                    else f"{seconds // size}-{word_en}")
    return f"{seconds // 60} menit" if language == "id" else f"{seconds // 60}-minute"
