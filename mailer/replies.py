"""The new text of a reply: quoted history, quote headers, signatures and mobile footers
removed, in Indonesian and English. Pure.

Order of work: cut at the first line that starts forwarded/quoted history (a quote header such
as "On ... wrote:" / "Pada ... menulis:", an Outlook "From:/Dari:" block, "-----Original
Message-----"); drop a trailing signature ("-- ") and mobile footers; then drop '>'-quoted
lines, except quoted lines that are directly answered below (interleaved replies keep the
line they answer, so the answer stays readable).
"""

from __future__ import annotations

import re

# A quote header may be wrapped over two or three lines by the mail program. These count
# only when quoted text (or nothing) follows, so "Seperti Bu Siti menulis:" in a post stays.
_QUOTE_HEADERS = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.I | re.S),  # Gmail, Apple, Thunderbird
    re.compile(r"^\s*Pada\b.{0,300}\bmenulis:\s*$", re.I | re.S),  # Gmail/Apple Indonesian
    re.compile(r"^\s*Le\b.{0,300}\ba écrit\s*:\s*$", re.I | re.S),
    re.compile(r"^\s*Am\b.{0,300}\bschrieb.{0,80}:\s*$", re.I | re.S),
    re.compile(r"^\s*\S.{0,200}\b(wrote|menulis)\s*:\s*$", re.I | re.S),  # "Budi <b@x> wrote:"
]
# Separators start history whatever follows them.
_SEPARATORS = [
    re.compile(r"^\s*-{2,}\s*(Original Message|Pesan Asli|Pesan Awal|Forwarded message|"
               r"Pesan yang diteruskan|Pesan terusan)\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook web/mobile separator line
    re.compile(r"^\s*Begin forwarded message:\s*$", re.I),
]
# Outlook's header block: From/Dari followed within a few lines by Sent/Dikirim/Date/Tanggal.
_OUTLOOK_FROM = re.compile(r"^\s*\*?(From|Dari|Von|De)\s*:\*?\s", re.I)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(Sent|Dikirim|Date|Tanggal|Gesendet|Envoyé|To|Kepada|Subject|Subjek|Perihal)"
    r"\s*:\*?", re.I)
_SIGNATURE = re.compile(r"^--\s?$")
_MOBILE_FOOTERS = re.compile(
    r"^\s*(Sent from|Dikirim dari|Get Outlook for|Dapatkan Outlook untuk|Sent with|"
    r"Sent via|Dikirim melalui|Kirim dari|Dikirim menggunakan)\b.{0,80}$"
    r"|^\s*(Sent from my \w+|Dikirim dari (iPhone|iPad|ponsel|HP|perangkat) saya\S*)\s*$"
    r"|^\s*Sent from Yahoo Mail\b.*$"
    r"|^\s*Sent from my (Samsung|Galaxy|Huawei|Xiaomi|OPPO|vivo)\b.*$",
    re.I,
)


def new_text(body: str) -> str:
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = _cut_history(lines)
    lines = _cut_signature(lines)
    lines = _drop_quotes(lines)
    return _tidy(lines)


def _cut_history(lines: list[str]) -> list[str]:
    for i in range(len(lines)):
        if any(p.match(lines[i]) for p in _SEPARATORS):
            return lines[:i]
        for span in (1, 2, 3):
            if not all(s.strip() for s in lines[i : i + span]):
                break  # a wrapped quote header has no blank line inside
            chunk = " ".join(s.strip() for s in lines[i : i + span])
            if any(p.match(chunk) for p in _QUOTE_HEADERS) and _quote_follows(lines, i + span):
                return lines[:i]
        if _OUTLOOK_FROM.match(lines[i]):
            following = [s for s in lines[i + 1 : i + 6] if s.strip()]
            if sum(1 for s in following if _OUTLOOK_NEXT.match(s)) >= 2:
                return lines[:i]
    return lines


def _quote_follows(lines: list[str], start: int) -> bool:
    after = next((s for s in lines[start:] if s.strip()), None)
    return after is None or after.lstrip().startswith(">")


def _cut_signature(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if _SIGNATURE.match(line):
            return lines[:i]
    return [line for line in lines if not _MOBILE_FOOTERS.match(line)]


def _drop_quotes(lines: list[str]) -> list[str]:
    """Drop quoted lines, keeping a quoted block that is answered by new text below it."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not lines[i].lstrip().startswith(">"):
            out.append(lines[i])
            i += 1
            continue
        j = i
        while j < len(lines) and (lines[j].lstrip().startswith(">") or not lines[j].strip()):
            j += 1
        answered = j < len(lines) and any(s.strip() and not s.lstrip().startswith(">")
                                          for s in lines[j:])
        has_text_before = any(s.strip() for s in out)
        if answered and has_text_before:
            out.extend(s for s in lines[i:j] if s.strip())
        elif answered and not has_text_before:
            # reply below a leading quote: keep the quote's last lines as context
            quoted = [s for s in lines[i:j] if s.strip()]
            out.extend(quoted[-3:])
        i = j
    return out


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
