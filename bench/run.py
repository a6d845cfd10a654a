"""Benchmarks against the raw protocols, measured in the same run on the same machine.

    python3 bench/run.py            the full set (several minutes)
    python3 bench/run.py --quick    smaller counts, a few minutes
    python3 bench/run.py --only storage
    python3 bench/run.py --only million    the file store at a million messages (opt-in:
                                           ~15 minutes and a few GB of disk)
    python3 bench/run.py --only pgstore    PostgreSQL with 1 and 2 workers beside the file
                                           store (opt-in: needs Debian's PostgreSQL, as root;
                                           says so and skips without it)

Prints a table (each figure beside its goal) and writes bench/results/latest.json.
Figures are ratios, never absolute times: these machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402
    answers,
    attachments,
    digest,
    hostile,
    inbound,
    memory,
    million,
    outbound,
    pgstore,
    receivers,
    replies,
    storage,
    web,
)

BENCHMARKS = {"storage": storage.run, "inbound": inbound.run, "outbound": outbound.run,
              "digest": digest.run, "memory": memory.run, "hostile": hostile.run,
              "attachments": attachments.run, "replies": replies.run,
              "answers": answers.rows, "web": web.run,
              "receivers": receivers.run, "million": million.run,
              "pgstore": pgstore.run}
OPT_IN = {"million", "pgstore"}  # run only when named with --only


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller counts, a few minutes")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    started = time.perf_counter()
    took: dict[str, float] = {}
    for name in args.only or [n for n in BENCHMARKS if n not in OPT_IN]:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        begun = time.perf_counter()
        results.extend(BENCHMARKS[name](args.quick))
        took[name] = round(time.perf_counter() - begun, 1)
    width = max(len(r["name"]) for r in results)
    print(f"{'benchmark':<{width}}  {'value':>9}  {'unit':<22} {'goal':<10} ok")
    for r in results:
        print(f"{r['name']:<{width}}  {r['value']:>9.2f}  {r['unit']:<22} {r['goal']:<10} "
              f"{'yes' if r['ok'] else 'NO'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(), "quick": args.quick,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "seconds": time.perf_counter() - started, "seconds_each": took, "results": results,
    }, indent=2))
    print(f"written {args.out}", file=sys.stderr)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
