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
]
# "Budi <budi@x> wrote:" (Thunderbird, many webmails): one line, or the tail of a wrapped one
_GENERIC_QUOTE_HEADER = re.compile(r"^\s*\S.{0,200}\b(wrote|menulis)\s*:\s*$", re.I)
# Yahoo and some webmails put the quote header and the quoted text on one line.
_INLINE_QUOTE_HEADER = re.compile(
    r"^\s*(On|Pada)\b.{0,200}\d{1,2}[:.]\d{2}.{0,200}?\b(wrote|menulis)\s*:", re.I)
# Separators start history whatever follows them.
_SEPARATORS = [
    re.compile(r"^\s*-{2,}\s*(Original Message|Pesan Asli|Pesan Awal|Forwarded message|"
               r"Pesan yang diteruskan|Pesan terusan)\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook web/mobile separator line, an HTML <hr>
    re.compile(r"^\s*Begin forwarded message:\s*$", re.I),
]
# Outlook's header block: From/Dari followed within a few lines by Sent/Dikirim/Date/Tanggal.
_OUTLOOK_FROM = re.compile(r"^\s*\**(From|Dari|Von|De)\s*:\**\s", re.I)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\**(Sent|Dikirim|Date|Tanggal|Gesendet|Envoyé|To|Ke|Kepada|Subject|Subjek|Perihal)"
    r"\s*:\**", re.I)
_SIGNATURE = re.compile(r"^--\s?$")
_SEPARATOR_LINE = re.compile(r"^\s*([-_*=]\s*){3,}$")
_MOBILE_FOOTERS = re.compile(
    r"^\s*(Sent from|Dikirim dari|Get Outlook for|Dapatkan Outlook untuk|Sent with|"
    r"Sent via|Dikirim melalui|Kirim dari|Dikirim menggunakan)\b.{0,80}$"
    r"|^\s*(Sent from my \w+|Dikirim dari (iPhone|iPad|ponsel|HP|perangkat) saya\S*)\s*$"
    r"|^\s*Sent from Yahoo Mail\b.*$"
    r"|^\s*Sent from my (Samsung|Galaxy|Huawei|Xiaomi|OPPO|vivo)\b.*$",
    re.I,
)


def new_text(body: str, new_thread: bool = False) -> str:
    """The text the writer added. For a new thread a forwarded message is the content
    (someone shares a circular with the group), so forwarded blocks are kept."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if new_thread and any(_FORWARDED.match(line) for line in lines):
        return _tidy(_cut_signature_only(lines))
    lines = _cut_history(lines)
    lines = _cut_signature(lines)
    lines = _drop_quotes(lines)
    return _tidy(lines)


def _cut_history(lines: list[str]) -> list[str]:
    for i in range(len(lines)):
        line = lines[i]
        if any(p.match(line) for p in _SEPARATORS) or (
                ":" in line and _INLINE_QUOTE_HEADER.match(line)):
            return lines[:i]
        if line.rstrip().endswith(":"):  # the last line of a quote header ends with ':'
            start = _quote_header_start(lines, i)
            if start is not None and _quote_follows(lines, i + 1):
                if not any(s.strip() for s in lines[:start]) and _answered(lines, i + 1):
                    # nothing above, answers below the quotes: an interleaved reply whose
                    # quote header is not history. Drop the header, keep the rest.
                    return lines[:start] + lines[i + 1 :]
                return lines[:start]
        if _OUTLOOK_FROM.match(line):
            following = [s for s in lines[i + 1 : i + 6] if s.strip()]
            if sum(1 for s in following if _OUTLOOK_NEXT.match(s)) >= 2:
                return lines[:i]
    return lines


def _quote_header_start(lines: list[str], end: int) -> int | None:
    """Where a quote header ending on line `end` starts, or None. The anchored forms
    ("On ...", "Pada ...") may be wrapped over up to three lines, longest first; the generic
    "... wrote:" is one line, plus the line before when the address was wrapped."""
    for span in (3, 2, 1):
        start = end - span + 1
        if start < 0 or not all(s.strip() for s in lines[start : end + 1]):
            continue  # a wrapped quote header has no blank line inside
        chunk = " ".join(s.strip() for s in lines[start : end + 1])
        if any(p.match(chunk) for p in _QUOTE_HEADERS):
            return start
    if _GENERIC_QUOTE_HEADER.match(lines[end]):
        before = lines[end - 1].rstrip() if end > 0 else ""
        return end - 1 if before.endswith(("<", ",")) else end
    return None


def _answered(lines: list[str], start: int) -> bool:
    """Unquoted text follows the quoted lines after `start`."""
    seen_quote = False
    for line in lines[start:]:
        if line.lstrip().startswith(">"):
            seen_quote = True
        elif line.strip() and seen_quote:
            return True
    return False


def _quote_follows(lines: list[str], start: int) -> bool:
    after = next((s for s in lines[start:] if s.strip()), None)
    return after is None or after.lstrip().startswith(">")


_FORWARDED = re.compile(r"^\s*(-{2,}\s*(Forwarded message|Pesan yang diteruskan|Pesan terusan|"
                        r"Original message|Pesan asli)\s*-{2,}|Begin forwarded message:)\s*$",
                        re.I)


def _cut_signature_only(lines: list[str]) -> list[str]:
    """Mobile footers out, forwarded blocks kept (a signature above them is kept too)."""
    return [line for line in lines if not _MOBILE_FOOTERS.match(line)]


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
        answered = any(s.strip() and not s.lstrip().startswith(">") for s in lines[j:])
        if answered:
            quoted = [s for s in lines[i:j] if s.strip() and s.strip() != ">"]
            # a reply under a long leading quote keeps only the lines it answers
            out.extend(quoted if any(s.strip() for s in out) else quoted[-3:])
            if not lines[j - 1].strip():
                out.append("")  # the writer's blank line between quote and answer
        i = j
    return out


def _tidy(lines: list[str]) -> str:
    while lines and (not lines[-1].strip() or _SEPARATOR_LINE.match(lines[-1])):
        lines = lines[:-1]  # a separator left above cut history
    text = "\n".join(line.rstrip() for line in lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
