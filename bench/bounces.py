"""Bounces and robots on public corpora: every message through the dispatcher the daemon
runs (parse, classify, bounce and complaint reading: handle.dispatch.process_message), in
memory: no daemon, no disk, nothing sent.

    python -m bench.bounces [--labels FILE] [--show N] PATH...

PATH is a checkout of sisimai/set-of-emails (its maildir/bsd and maildir/not are read) or
of flufl.bounce (flufl/bounce/tests/data), or any folder of messages. Each message goes in
twice: as an IMAP server hands it over (to the community address, its own Return-Path),
and as a bounce to the bounce address of a copy we really sent to the failed recipient,
with the envelope headers our SMTP receiver writes (mode "verp").

What is true of each message (who failed, permanently or not) comes from, in order:
  - FILE, JSON lines {"file": ..., "recipient": ..., "status": "5.1.1"} (a decoder's
    verdicts, e.g. sisimai's, matched by file name);
  - flufl.bounce's own expectations (_detectors/tests/detectors.py) for its data;
  - the message's own RFC 3464 fields (Final-Recipient, Status), when it has them.
Status 5.x.x is permanent, 4.x.x temporary. Printed: the outcome of every message, how
many automatic messages were answered or mail went to a robot's address (both must be 0),
the share of permanent bounces recorded against the right address (and graded permanent),
and of temporary ones graded temporary (none may be graded dead).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

from mailer.config import load_config
from mailer.handle.app import App
from mailer.handle.dispatch import process_message
from mailer.inbound.classify import is_robot
from mailer.outbound.outbox import bounce_address, outbox_id
from mailer.state import State

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
COMMUNITY = "kkg@example.org"
CONFIG = f"""[service]
timezone = "Asia/Jakarta"
data_dir = "data"
secret = "bench"

[inbound]
protocol = "smtp"

[outbound]
protocol = "maildir"

[[community]]
id = "kkg"
name = "KKG Matematika"
address = "{COMMUNITY}"
moderators = ["siti@example.org"]
posting = "members"

  [[community.member]]
  email = "siti@example.org"
  name = "Siti"
"""


@dataclass
class Truth:
    recipients: set[str]
    temporary: bool
    source: str


@dataclass
class Tally:
    states: Counter[str] = field(default_factory=Counter)
    answered: list[str] = field(default_factory=list)
    to_robots: list[str] = field(default_factory=list)
    permanent: int = 0
    permanent_right: int = 0
    permanent_graded: int = 0
    temporary: int = 0
    temporary_graded: int = 0
    temporary_dead: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)


def corpus_files(path: Path) -> list[Path]:
    for sub in ("flufl/bounce/tests/data", "maildir/bsd"):
        if (path / sub).is_dir():
            found = sorted((path / sub).iterdir())
            if sub == "maildir/bsd" and (path / "maildir/not").is_dir():
                found += sorted((path / "maildir/not").iterdir())
            return [f for f in found if f.is_file() and not f.name.endswith(".py")]
    return sorted(f for f in path.rglob("*") if f.is_file())


def flufl_truth(path: Path) -> dict[str, Truth]:
    """flufl.bounce's expectations: DATA in its detectors' tests."""
    source = path / "flufl/bounce/_detectors/tests/detectors.py"
    if not source.is_file():
        return {}
    truth: dict[str, Truth] = {}
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "DATA" for t in node.targets):
            for entry in ast.literal_eval(node.value):
                _module, name, expected, *temporary = entry
                known = truth.setdefault(name, Truth(set(), bool(temporary and temporary[0]),
                                                     "flufl"))
                known.recipients |= {a.decode().lower() for a in expected}
    return {k: v for k, v in truth.items() if v.recipients}


def label_truth(path: Path | None) -> dict[str, Truth]:
    truth: dict[str, Truth] = {}
    if path is None:
        return truth
    for line in path.read_text().splitlines():
        row = json.loads(line)
        status = row.get("status") or ""
        if not row.get("recipient") or status[:1] not in ("4", "5"):
            continue
        name = Path(row["file"]).name
        known = truth.setdefault(name, Truth(set(), status.startswith("4"), "labels"))
        known.recipients.add(row["recipient"].lower())
        known.temporary = known.temporary and status.startswith("4")
    return truth


def own_truth(raw: bytes) -> Truth | None:
    """A report's own RFC 3464 fields, when it has them."""
    msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    found: dict[str, str] = {}
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in part.get_payload():
            if not hasattr(block, "get"):
                continue
            final = str(block.get("final-recipient", "")).split(";")[-1].strip(" <>").lower()
            status = re.search(r"[45]\.\d+\.\d+", str(block.get("status", "")))
            if "@" in final and status:
                found[final] = status.group()
    if not found:
        return None
    return Truth(set(found), all(s.startswith("4") for s in found.values()), "own fields")


def with_envelope(raw: bytes, recipient: str, state: State, serial: int) -> bytes:
    """The report as our SMTP receiver archives it: a bounce to the bounce address of a
    copy sent to `recipient`, the copy made known to the state first."""
    item = outbox_id(f"bench:{serial}:{recipient}")
    state.apply({"t": "outbox", "id": item, "to": recipient, "kind": "post", "subject": "x",
                 "queued": NOW.isoformat(), "spool": ["", 0, 0],
                 "envelope_from": bounce_address(COMMUNITY, item)})
    state.apply({"t": "outbox-state", "id": item, "state": "sent", "at": NOW.isoformat()})
    verp = bounce_address(COMMUNITY, item)
    head = f"Return-Path: <>\r\nDelivered-To: {verp}\r\nX-Cop-Envelope-To: {verp}\r\n"
    return head.encode() + raw


def replay(app: App, files: list[Path], truths: dict[str, Truth], verp: bool) -> Tally:
    tally = Tally()
    for serial, path in enumerate(files):
        raw = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        truth = truths.get(path.name) or own_truth(raw)
        state = State()
        if verp and truth is not None:
            raw = with_envelope(raw, sorted(truth.recipients)[0], state, serial)
        result = process_message(app, state, path.name, raw, NOW)
        tally.states[result.state] += 1
        name = f"{path.parent.name}/{path.name}"
        if result.state in ("automatic", "bounce") and result.outgoing:
            tally.answered.append(name)
        tally.to_robots += [f"{name} -> {o.to}" for o in result.outgoing if is_robot(o.to)]
        if truth is None:
            continue
        wanted = {sorted(truth.recipients)[0]} if verp else truth.recipients
        kinds = {r["email"]: r["kind"] for r in result.records if r["t"] == "bounce"}
        right = [kinds[a] for a in wanted if a in kinds]
        if truth.temporary:
            tally.temporary += 1
            tally.temporary_graded += bool(right) and all(k != "dead" for k in right)
            if "dead" in right:
                tally.temporary_dead.append(f"{name} {result.detail}")
        else:
            tally.permanent += 1
            tally.permanent_right += bool(right)
            tally.permanent_graded += bool(right) and all(k != "temporary" for k in right)
            if not right:
                tally.missed.append(f"{name} [{result.state} {result.rule}] {result.detail}"
                                    f" want {','.join(sorted(wanted))}")
        tally.kinds.update(right)
    return tally


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "   - "


def report(label: str, tally: Tally, show: int) -> None:
    total = sum(tally.states.values())
    print(f"\n{label}: {total} messages: " + ", ".join(
        f"{k} {v}" for k, v in tally.states.most_common()))
    print(f"  automatic or bounce (never posted, never a command): "
          f"{tally.states['automatic'] + tally.states['bounce']}")
    print(f"  automatic messages answered: {len(tally.answered)}   mail to a robot's "
          f"address: {len(tally.to_robots)}")
    print(f"  permanent bounces: {tally.permanent}, recorded against the right address: "
          f"{tally.permanent_right} ({percent(tally.permanent_right, tally.permanent)}), "
          f"graded permanent: {percent(tally.permanent_graded, tally.permanent)}")
    print(f"  temporary bounces: {tally.temporary}, graded temporary (not dead): "
          f"{tally.temporary_graded} ({percent(tally.temporary_graded, tally.temporary)}), "
          f"graded dead: {len(tally.temporary_dead)}")
    print("  kinds recorded for the right address: " + ", ".join(
        f"{k} {v}" for k, v in tally.kinds.most_common()))
    for title, rows in (("answered", tally.answered), ("to robots", tally.to_robots),
                        ("temporary graded dead", tally.temporary_dead),
                        ("permanent missed", tally.missed)):
        for row in rows[:show]:
            print(f"    {title}: {row}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--labels", type=Path, help="JSON lines: file, recipient, status")
    parser.add_argument("--show", type=int, default=10, help="examples of each problem")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        config_path = Path(folder) / "cop.toml"
        config_path.write_text(CONFIG)
        app = App(load_config(config_path), "bench")
        labels = label_truth(args.labels)
        for path in args.paths:
            files = corpus_files(path)
            truths = {**labels, **flufl_truth(path)}
            for verp in (False, True):
                report(f"{path} ({'verp' if verp else 'plain'})",
                       replay(app, files, truths, verp), args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
