"""Debian's chromium, driven by Playwright for Python, for tests that click, type and download
(the web's). The mail screenshots use tests/browser.py (DevTools over a pipe, no driver); both
start the same binary with the same flags. Never `playwright install`: the browser is the system's
(/usr/bin/chromium, installed by scripts/test), started headless with a fresh profile and
nothing that reaches the network on its own."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.browser import FLAGS, find_chromium

CHROMIUM = find_chromium() or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (scripts/test installs Debian's chromium)")
    pytest.importorskip("playwright.sync_api")


@contextmanager
def chromium(width: int = 360, height: int = 780, **options: Any) -> Iterator[Any]:
    """A browser context (Playwright's BrowserContext) on a fresh --user-data-dir."""
    need_chromium()
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="cop-chromium-")
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=list(FLAGS),
                viewport={"width": width, "height": height}, accept_downloads=True, **options)
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(page: Any, folder: str, name: str) -> Path:
    """Kept under artifacts/FOLDER/ (git-ignored) for a person to look at."""
    target = ARTIFACTS / folder / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    return target
