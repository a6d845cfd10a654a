"""One spelling for the words members write (`plain`): slang, typos and contractions written
one way, so that "gak bisa", "tdk bs", "ga bisa" and "can't" are read alike. Pure. Used by
answers.py (RSVPs in members' own words) and names.py (the tables' `words_of`).
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

__all__ = ["KEYWORDS", "SLANG", "plain", "words_of"]


def words_of(text: str) -> list[str]:
    """The words of a table written as one string."""
    return text.split()


# one spelling for the words both readings look for (a value may be two words)
SLANG: dict[str, str] = {
    **dict.fromkeys(words_of(
        "tdk tdak tidk tida gak ga gk g nggak ngga nggk ngak enggak engga ndak "
        "nda ndk kagak kaga tak ora mboten boten teu gx ngk nd"), "tidak"),
    **dict.fromkeys(words_of("gabisa gakbisa gbisa gbs tdkbisa ngabisa ndakbisa gabs gaisa"),
                    "tidak bisa"),
    **dict.fromkeys(words_of("bs bsa bisaa iso isa saged tiasa"), "bisa"),
    **dict.fromkeys(words_of("hdr hdir hadr hdire rawuh hadiri"), "hadir"),
    **dict.fromkeys(words_of("dtg dtng dateng datng dtang"), "datang"),
    **dict.fromkeys(words_of("sy sya aku gue gw ane kulo"), "saya"),
    **dict.fromkeys(words_of("blm blum belom lom"), "belum"),
    **dict.fromkeys(words_of("sdh udh udah sudh"), "sudah"),
    **dict.fromkeys(words_of("krn karna krna"), "karena"),
    **dict.fromkeys(words_of("mgkn mngkn mngkin mungkn mgkin"), "mungkin"),
    **dict.fromkeys(words_of("ijin idzin"), "izin"),
    **dict.fromkeys(words_of("telat tlt telad"), "terlambat"),
    **dict.fromkeys(words_of("tgl tg"), "tanggal"),
    **dict.fromkeys(words_of("tp tpi"), "tapi"),
    **dict.fromkeys(words_of("kl kalo klo klu kalu"), "kalau"),
    **dict.fromkeys(words_of("jum'at jumaat jumat"), "jumat"),
    **dict.fromkeys(words_of("tau"), "tahu"),
    "yg": "yang", "utk": "untuk", "untk": "untuk", "jg": "juga", "dgn": "dengan",
    "dg": "dengan", "bsk": "besok", "besuk": "besok", "lg": "lagi", "bpk": "bapak",
    "trims": "terima kasih", "makasih": "terima kasih", "terimakasih": "terima kasih",
    "mksh": "terima kasih", "mks": "terima kasih", "tks": "terima kasih",
    "otw": "on my way", "u": "you", "ur": "your", "can't": "cannot", "cant": "cannot",
    "won't": "will not",
    "wont": "will not", "i'll": "i will", "i'm": "i am", "im": "i am", "i've": "i have",
    "i'd": "i would", "we'll": "we will", "we're": "we are", "it's": "it is",
    "dont": "do not", "didnt": "did not", "couldnt": "could not", "wouldnt": "would not",
    "isnt": "is not", "wasnt": "was not", "werent": "were not", "arent": "are not",
    "she's": "she is", "he's": "he is", "they're": "they are", "pls": "please",
    "plz": "please", "mins": "minutes", "min": "minutes",
    # phone Indonesian, and Javanese/Sundanese words teachers write
    **dict.fromkeys(words_of("br bru"), "baru"), **dict.fromkeys(words_of("msh msih"), "masih"),
    **dict.fromkeys(words_of("stlh sttlh stelah"), "setelah"), "sblm": "sebelum",
    **dict.fromkeys(words_of("nyusul nysl"), "menyusul"), "hrs": "harus", "jd": "jadi",
    **dict.fromkeys(words_of("cm cuman cuma namung mung"), "hanya"), "ngajar": "mengajar",
    **dict.fromkeys(words_of("rodo rada"), "agak"), "abdi": "saya", "dikit": "sedikit",
    "sebentaran": "sebentar", "bentar": "sebentar", "wakilkan": "diwakilkan",
}
KEYWORDS = ("hadir", "datang", "berhalangan", "insyaallah", "terlambat", "usahakan",
            "diusahakan", "mungkin", "tergantung", "kemungkinan", "konfirmasi", "menghadiri",
            "kecuali", "semuanya", "sepertinya")
# real words that look like a keyword misspelt
_NOT_TYPOS = frozenset(words_of(
    "hadirin hadiah hadits hadist kehadiran kedatangan mendatang datangi "
    "dating tanggal datar mungkinkah kemungkinan sepertiga konfirmasinya "
    "hadiran datanglah semuanya"))
_INSYAALLAH = re.compile(r"\b(?:in\s?|i)s(?:y|h)?a{0,3}'?\s?a?l{1,2}[ao]h\b")
_TOKEN = re.compile(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|[^\W_]+(?:'[^\W_]+)*")
_NUM_DATE = re.compile(r"\b(\d{1,2})[-/](\d{1,2})(?:[-/](\d{2,4}))?\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")


def plain(text: str) -> str:
    """Lower-case words with one spelling each (SLANG, typos of KEYWORDS), one space apart;
    dates written with '/' or '-' kept as d/m[/y]."""
    text = text.lower().replace("’", "'").replace("‘", "'").replace("`", "'")
    text = _INSYAALLAH.sub(" insyaallah ", text)
    text = re.sub(r"\bill (?=be|come|attend|try|miss|join|make|see|probably|definitely)", "i will ",
                  text)
    text = _ISO_DATE.sub(lambda m: f"{m[3]}/{m[2]}/{m[1]}", text)
    text = _NUM_DATE.sub(lambda m: "/".join(g for g in m.groups() if g), text)
    text = re.sub(r"\b(\w+)n't\b", lambda m: {"ca": "cannot", "wo": "will not"}.get(
        m[1], m[1] + " not"), text)
    return " ".join(w for w in map(_word, _TOKEN.findall(text)) if w)


@lru_cache(maxsize=8192)
def _word(word: str) -> str:
    word = re.sub(r"([^\W\d])\1{2,}", r"\1", word)  # "siaaap", "hadirrr"
    if word in SLANG:
        return SLANG[word]
    if len(word) > 3 and word[-1] == word[-2] and word[:-1] in SLANG.values():
        return word[:-1]  # "siapp", "bisaa"
    if len(word) >= 5 and word not in _NOT_TYPOS and word not in KEYWORDS \
            and not word.isdigit():
        close = difflib.get_close_matches(word, KEYWORDS, 1, 0.8)
        if close:
            return close[0]
    return word
