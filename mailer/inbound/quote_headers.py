"""Where quoted or forwarded history starts, recognised by its shape. Pure.

Three shapes, in any language a mail program writes:

- a quote header: one line, or one wrapped over two or three, with a date or time and a
  name or address, ending in a colon ("On Mon, 7 Dec 2026 at 09:15, Siti <s@x> wrote:",
  "Pada tanggal Sen, 7 Des 2026 ... menulis:", "2016年12月8日(木) 15:04 X <x@y>:"). A word
  that says "wrote" with a date or an address makes it history whatever follows; a header
  that starts with a date and ends with the sender counts when a blank line or quoted text
  follows; a "wrote" alone, or a date and an address in another order, only above quoted
  text.
- a header block: two or more "Label: value" lines (Outlook, forwarded messages, in many
  languages), with a From or Date label and an address or a time among the values; or
  three or more, the first naming an address, whatever the labels say.
- a separator: "-----Original Message-----", "---------- Forwarded message ---------",
  "Begin forwarded message:", "-------- Pesan asli --------" and their translations.

Every pattern is anchored or bounded and runs on one line of at most MAX_LINE characters:
time is linear in the length of the mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINE = 1000  # a longer line is text: no mail program writes a header that long

# "wrote" in the languages of our members and of the mail programs they use
_VERBS = (r"wrote|writes|has written|sent|menulis|nulis|schrieb|schreef|"
          r"het volgende geschreven|geschreven|a\s+[ée]crit|nous a dit|ha scritto|"
          r"escribi[óo]|escreveu|skrev|napisa[łl]\s*\(a\)|napisa[łl]a?|napsal[a]?|"
          r"nap[íi]sal[a]?|написал\s*\(а\)|написала?|написав|пише|yazd[ıi]|kirjoitti|"
          r"[íi]rta|έγραψε|a scris|đã viết|kirjutas|raš[ėe]|rakst[īi]ja")
_CJK_VERBS = r"写道|寫道|のメッセージ|님이 작성|작성"  # no spaces around them
_VERB = re.compile(rf"(?<!\w)(?:{_VERBS})(?!\w)|{_CJK_VERBS}", re.I)
_VERB_AT_END = re.compile(rf"(?:(?<!\w)(?:{_VERBS})|{_CJK_VERBS})[\s:：.-]*$", re.I)


def _backwards(alternatives: str) -> str:
    """Alternatives of plain atoms (a character, an escape or a [class], each with an
    optional ?, * or +) spelled backwards: matches a reversed string where they match it."""
    atom = re.compile(r"(\\.|\[[^\]]*\]|[^|\\\[])([?*+]?)")
    out = []
    for alternative in alternatives.split("|"):
        atoms = [a + q for a, q in atom.findall(alternative)]
        assert "".join(atoms) == alternative, alternative
        out.append("".join(reversed(atoms)))
    return "|".join(out)


# _VERB_AT_END on the reversed line, anchored: one try instead of one at every position of
# the line's last 40 characters (each trying every verb: ~15 us a line of a long mail)
_VERB_AT_END_BACKWARDS = re.compile(
    rf"[\s:：.-]*(?:(?:{_backwards(_VERBS)})(?!\w)|{_backwards(_CJK_VERBS)})", re.I)
# words that start a wrapped header ("On ...", "Pada ...", "Le ...", "W dniu ...")
_START = re.compile(
    r"^(?:-{2,}\s*)?(?:On|Pada|Am|Le|Il|Il giorno|In data|Op|El|Em|Den|P[åa]|W dniu|Dnia|"
    r"D[ňn]a|Dne|Ing|At|V[àa]o|Kl\.|Le\s\d)\s", re.I)
_TIME = r"\d{1,2}[:.h]\d{2}(?!\d)"
_DATE = (r"\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}|(?<!\d)(?:19|20)\d{2}(?!\d)|"
         r"\d{1,2}\s*[月월]|\d{1,2}\.?\s+[^\W\d_]{3,}\.?,?\s+\d{2,4}")
_DATETIME = re.compile(rf"{_TIME}|{_DATE}", re.I)
_TIME_ONLY = re.compile(_TIME)
_DATE_START = re.compile(rf"^(?:{_DATE}|{_TIME}|[^\W\d_]{{2,12}}\.?,\s*\d)", re.I)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|mailto:|&lt;[^&]{1,80}@", re.I)
# a header without "wrote" ends with the sender: "<x@y>:", "x@y:", "\"Name\":"
_ENDS_WITH_SENDER = re.compile(r"(?:>|\)|\"|\w@[\w.-]*\w|&gt;)\s*[:：]?$")
_CONTINUATION = re.compile(r"^(?:[<(\[@\"]|mailto:|[\w.+-]+@[\w-]+\.|[^<]{0,80}>\s*\S)")
_SENTENCE_END = re.compile(r"[^\W\d_]{4,}[.!?]$|[!?]$")
_DASHES = re.compile(r"^-{2,}\s*|\s*-{2,}$")
_LETTER = re.compile(r"[^\W\d_]")
_GMT = re.compile(r"GMT[+-]\d")
_DATE_WORD = re.compile(r"^(?:am|on)\b", re.I)
# lower-case words a header does not have between its date and its sender: prose
_PROSE = re.compile(r"(?<![\w@.<-])(?!(?:from|von|de|van|at|am|pm|um|uhr|via|kl|klo|om|"
                    r"alle|ore|le|el|em)\b)[a-z]{3,}(?![\w@.>-])")


@dataclass(frozen=True)
class Header:
    """A quote header on lines start..end (inclusive). `strong`: history whatever follows;
    otherwise only when quoted text (or, for `needs_gap`, a blank line) follows."""

    start: int
    end: int
    strong: bool
    needs_gap: bool = False


def could_end_header(line: str) -> bool:
    """Cheap test: can a quote header end on this line?"""
    s = line.strip()
    if not s or len(s) > MAX_LINE:
        return False
    if s.endswith((":", "：", ">", "-")):
        return True
    return bool(_VERB_AT_END_BACKWARDS.match(s[-40:][::-1])) or "GMT" in s


def quote_header(lines: list[str], end: int) -> Header | None:
    """The quote header ending on line `end`, or None. Wrapped headers span up to three
    lines without a blank one. The shortest reading wins, unless it starts in the middle
    of a wrapped address or a longer one starts the way headers start."""
    if not could_end_header(lines[end]):
        return None
    best: Header | None = None
    best_first = best_kind = ""
    for span in (1, 2, 3):
        start = end - span + 1
        if start < 0 or not lines[start].strip() or len(lines[start]) > MAX_LINE:
            break
        first = lines[start].strip()
        if span > 1 and _SENTENCE_END.search(first) and not _DATETIME.search(first):
            break  # the line above ends a sentence: it is the member's, not the header's
        kind = _header_kind(" ".join(s.strip() for s in lines[start:end + 1]))
        if kind is None:
            continue
        header = Header(start, end, strong=kind == "strong", needs_gap=kind == "shape")
        if best is None or _CONTINUATION.match(best_first) or _rank(first) > _rank(best_first) or (
                _rank(best_first) == 0 and (kind == "strong") > (best_kind == "strong")):
            best, best_first, best_kind = header, first, kind
        else:
            break
    return best


_QUOTED_TAIL = re.compile(rf"^>\s*(?:(?:{_VERBS})\s*)?[:：]$", re.I)


def broken_quote_header(lines: list[str], end: int) -> Header | None:
    """A quote header whose last line a mail program broke so that it starts with '>'
    (">:" closing a wrapped address, "> wrote:" after a "mailto:" link), spread over up
    to six lines, blank ones included. It must start like a header and say who wrote."""
    if len(lines[end]) > 40 or not _QUOTED_TAIL.match(lines[end].strip()):
        return None
    parts = [lines[end].strip().lstrip(">")]
    found = None
    for start in range(end - 1, max(end - 7, -1), -1):
        s = lines[start].strip()
        if not s:
            continue
        if len(s) > MAX_LINE or (found and _SENTENCE_END.search(s) and not _DATETIME.search(s)):
            break  # the member's sentence above the header
        parts.insert(0, s)
        strong = _header_kind(" ".join(parts)) == "strong"
        if _START.match(s) or _DATE_START.match(s):
            return Header(start, end, strong=True) if strong else found
        if strong and found is None and not _CONTINUATION.match(s):
            found = Header(start, end, strong=True)
    return found


def _rank(line: str) -> int:
    """How much a line looks like the first line of a header: 2 when it starts with "On",
    "Pada", ... or a date; 1 when it names an address; else 0."""
    if _START.match(line) or _DATE_START.match(line):
        return 2
    return 1 if _ADDRESS.search(line[:160]) or "<" in line else 0


def _header_kind(text: str) -> str | None:
    """'strong' (a "wrote" with a date or an address), 'shape' (a date, then the sender,
    without "wrote"), 'weak' (a "wrote" alone, or a date and an address in any order
    before a colon: history only when quoted text follows), or None."""
    if len(text) > 400:
        return None
    dashed = text.startswith("--") and text.endswith("--")
    core = _DASHES.sub("", text.strip()).strip()
    ends_colon = core.endswith((":", "："))
    core = core.rstrip(":： ").strip()
    if not core or len(core.split()) > 40:
        return None
    dated = bool(_DATETIME.search(core))
    addressed = bool(_ADDRESS.search(core))
    verb = _verb_in_place(core)
    if verb is not None:
        before = core[:verb.start()].strip()
        after = core[verb.end():].strip()
        if not _LETTER.search(before + " " + after):
            return None  # "wrote:" alone: the start is on a line above
        if dated or addressed or dashed:
            return "strong"
        return "weak" if ends_colon or not after else None
    if (dated and (addressed or "GMT" in core) and _ENDS_WITH_SENDER.search(text.strip())
            and _DATE_START.match(core) and len(_PROSE.findall(core)) <= 1):
        return "shape"  # "30.09.2017, 18.30, "Name" <x@y>:", "2016年12月8日(木) 15:04 X <x@y>:"
    if dated and _GMT.search(core) and _DATE_START.match(core):
        return "shape"  # "2016-03-03 17:21 GMT+01:00 Some One": Gmail's old header
    if dated and addressed and ends_colon:
        return "weak"  # a language we have no "wrote" for: history only above quotes
    return None


def _verb_in_place(core: str) -> re.Match[str] | None:
    """A "wrote" where headers put it: at the end; followed by the sender where Nordic,
    Dutch and German Gmail put it ("skrev Siti <s@x>"); or by the date ("schrieb am Fr.,
    28. Apr. 2017 um 11:53 Uhr", "wrote on Mon, Dec 7"). Not "I wrote to x@y:"."""
    last = None
    for m in _VERB.finditer(core):
        last = m
    if last is None:
        return None
    after = core[last.end():].strip(" ,")
    if len(after) <= 2:
        return last
    verb = last.group(0).lower()
    if verb in ("skrev", "schreef", "schrieb") and (_ADDRESS.search(after)
                                                    or after.startswith("<")):
        return last
    if verb in ("wrote", "schrieb") and _DATE_WORD.match(after) and _DATETIME.search(after):
        return last
    return None


_INLINE = re.compile(r"(?:(?<=\s)|(?<=-)|^)(?:-{2,}\s*)?(?:On|Pada)\s[^\n]{0,250}?"
                     r"(?<!\w)(?:[Ww]rote|[Mm]enulis)(?!\w)\s*:?")
_INLINE_WORDS = re.compile(r"wrote|menulis", re.I)


def inline_header(line: str) -> tuple[int, int] | None:
    """Where a quote header starts and ends inside a line that has text before it ("reply
    On Wed, Apr 4, 2012 at 3:59 PM, bob@x wrote:") or quoted text after it (Yahoo). Only
    the way mail programs write it: a capital "On"/"Pada", a time or an address in it, and
    little text before it ("Kemarin pada 7 Des Bu Siti menulis: ..." is a sentence)."""
    if (len(line) > MAX_LINE or line.lstrip().startswith(">")
            or not _INLINE_WORDS.search(line)):
        return None
    for m in _INLINE.finditer(line):
        header = m.group(0).strip()
        if (m.start() <= 40 and _header_kind(header) == "strong"
                and (_ADDRESS.search(header) or _TIME_ONLY.search(header))):
            return m.start(), m.end()
    return None


# --- header blocks ---------------------------------------------------------------------

_FIELD = re.compile(r"^[ \t]*[*_]{0,2}([^\W\d_][^:：\n]{0,30}?)[ \t]*[*_]{0,2}[ \t]*[:：]"
                    r"(?!//)[ \t]*[*_]{0,2}(.*)$")
_LABELS: dict[str, str] = {}
for _category, _words in {
    "from": "from von de dari daripada da van fra från od от kimden gönderen lähettäjä "
            "feladó 差出人 发件人 寄件者 寄件人 보낸사람 expéditeur remitente afzender "
            "avsändare nadawca mittente pengirim message_du",
    "date": "sent date datum gesendet envoyé envoyé_le enviado enviado_el enviada_em "
            "enviada inviato data verzonden verstuurd skickat sendt wysłano отправлено "
            "дата tarih gönderildi 送信日時 日期 发送时间 發送時間 日時 보낸날짜 dikirim "
            "terkirim tanggal dihantar lähetetty päivämäärä elküldve dátum fecha",
    "to": "to an à a para aan til till do кому kime alıcı 宛先 收件人 收件者 받는사람 "
          "kepada ke vastaanottaja címzett cc bcc kopie copie copie_à destinataire "
          "reply-to antwort_an répondre_à risposta responder_a tembusan kopio dw "
          "beantwoorden_-_aan",
    "subject": "subject betreff objet asunto assunto oggetto onderwerp emne ämne temat "
               "тема konu 件名 主题 主旨 제목 subjek perihal hal judul aihe tárgy sujet "
               "perkara",
}.items():
    for _word in _words.split():
        _LABELS[_word.replace("_", "")] = _category


Field = tuple[str | None, str] | None  # (category or None, value), or not a field


def field(line: str) -> Field:
    """("from"/"date"/"to"/"subject", or None for another label; the value) for a
    "Label: value" line, or None."""
    if len(line) > MAX_LINE or (":" not in line and "：" not in line):
        return None
    m = _FIELD.match(line)
    if not m or len(m.group(1).split()) > 4:
        return None
    label = "".join(m.group(1).lower().split()).replace("*", "").replace("_", "")
    return _LABELS.get(label), m.group(2).strip(" *_")


def header_block(lines: list[str], start: int, parsed: list[Field] | None = None) -> int | None:
    """The end (exclusive) of a header block starting on line `start`, or None. A value
    wrapped onto a second line ("Subject: two\\nline subject") stays in the block.
    `parsed`: field() of every line, when the caller has it already."""
    def field_at(j: int) -> Field:
        return parsed[j] if parsed is not None else field(lines[j])

    fields: list[tuple[str | None, str]] = []
    i = start
    while i < len(lines) and i - start < 14:
        f = field_at(i)
        if f is not None:
            fields.append(f)
            i += 1
            continue
        wrapped = (fields and lines[i].strip() and len(lines[i]) <= 120 and i + 1 < len(lines)
                   and field_at(i + 1) is not None and i - start < 13)
        if not wrapped:
            break
        i += 1
    if len(fields) < 2:
        return None
    categories = {c for c, _ in fields if c}
    addressed = any(_ADDRESS.search(v) for _, v in fields)
    timed = any(c == "date" and _TIME_ONLY.search(v) for c, v in fields)
    if len(fields) >= 3 and _ADDRESS.search(fields[0][1]):
        return i
    if len(fields) == 2 and not timed:
        return None  # "Dari: Siti <s@x>\nKepada: Dewi" alone: a memo as likely as a header
    if ({"from", "date"} & categories and len(categories) >= 2 and (addressed or timed)
            and (fields[0][0] in ("from", "date") or "from" in categories)):
        return i
    return None


# --- separators ------------------------------------------------------------------------

_SEPARATOR_WORDS = (
    r"original message|forwarded message|reply message|original|pesan asli|pesan awal|"
    r"pesan yang diteruskan|pesan terusan|mesej asal|mesej dimajukan|"
    r"ursprüngliche nachricht|weitergeleitete nachricht|antwort nachricht|"
    r"message d'origine|message original|message transféré|mensaje original|"
    r"mensaje reenviado|mensagem original|mensagem encaminhada|messaggio originale|"
    r"messaggio inoltrato|oorspronkelijk bericht|origineel bericht|doorgestuurd bericht|"
    r"ursprungligt meddelande|vidarebefordrat meddelande|oprindelig meddelelse|"
    r"videresendt meddelelse|opprinnelig melding|videresendt melding|"
    r"wiadomość oryginalna|oryginalna wiadomość|przekazana wiadomość|"
    r"исходное сообщение|пересылаемое сообщение|переадресованное сообщение|"
    r"orijinal mesaj|iletilen mesaj|元のメッセージ|転送されたメッセージ|原始邮件|原始郵件|"
    r"转发的邮件|轉寄郵件|원본 메시지|전달된 메시지|alkuperäinen viesti|eredeti üzenet|"
    r"oprindelig besked|původní zpráva")
_SEPARATOR = re.compile(
    rf"^[>\s*]*(?:[-=_]{{2,}}|\*{{2,}})\s*(?:{_SEPARATOR_WORDS})\s*:?\s*(?:[-=_*]{{2,}})?\s*$"
    r"|^[>\s*]*(?:begin forwarded message|début du message (?:transféré|réexpédié)|"
    r"inicio del mensaje reenviado|início da mensagem reencaminhada|"
    r"anfang der weitergeleiteten nachricht|inizio messaggio inoltrato|"
    r"begin doorgestuurd bericht|vidarebefordrat brev|mulai pesan yang diteruskan|"
    r"pesan yang diteruskan|pesan terusan)\s*:\s*$",
    re.I)


_MAY_SEPARATE = re.compile(r"[-=_]{2}|\*\*|:")  # what every separator has in it


def is_separator(line: str) -> bool:
    return len(line) <= 200 and bool(_MAY_SEPARATE.search(line)) and bool(_SEPARATOR.match(line))
