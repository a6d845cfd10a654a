"""The days a clause of a reply names, as one of a meeting's coming days. Pure (`today`
comes in). Used by answers.py: 'tanggal 12', '12 Desember', '12/12', 'Sabtu depan',
'minggu depan', 'besok', 'next week', 'on the 12th', 'Friday'.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

__all__ = ["DATE", "days_named"]

_MONTHS = {name: n for n, names in enumerate((
    "januari jan january", "februari feb pebruari february", "maret mar march", "april apr",
    "mei may", "juni jun june", "juli jul july", "agustus agu agt ags aug august",
    "september sep sept", "oktober okt oct october", "november nov nop nopember",
    "desember des dec december"), 1) for name in names.split()}
_WEEKDAYS = {name: n for n, names in enumerate((
    "senin monday", "selasa tuesday", "rabu wednesday", "kamis thursday", "jumat friday",
    "sabtu saturday", "minggu ahad sunday")) for name in names.split()}
_M, _D, _TH = "|".join(_MONTHS), "|".join(_WEEKDAYS), r"(?:st|nd|rd|th)?"
DATE = re.compile(
    rf"\b(?P<d1>\d{{1,2}}){_TH} (?:of )?(?P<m1>{_M})(?: (?P<y1>\d{{4}}))?\b|"
    rf"\b(?P<m2>{_M}) (?P<d2>\d{{1,2}}){_TH}\b|"
    r"\b(?P<d3>\d{1,2})/(?P<m3>\d{1,2})(?:/(?P<y3>\d{2,4}))?\b|"
    rf"\b(?:tanggal|date|the|on the|on) (?P<d4>\d{{1,2}}{_TH}(?:(?: dan| and| atau| or|) "
    rf"\d{{1,2}}{_TH})*)\b(?!/)(?: (?:of )?(?P<m4>{_M})\b)?|"
    r"\b(?P<d5>\d{1,2})(?:st|nd|rd|th)\b|"
    rf"\b(?:(?P<pre>next|this|coming|besok|hari|on) )?(?P<wd>{_D})(?: (?P<post>depan|ini|"
    r"besok|nanti|minggu depan|pekan depan|next week|this week|pagi|siang|sore|malam))?\b|"
    r"\b(?P<rel>besok|esok|tomorrow|lusa|hari ini|today|tonight|nanti malam|nanti sore|sore ini|"
    r"malam ini|pagi ini|minggu depan|pekan depan|next week|minggu ini|pekan ini|"
    r"this week|bulan depan|next month)\b")
_NEXT = ("depan", "next", "minggu depan", "pekan depan", "next week")


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def days_named(words: str, today: date, dates: Sequence[date]) -> list[date | None]:
    """The days a clause names, each as one of `dates` (None: named, but none of them)."""
    found: list[date | None] = []
    for m in DATE.finditer(words):
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
