"""Attendance answers in members' own words, Indonesian and English. Pure (`today` comes in).

A reply is cut into clauses (lines, sentences, commas, "tapi"/"but"), each one of: an answer
(its status and the days it names), a question or news for everyone (`rest`), the reason, a
courtesy (greeting, thanks, apology, wish, sign-off, a name) or a day alone ("Untuk tanggal
12,") that goes to the answer beside it. Words are read through `spelling.plain` (slang, typos).
In a clause a hedge beats a refusal beats a yes ("mungkin tidak bisa", "saya usahakan hadir":
TENTATIVE); coming late is a yes; "tidak ada kendala" is no refusal; "yang hadir", "semua",
"diharapkan hadir", a question or the past ("kemarin hadir", "maaf tadi tidak hadir karena
sakit") is not the writer's answer. The last answer for a day wins; weak signs ("sakit", an
apology with a reason, "sampai jumpa") count only alone. A day that is none of `dates` is
None, dropped when other answers exist (days.py reads them). read_roll_call: see names.py.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from mailer.inbound.days import DATE, days_named
from mailer.inbound.names import RollCallReading, read_roll_call
from mailer.inbound.spelling import plain
from mailer.inbound.subjects import MINE, OTHER, stands_in, whose

__all__ = ["ACCEPTED", "DECLINED", "TENTATIVE", "RollCallReading", "RsvpReading",
           "read_roll_call", "read_rsvp"]

ACCEPTED, DECLINED, TENTATIVE = "ACCEPTED", "DECLINED", "TENTATIVE"
LIMIT = 4000  # the answer is at the top; a 200,000-character mail is read this far
NOTE = 200  # characters of a note kept


@dataclass(frozen=True)
class RsvpReading:
    # (ACCEPTED | DECLINED | TENTATIVE, the day it is for, or None: the occurrence the mail
    # was about); several when the writer answers for several dates
    answers: tuple[tuple[str, date | None], ...]
    rest: str  # what the writer said for everyone besides the answer; '' when nothing
    reason: str  # the writer's reason, short (<= 120 chars), '' if none
    late: bool = False  # coming, but late or leaving early ("agak telat", "running late")
    # for the organizers beside the answer, neither its reason nor for everyone: a request
    # ("save me a seat"), someone else's coming ("Pak Budi tidak bisa"); '' if none
    note: str = ""


_VOC = (r"(?:bu|pak|ibu|bapak|mas|mbak|kak|ya|yah|nih|dong|deh|kok|sih|ok|oke|okay|insyaallah|"
        r"saya|kami|ketua|bunda|bos|min|gan|sis|semua|all|sir|maam|madam|please)")
_TERM = (r"(?= *$| (?:" + _VOC[3:-1] + r"|dulu|kali|hari|untuk|pada|di|tanggal|minggu|pekan|"
         r"bulan|besok|lusa|karena|soalnya|sebab|ada|sedang|lagi|mohon|maaf|sorry|nanti|acara|"
         r"pertemuan|kegiatan|rapat|kkg|mgmp|sesi|ini|itu|dengan|ke|senin|selasa|rabu|kamis|jumat|"
         r"sabtu|ahad|mengikuti|ikut|hadir|datang|sama|sekali|kayaknya|sepertinya|lho|workshop|"
         r"pelatihan|diklat|this|today|tomorrow|on|that|unfortunately|because|due|as|"
         r"since|attend|at|hari)\b)")
# negations that are not about coming
_NEUTRAL = re.compile(
    r"\b(?:(?:kalau|jika|bila|apabila|asal) )?tidak (?:ada )?(?:kendala|masalah|halangan|apa apa|"
    r"papa|hambatan|berhalangan)\b|\bno (?:problem|worries|issue)s?\b|\bnot a problem\b|\b(?:hadir|"
    r"datang|ikut|bisa) atau tidak\b|\bor not\b|\b(?:mungkin |maybe |semoga |"
    r"hopefully )?(?:lain kali|next time|kesempatan (?:lain|"
    r"berikutnya)|di lain waktu|another time)\b|\bjangan lupa\b|\btidak lupa\b|\bdo not forget\b")
_KEEN = re.compile(r"\btidak sabar\b|\bcannot wait\b|\btidak (?:akan )?(?:melewatkan|"
                   r"ketinggalan)\b|\b(?:would|will) not miss\b")
# coming, but late or not for the whole meeting
_LATE = re.compile(
    r"(?:(?:(?:mohon |minta )?izin|mungkin|kemungkinan|sepertinya|kayaknya|agak|sedikit|akan|bakal|"
    r"datang|hadir|tapi|saya) ){0,4}terlambat\b(?! (?:membalas|balas|merespon|respon|menjawab|"
    r"konfirmasi|mengonfirmasi|mengabari|kabar))|\b(?:tidak|belum) (?:bisa |dapat |akan |"
    r"sempat )?(?:hadir |datang |ikut )?(?:tepat waktu|dari awal|sampai (?:selesai|akhir|habis)|"
    r"full|penuh|lama)\b|\b(?:(?:mohon |minta )?izin )?pulang (?:lebih )?(?:awal|cepat|duluan)\b|"
    r"\bmenyusul\b(?! (?:kabar|konfirmasi|info))|\b(?:(?:mohon |minta )?izin )?(?:baru (?:(?:bisa|"
    r"dapat|sempat|akan) (?:sampai|tiba)|(?:bisa |dapat |sempat |akan )?(?:hadir|datang|ikut|"
    r"gabung|bergabung|merapat))|"
    r"(?:hadir|datang|ikut|gabung|bergabung|sampai|tiba|merapat) (?:agak |sedikit )?(?:setelah|"
    r"sesudah|sehabis|habis|selesai|bada)|(?:hadir|datang|ikut|gabung|sampai) (?:agak )?siang(?! "
    r"(?:ini|nanti|hari)))\b|\bhanya (?:bisa |sempat )?(?:sebentar|setengah (?:hari|acara|sesi)|"
    r"sesi (?:pertama|awal|kedua|akhir))\b|\b(?:be there|come|arrive|join|get there|make it) "
    r"after\b|\bonly (?:stay|be there|join|attend) (?:for )?(?:an?|one|the first|part|half)\b|"
    r"\b(?:(?:running|run|be|a bit|a little|slightly|"
    r"might be|may be|probably|will be|i am|arrive|arriving|come|coming|join|"
    r"joining) )+late\b(?! (?:reply|response|answer))|\bleav(?:e|ing) early\b|\bnot stay (?:long|"
    r"until|till|for the whole)\b|"
    r"\bmiss the (?:first|beginning|start|opening)\b|\b\d+ minutes late\b")
_MAYBE = re.compile(
    r"\b(?:mungkin|barangkali|kemungkinan|belum (?:tahu|pasti|yakin|tentu|fix|jelas|"
    r"bisa (?:memastikan|pastikan|janji|berjanji|konfirmasi|dipastikan))|tidak (?:tahu|yakin|pasti|"
    r"janji|bisa (?:janji|berjanji|memastikan|pastikan))|kurang (?:yakin|pasti)|ragu|"
    r"(?:di)?usahakan|upayakan|diupayakan|mengusahakan|berusaha|coba (?:hadir|datang|ikut)|"
    r"(?:kalau|jika|bila|asal|apabila) (?:\w+ ){0,2}?(?:sempat|bisa|keburu|memungkinkan|diizinkan|"
    r"ada waktu|selesai|tidak (?:hujan|ada acara|sibuk|repot))|tergantung|lihat (?:nanti|situasi|"
    r"kondisi|jadwal)|(?:cek|lihat|check) (?:jadwal|dulu)|nanti (?:saya )?(?:kabari|kabarkan|"
    r"konfirmasi|info|infokan)|(?:kabar|konfirmasi) menyusul|semoga (?:saya |kami )?(?:bisa|dapat|"
    r"sempat)|50 50|fifty fifty|maybe|perhaps|possibly|might|not sure|unsure|not certain|uncertain|"
    r"tentative(?:ly)?|depends|depending|hopefully|tbc|tbd|no promises|cannot promise|will try|"
    r"try to|trying to|let you know|may (?:be able to )?(?:come|attend|join|make it|be there)|"
    r"see how it goes|if i can|if possible|hope to (?:make|come|attend|join|be))\b")
_HEDGE = re.compile(r"\b(?:sepertinya|kayaknya|kayanya|tampaknya|probably|likely)\b")
_NO = re.compile(
    r"\b(?:tidak|belum) (?:(?:bisa|dapat|sempat|akan|jadi|mampu|ikut|boleh) ){0,2}(?:hadir|datang|"
    r"ikut|gabung|bergabung|menghadiri|berangkat|join|ke sana|kesana|mengikuti)\b|"
    r"\b(?:tidak|belum) (?:bisa|dapat|sempat|jadi|mampu)" + _TERM + r"|"
    r"(?<!tidak )\bberhalangan\b|(?<!formulir )(?<!surat )(?<!form )\bizin\b(?! (?:bertanya|tanya|"
    r"share|berbagi|menyampaikan|bicara|masuk|menanggapi|nimbrung|menambahkan|lapor|melapor|info|"
    r"pulang|keluar|memperkenalkan|menyimak|japri|mengirim|kirim|upload|posting|mengingatkan|"
    r"menginformasikan|memberitahu))|(?<!formulir )(?<!surat )(?<!form )(?<!daftar )(?<!isi )\babs"
    r"en\b(?! (?:kehadiran|online|hadir))|\b(?:skip|pass|lewat|libur) dulu\b|\b(?:cannot|can not|"
    r"could not|will not|would not|unable to|not able to|not going to|not gonna|"
    r"no longer able to) (?:be able to )?(?:\w+ )?(?:make it|come|attend|join|be there|go|"
    r"participate|be present|make|be at)\b|\b(?:am|will|would|are) not (?:be )?(?:coming|attending|"
    r"joining|going|able|there|available|present)\b|\bnot (?:be )?(?:coming|attending|joining|"
    r"available)\b|\b(?:will|have to|must|going to|need to|gonna) (?:miss|skip|sit this one out|"
    r"give it a miss|pass)\b|\bmiss this\b|\bregrets?\b|\bdecline[ds]?\b|\bcount me out\b|"
    r"\bsit (?:this one|it) out\b|\b(?:saya|kami) (?:akan )?(?:diwakili|diwakilkan)\b(?! (?:oleh |"
    r"sama |dengan )?(?:saya|kami)\b)|\bnot this time\b|\bunavailable\b|\bcannot" + _TERM + r"|"
    r"^(?:(?:unfortunately|sadly|sorry|afraid|i am afraid|sayang|sayangnya) )?(?:no|nope|not|"
    r"tidak|not really)(?: (?:sorry|maaf|" + _VOC[3:-1] + r"))*$|"
    r"\bnot (?:\w+ )?(?:make it|be there|be able to (?:come|attend|join|make it))\b")
_YES = re.compile(
    r"\b(?:hadir|datang|ikut|gabung|bergabung|menghadiri|meluncur|berangkat|on my way|"
    r"mengikuti)\b(?! (?:berduka|senang|bahagia|prihatin|mendoakan|bangga|menyimak|merasakan|"
    r"membantu|mengucapkan|sedih|terharu|mendukung|share|berbagi|bertanya|nimbrung))|"
    r"\bsiap(?= *$| (?:" + _VOC + r"|hadir|datang|ikut|laksanakan|meluncur|ndan|komandan))|"
    r"\bmewakili\b|\b(?:diwakili|diwakilkan|digantikan) (?:oleh |sama |dengan )?(?:saya|kami)\b|"
    r"(?:^|\b(?:saya|kami|insyaallah|pasti|tentu|oke|ok|ya|iya|siap|masih) )bisa(?= *$| (?:"
    + _VOC + r"|dong|banget|sekali|tanggal|hari|besok|hadir|datang|ikut)\b)|"
    r"^(?:ya|iya|yes|yep|yup|yeah|y|yess|sure|of course|absolutely|definitely|certainly|tentu|"
    r"pasti|insyaallah|siap|hadir|count me in)(?: " + _VOC + r")*$|"
    r"\b(?:i|we) (?:will|shall|would|am|are|can)(?: (?!not\b|never\b)\w+){0,2}? (?:be there|"
    r"be attending|be coming|be joining|attend|come|join|make it|coming|attending|joining|"
    r"be present|there)\b|\bcount me in\b|\bsee you (?:there|then|on|at|tomorrow|next|this|soon|"
    r"saturday|friday)\b|\b(?:i am|i'm) in$|\bwill be there\b|\baccept(?:ed)?\b|\bwill attend\b|"
    r"^(?:(?:definitely|surely|certainly|absolutely|yes|sure) )?(?:attending|coming)\b|^(?:yes|ya|"
    r"iya|yep|yup|yeah|sure) (?:for|untuk|on|pada)\b|\bworks for me\b|\b(?:happy|glad|keen|"
    r"delighted|love) to (?:join|come|attend|be there)\b|\bsampai (?:jumpa|ketemu|"
    r"bertemu) (?:di sana|"
    r"disana|besok|nanti|hari|di lokasi|sabtu|jumat|minggu)")
_WEAK_NO = re.compile(r"\b(?:sakit|demam|flu|opname|dirawat|sick|ill|unwell|fever|cuti|away|"
                      r"out of town|travell?ing|on leave|luar kota|dinas luar|mudik)\b")
_RELATIVE = re.compile(r"^(?:(?:bagi|untuk|buat) )?yang\b|^(?:for )?(?:those|anyone|everyone|"
                       r"whoever|all) who\b")
_WEAK_YES = re.compile(r"\b(?:sampai jumpa|sampai ketemu|see you|looking forward)\b")
# asked of the organizers beside the answer ("save me a seat"): a note, not the reason
_REQUEST = re.compile(r"^(?:(?:bu|pak|ibu|bapak|mas|mbak|and|dan|but|tapi) )*(?:tolong|mohon|"
                      r"minta|nitip|titip|please|kindly|save|keep|hold|start|simpan|sisakan|"
                      r"(?:could|can|would) you)\b")
_PAST = re.compile(r"\b(?:kemarin|kemaren|minggu lalu|pekan lalu|bulan lalu|tahun lalu|tadi|"
                   r"yesterday|last (?:week|time|month|year|meeting|session)|ago|waktu itu|"
                   r"sebelumnya|sempat hadir|pernah)\b")
_QUESTION = re.compile(r"^(?:(?:bu|pak|ibu|bapak|mas|mbak|maaf|mohon maaf|oh|btw|dan|and|tapi|but"
                       r"|sorry|hi|halo|dear) )*(?:apakah|apa|siapa|berapa|kapan|dimana|di mana|"
                       r"bagaimana|gimana|mengapa|kenapa|bolehkah|bisakah|adakah|perlukah|haruskah|"
                       r"jadikah|mau tanya|izin bertanya|who|what|when|where|why|how|which|(?:is|"
                       r"are|do|does|did|could|should|would|shall) (?:i|we|you|there|"
                       r"it|the|anyone|someone|they|this|that))\b")
_ASK_LEAVE = re.compile(r"\b(?:boleh|bolehkah|may|can) (?:saya |i )?(?:izin|be excused|skip)\b")
_COURTESY = re.compile(
    r"^(?:(?:bu|pak|ibu|bapak|mas|mbak|kak|dear|hi|halo|oh|eh) )*(?:ralat|koreksi|correction|"
    r"(?:mohon |minta )?maaf|sorry|apologies|terima kasih|thank|thanks|matur nuwun|hatur nuhun|"
    r"salam|regards|best|cheers|assalamualaikum|assalamu|waalaikumsalam|wassalamualaikum|wassalam|"
    r"selamat (?:pagi|siang|sore|malam|berjuang|bertugas)|good (?:morning|afternoon|evening|day|"
    r"luck)|hi|hello|halo|hai|dear|yth|kepada|semoga|have a|enjoy|take care|semangat|"
    r"tetap semangat|sehat selalu|god bless|barakallah|aamiin|amin|alhamdulillah|noted|baik|ok|"
    r"oke|okay|sip|siap|wr|hormat saya|kind regards|warm regards|love|xoxo|best wishes|nyuwun|"
    r"pangapunten|punten|matur|nanti (?:saya )?(?:pastikan|kabari|kabarkan|konfirmasi|info)|"
    r"(?:i )?will (?:confirm|let you know|update)|will keep you posted|"
    r"mohon (?:dimaklumi|maklum))\b")
_REASON_MARK = re.compile(r"\b(?:karena|karna|krn|krna|soalnya|soale|sebab|dikarenakan|berhubung"
                          r"|lantaran|mengingat|because|due to|as i|since i|cause|coz|cuz|"
                          r"tergantung|depends on|depending on)\b", re.I)
_REASON_LEAD = re.compile(
    r"^(?:(?:saya|kami|i|we|kebetulan|ternyata) )?(?:ada (?:acara|rapat|kegiatan|urusan|keperluan|"
    r"tugas|dinas|undangan|pelatihan|diklat|kondangan|hajatan|ujian|kedukaan|tamu|jadwal|les|kelas|"
    r"supervisi|akreditasi|lomba|bimtek|workshop)|(?:sedang|lagi|masih) (?:sakit|dinas|di |cuti|"
    r"mudik|pulang kampung|tugas|bertugas|mengajar|rapat|pelatihan|diklat|perjalanan|kurang sehat|"
    r"tidak enak badan)|bertepatan|bentrok|berbarengan|bersamaan|(?:anak|suami|istri|ibu|bapak|"
    r"orang tua|mertua|keluarga) saya|have (?:a|an|another|to)|am (?:sick|ill|away|travel|"
    r"out of town|abroad|on leave|busy)|got a|there is a clash|clash|conflict|prior "
    r"commitment|family (?:matter|event|emergency)|out of town|on leave)")
_FOR_ALL = re.compile(r"(?:tapi|tetapi|namun|but|however|oh|btw|by the way)\b|.*\b(?:ikut|turut) "
                      r"(?:berduka|senang|bahagia)|.*\b(?:selamat atas|congratulations|"
                      r"condolences)")
_NAME_LINE = re.compile(r"(?:[A-Z0-9][^\s,]*(?:[\s,]+|$)){1,6}")  # "Sri Wahyuni, S.Pd.", "SDN 2"
_URL = re.compile(r"https?://|www\.|\b[\w.-]+\.(?:com|id|org|net|ac\.id|sch\.id)/", re.I)
_SIGN_OFF = re.compile(r"^\s*(?:salam|regards|best|cheers|wassalam\w*|hormat saya|thanks|"
                       r"terima kasih|kind regards|warm regards|best regards|thank you)\W*$", re.I)
_CLAUSE = re.compile(r"(?<!\d),\s*|,\s*(?!\d)|;\s*|\s+[-–—]\s+|\s*\((?=\D)|\)\s*|\s+(?=(?:tapi|"
                     r"tetapi|namun|but|sedangkan|whereas|however|though|although|walau|meskipun|"
                     r"sementara)\b)|\s+(?:dan|and|serta)\s+(?=(?:saya|sy|aku|kami|nanti|akan|"
                     r"juga|mohon|sekalian|i|we|will|also|please|tolong)\b)", re.I)
# sentences end at "!", "?" and a word's full stop, not at "Mr." or "Bpk." before a name
_SENTENCE = re.compile(r"(?<=[!?])\s*|(?<=[^\W\d]{2}\.)(?<![MD]r\.)(?<!Mrs\.)(?<!Ms\.)"
                       r"(?<!Bpk\.)(?<!Sdr\.)(?<!Sdri\.)(?<!Hj\.)\s+")
_BARE_VOC = re.compile(rf"\b{_VOC}\b")
_FILLERS = re.compile(r"\b(?:untuk|utk|pada|di|for|on|the|at|meeting|pertemuan|acara|kegiatan|"
                      r"hari|yang|ini|itu|kkg|mgmp|sesi|session|jam|pukul|" + _VOC[3:-1]
                      + r")\b|\d+")


@dataclass
class _Clause:
    text: str  # as written
    words: str  # spelling.plain(text)
    line: int
    sentence: int
    # answer | weak | reason | courtesy | date | ask | rest | sign | other | detail | request
    kind: str = "rest"
    status: str = ""
    late: bool = False
    days: tuple[date | None, ...] = ()


def _clauses(text: str) -> list[_Clause]:
    clauses, sentence = [], 0
    for line_no, line in enumerate(text.split("\n")):
        if line.lstrip().startswith(">"):
            continue
        for part in _SENTENCE.split(line):
            sentence += 1
            for piece in _CLAUSE.split(part):
                if piece and re.search(r"\w", piece):
                    clauses.append(_Clause(piece.strip(), plain(piece), line_no, sentence))
    return clauses


def _answer(words: str, addressed: Collection[str]) -> tuple[str, bool] | None:
    """(status, late) the writer gives in one clause, (OTHER, False) when it is someone
    else's answer ("Pak Budi tidak bisa"), or None."""
    words = DATE.sub(" ", _NEUTRAL.sub(" ", words)).strip()
    if _RELATIVE.match(words):
        return None
    keen, late = _KEEN.search(words), _LATE.search(words)
    other = late and whose(words[:late.start()].split()[-5:], addressed=addressed) == OTHER
    if other:  # "Pak Budi telat"
        keen = late = None
    words = re.sub(r"\s+", " ", _KEEN.sub(" ", _LATE.sub(" ", words))).strip()
    for status, pattern in ((TENTATIVE, _MAYBE), (DECLINED, _NO), (ACCEPTED, _YES)):
        for found in pattern.finditer(words):
            subject = whose(words[:found.start()].split()[-5:], status == ACCEPTED, addressed)
            other = other or subject == OTHER
            if subject == MINE:
                hedged = status == ACCEPTED and _HEDGE.search(words)
                return (TENTATIVE if hedged else status), bool(late)
    if keen or late:
        return ACCEPTED, bool(late)
    return (OTHER, False) if other else None


def _classify(c: _Clause, today: date, dates: Sequence[date], signed: bool,
              addressed: Collection[str]) -> None:
    words = c.words
    bare = " ".join(DATE.sub(" ", words).split())  # without the days it names
    answer = None if _PAST.search(words) else _answer(words, addressed)
    tag = answer and re.search(r"\b(?:ya|yah|kan|ok|oke|okay|right)(?: (?:bu|pak))?$", words)
    if signed:
        c.kind = "sign"
    elif (c.text.endswith("?") and not tag) or _QUESTION.match(words):
        c.kind, c.status = ("answer", DECLINED) if _ASK_LEAVE.search(words) else ("ask", "")
    elif answer and answer[0] == OTHER:
        c.kind = "other"
    elif answer:
        c.kind, (c.status, c.late) = "answer", answer
    elif _REASON_MARK.search(c.text) or _REASON_LEAD.match(bare):
        c.kind = "reason"
    elif (weak := _WEAK_NO.search(words)) and "yang" not in words.split():
        other = whose(words[:weak.start()].split()[-5:], addressed=addressed) == OTHER
        c.kind, c.status = ("other", "") if other else ("weak", DECLINED)
    elif _WEAK_YES.search(words):
        c.kind, c.status = "weak", ACCEPTED
    elif _COURTESY.match(words) or _NAME_LINE.fullmatch(c.text):
        c.kind = "courtesy"
    elif DATE.search(words) and not _FILLERS.sub(" ", DATE.sub(" ", words)).strip():
        c.kind = "date"
    elif not _URL.search(c.text) and not _BARE_VOC.sub("", _NEUTRAL.sub(" ", words)).strip():
        c.kind = "courtesy"
    if c.kind in ("answer", "weak", "date", "reason"):
        c.days = tuple(days_named(words, today, dates))


def read_rsvp(text: str, today: date, dates: Sequence[date] = (),
              addressed: Collection[str] = ()) -> RsvpReading | None:
    """None when the text does not say whether the writer comes. `text` is the member's new
    text (quotes already removed). `dates`: the meeting's coming occurrence days, to map
    'tanggal 12', '12 Desember', '12/12', 'Sabtu depan', 'minggu depan', 'besok',
    'next week', 'on the 12th', 'Friday' to one of them (a named date matching none of them:
    None). `addressed`: the words (lower case) of the names of those the reply is written to,
    the organizers: "Maaf Bu Siti tidak bisa hadir" is then said to Bu Siti, not of her."""
    days = sorted(set(dates), key=lambda d: (d < today, d))
    clauses, signed = _clauses(text[:LIMIT]), False
    for i, c in enumerate(clauses):
        before = clauses[i - 1] if i else None
        signed = signed or bool(before and c.line > before.line and _SIGN_OFF.match(before.text))
        _classify(c, today, days, signed, addressed)
        if before and before.kind == "reason" and c.kind == "rest" \
                and before.sentence == c.sentence:
            c.kind = "reason"  # "karena ada rapat, jadi harus ke dinas"
    answered = {c.sentence for c in clauses if c.kind == "answer"}
    others: set[int] = set()
    for c in clauses:  # said beside the answer, about it: "..., jam 11 harus kembali"
        if c.kind == "other" or (c.kind in ("rest", "reason", "weak") and c.sentence in others):
            c.kind = "other"  # "Pak Budi tidak bisa, beliau sakit": all of it is his
            others.add(c.sentence)
        elif c.kind == "rest" and stands_in(c.words):
            c.kind = "other"  # "..., diwakilkan oleh Bu Rina"
        elif c.kind == "rest" and c.sentence in answered and not _URL.search(c.text) \
                and not _FOR_ALL.match(c.words):
            c.kind = "request" if _REQUEST.match(c.words) else "detail"
    said = [c for c in clauses if c.kind == "answer"] or [c for c in clauses if c.kind == "weak"]
    excuse = next((c for c in clauses if c.kind == "reason" and not _PAST.search(c.words)), None)
    if not said and excuse and any(
            re.match(r"(?:mohon |minta )?maaf|sorry|apologies", c.words) for c in clauses):
        excuse.status, said = DECLINED, [excuse]  # "Maaf Bu, ada acara keluarga"
    if not said:
        return None
    _place_days(clauses, said)
    answers: dict[date | str, str] = {}
    for c in said:
        keys: list[date | str] = [d for d in c.days if d is not None]
        for key in keys or (["?"] if c.days else [""]):
            answers.pop(key, None)
            answers[key] = c.status
    if len(answers) > 1:
        answers.pop("?", None)
    return RsvpReading(tuple((status, key if isinstance(key, date) else None)
                             for key, status in answers.items()),
                       _rest(clauses), _reason(clauses), any(c.late for c in said),
                       _rest(clauses, ("other", "request"))[:NOTE])


def _place_days(clauses: list[_Clause], said: list[_Clause]) -> None:
    """A day named in a clause of its own goes to the answer beside it ("Untuk tanggal 12,
    saya tidak bisa"); so does one named in the reason or a like answer of the sentence
    ("Tgl 19 ada tugas, mohon izin"; "Friday works for me, I'll be there")."""
    for i, c in enumerate(clauses):
        undated = [a for a in said if not a.days]
        if c.kind == "date" and undated:
            after = [a for a in undated if a.line > c.line or a.sentence > c.sentence
                     or (a.sentence == c.sentence and clauses.index(a, i) > i)]
            (after or undated[-1:])[0].days = c.days
    for c in said:
        near = [o.days for o in clauses if o.sentence == c.sentence and o.days and (
            o.kind == "reason" or (o in said and o.status == c.status))]
        c.days = c.days or (near[0] if near else ())


def _rest(clauses: list[_Clause], kinds: tuple[str, ...] = ("ask", "rest")) -> str:
    rest = [c for c in clauses if c.kind in kinds]
    return "\n".join(", ".join(c.text for c in line) for _, line in groupby(rest, lambda c: c.line))


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
    why = any(c.status in (DECLINED, TENTATIVE) or c.late for c in clauses)  # else no reason
    weak = next((c for c in clauses if (c.kind == "weak" and c.status == DECLINED) or (why and (
        c.kind == "detail" and not re.match(r"(?:jam|pukul|at|by|around|sekitar) \d", c.words)))),
                None)
    return weak.text.strip(" .,;!")[:120] if weak else ""
