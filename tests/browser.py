"""Debian's Chromium, headless, driven over the DevTools protocol on a pipe.

The protocol is Chromium's own (stable, documented, what Playwright and Selenium speak
underneath); with --remote-debugging-pipe it runs over file descriptors 3 (to Chromium) and 4
(from it), one JSON message per NUL-terminated line, so the standard library is enough: no
driver binary matched to the browser's version, no WebSocket client, nothing downloaded.

    with Chromium.start(profile_dir) as browser:
        page = browser.new_page()
        page.open(path, width=360, height=740)
        page.evaluate("document.title")
        png = page.screenshot()
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

FLAGS = (  # no network at all: without these it waits on updates, sync and QUIC probes
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
    "--no-default-browser-check", "--disable-dev-shm-usage", "--font-render-hinting=none",
)


def find_chromium() -> str | None:
    """$COP_CHROMIUM, else Debian's chromium on PATH (not Ubuntu's chromium-browser: a
    stand-in for a snap, which a container or CI cannot run)."""
    named = os.environ.get("COP_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    return shutil.which("chromium")


class BrowserError(RuntimeError):
    """Chromium answered a command with an error, or went away."""


class Chromium:
    def __init__(self, process: subprocess.Popen[bytes], to_browser: int,
                 from_browser: int) -> None:
        self.process = process
        self._out = os.fdopen(to_browser, "wb", buffering=0)
        self._in = os.fdopen(from_browser, "rb", buffering=0)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    @classmethod
    def start(cls, profile: Path, executable: str | None = None) -> Chromium:
        executable = executable or find_chromium()
        if executable is None:
            raise BrowserError("no chromium found (apt-get install chromium)")
        to_child, to_browser = os.pipe()  # we write to_browser, Chromium reads fd 3
        from_browser, from_child = os.pipe()  # Chromium writes fd 4, we read from_browser

        def wire() -> None:  # in the child, before exec: the pipe ends at 3 and 4
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        profile.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire, close_fds=True, pass_fds=(3, 4))
        os.close(to_child)
        os.close(from_child)
        return cls(process, to_browser, from_browser)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):  # it may close before answering
            self.send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._out.close()
        self._in.close()

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """One command; its result (events that come meanwhile are kept for `wait_for`)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._out.write(json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            if "method" in answer:
                self._events.append(answer)

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        while True:
            for event in self._events:
                if event["method"] == method and event.get("sessionId") == session:
                    self._events.remove(event)
                    return event
            self._events.append(self._read())

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = self._in.read(1 << 16)
            if not chunk:
                raise BrowserError("chromium closed the pipe")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(line)
        return message

    def new_page(self) -> Page:
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.enable", session)
        return Page(self, session, target)


class Page:
    def __init__(self, browser: Chromium, session: str, target: str) -> None:
        self.browser = browser
        self.session = session
        self.target = target

    def close(self) -> None:
        self.browser.send("Target.closeTarget", targetId=self.target)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.send(method, self.session, **params)

    def open(self, path: Path, width: int, height: int) -> None:
        """Load a local file in a window of this size."""
        self.resize(width, height)
        self.send("Page.navigate", url=path.resolve().as_uri())
        self.browser.wait_for("Page.loadEventFired", self.session)

    def resize(self, width: int, height: int) -> None:
        """The window's size; a phone when narrow (the page's viewport meta counts, as in a
        mail app on a phone). The page is laid out again, not loaded again."""
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=width < 600)

    def evaluate(self, expression: str) -> Any:
        answer = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in answer:
            raise BrowserError(f"script failed: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def screenshot(self, full_page: bool = True) -> bytes:
        """PNG of the window, or of the whole page's height at the window's width."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            width, height = self.evaluate(
                "[window.innerWidth, Math.ceil(document.documentElement.scrollHeight)]")
            params |= {"clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
                       "captureBeyondViewport": True}
        return base64.b64decode(self.send("Page.captureScreenshot", **params)["data"])
