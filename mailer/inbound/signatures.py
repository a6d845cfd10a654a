"""What ends a member's text without being part of it: device lines ("Dikirim dari iPhone
saya", "Sent from my Galaxy", "Enviado desde mi ..."), "-- " signatures, mailing-list
footers (ours and other lists'), and a long signature block without "-- " where it clearly
is one (a name with degrees, NIP, school, address, phone). Also: which lines are only a
greeting, so that trimming never leaves a greeting where the member wrote more. Pure.
"""

from __future__ import annotations

import re

from mailer.inbound.quote_headers import MAX_LINE

# --- device lines ----------------------------------------------------------------------

_DEVICE_WORDS = (r"iphone|ipad|ipod|ios|android|samsung|galaxy|phone|mobile|cell|device|tablet|"
                 r"blackberry|htc|huawei|xiaomi|redmi|oppo|vivo|realme|nokia|motorola|"
                 r"pixel|windows|pc|smartphone|ponsel|hp|perangkat|handphone|telepon|"
                 r"seluler|gawai|mac|watch|wiko|lg|sony|asus|infinix|tecno")
_DEVICE_WORD = re.compile(rf"(?<![^\W\d_])(?:{_DEVICE_WORDS})(?![^\W\d_])", re.I)
_DEVICE = re.compile(
    r"^[\s(<\[*_]*(?:"
    # English
    r"sent (?:from|via|with|by|using|on) |from my \w|\w+ from mobile\b|"
    r"get outlook for |typed on |"
    # Indonesian, Malay, Javanese
    r"dikirim (?:dari|melalui|menggunakan|dengan|lewat|via) |terkirim dari |kirim dari |"
    r"dapatkan outlook untuk |dihantar (?:dari|daripada|menggunakan) |dikirim saka |"
    # Spanish, Portuguese, French, Italian
    r"enviado (?:desde|do|de|con|com|a través de) |obtener outlook para |"
    r"obter o outlook para |envoy[ée] (?:de|depuis|avec) |obtenir outlook pour |"
    r"inviato (?:da|dal|con) |scarica outlook per |"
    # German, Dutch, Scandinavian, Polish, Russian, Turkish
    r"von meinem .{1,40} gesendet|gesendet (?:von|mit|vom) |"
    r"diese nachricht wurde von .{1,60} gesendet|outlook für \w+ herunterladen|"
    r"verzonden (?:vanaf|met|vanuit|van) |verstuurd (?:vanaf|met|vanuit) |"
    r"outlook voor \w+ downloaden|skickat från |från min |sendt fra |"
    r"wysłane z |wysłano z |отправлено (?:с|из) |"
    r"\S+ (?:cihazımdan|iphone'umdan|telefonumdan) gönderildi|"
    # Japanese, Chinese, Korean
    r"\S{1,20}から送信|从我的\s?\S+发送|發自我的\s?\S+|发自我的\s?\S+|從我的\s?\S+\s?傳送|"
    r"\S{1,20}에서 보냄|"
    r"<<sent by |sent from a phone|sent from mobile"
    r")", re.I)


_MARKDOWN_LINK = re.compile(r"\[([^\]]{1,80})\]\([^)]{1,200}\)")


def is_device_line(line: str) -> bool:
    """A line a mail app appends ("Sent from my iPhone", "Dikirim dari Yahoo Mail di
    Android"); not a sentence that merely starts the same way ("Sent from my desk, it is
    easier than my phone.", "Dikirim dari sekolah tadi pagi, mohon dicek.")."""
    s = line.strip()
    if "](" in s:  # a markdown link: its text
        s = _MARKDOWN_LINK.sub(r"\1", s)
    m = _DEVICE.match(s) if s and len(s) <= 160 else None
    if m is None:
        return False
    head, *rest = re.split(r"[,.;!](?:\s|$)", s, maxsplit=1)
    if _DEVICE_WORD.search(head):
        return True
    if rest and rest[0].strip():
        return False  # a sentence goes on
    # what the app is called: "my ..." in some language, a mail app, or one or two words
    # of a name ("Sent from Mailbox", "Sent from TypeApp<...>"); not "dari sekolah", not
    # "Dikirim dari Mataram dengan cinta."
    named = head[m.end():].lstrip(" (<[*_")
    if not named or _POSSESSIVE.match(named) or _APP.search(named):
        return True
    name = named.split("<")[0].split()
    return bool(name) and name[0][0].isupper() and len(name) <= 2 and not s.endswith(".")


_POSSESSIVE = re.compile(r"(?:my|saya|mon|ma|mi|meinem|meiner|mijn|min|mitt|mio|meu|mój|moje|"
                         r"mojego|моего|моей)\b", re.I)
_APP = re.compile(r"\b(?:yahoo|outlook|gmail|mail|aol|zoho|proton\w*|spark|airmail|blue ?mail|"
                  r"edison|k-9|fairemail|thunderbird)\b", re.I)


# --- "-- " signatures and footers -------------------------------------------------------

_SIG_DASH = re.compile(r"^--[ \t]?$")


def is_sig_dash(line: str) -> bool:
    """The signature separator "-- " (or "--", as some programs strip its space)."""
    return bool(_SIG_DASH.match(line))


_FOOTER = re.compile(
    r"^(?:you received this (?:message|email) because you are subscribed to |"
    r"anda menerima (?:pesan|email) ini karena anda berlangganan |"
    r"to unsubscribe from this group|untuk berhenti berlangganan dari grup ini|"
    r"groups\.io links:|"
    # ours: templates/*/post.txt.j2 and digest.txt.j2
    r"balas email ini untuk menanggapi di utas ini|"
    r"reply to this email to answer in this thread|"
    r"(?:berhenti berlangganan|unsubscribe): (?:mailto:|https?://|<)|"
    r"(?:menulis topik baru|start a new topic): \S+@)", re.I)
# "Siti menulis di KKG Matematika." above "Balas email ini ...": our byline, not a sentence
_BYLINE = re.compile(r"^\S.{0,80} (?:menulis di|wrote in) .{1,80}\.$")
_LIST_NAME = re.compile(r"^[\w .'&()/-]{1,60} mailing list$", re.I)
_LIST_ADDRESS = re.compile(r"^(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://\S+)$")
_RULE = re.compile(r"^[\s\-_=+~#*ᐧ—•.]+$")


def is_rule(line: str) -> bool:
    """A line of only dashes, underscores, equals signs and the like."""
    s = line.strip()
    return len(s) >= 2 and len(s) <= MAX_LINE and bool(_RULE.match(s)) and s != ".."


def footer_start(lines: list[str], i: int) -> bool:
    """A mailing-list footer (ours or another list's) starts on line i."""
    s = lines[i].strip()
    if not s or len(s) > 300:
        return False
    after = lines[i + 1].strip() if i + 1 < len(lines) else ""
    if _FOOTER.match(s):
        return True
    # (a byline ends in a full stop, a list's name in "list": cheap looks first)
    if (s.endswith(".") and _BYLINE.match(s)) or (s[-1] in "tT" and _LIST_NAME.match(s)):
        return bool(_FOOTER.match(after) or _LIST_ADDRESS.match(after))
    if s.startswith("__") and not s.strip("_"):
        return bool(_LIST_NAME.match(after) or _FOOTER.match(after))
    return False


# --- long signature blocks without "-- " -------------------------------------------------

_EVIDENCE = re.compile(
    r"(?:^|[\s,(])(?:S\.\s?(?:Pd|Si|Kom|Ag|E|H|Sos|Hum|Psi|Kes|Ked|Farm|T|Ak|IP|Kep|Stat|Sn|"
    r"Mat|Pd\.?I|Pd\.?SD)|M\.\s?(?:Pd|Si|Kom|Ag|Sos|Hum|Psi|Kes|Sc|M|T|A|Ed|Hum)|"
    r"A\.\s?Md|Ph\.?\s?D|Dr[sa]?\.|MBA|B\.\s?(?:Sc|A|Ed))\.?(?=[\s,.]|$)"
    r"|\b(?:NIP|NUPTK|NIK|NRG|NIY|NIDN|NPWP)\b\.?\s*[:.]?\s*\d"
    r"|\b(?:SDN?|SMPN?|SMAN?|SMKN?|MIN?|MTsN?|MAN|SLB|PAUD|SDIT|SMPIT|SMAIT|"
    r"Sekolah|Universitas|University|School|College|Institut\w*|Dinas|Gugus|Korwil|UPT)\b"
    r"|\b(?:Guru|Kepala Sekolah|Wakasek|Wali Kelas|Operator|Bendahara|Pengawas|Teacher|"
    r"Principal|Director|Manager|CEO|CTO|President|Engineer|Officer|Coordinator|Lecturer|"
    r"Dosen)\b"
    r"|(?:^|\s)(?:Jl\.|Jln\.?|Jalan|Kec\.|Kecamatan|Kab\.|Kabupaten|Desa|Kel\.|Kelurahan|"
    r"Kode Pos|Street|Avenue|Ave\.|Road|Suite|Ste\.|Blvd)(?=\s|$)"
    r"|\b(?:HP|Hp|Telp|Tlp|Tel|Telepon|WA|Whatsapp|Phone|Mobile|Fax|Faks|Cell|skype|email|"
    r"e-mail|web|twitter|linkedin|instagram|ig)\b\.?\s*[:.]"
    r"|[\w.+-]+@[\w-]+\.[\w.-]+|https?://|www\."
    r"|\+?\(?\d[\d\s().-]{8,18}\d")
# closings that head a signature block and go with it; a "Terima kasih" or "Thanks" says
# something and stays
_VALEDICTION = re.compile(
    r"^(?:salam|salam hangat|salam hormat|hormat (?:saya|kami)|wassalam\w*|"
    r"wassalamu'?alaikum[\w .,']*|regards|best regards|kind regards|warm regards|"
    r"best wishes|best|cheers|sincerely|yours(?: truly| sincerely)?|cordialement|"
    r"mit freundlichen grüßen|saludos|groeten|met vriendelijke groet)\b[\w ,.!'-]{0,12}$",
    re.I)


def _is_name(s: str) -> bool:
    words = s.replace(",", " ").split()
    if not words or len(words) > 6 or len(s) > 50 or re.search(r"\d|[?!:]$", s):
        return False
    capital = [w for w in words if w[0].isupper() or "." in w]
    return len(capital) * 10 >= len(words) * 6 and len(words) >= 2


def signature_start(lines: list[str]) -> int | None:
    """Where a signature block without "-- " starts at the end of `lines`, or None: a
    name (or a greeting such as "Salam," above it, or a rule line) heading short lines of
    which at least two are a degree, an id number, a school, a title, an address, a phone,
    an address or a link; and text of the member's own above it."""
    end = len(lines) - 1
    while end >= 0 and not lines[end].strip():
        end -= 1
    i, evidence, start, blanks, others = end, 0, None, 0, 0
    evidence_below = 0  # evidence at or below `start`
    seen = 0
    while i >= 0 and seen < 14:
        s = lines[i].strip()
        seen += bool(s)
        if not s:
            blanks += 1
            if blanks > 1:
                break
            i -= 1
            continue
        blanks = 0
        if len(s) > 80:
            break
        if is_rule(s) and len(s) >= 8:
            start, evidence_below = i, evidence
            break
        if _EVIDENCE.search(s):
            evidence += 1
            if _is_name(s):  # "Nur Aini, S.Pd.": a name with degrees
                start, evidence_below = i, evidence
        elif _VALEDICTION.match(s):
            start, evidence_below = i, evidence
            break
        elif _is_name(s):
            start, evidence_below = i, evidence
        elif len(s) <= 40 and not re.search(r"[.?!:]$", s) and others < 2:
            others += 1
        else:
            break
        i -= 1
    if start is None or evidence_below < 2:
        return None
    above = [s for s in lines[:start] if s.strip()]
    if not above or above[-1].rstrip().endswith(":"):
        return None  # nothing of the member's above, or a list the text announces
    return start


# --- greetings ---------------------------------------------------------------------------

_GREETING = re.compile(
    r"^(?:hi|hello|hallo|halo|hai|hey|dear|dearest|yth\.?|kepada yth\.?|"
    r"assalamu'?alaikum|assalamualaikum|ass?\.?\s?wr\.?\s?wb|selamat (?:pagi|siang|sore|malam)|"
    r"salam|good (?:morning|afternoon|evening)|bonjour|hola|ciao|guten (?:tag|morgen)|"
    r"hej|greetings|sugeng (?:enjing|siang|sonten|dalu)|om swastiastu|shalom)(?!\w)"
    r"[^!?\n]{0,60}[,.!:]?$", re.I)


def is_greeting(line: str) -> bool:
    """An opening that announces more to come ("Dear all,", "Halo Bu Siti,", "Yth. Bapak/Ibu",
    "Assalamualaikum wr. wb."); a bare "Hello" or "Hi!" can be the whole answer."""
    s = line.strip()
    if len(s) > 120 or len(s.split()) > 10 or not _GREETING.match(s):
        return False
    if s.endswith((",", ":")):
        return True
    # "Assalamualaikum wr. wb." announces more; "Assalamualaikum, rapat diundur." says it
    return bool(_FORMAL_OPENING.match(s)) and not re.search(r"[,.]\s+[^\W\d_]{3,}\s", s[:-1])


_FORMAL_OPENING = re.compile(r"^(?:dear|dearest|yth|kepada yth|assalamu|ass?\.?\s?wr|om swasti)",
                             re.I)
