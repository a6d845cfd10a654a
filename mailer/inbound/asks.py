"""Short requests a member writes instead of a post. Pure.

    asks_for_files   "kirim lampiran", "tolong kirim lampirannya ya Bu", "send files":
                     the files of the post (or thread) answered, mailed to the asker only
"""

from __future__ import annotations

import re

from mailer.inbound.replies import new_text

_FILES = re.compile(
    r"\b(kirim(kan)?|minta|mohon|tolong|send|resend|email|forward|get)\b.{0,20}"
    r"\b(lampiran(nya)?|file(nya)?|berkas(nya)?|dokumen(nya)?|files?|attachments?)\b",
    re.I)
MAX_WORDS = 14  # a request, not a post that happens to mention files
LOOK_AT = 4000  # characters of a mail looked at for a request


# what _FILES needs, in lower case; the dotless i, the capital I with a dot and the long s
# match "i" and "s" under re.I but are not made them by lower(): where one is, only _FILES
# can tell
_FILE_WORDS = ("lampiran", "file", "berkas", "dokumen", "attachment")
_FOLDED = "\u0131\u0130\u017f"


def asks_for_files(text: str) -> bool:
    # a request is a few words at the top (or right under a short quote): nearly every
    # post fails this cheap look at its start (a search for a few words first, at C speed:
    # _FILES tries each of its words at every character), and is not trimmed for it
    look = text[:LOOK_AT]
    lowered = look.lower()
    if not any(word in lowered for word in _FILE_WORDS) and not any(c in look for c in _FOLDED):
        return False
    if not _FILES.search(look):
        return False
    written = new_text(text)
    return len(written.split()) <= MAX_WORDS and bool(_FILES.search(written))
