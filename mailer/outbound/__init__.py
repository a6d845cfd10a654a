"""What we send, as bytes: composed, rendered, queued, delivered.

    compose.py  posts, notices, digests and invitations as wire bytes, one per member
    digest.py   what a digest says: new and active threads, meetings, who needs attention
    render.py   Jinja2 templates, sandboxed, per language, overridable by organizers
    mime.py     headers encoded and folded, text parts
    dates.py    dates and times as each language writes them, zone always named
    outbox.py   queue (recorded before any attempt) and deliver (retries, limits)
"""
