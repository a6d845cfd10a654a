"""Meetings in time: occurrences (recurrence, breaks, holidays, moves) and iCalendar.

    occurrences.py  a meeting -> its occurrences and the dates skipped, with why
    ical.py         REQUEST / CANCEL calendars for one member (RFC 5545, iTIP)
"""
