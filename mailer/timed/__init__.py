"""What the clock and cop.toml make due, not an inbound message.

    due.py          run_due: every job below, each on its own
    invitations.py  invitations, updates and cancellations follow cop.toml
    cycle.py        reminders before a meeting; notes thread and roll-call after it
    digests.py      each community's digest when its slot has passed
    attention.py    one mail a day to the organizers when something waits for them; the
                    probe to a member whose mail keeps failing
    schedule.py     digest slots
"""
