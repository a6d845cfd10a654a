"""How often `new_text` keeps exactly the text a member wrote: on our own reply set
(tests/data/replies/), and on the test sets of public reply parsers, read from local
checkouts whose paths are given. Nothing of those corpora is kept in this repository.

    python3 bench/replies.py                      our own set
    python3 bench/replies.py PATH [PATH ...]      and each corpus found under each PATH
    python3 bench/replies.py --misses PATH        also show what differs, case by case

"Exact" means equal after normalising whitespace: both sides stripped, trailing spaces cut
from every line, runs of blank lines collapsed into one. Corpora understood (by layout):

  discourse/email_reply_trimmer   test/emails/X.txt, expected test/trimmed/X.txt
  mailgun/talon                   tests/fixtures/standard_replies/X.eml (+ X_reply_text,
                                  else "Hello"); tests/text_quotations_test.py, each
                                  eq_(expected, extract_from_plain(body)) with string
                                  literals; tests/fixtures/signature/emails/stripped
                                  (X_body minus X_signature)
  github, zapier, willdurand,     fixtures beside a test file (Ruby, Python, PHP or JS):
  crisp-oss email_reply_parser    each test naming one fixture and asserting the reply
                                  (parse_reply, visible text, .reply, or the first
                                  fragment) equal to a literal

A test that rewrites its fixture first (str_replace, format) or patches the parser is
skipped; so is a first-fragment assertion of a single line (such as "Hi," above a
bottom-posted answer: it checks how the parser splits, not what the member wrote).
A path that holds none of these layouts is reported and skipped.
"""

from __future__ import annotations

import argparse
import ast
import email
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailer.inbound.replies import new_text  # noqa: E402
from tests.test_replies import reply_cases  # noqa: E402


@dataclass(frozen=True)
class Case:
    name: str
    body: str
    expected: str
    new_thread: bool = False


def normalise(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def score(cases: list[Case]) -> tuple[int, list[tuple[Case, str]]]:
    misses = []
    for case in cases:
        got = new_text(case.body, new_thread=case.new_thread)
        if normalise(got) != normalise(case.expected):
            misses.append((case, got))
    return len(cases) - len(misses), misses


def own_cases() -> list[Case]:
    return ([Case(name, body, expected) for name, body, expected in reply_cases()]
            + [Case(name, body, expected, new_thread=True)
               for name, body, expected in reply_cases(new_threads=True)])


# --- discourse/email_reply_trimmer -------------------------------------------------------

def _discourse(root: Path) -> Iterator[Case]:
    for base in (root / "test", root):
        emails, trimmed = base / "emails", base / "trimmed"
        if emails.is_dir() and trimmed.is_dir():
            for path in sorted(emails.glob("*.txt")):
                expected = trimmed / path.name
                if expected.is_file():
                    yield Case(path.stem, _read(path).strip(), _read(expected))
            return


# --- mailgun/talon ------------------------------------------------------------------------

def _talon(root: Path) -> Iterator[Case]:
    tests = root / "tests" if (root / "tests").is_dir() else root
    replies = tests / "fixtures" / "standard_replies"
    for path in sorted(replies.glob("*.eml")) if replies.is_dir() else ():
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        part = next((p for p in message.walk() if p.get_content_type() == "text/plain"), None)
        if part is None:
            continue
        expected_file = path.with_name(path.stem + "_reply_text")
        expected = _read(expected_file) if expected_file.is_file() else "Hello"
        yield Case(f"standard_replies/{path.stem}", str(part.get_content()), expected)
    source = tests / "text_quotations_test.py"
    if source.is_file():
        yield from _talon_literals(source)
    stripped = tests / "fixtures" / "signature" / "emails" / "stripped"
    for path in sorted(stripped.glob("*_body")) if stripped.is_dir() else ():
        signature = path.with_name(path.name[: -len("body")] + "signature")
        if signature.is_file():
            body = _read(path).strip()
            yield Case(f"signature/{path.name}", body,
                       body[: len(body) - len(_read(signature))].strip())


def _talon_literals(source: Path) -> Iterator[Case]:
    """eq_(expected, quotations.extract_from_plain(body)) in undecorated test functions,
    both sides string literals or names bound to string literals in the same function."""
    tree = ast.parse(_read(source))
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef) or function.decorator_list:
            continue
        names: dict[str, str] = {}
        count = 0
        for node in _in_order(function):
            if isinstance(node, ast.Assign):
                if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    value = _py_string(node.value, names)
                    if value is not None:
                        names[node.targets[0].id] = value
                continue
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "eq_" and len(node.args) >= 2):
                continue
            call = node.args[1]
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "extract_from_plain" and call.args):
                continue
            expected, body = _py_string(node.args[0], names), _py_string(call.args[0], names)
            if expected is not None and body is not None:
                count += 1
                yield Case(f"{function.name}#{count}", body, expected)


def _in_order(function: ast.FunctionDef) -> list[ast.AST]:
    """Assignments and calls in source order: a body rebound between checks is read as
    it is at each check."""
    nodes = [n for n in ast.walk(function) if isinstance(n, ast.Assign | ast.Call)]
    return sorted(nodes, key=lambda n: (n.lineno, n.col_offset))


def _py_string(node: ast.expr, names: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _py_string(node.left, names), _py_string(node.right, names)
        return left + right if left is not None and right is not None else None
    return None


# --- email_reply_parser family: fixtures beside a test file --------------------------------

_FUNCTION = re.compile(
    r"^[ \t]*(?:def\s+test\w*|(?:public\s+)?function\s+test\w*|export\s+function\s+test\w*)",
    re.M)
_ASSERT = re.compile(r"\b(assert_equal|assertEquals?|assertSame|test\.equal)(\s*\(|[ \t]+)")
_REPLY = re.compile(r"parse_?reply\s*\(|visible_?text|getVisibleText\s*\(|\.reply\b"
                    r"|fragments\[0\]", re.I)
_ASSIGN = re.compile(r"(?:\$|\b(?:let|var|const)\s+)?(\w+)\s*=\s*([^;\n]+)")


_FAMILY = (
    (("test/email_reply_parser_test.rb",), "test/emails"),
    (("test/test_email_reply_parser.py",), "test/emails"),
    (("tests/EmailReplyParser/Tests/Parser/EmailParserTest.php",
      "tests/EmailReplyParser/Tests/EmailReplyParserTest.php"), "tests/Fixtures"),
    (("test/test.js",), "test/fixtures"),
)


def _parser_family(root: Path) -> Iterator[Case]:
    for sources, fixtures in _FAMILY:
        if (root / fixtures).is_dir() and any((root / s).is_file() for s in sources):
            seen: set[str] = set()
            for source in sources:
                if (root / source).is_file():
                    for case in _family_from(root / source, root / fixtures):
                        if case.name not in seen:
                            seen.add(case.name)
                            yield case
            return


def _family_from(source: Path, fixtures: Path) -> Iterator[Case]:
    text = _read(source)
    js = source.suffix == ".js"  # JavaScript reads escapes in single quotes too
    constants = _constants(text, js)
    available = {p.stem: p for p in fixtures.glob("*.txt")}
    starts = [m.start() for m in _FUNCTION.finditer(text)] + [len(text)]
    for start, end in pairwise(starts):
        chunk = text[start:end]
        if re.search(r"str_replace|\.replace\(|\.format\(|@patch", chunk):
            continue  # the fixture is rewritten before parsing: not the file's text
        named = {m.group(1) for m in re.finditer(r"[\"':/]([\w.-]+?)(?:\.txt)?[\"')]", chunk)
                 if m.group(1) in available}
        expected = _expected(chunk, constants, js)
        if len(named) == 1 and expected is not None:
            fixture = named.pop()
            yield Case(fixture, _read(available[fixture]), expected)


def _constants(text: str, js: bool) -> dict[str, str]:
    out = {}
    for m in re.finditer(r"\bconst\s+(\w+)\s*=\s*", text):
        value = _literal(text, m.end(), js)
        if value is not None:
            out[m.group(1)] = value[0]
    return out


def _expected(chunk: str, constants: dict[str, str], js: bool) -> str | None:
    """The literal a reply accessor is asserted equal to, or None."""
    bound = {m.group(1): m.group(2) for m in _ASSIGN.finditer(chunk)}
    for m in _ASSERT.finditer(chunk):
        args = _split_args(chunk, m.end(), js, ruby="(" not in m.group(2))
        if args is None or len(args) < 2:
            continue
        for lit, other in ((args[0], args[1]), (args[1], args[0])):
            value = _argument_value(lit, constants, js)
            accessor = other.strip()
            if value is None or accessor.startswith(("<<<", "'", '"')):
                continue
            reads = accessor + " " + bound.get(accessor.lstrip("$").split(".")[0], "")
            if not _REPLY.search(reads):
                continue
            literal = lit.strip().removeprefix("static::") not in constants
            if "fragments[0]" in reads and "\n" not in value.strip() and literal:
                continue  # one-line first fragment: a splitting check, not the reply
            return value
    return None


def _argument_value(arg: str, constants: dict[str, str], js: bool) -> str | None:
    arg = arg.strip()
    name = arg.removeprefix("static::").removeprefix("self::")
    if name in constants:
        return constants[name]
    value = _literal(arg, 0, js)
    if value is None or arg[value[1]:].strip():
        return None
    return value[0]


def _split_args(text: str, start: int, js: bool, ruby: bool = False) -> list[str] | None:
    """The top-level arguments of the call whose '(' ends just before `start` (or, for
    Ruby's call without parentheses, up to the end of the line)."""
    depth, i, args, current = 0, start, [], start
    while i < len(text):
        ch = text[i]
        if ch in "\"'`" or text.startswith("<<<", i):
            literal = _literal(text, i, js)
            if literal is None:
                return None
            i = literal[1]
            continue
        if ch == "\n" and ruby and depth == 0:
            args.append(text[current:i])
            return args
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                args.append(text[current:i])
                return args
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(text[current:i])
            current = i + 1
        i += 1
    return None


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"',
            "/": "/", "$": "$", "`": "`", "\n": ""}


def _literal(text: str, i: int, js: bool) -> tuple[str, int] | None:
    """A string literal at text[i] (quotes, backquotes or a PHP heredoc): (value, end)."""
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    if text.startswith("<<<", i):
        m = re.compile(r"<<<\s*['\"]?(\w+)['\"]?\n").match(text, i)
        if not m:
            return None
        close = re.compile(rf"\n[ \t]*{m.group(1)}\b").search(text, m.end() - 1)
        if not close:
            return None
        return text[m.end():close.start()], close.end()
    if i >= len(text) or text[i] not in "\"'`":
        return None
    quote, out, i = text[i], [], i + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if quote == "'" and not js and nxt not in "\\'\n":
                out.append(ch)  # single quotes keep other escapes as written (PHP, Ruby)
                i += 1
                continue
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        if ch == quote:
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    return None


# --- running ------------------------------------------------------------------------------

LOADERS: tuple[tuple[str, Callable[[Path], Iterator[Case]]], ...] = (
    ("discourse", _discourse), ("talon", _talon), ("email_reply_parser", _parser_family))


def corpora(path: Path) -> list[tuple[str, list[Case]]]:
    """The corpus at `path`, else every corpus one level below it: [(name, cases)]."""
    own = _load(path)
    if own:
        return [(path.name, own)]
    try:
        folders = sorted(p for p in path.iterdir() if p.is_dir())
    except OSError:
        return []
    return [(folder.name, cases) for folder in folders if (cases := _load(folder))]


def _load(folder: Path) -> list[Case]:
    for _layout, load in LOADERS:
        try:
            cases = list(load(folder))
        except (OSError, SyntaxError, ValueError):
            continue  # unreadable, or not the layout it looked like
        if cases:
            return cases
    return []


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "replace").replace("\r\n", "\n")


def _line(name: str, exact: int, total: int) -> str:
    return f"{name:<40} {exact:>4}/{total:<4} {100 * exact / max(total, 1):6.1f}% exact"


def run(quick: bool) -> list[dict[str, Any]]:
    """For bench/run.py: our own set only (the public corpora need paths)."""
    cases = own_cases()
    exact, _ = score(cases)
    value = 100 * exact / len(cases)
    return [{"name": f"replies: exact new text, own set of {len(cases)}", "value": value,
             "unit": "% exact", "goal": ">= 95", "ok": value >= 95,
             "detail": {"exact": exact, "cases": len(cases)}}]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, help="checkouts of public corpora")
    parser.add_argument("--misses", action="store_true", help="show each case that differs")
    args = parser.parse_args(argv)
    results = [("own set (tests/data/replies)", own_cases())]
    for path in args.paths:
        found = corpora(path) if path.is_dir() else []
        if not found:
            print(f"{path}: no corpus layout found, skipped", file=sys.stderr)
        results.extend(found)
    public_exact = public_total = 0
    for n, (name, cases) in enumerate(results):
        exact, misses = score(cases)
        print(_line(name, exact, len(cases)))
        if n:
            public_exact += exact
            public_total += len(cases)
        if args.misses:
            for case, got in misses:
                print(f"  --- {name}: {case.name}\n  expected: {normalise(case.expected)!r}"
                      f"\n  got:      {normalise(got)!r}")
    if public_total:
        print(_line("public corpora, overall", public_exact, public_total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
