"""The tree reads as mail flows (ARCHITECTURE.md): no module over 400 lines, no import
circle, and the pure core never reaches for the edges, the daemon or the command line."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mailer"
MAX_LINES = 400
# the outer layer: what touches the network, the disk or the clock, and what wires it up
OUTER = ("mailer.edges", "mailer.daemon", "mailer.cli", "mailer.plan", "mailer.__main__")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The mailer modules a module imports, wherever in it (a lazy import counts too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from mailer.x import y`: y is a module when mailer/x/y.py exists
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known
                     else node.module for a in node.names]
        else:
            continue
        found.update(n for n in names if n in known)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, known) - {name} for name, path in known.items()}


def is_outer(name: str) -> bool:
    return any(name == o or name.startswith(o + ".") for o in OUTER)


def test_no_module_is_over_400_lines() -> None:
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}, f"split these in two: {long}"


def test_the_core_never_imports_edges_daemon_or_cli() -> None:
    wrong = {f"{name} -> {target}" for name, targets in graph().items() if not is_outer(name)
             for target in targets if is_outer(target)}
    assert wrong == set(), "pass the value in, or move the code outward: " + ", ".join(
        sorted(wrong))


def test_no_import_circles() -> None:
    edges = graph()
    circles: list[list[str]] = []
    state: dict[str, str] = {}  # name -> "open" while on the path, "done" after

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for target in sorted(edges[name]):
            if state.get(target) == "open":
                circles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = "done"

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert circles == [], "import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_the_checks_see_the_whole_package() -> None:
    """The walk is not vacuous: it finds the wings, and a known import between them."""
    edges = graph()
    assert {"mailer.inbound.parse", "mailer.handle.dispatch", "mailer.edges.store.filestore",
            "mailer.timed.due", "mailer.cli"} <= set(edges)
    assert "mailer.inbound.parse" in edges["mailer.handle.dispatch"]
    assert "mailer.handle.dispatch" in edges["mailer.daemon"]
