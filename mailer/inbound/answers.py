"""Attendance answers in members' own words, Indonesian and English. Pure: text in, a reading
out; no I/O, no clock (`today` is passed in).

An RSVP reply is cut into clauses (lines, sentences, commas, "tapi"/"but"); each clause is
then one of: an answer (its status and the days it names), a question or news for everyone
(`rest`), the writer's reason, a courtesy (greeting, thanks, apology, wish, sign-off, a name),
or a date alone ("Untuk tanggal 12,") that belongs to the answer beside it. Words are read
after `names.plain` has written slang and typos one way ("gak bisa" = "tidak bisa").

Within a clause a hedge beats a refusal beats a yes ("mungkin tidak bisa" is TENTATIVE,
"saya usahakan hadir" too); coming late or leaving early is a yes; a negation that is not
about coming ("tidak ada kendala", "no problem") is no refusal; "yang hadir", "semua",
"diharapkan hadir", a question or the past ("kemarin hadir") is not the writer's answer.
Across clauses the last answer for a day wins ("Tidak bisa. Eh ralat, bisa"). Weak signs
("sakit", an apology with a reason, "sampai jumpa") count only when nothing stronger is said.
A named day that is none of `dates` answers for the occurrence the mail was about (None),
unless the writer also answered plainly or for a known day.

The roll-call reading lives in names.py and is exported from here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from mailer.inbound.names import RollCallReading, plain, read_roll_call, words_of

__all__ = [
    "ACCEPTED",
    "DECLINED",
    "TENTATIVE",
    "RollCallReading",
    "RsvpReading",
    "read_roll_call",
    "read_rsvp",
]

ACCEPTED, DECLINED, TENTATIVE = "ACCEPTED", "DECLINED", "TENTATIVE"
LIMIT = 4000  # the answer is at the top; a 200,000-character mail is read this far


@dataclass(frozen=True)
class RsvpReading:
    # (ACCEPTED | DECLINED | TENTATIVE, the day it is for, or None: the occurrence the mail
    # was about); several when the writer answers for several dates
    answers: tuple[tuple[str, date | None], ...]
    rest: str  # what the writer said for everyone besides the answer; '' when nothing
    reason: str  # the writer's reason, short (<= 120 chars), '' if none
    late: bool = False  # coming, but late or leaving early ("agak telat", "running late")


_VOC = (r"(?:bu|pak|ibu|bapak|mas|mbak|kak|ya|yah|nih|dong|deh|kok|sih|ok|oke|okay|insyaallah|"
        r"saya|kami|ketua|bunda|bos|min|gan|sis|semua|all|sir|maam|madam)")
_TERM = (r"(?= *$| (?:" + _VOC[3:-1] + r"|dulu|kali|hari|untuk|pada|di|tanggal|minggu|pekan|"
         r"bulan|besok|lusa|karena|soalnya|sebab|ada|sedang|lagi|mohon|maaf|sorry|nanti|acara|"
         r"pertemuan|kegiatan|rapat|kkg|mgmp|sesi|ini|itu|dengan|ke|senin|selasa|rabu|kamis|"
         r"jumat|sabtu|ahad|mengikuti|ikut|hadir|datang|sama|sekali|kayaknya|sepertinya|lho|"
         r"workshop|pelatihan|diklat|this|today|tomorrow|on|that|unfortunately|because|due|as|"
         r"since|attend|at|hari)\b)")
# negations that are not about coming
_NEUTRAL = re.compile(
    r"\b(?:(?:kalau|jika|bila|apabila|asal) )?tidak (?:ada )?(?:kendala|masalah|halangan|apa apa|"
    r"papa|hambatan|berhalangan)\b|\bno (?:problem|worries|issue)s?\b|\bnot a problem\b|"
    r"\b(?:hadir|datang|ikut|bisa) atau tidak\b|\bor not\b|"
    r"\b(?:mungkin |maybe |semoga |hopefully )?(?:lain kali|next time|kesempatan (?:lain|"
    r"berikutnya)|di lain waktu|another time)\b|\bjangan lupa\b|\btidak lupa\b|\bdo not forget\b")
_KEEN = re.compile(r"\btidak sabar\b|\bcannot wait\b|\btidak (?:akan )?(?:melewatkan|"
                   r"ketinggalan)\b|\b(?:would|will) not miss\b")
# coming, but late or not for the whole meeting
_LATE = re.compile(
    r"(?:(?:(?:mohon |minta )?izin|mungkin|kemungkinan|sepertinya|kayaknya|agak|sedikit|akan|"
    r"bakal|datang|hadir|tapi|saya) ){0,4}terlambat\b(?! (?:membalas|balas|merespon|respon|"
    r"menjawab|konfirmasi|mengonfirmasi|mengabari|kabar))|"
    r"\b(?:tidak|belum) (?:bisa |dapat |akan |sempat )?(?:hadir |datang |ikut )?(?:tepat waktu|"
    r"dari awal|sampai (?:selesai|akhir|habis)|full|penuh|lama)\b|"
    r"\bpulang (?:lebih )?(?:awal|cepat|duluan)\b|\bmenyusul\b(?! (?:kabar|konfirmasi|info))|"
    r"\b(?:(?:running|run|be|a bit|a little|slightly|might be|may be|probably|will be|i am|"
    r"arrive|arriving|come|coming|join|joining) )+late\b(?! (?:reply|response|answer))|"
    r"\bleav(?:e|ing) early\b|\bnot stay (?:long|until|till|for the whole)\b|"
    r"\bmiss the (?:first|beginning|start|opening)\b")
_MAYBE = re.compile(
    r"\b(?:mungkin|barangkali|kemungkinan|belum (?:tahu|pasti|yakin|tentu|fix|jelas|"
    r"bisa (?:memastikan|pastikan|janji|berjanji|konfirmasi|dipastikan))|tidak (?:tahu|yakin|"
    r"pasti|janji|bisa (?:janji|berjanji|memastikan|pastikan))|kurang (?:yakin|pasti)|ragu|"
    r"(?:di)?usahakan|upayakan|diupayakan|mengusahakan|berusaha|coba (?:hadir|datang|ikut)|"
    r"(?:kalau|jika|bila|asal|apabila) (?:\w+ ){0,2}?(?:sempat|bisa|keburu|memungkinkan|"
    r"diizinkan|ada waktu|selesai|tidak (?:hujan|ada acara|sibuk|repot))|tergantung|"
    r"lihat (?:nanti|situasi|kondisi|jadwal)|(?:cek|lihat|check) (?:jadwal|dulu)|"
    r"nanti (?:saya )?(?:kabari|kabarkan|konfirmasi|info|infokan)|(?:kabar|konfirmasi) menyusul|"
    r"semoga (?:saya |kami )?(?:bisa|dapat|sempat)|50 50|fifty fifty|maybe|perhaps|possibly|"
    r"might|not sure|unsure|not certain|uncertain|tentative(?:ly)?|depends|depending|"
    r"hopefully|tbc|tbd|no promises|cannot promise|will try|try to|trying to|let you know|"
    r"see how it goes|if i can|if possible|hope to (?:make|come|attend|join|be))\b")
_HEDGE = re.compile(r"\b(?:sepertinya|kayaknya|kayanya|tampaknya|probably|likely)\b")
_NO = re.compile(
    r"\b(?:tidak|belum) (?:(?:bisa|dapat|sempat|akan|jadi|mampu|ikut|boleh) ){0,2}(?:hadir|"
    r"datang|ikut|gabung|bergabung|menghadiri|berangkat|join|ke sana|kesana|mengikuti)\b|"
    r"\b(?:tidak|belum) (?:bisa|dapat|sempat|jadi|mampu)" + _TERM + r"|"
    r"(?<!tidak )\bberhalangan\b|"
    r"\bizin\b(?! (?:bertanya|tanya|share|berbagi|menyampaikan|bicara|masuk|menanggapi|"
    r"nimbrung|menambahkan|lapor|melapor|info|pulang|keluar|memperkenalkan|menyimak|japri|"
    r"mengirim|kirim|upload|posting|mengingatkan|menginformasikan|memberitahu))|"
    r"(?<!daftar )(?<!isi )\babsen\b(?! (?:kehadiran|online|hadir))|"
    r"\b(?:skip|pass|lewat|libur) dulu\b|"
    r"\b(?:cannot|can not|could not|will not|would not|unable to|not able to|not going to|"
    r"not gonna|no longer able to) (?:be able to )?(?:\w+ )?(?:make it|come|attend|join|"
    r"be there|go|participate|be present|make|be at)\b|"
    r"\b(?:am|will|would|are) not (?:be )?(?:coming|attending|joining|going|able|there|"
    r"available|present)\b|\bnot (?:be )?(?:coming|attending|joining|available)\b|"
    r"\b(?:will|have to|must|going to|need to|gonna) (?:miss|skip|sit this one out|"
    r"give it a miss|pass)\b|\bmiss this\b|\bregrets?\b|\bdecline[ds]?\b|\bcount me out\b|"
    r"\bsit (?:this one|it) out\b|\bnot this time\b|\bunavailable\b|\bcannot" + _TERM)
_YES = re.compile(
    r"\b(?:hadir|datang|ikut|gabung|bergabung|menghadiri|meluncur|berangkat|on my way|"
    r"mengikuti)\b(?! (?:berduka|senang|bahagia|prihatin|mendoakan|bangga|menyimak|merasakan|"
    r"membantu|mengucapkan|sedih|terharu|mendukung|share|berbagi|bertanya|nimbrung))|"
    r"\bsiap(?= *$| (?:" + _VOC + r"|hadir|datang|ikut|laksanakan|meluncur|ndan|komandan))|"
    r"(?:^|\b(?:saya|kami|insyaallah|pasti|tentu|oke|ok|ya|iya|siap|masih) )bisa(?= *$| (?:"
    + _VOC + r"|dong|banget|sekali|tanggal|hari|besok|hadir|datang|ikut)\b)|"
    r"^(?:ya|iya|yes|yep|yup|yeah|y|yess|sure|of course|absolutely|definitely|certainly|tentu|"
    r"pasti|insyaallah|siap|hadir|count me in)(?: " + _VOC + r")*$|"
    r"\b(?:i|we) (?:will|shall|would|am|are|can)(?: (?!not\b|never\b)\w+){0,2}? (?:be there|"
    r"be attending|be coming|be joining|attend|come|join|make it|coming|attending|joining|"
    r"be present|there)\b|\bcount me in\b|\bsee you (?:there|then|on|at|tomorrow|next|this|soon|"
    r"saturday|friday)\b|\b(?:i am|i'm) in$|\bwill be there\b|\baccept(?:ed)?\b|"
    r"\bwill attend\b|^(?:attending|coming)\b|\bsampai (?:jumpa|ketemu|bertemu) (?:di sana|"
    r"disana|besok|nanti|hari|di lokasi|sabtu|jumat|minggu)")
_WEAK_NO = re.compile(r"\b(?:sakit|demam|flu|opname|dirawat|sick|ill|unwell|fever|cuti)\b")
_WEAK_YES = re.compile(r"\b(?:sampai jumpa|sampai ketemu|see you|looking forward)\b")
# words before "hadir" that make it someone else's, or a request, not the writer's answer
_OTHERS = frozenset(words_of(
    "yang semua semuanya kalian everyone anyone peserta teman rekan siapa who bagi  "
    "hadirin mereka they you anda"
))
_ASKING = _OTHERS | frozenset(words_of(
    "diharapkan dimohon harap wajib mohon ditunggu silakan silahkan please should  "
    "must expected encouraged invited undang mengundang diundang selamat daftar  "
    "perlu all tidak belum not never"
))
_MINE = frozenset(("saya", "kami", "i", "we"))
_PAST = re.compile(r"\b(?:kemarin|kemaren|minggu lalu|pekan lalu|bulan lalu|tahun lalu|tadi|"
                   r"yesterday|last (?:week|time|month|year|meeting|session)|ago|waktu itu|"
                   r"sebelumnya|sempat hadir|pernah)\b")
_QUESTION = re.compile(r"^(?:(?:bu|pak|ibu|bapak|mas|mbak|maaf|mohon maaf|oh|btw|dan|and|tapi|but"
                       r"|sorry|hi|halo|dear) )*(?:apakah|apa|siapa|berapa|kapan|dimana|di mana|"
                       r"bagaimana|gimana|mengapa|kenapa|bolehkah|bisakah|adakah|perlukah|"
                       r"haruskah|jadikah|mau tanya|izin bertanya|who|what|when|where|why|how|"
                       r"which|(?:is|are|do|does|did|could|should|would|shall) (?:i|we|you|there|"
                       r"it|the|anyone|someone|they|this|that))\b")
_ASK_LEAVE = re.compile(r"\b(?:boleh|bolehkah|may|can) (?:saya |i )?(?:izin|be excused|skip)\b")
_COURTESY = re.compile(
    r"^(?:(?:mohon |minta )?maaf|sorry|apologies|terima kasih|thank|thanks|matur nuwun|hatur "
    r"nuhun|salam|regards|best|cheers|assalamualaikum|assalamu|waalaikumsalam|wassalamualaikum|"
    r"wassalam|selamat (?:pagi|siang|sore|malam|berjuang|bertugas)|good (?:morning|afternoon|"
    r"evening|day|luck)|hi|hello|halo|hai|dear|yth|kepada|semoga|have a|enjoy|take care|"
    r"semangat|tetap semangat|sehat selalu|god bless|barakallah|aamiin|amin|alhamdulillah|noted|"
    r"baik|ok|oke|okay|sip|siap|wr|hormat saya|kind regards|warm regards|love|xoxo|best wishes)\b")
_REASON_MARK = re.compile(r"\b(?:karena|karna|krn|krna|soalnya|soale|sebab|dikarenakan|berhubung"
                          r"|lantaran|mengingat|because|due to|as i|since i|cause|coz|cuz)\b", re.I)
_REASON_LEAD = re.compile(
    r"^(?:(?:saya|kami|i|we|kebetulan|ternyata) )?(?:ada (?:acara|rapat|kegiatan|urusan|keperluan|"
    r"tugas|dinas|undangan|pelatihan|diklat|kondangan|hajatan|ujian|kedukaan|tamu|jadwal|les|"
    r"kelas|supervisi|akreditasi|lomba|bimtek|workshop)|(?:sedang|lagi|masih) (?:sakit|dinas|di |"
    r"cuti|mudik|pulang kampung|tugas|bertugas|mengajar|rapat|pelatihan|diklat|perjalanan|kurang "
    r"sehat|tidak enak badan)|bertepatan|bentrok|berbarengan|bersamaan|(?:anak|suami|istri|ibu|"
    r"bapak|orang tua|mertua|keluarga) saya|have (?:a|an|another|to)|am (?:sick|ill|away|"
    r"travel|out of town|abroad|on leave|busy)|got a|there is a clash|clash|conflict|prior "
    r"commitment|family (?:matter|event|emergency)|out of town|on leave)")
_URL = re.compile(r"https?://|www\.|\b[\w.-]+\.(?:com|id|org|net|ac\.id|sch\.id)/", re.I)
_SIGN_OFF = re.compile(r"^\s*(?:salam|regards|best|cheers|wassalam\w*|hormat saya|thanks|"
                       r"terima kasih|kind regards|warm regards|best regards|thank you)\W*$", re.I)
_CLAUSE = re.compile(r"(?<!\d),\s*|,\s*(?!\d)|;\s*|\s+-\s+|\s*\((?=\D)|\)\s*|\s+(?=(?:tapi|tetapi|"
                     r"namun|but|sedangkan|whereas|however|though|although|walau|meskipun|"
                     r"sementara)\b)|\s+(?:dan|and|serta)\s+(?=(?:saya|sy|aku|kami|nanti|akan|"
                     r"juga|mohon|sekalian|i|we|will|also|please|tolong)\b)", re.I)
_SENTENCE = re.compile(r"(?<=[^\d\s.][^\s.])[.!?]+(?=\s|$)|(?<=\?)|\n")
_MONTHS = {name: n for n, names in enumerate((
    "januari jan january", "februari feb pebruari february", "maret mar march", "april apr",
    "mei may", "juni jun june", "juli jul july", "agustus agu agt ags aug august",
    "september sep sept", "oktober okt oct october", "november nov nop nopember",
    "desember des dec december"), 1) for name in names.split()}
_WEEKDAYS = {name: n for n, names in enumerate((
    "senin monday", "selasa tuesday", "rabu wednesday", "kamis thursday", "jumat friday",
    "sabtu saturday", "minggu ahad sunday")) for name in names.split()}
_M, _D, _TH = "|".join(_MONTHS), "|".join(_WEEKDAYS), r"(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"\b(?P<d1>\d{{1,2}}){_TH} (?:of )?(?P<m1>{_M})(?: (?P<y1>\d{{4}}))?\b|"
    rf"\b(?P<m2>{_M}) (?P<d2>\d{{1,2}}){_TH}\b|"
    r"\b(?P<d3>\d{1,2})/(?P<m3>\d{1,2})(?:/(?P<y3>\d{2,4}))?\b|"
    rf"\b(?:tanggal|date|the|on the|on) (?P<d4>\d{{1,2}}{_TH}(?:(?: dan| and| atau| or|) "
    rf"\d{{1,2}}{_TH})*)\b(?!/)(?: (?:of )?(?P<m4>{_M})\b)?|"
    r"\b(?P<d5>\d{1,2})(?:st|nd|rd|th)\b|"
    rf"\b(?:(?P<pre>next|this|coming|besok|hari|on) )?(?P<wd>{_D})(?: (?P<post>depan|ini|"
    r"besok|nanti|minggu depan|pekan depan|next week|this week|pagi|siang|sore|malam))?\b|"
    r"\b(?P<rel>besok|esok|tomorrow|lusa|hari ini|today|tonight|nanti malam|nanti sore|"
    r"sore ini|malam ini|pagi ini|minggu depan|pekan depan|next week|minggu ini|pekan ini|"
    r"this week|bulan depan|next month)\b")
_NEXT = ("depan", "next", "minggu depan", "pekan depan", "next week")
_FILLERS = re.compile(r"\b(?:untuk|utk|pada|di|for|on|the|at|meeting|pertemuan|acara|kegiatan|"
                      r"hari|yang|ini|itu|kkg|mgmp|sesi|session|jam|pukul|" + _VOC[3:-1]
                      + r")\b|\d+")


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _days(words: str, today: date, dates: Sequence[date]) -> list[date | None]:
    """The days a clause names, each mapped to one of `dates` (None: named, but none of
    them)."""
    found: list[date | None] = []
    for m in _DATE.finditer(words):
        g = m.groupdict()
        tests: list[object] = []
        if g["d1"] or g["d2"] or g["m4"]:
            day = int(g["d1"] or g["d2"] or g["d4"].split()[0].rstrip("stndrh"))
            month = _MONTHS[g["m1"] or g["m2"] or g["m4"]]
            tests.append(lambda d, n=day, mo=month: d.day == n and d.month == mo)
        elif g["d3"]:
            a, b = int(g["d3"]), int(g["m3"])
            tests.append(lambda d, a=a, b=b: (d.day, d.month) in ((a, b), (b, a)))
        elif g["d4"] or g["d5"]:
            for n in re.findall(r"\d+", g["d4"] or g["d5"]):
                tests.append(lambda d, n=int(n): d.day == n)
        elif g["wd"] and (g["wd"] != "minggu" or g["pre"] == "hari"
                          or g["post"] in ("pagi", "siang", "sore", "malam")):
            later = g["pre"] == "next" or g["post"] in _NEXT
            tests.append(lambda d, w=_WEEKDAYS[g["wd"]], later=later: d.weekday() == w and (
                not later or _monday(d) > _monday(today)))
        else:
            rel = g["rel"] or ("minggu depan" if g["post"] in _NEXT else "minggu ini")
            shift = {"besok": 1, "esok": 1, "tomorrow": 1, "lusa": 2}.get(rel)
            if shift is not None or rel in ("hari ini", "today", "tonight", "nanti malam",
                                            "nanti sore", "sore ini", "malam ini", "pagi ini"):
                tests.append(lambda d, s=shift or 0: d == today + timedelta(days=s))
            elif rel in ("bulan depan", "next month"):
                nxt = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
                tests.append(lambda d, nxt=nxt: (d.year, d.month) == (nxt.year, nxt.month))
            else:
                week = _monday(today) + timedelta(days=7 if rel in _NEXT else 0)
                tests.append(lambda d, week=week: _monday(d) == week)
        for test in tests:
            found.append(next((d for d in dates if test(d)), None))  # type: ignore[operator]
    return found


@dataclass
class _Clause:
    text: str  # as written
    words: str  # names.plain(text)
    line: int
    sentence: int
    kind: str = "rest"  # answer | weak | reason | courtesy | date | ask | rest | sign
    status: str = ""
    late: bool = False
    days: tuple[date | None, ...] = ()


def _clauses(text: str) -> list[_Clause]:
    clauses, sentence = [], 0
    for line_no, line in enumerate(text.split("\n")):
        if line.lstrip().startswith(">"):
            continue
        for part in re.split(r"(?<=[!?])\s*|(?<=[^\W\d]{2}\.)\s+", line):
            sentence += 1
            for piece in _CLAUSE.split(part):
                if piece and re.search(r"\w", piece):
                    clauses.append(_Clause(piece.strip(), plain(piece), line_no, sentence))
    return clauses


def _answer(words: str) -> tuple[str, bool] | None:
    """(status, late) the writer gives in one clause, or None."""
    words = _NEUTRAL.sub(" ", words)
    keen, late = _KEEN.search(words), _LATE.search(words)
    words = re.sub(r"\s+", " ", _KEEN.sub(" ", _LATE.sub(" ", words))).strip()
    for status, pattern in ((TENTATIVE, _MAYBE), (DECLINED, _NO), (ACCEPTED, _YES)):
        for found in pattern.finditer(words):
            if _mine(words[:found.start()].split()[-4:], _ASKING if status == ACCEPTED
                     else _OTHERS):
                hedged = status == ACCEPTED and _HEDGE.search(words)
                return (TENTATIVE if hedged else status), bool(late)
    return (ACCEPTED, bool(late)) if keen or late else None


def _mine(before: list[str], others: frozenset[str]) -> bool:
    for word in reversed(before):
        if word in _MINE:
            return True
        if word in others:
            return False
    return True


def _classify(c: _Clause, today: date, dates: Sequence[date], signed: bool) -> None:
    words = c.words
    answer = None if _PAST.search(words) else _answer(words)
    tag = answer and re.search(r"\b(?:ya|yah|kan|ok|oke|okay|right|bu|pak)$", words)
    if signed:
        c.kind = "sign"
    elif (c.text.endswith("?") and not tag) or _QUESTION.match(words):
        c.kind, c.status = ("answer", DECLINED) if _ASK_LEAVE.search(words) else ("ask", "")
    elif answer:
        c.kind, (c.status, c.late) = "answer", answer
    elif _REASON_MARK.search(c.text) or _REASON_LEAD.match(words):
        c.kind = "reason"
    elif _WEAK_NO.search(words) and "yang" not in words.split():
        c.kind, c.status = "weak", DECLINED
    elif _WEAK_YES.search(words):
        c.kind, c.status = "weak", ACCEPTED
    elif _COURTESY.match(words) or _looks_like_name(c.text):
        c.kind = "courtesy"
    elif _DATE.search(words) and not _FILLERS.sub(" ", _DATE.sub(" ", words)).strip():
        c.kind = "date"
    elif not _URL.search(c.text) and not re.sub(rf"\b{_VOC}\b", "", words).strip():
        c.kind = "courtesy"
    if c.kind in ("answer", "weak", "date"):
        c.days = tuple(_days(words, today, dates))


def _looks_like_name(text: str) -> bool:
    words = text.replace(",", " ").split()
    return 0 < len(words) <= 6 and all(w[:1].isupper() or w[:1].isdigit() for w in words)


def read_rsvp(text: str, today: date, dates: Sequence[date] = ()) -> RsvpReading | None:
    """None when the text does not say whether the writer comes. `text` is the member's new
    text (quotes already removed). `dates`: the meeting's coming occurrence days, to map
    'tanggal 12', '12 Desember', '12/12', 'Sabtu depan', 'minggu depan', 'besok',
    'next week', 'on the 12th', 'Friday' to one of them (a named date matching none of them:
    None)."""
    days = sorted(set(dates), key=lambda d: (d < today, d))
    clauses, signed = _clauses(text[:LIMIT]), False
    for i, c in enumerate(clauses):
        signed = signed or (i > 0 and c.line > clauses[i - 1].line
                            and bool(_SIGN_OFF.match(clauses[i - 1].text)))
        _classify(c, today, days, signed)
        before = clauses[i - 1] if i else None
        if before and before.kind == "reason" and c.kind == "rest" \
                and before.sentence == c.sentence:
            c.kind = "reason"  # "karena ada rapat, jadi harus ke dinas"
    said = [c for c in clauses if c.kind == "answer"] or [c for c in clauses if c.kind == "weak"]
    if not said and any(c.kind == "reason" for c in clauses) and any(
            re.match(r"(?:mohon |minta )?maaf|sorry|apologies", c.words) for c in clauses):
        said = [next(c for c in clauses if c.kind == "reason")]
        said[0].status = DECLINED  # "Maaf Bu, ada acara keluarga"
    if not said:
        return None
    for c in clauses:  # "Untuk tanggal 12, saya tidak bisa": the day goes to its answer
        if c.kind == "date":
            undated = [a for a in said if not a.days]
            target = next((a for a in undated if clauses.index(a) > clauses.index(c)),
                          undated[-1] if undated else None)
            if target is not None:
                target.days = c.days
    answers: dict[date | str, str] = {}
    for c in said:
        known = [d for d in c.days if d is not None]
        keys: list[date | str] = [*known] or (["?"] if c.days else [""])
        for key in keys:
            answers.pop(key, None)
            answers[key] = c.status
    if len(answers) > 1:
        answers.pop("?", None)
    return RsvpReading(
        tuple((status, key if isinstance(key, date) else None)
              for key, status in answers.items()),
        _rest(clauses), _reason(clauses), any(c.late for c in said))


def _rest(clauses: list[_Clause]) -> str:
    lines: dict[int, list[str]] = {}
    for c in clauses:
        if c.kind in ("ask", "rest"):
            lines.setdefault(c.line, []).append(c.text)
    return "\n".join(", ".join(parts) for parts in lines.values())


def _reason(clauses: list[_Clause]) -> str:
    for i, c in enumerate(clauses):
        mark = _REASON_MARK.search(c.text)
        if c.kind == "reason" or (mark and c.kind in ("answer", "weak")):
            parts = [c.text[mark.start():] if mark else c.text]
            parts += [n.text for n in clauses[i + 1:] if n.kind == "reason"
                      and n.sentence == c.sentence]
            reason = ", ".join(parts).strip(" .,;!")
            if len(reason) > 120:
                reason = reason[:121].rsplit(" ", 1)[0].rstrip(" ,;")
            return reason
    weak = next((c for c in clauses if c.kind == "weak" and c.status == DECLINED), None)
    return weak.text.strip(" .,;!")[:120] if weak else ""
