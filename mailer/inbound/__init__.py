"""Reading what came: raw bytes -> Mail, and what kind of mail it is. Pure.

    parse.py     raw bytes -> Mail (charsets degrade, never crash; cost bounded)
    verify.py    the receiving server's Authentication-Results: is the From forged?
    classify.py  loop, bounce, automatic, rsvp, command or post: named stages in order
    route.py     a post -> its thread (reply token, In-Reply-To, digest section, subject)
    replies.py   the new text of a reply: quotes, quote headers, signatures removed
    rsvp.py      a calendar REPLY -> answers
"""
