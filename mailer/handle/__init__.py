"""One archived message -> exactly one recorded state, plus the mail it causes. Pure.

    dispatch.py    process_message: parse, find the community, classify, hand to one of:
    posts.py       a post (who may post, its thread, every member's copy) or a hold
    moderation.py  a moderator's reply to a hold notice; carrying out a decision
    commands.py    help, join, confirm, leave
    settings.py    a member's own delivery by email: digest, each, pause until, resume
    meetings.py    an RSVP; an organizer's answer to a roll-call
    bounces.py     a delivery failure report; a complaint (ARF) about a member's copy
    files.py       a member asks for a post's files
    app.py         App and Result, shared by all of them (no handler imports dispatch)
"""
