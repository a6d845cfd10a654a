"""Attendance answers in members' own words: the share of our cases read right.

    python3 -m bench.answers [--show]

RSVP replies (tests/data/answers/rsvp-*.txt): right = the statuses and the days exactly as
expected (None when the reply is no answer). Roll-calls (tests/data/answers/rollcall.txt):
right = present, absent and unmatched exactly as expected. Also printed: how often `rest`
(something for everyone) is found when it should be and only then, and the time per reply.
The bar is 97% on RSVPs. --show lists every case read wrong, xfail-marked ones included.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mailer.inbound.answers import read_roll_call, read_rsvp
from tests.test_answers import (
    roll_call_cases,
    roll_call_right,
    rsvp_cases,
    rsvp_right,
)

BAR = 97.0


def run(show: bool = False) -> dict[str, float]:
    rsvps, calls = rsvp_cases(), roll_call_cases()
    start = time.perf_counter()
    wrong = [c for c in rsvps if not rsvp_right(c)]
    per_reply = (time.perf_counter() - start) / len(rsvps)
    answered = [c for c in rsvps if c.answers is not None]
    rest_right = 0
    for case in answered:
        reading = read_rsvp(case.text, case.today, case.dates)
        rest_right += bool(reading and bool(reading.rest) == ("rest" in case.flags))
    wrong_calls = [c for c in calls if not roll_call_right(c)]
    figures = {
        "rsvp": 100.0 * (len(rsvps) - len(wrong)) / len(rsvps),
        "roll_call": 100.0 * (len(calls) - len(wrong_calls)) / len(calls),
        "rest": 100.0 * rest_right / len(answered),
    }
    print(f"RSVP replies read right:     {figures['rsvp']:5.1f}%  "
          f"({len(rsvps) - len(wrong)}/{len(rsvps)}; bar {BAR:.0f}%)")
    print(f"roll-call answers read right: {figures['roll_call']:5.1f}%  "
          f"({len(calls) - len(wrong_calls)}/{len(calls)})")
    print(f"rest found when it should be: {figures['rest']:5.1f}%  (answers only)")
    print(f"time per reply: {per_reply * 1e3:.2f} ms")
    if show:
        for case in wrong:
            reading = read_rsvp(case.text, case.today, case.dates)
            print(f"\n{case.name} expected {case.answers}\n  got {reading}\n  "
                  + case.text.replace("\n", "\n  "))
        for call in wrong_calls:
            got = read_roll_call(call.text, call.members, call.sender)
            print(f"\n{call.name} expected present={sorted(call.present or ())} "
                  f"absent={sorted(call.absent)} unmatched={call.unmatched}\n  got {got}\n  "
                  + call.text.replace("\n", "\n  "))
    return figures


def rows(quick: bool) -> list[dict[str, Any]]:
    """The figures as bench/run.py's table rows."""
    figures = run()
    return [{"name": "answers: RSVP replies read right (own set)", "value": figures["rsvp"],
             "unit": "% of replies", "goal": f">= {BAR:.0f}", "ok": figures["rsvp"] >= BAR},
            {"name": "answers: roll-call answers read right (own set)",
             "value": figures["roll_call"], "unit": "% of answers", "goal": "reference",
             "ok": True}]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", action="store_true", help="list the cases read wrong")
    figures = run(parser.parse_args().show)
    return 0 if figures["rsvp"] >= BAR else 1


if __name__ == "__main__":
    sys.exit(main())
