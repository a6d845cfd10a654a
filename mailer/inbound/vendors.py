"""The words of a failure report without a machine-readable Status. Pure.

Learnt from the shapes servers write (the tests build one of each in tests/data/bounces/):

    Exim         "The following address(es) failed:" then indented addresses
    qmail        "<addr>:" then the remote's answer, "Sorry, I couldn't find any host"
    Sendmail     "----- The following addresses had permanent fatal errors -----"
    Postfix      "<addr>: host mx said: 550 5.1.1 ..." (its text part)
    Gmail        "Delivery to the following recipient failed permanently:", "Your message
                 wasn't delivered to addr because ..."
    Exchange/    "Delivery has failed to these recipients or groups:", "Your message to
    Office 365   addr couldn't be delivered."
    Yahoo/AOL    "Sorry, we were unable to deliver your message to the following address."
    McAfee       "--- The following addresses had delivery problems ---"
    TrendMicro   "Sent <<< RCPT TO:<addr>" / "Received >>> 550 5.1.1 ..."
    KDDI (au)    "Could not be delivered to: <addr>" / "As their mailbox is full."

Rather than one parser per vendor, one reading fits them all: an address counts when a
failure cue stands on its line, within the next three lines, or in the section heading
above it; reading stops where the returned message begins.
"""

from __future__ import annotations

import re

_ADDRESS = re.compile(r"(?<![\w.+=-])([\w.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                      r"\.[A-Za-z]{2,})")
# where the returned message (or its headers) starts: nothing below is about the failure
_RETURNED = re.compile(
    r"^\s*(-+\s*)?(this is a copy of|below this line is a copy|a copy of the original|"
    r"original message|the original message (headers|follows|was)|returned message|"
    r"unsent message|message headers follow|original message headers|"
    r"-+ ?original|content-type: message/rfc822|\*+ +end of message)", re.I)
_HEADER_LINE = re.compile(r"^(received|return-path|message-id|x-[\w-]+|dkim-signature)"
                          r":\s?\S", re.I)
_CUE = re.compile(
    r"fail|undeliver|not (be )?deliver|wasn't delivered|could ?n[o']t|unable to|rejected|"
    r"refused|unknown|no such|does ?n[o']t exist|invalid|permanent|fatal|problem|bounced|"
    r"disabled|quota|mailbox (is )?full|not found|denied|unavailable|cannot|can't|"
    r"\b[45]\d\d\b|\b[45]\.\d{1,3}\.\d{1,3}\b|rcpt to|delivery to|address(es)? failed|"
    r"no longer|did not reach|deferred|delayed|not reachable|erro|fehler|unzustellbar|"
    r"non remis|echec|échec|konnte nicht|不明|エラー|送信できません|届きません", re.I)
_CODE = re.compile(r"\b[45]\d\d\b|\b[45]\.\d{1,3}\.\d{1,3}\b")
_HELP = re.compile(r"contact|postmaster|administrator|help ?desk|support|for (more )?"
                   r"information|unsubscribe|please (send|write)|reply to", re.I)
_ROBOT = re.compile(r"^(mailer-daemon|mailerdaemon|postmaster|abuse|noreply|no-reply|"
                    r"do-not-reply|donotreply|root|nobody)@", re.I)
SEARCH_LINES = 400  # a report's own words are short; a long text is mostly the original


def report_lines(text: str) -> list[str]:
    """The report's own lines: up to where the returned message begins."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:SEARCH_LINES]
    for n, line in enumerate(lines):
        if n > 0 and (_RETURNED.match(line) or _HEADER_LINE.match(line)):
            return lines[:n]
    return lines


def report_addresses(text: str) -> list[tuple[str, str]]:
    """(address, the words about it) for every address the report says failed."""
    lines = report_lines(text)
    found: dict[str, str] = {}
    heading = -100  # the last line that announced a list of failed addresses
    for n, line in enumerate(lines):
        addresses = [a.lower().rstrip(".") for a in _ADDRESS.findall(line)]
        if not addresses and _CUE.search(line):
            heading = n
            continue
        near = " ".join(lines[n:n + 4])
        helps = _HELP.search(line) and not _CODE.search(line)  # "contact postmaster@..."
        for address in addresses:
            if address in found or (_ROBOT.match(address) and helps):
                continue
            own_line = _CUE.search(line) and not helps
            under_heading = n - heading <= 12 and not helps
            if own_line or under_heading or (_CUE.search(near) and not _HELP.search(near)):
                found[address] = near
    return list(found.items())


def context_of(text: str, address: str) -> str:
    """The report's words about one address: its line and the three after it."""
    lines = report_lines(text)
    lowered = address.lower()
    for n, line in enumerate(lines):
        if lowered in line.lower():
            return " ".join(lines[n:n + 4])
    return ""
