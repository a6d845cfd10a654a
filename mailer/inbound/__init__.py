"""Reading what came: raw bytes -> Mail, and what kind of mail it is. Pure.

    parse.py     raw bytes -> Mail (charsets degrade, never crash; cost bounded)
    verify.py    the receiving server's Authentication-Results: is the From forged?
    classify.py  loop, report, bounce, automatic, setting, rsvp, command or post: stages
    dsn.py       a delivery report read as a mail server reads it: who failed, and how
    vendors.py   the words of failure reports without a machine-readable Status
    asks.py      short requests instead of a post ("kirim lampiran")
    settings.py  a member's own delivery setting ("rangkuman", "jeda sampai 2 Januari")
    route.py     a post -> its thread (reply token, In-Reply-To, digest section, subject)
    replies.py   the new text of a reply: quotes, quote headers, signatures removed
    quote_headers.py  quote headers and header blocks recognised by their shape
    signatures.py     device lines, "-- " signatures, list footers, signature blocks
    rsvp.py      a calendar REPLY -> answers
"""
