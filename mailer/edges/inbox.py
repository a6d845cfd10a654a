"""The IMAP mailbox's cursor, kept in the store: fetch new mail into the archive, flag on
the server what is processed.

Each message is processed once: the UIDVALIDITY + last UID cursor says where to start, and
the UIDs whose outcome the next flush makes durable are kept in metadata ("processed")
until they are flagged $CopDone, so an outage or a crash between the flush and the flagging
fetches nothing again.
"""

from __future__ import annotations

from collections.abc import Iterator

from mailer.edges.imap import Cursor, ImapMailbox, TooLarge
from mailer.store import Store


def fetch_new(mailbox: ImapMailbox, store: Store) -> Iterator[tuple[str, int, TooLarge | None]]:
    """(archive key, UID, what is known of a message left on the server for its size) of
    each new message; its raw bytes (or the few header fields of a large one) archived."""
    flag_processed(mailbox, store)  # an earlier tick could not: they must not come again
    saved = store.get_meta("cursor", "imap")
    cursor = Cursor(saved["uidvalidity"], saved["last_uid"]) if saved else None
    for uid, raw in mailbox.fetch_new(cursor):
        large = raw if isinstance(raw, TooLarge) else None
        data = raw.head if isinstance(raw, TooLarge) else raw
        yield store.archive.add(data, sync=False), uid, large  # synced by the next flush


def remember_processed(mailbox: ImapMailbox, store: Store, uids: list[int]) -> None:
    """Note UIDs whose outcome the next flush makes durable, until they are flagged."""
    if not uids:
        return
    saved = store.get_meta("cursor", "processed") or {}
    if saved.get("uidvalidity") == mailbox.uidvalidity:
        uids = sorted({*saved["uids"], *uids})
    store.put_meta("cursor", "processed", {"uidvalidity": mailbox.uidvalidity, "uids": uids})


def flag_processed(mailbox: ImapMailbox, store: Store) -> None:
    """Flag $CopDone on the server whatever is recorded as processed, and move the cursor."""
    saved = store.get_meta("cursor", "processed")
    if not saved or not saved["uids"]:
        return
    uids = saved["uids"]
    if mailbox.mark_done(uids, saved["uidvalidity"]):
        cursor = store.get_meta("cursor", "imap") or {}
        last = max(uids)
        if cursor.get("uidvalidity") == saved["uidvalidity"]:
            last = max(last, cursor["last_uid"])
        store.put_meta("cursor", "imap", {"uidvalidity": saved["uidvalidity"],
                                          "last_uid": last})
    store.put_meta("cursor", "processed", {"uidvalidity": saved["uidvalidity"], "uids": []})
