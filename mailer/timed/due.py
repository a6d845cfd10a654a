"""What the clock and cop.toml make due, not an inbound message: every job, in order.

    sync_meetings    invitations.py  invitations, updates and cancellations follow cop.toml
    send_reminders   cycle.py        a reminder `remind` before each meeting
    after_meetings   cycle.py        a notes thread and a roll-call after each meeting
    send_digests     digests.py      each community's digest when its slot has passed
    send_probes      attention.py    a probe to a member whose mail keeps failing
    needs_attention  attention.py    one mail a day to the organizers when something waits
    summarize_holds  holds.py        one mail an hour to the moderators listing the holds
                                     that got no mail of their own (a flood of them)
    report_missed    missed.py       what fell due while the machine was off, as an alert
    send_alerts      alerts.py       alerts to the organizers: once, daily while they last,
                                     and when they are over

Each job is keyed by what it sends (outbox ids from stable keys), so running it again
after a crash queues nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from mailer.handle.app import App
from mailer.store import Store
from mailer.timed.alerts import send_alerts
from mailer.timed.attention import needs_attention, send_probes
from mailer.timed.cycle import after_meetings, send_reminders
from mailer.timed.digests import send_digests
from mailer.timed.holds import summarize_holds
from mailer.timed.invitations import sync_meetings
from mailer.timed.missed import report_missed

log = logging.getLogger(__name__)

def run_due(app: App, store: Store, now: datetime) -> int:
    """Every job, each on its own: one that fails (a broken template, say) is logged and
    tried again next tick, and does not stop the others, nor mail processing or delivery."""
    queued = 0
    for job in (sync_meetings, send_reminders, after_meetings, send_digests, send_probes,
                needs_attention, summarize_holds, report_missed, send_alerts):
        try:
            queued += job(app, store, now)
        except Exception:
            log.exception("job failed, will retry next tick job=%s", job.__name__)
    return queued
