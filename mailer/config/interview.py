"""The questions a community of practice answers when it starts, and how each answer is
checked the moment it is given. Pure: the asking is in cli/init.py, the commented cop.toml
the answers make in document.py.

Every check reads the answer with the same parser cop.toml is read with, so an answer that
passes here passes `cop check`. Some questions depend on earlier answers: which day is asked
differently for a monthly meeting ("sabtu ke-2"), the first date must be such a day, and a
community that does not meet is not asked when.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from mailer.config.days import (
    On,
    is_place,
    parse_breaks,
    parse_date,
    parse_on,
    spell_date,
    spell_on,
    spell_place,
)
from mailer.config.model import EMAIL
from mailer.config.people import normal_tag, parse_people, propose_tag
from mailer.config.values import (
    DAY_NAMES,
    parse_duration,
    parse_every,
    parse_repeat,
    parse_time_of_day,
    parse_timezone,
)
from mailer.config.words import Words, WordsError

Answers = Mapping[str, str]


@dataclass(frozen=True)
class Question:
    key: str  # also the flag: --name, --meet, ...
    id: str
    en: str
    default_id: str = ""
    default_en: str = ""

    def text(self, language: str, answers: Answers) -> str:
        monthly = meet_rule(answers.get("meet", "")) == "FREQ=MONTHLY"
        if self.key == "day" and monthly:
            return ("Hari apa, minggu ke berapa? (misalnya sabtu ke-2, jumat terakhir, "
                    "tanggal 12)" if language == "id"
                    else "Which day of the month? (e.g. 2nd saturday, last friday, day 12)")
        if self.key == "first" and meet_rule(answers.get("meet", "")) == "":
            return ("Tanggal pertemuan (tanggal/bulan/tahun)" if language == "id"
                    else "Date of the meeting (day/month/year)")
        return self.id if language == "id" else self.en


QUESTIONS = (
    Question("name", "Nama komunitas", "Name of the community", "KKG Matematika Gugus 3",
             "KKG Matematika Gugus 3"),
    Question("tag", "Tanda singkat di depan subjek pesan, ditulis dalam [ ] (- bila tidak "
             "perlu)", "Short tag in front of every subject, written in [ ] (- for none)"),
    Question("address", "Alamat email komunitas (untuk menulis ke semua)",
             "The community's email address (to write to everyone)", "kkg@example.org",
             "kkg@example.org"),
    Question("purpose", "Apa tujuan komunitas ini? (satu kalimat)",
             "What is this community for? (one sentence)",
             "Belajar bersama cara mengajar matematika", "Learning together how to teach"),
    Question("needs", "Apa yang dibutuhkan anggota, dan apa yang sudah mereka kuasai? "
             "(pisahkan dengan koma)",
             "What do members need, and what do they already know? (comma separated)",
             "contoh soal, cara mengajar pecahan", "worked examples, teaching fractions"),
    Question("benefits", "Manfaat apa yang diharapkan anggota? (pisahkan dengan koma)",
             "What benefits do members expect? (comma separated)",
             "berbagi praktik baik", "sharing good practice"),
    Question("timezone", "Zona waktu (WIB, WITA, WIT, atau nama IANA)",
             "Time zone (WIB, WITA, WIT, or an IANA name)", "WIB", "WIB"),
    Question("meet", "Seberapa sering bertemu? (mingguan, dua-mingguan, bulanan, sekali, "
             "tidak)", "How often do you meet? (weekly, biweekly, monthly, once, none)",
             "mingguan", "weekly"),
    Question("day", "Hari pertemuan (misalnya jumat)", "Meeting day (e.g. friday)"),
    Question("time", "Jam mulai (misalnya 14.00 atau jam 2 siang)",
             "Start time (e.g. 14:00 or 2 pm)", "14.00", "14:00"),
    Question("duration", "Lama pertemuan (misalnya 2 jam, 90 menit)",
             "How long (e.g. 2 hours, 90 minutes)", "2 jam", "2 hours"),
    Question("first", "Tanggal pertemuan pertama (tanggal/bulan/tahun)",
             "Date of the first meeting (day/month/year)"),
    Question("until", "Sampai tanggal (tanggal/bulan/tahun)", "Until (day/month/year)"),
    Question("breaks", "Libur, misalnya 21/12/2026 - 03/01/2027 Libur semester "
             "(pisahkan dengan ;, kosong bila tidak ada)",
             "Breaks, e.g. 21/12/2026 - 03/01/2027 Term break (separate with ;, empty if "
             "none)"),
    Question("online", "Tautan pertemuan daring (kosong bila tatap muka)",
             "Online meeting link (empty if in person only)"),
    Question("place", "Tempat pertemuan tatap muka (kosong bila daring saja)",
             "Meeting place (empty if online only)"),
    Question("whatsapp", "Tautan grup WhatsApp (kosong bila tidak ada)",
             "WhatsApp group link (empty if none)"),
    Question("moderators", "Siapa moderatornya? (Nama <email>, biasanya Anda sendiri)",
             "Who moderates? (Name <email>, usually you)"),
    Question("members", "Siapa yang diundang? (Nama <email>, satu per baris atau dipisah "
             "koma; baris kosong untuk selesai)",
             "Who do you invite? (Name <email>, one a line or comma separated; an empty "
             "line ends the list)"),
    Question("digest", "Kirim rangkuman: mingguan, harian, bulanan, atau tidak",
             "Send a digest: weekly, daily, monthly, or never", "mingguan", "weekly"),
)
BY_KEY = {q.key: q for q in QUESTIONS}
_ONCE = ("once", "sekali", "satu kali", "sekali saja", "hanya sekali", "one time")
_MEETING_KEYS = ("day", "time", "duration", "first", "until", "breaks", "online", "place")


def meet_rule(answer: str) -> str | None:
    """The repeat of a `meet` answer: an RRULE start, "" for a single meeting, None for no
    meetings (also for an answer that cannot be read)."""
    if answer.strip().lower() in _ONCE:
        return ""
    try:
        return parse_repeat(answer) or None
    except ValueError:
        return None


def applies(key: str, answers: Answers) -> bool:
    """Is this question asked, given the answers so far?"""
    rule = meet_rule(answers.get("meet", ""))
    if key in _MEETING_KEYS and rule is None:
        return False
    if key == "day" and (rule == "" or (rule or "").startswith("FREQ=DAILY")):
        return False
    return not (key in ("until", "breaks") and rule == "")


def default(key: str, answers: Answers, language: str, today: date) -> str:
    """The answer taken on an empty line (and by --defaults)."""
    id_ = language == "id"
    if key == "tag":  # shown without its brackets: click puts a default in [ ]
        return propose_tag(answers.get("name", "")).strip("[]")
    if key == "day":
        monthly = meet_rule(answers.get("meet", "")) == "FREQ=MONTHLY"
        return ("sabtu ke-2" if id_ else "2nd saturday") if monthly else \
            ("jumat" if id_ else "friday")
    if key == "first":
        return next_meeting(answers, today).strftime("%d/%m/%Y")
    if key == "until":
        first = _first(answers, today)
        return end_of_term(first).strftime("%d/%m/%Y")
    q = BY_KEY[key]
    return q.default_id if id_ else q.default_en


def check_answer(key: str, value: str, answers: Answers, today: date) -> Words | None:
    """What is wrong with this answer, in both languages (None when it is right)."""
    value = value.strip()
    checks: dict[str, Callable[[str, Answers], object]] = {
        "name": _required, "address": _address, "timezone": lambda v, _: parse_timezone(v),
        "meet": _meet, "day": _day, "time": lambda v, _: parse_time_of_day(v),
        "duration": _duration, "first": lambda v, a: _first_date(v, a),
        "until": lambda v, a: _until(v, a, today), "breaks": lambda v, _: parse_breaks(v),
        "online": lambda v, _: link(v), "whatsapp": lambda v, _: link(v),
        "moderators": lambda v, _: parse_people(v), "members": lambda v, _: parse_people(v),
        "digest": lambda v, _: parse_every(v), "tag": _tag,
    }
    try:
        if key in checks:
            checks[key](value, answers)
    except WordsError as exc:
        return Words(f"{exc.what.en}; {exc.fix.en}" if exc.fix.en else exc.what.en,
                     f"{exc.what.id}; {exc.fix.id}" if exc.fix.id else exc.what.id)
    except ValueError as exc:
        return Words(str(exc), str(exc))
    return None


def _required(value: str, _: Answers) -> None:
    if not value:
        raise WordsError(Words("an answer is needed", "pertanyaan ini perlu dijawab"))


def _address(value: str, _: Answers) -> None:
    if not EMAIL.match(value):
        raise WordsError(Words(f"{value!r} is not an email address",
                               f"{value!r} bukan alamat email"),
                         Words("write it as kkg@example.org", "tulis seperti kkg@example.org"))


def _tag(value: str, _: Answers) -> None:
    if len(normal_tag(value)) > 30:
        raise WordsError(Words("the tag is long: phones show only the start of a subject",
                               "tanda ini terlalu panjang: ponsel hanya menampilkan awal "
                               "subjek"), Words("keep it under 20 characters, e.g. [KKG Mat]",
                                                "cukup di bawah 20 huruf, misalnya [KKG Mat]"))


def _meet(value: str, _: Answers) -> None:
    if value.lower() not in _ONCE:
        parse_repeat(value)


def _duration(value: str, _: Answers) -> None:
    length = parse_duration(value)
    if not timedelta(0) < length <= timedelta(hours=12):
        raise WordsError(Words(f"{value!r} is not the length of a meeting",
                               f"{value!r} bukan lama pertemuan"),
                         Words("write e.g. \"2 hours\" or \"90 minutes\"",
                               "tulis misalnya \"2 jam\" atau \"90 menit\""))


def meeting_on(answers: Answers) -> On | None:
    """The days the meeting is on, from the day answer (None: the first date decides)."""
    text = answers.get("day", "")
    return parse_on(text) if text and applies("day", answers) else None


def _day(value: str, answers: Answers) -> None:
    on = parse_on(value)
    monthly = meet_rule(answers.get("meet", "")) == "FREQ=MONTHLY"
    if monthly and on.days and all(n == 0 for n, _ in on.days):
        wd = on.days[0][1]
        name = DAY_NAMES["id"][wd].lower()
        raise WordsError(
            Words(f"which {DAY_NAMES['en'][wd]} of the month?",
                  f"{DAY_NAMES['id'][wd]} minggu ke berapa?"),
            Words(f'write e.g. "{spell_place(2, wd, "en").lower()}" or "last '
                  f'{DAY_NAMES["en"][wd].lower()}"',
                  f'tulis misalnya "{name} ke-2" atau "{name} terakhir"'))
    if not monthly and (on.monthday is not None or any(n for n, _ in on.days)):
        raise WordsError(Words("a weekly meeting is on a weekday",
                               "pertemuan mingguan cukup dengan nama hari"),
                         Words('write e.g. "friday", or answer "monthly" above',
                               'tulis misalnya "jumat", atau jawab "bulanan" sebelumnya'))


def fits(day: date, answers: Answers) -> bool:
    """Is `day` one the meeting is on?"""
    on = meeting_on(answers)
    if on is None:
        return True
    if on.monthday is not None:
        return day.day == on.monthday
    return any(day.weekday() == wd and (n == 0 or is_place(day, n)) for n, wd in on.days)


def next_meeting(answers: Answers, today: date) -> date:
    """The first day after today the meeting is on (a week from today for a single one)."""
    if not applies("day", answers):
        return today + timedelta(days=7)
    return next(today + timedelta(days=d) for d in range(1, 400)
                if fits(today + timedelta(days=d), answers))


def _first_date(value: str, answers: Answers) -> date:
    day = parse_date(value)
    on = meeting_on(answers)
    if on is not None and not fits(day, answers):
        later = next((day + timedelta(days=d) for d in range(1, 400)
                      if fits(day + timedelta(days=d), answers)), day)
        raise WordsError(
            Words(f"{spell_date(day, 'en')} is not a {spell_on(on, 'en', lower=False)}",
                  f"{spell_date(day, 'id')} bukan {spell_on(on, 'id', lower=False)}"),
            Words(f"the next one is {spell_date(later, 'en')} ({later:%d/%m/%Y})",
                  f"yang berikutnya {spell_date(later, 'id')} ({later:%d/%m/%Y})"))
    return day


def _first(answers: Answers, today: date) -> date:
    try:
        return parse_date(answers["first"])
    except (KeyError, ValueError):
        return next_meeting(answers, today)


def _until(value: str, answers: Answers, today: date) -> None:
    first = _first(answers, today)
    if parse_date(value) < first:
        raise WordsError(Words("this is before the first meeting",
                               "tanggal ini sebelum pertemuan pertama"),
                         Words(f"give a date after {first:%d/%m/%Y}",
                               f"tulis tanggal sesudah {first:%d/%m/%Y}"))


def end_of_term(start: date) -> date:
    """The end of the school semester the start falls in (semester 2 ends in late June,
    semester 1 in mid-December: the Indonesian school year), or of the next one when this
    one ends within six weeks."""
    end = date(start.year, 6, 25) if start.month <= 6 else date(start.year, 12, 15)
    if (end - start).days < 42:
        end = date(start.year, 12, 15) if start.month <= 6 else date(start.year + 1, 6, 25)
    return end


def link(value: str) -> str:
    """A web link as typed -> with https:// ("meet.google.com/abc" is a link too)."""
    value = value.strip()
    if not value:
        return ""
    if " " in value or "." not in value:
        raise WordsError(Words(f"{value!r} is not a web link", f"{value!r} bukan tautan web"),
                         Words("paste the link, e.g. https://meet.google.com/abc-defg-hij",
                               "tempel tautannya, misalnya https://meet.google.com/abc-defg-hij"))
    return value if "://" in value else f"https://{value}"


# Where a problem in the written cop.toml sends the organizer back to (late errors).
_QUESTION_OF_KEY = {
    "timezone": "timezone", "name": "name", "id": "name", "address": "address",
    "subject_tag": "tag", "purpose": "purpose", "needs": "needs", "benefits": "benefits",
    "whatsapp": "whatsapp", "moderators": "moderators", "organizers": "moderators",
    "member": "members", "digest": "digest", "start": "first", "duration": "duration",
    "until": "until", "breaks": "breaks", "online": "online", "location": "place",
    "repeat": "meet", "on": "day", "title": "name",
}  # fmt: skip


def question_of(path: tuple[str | int, ...]) -> str | None:
    """The question whose answer wrote the key at `path` (nearest named key wins)."""
    for part in reversed(path):
        if isinstance(part, str) and part in _QUESTION_OF_KEY:
            return _QUESTION_OF_KEY[part]
    return None
