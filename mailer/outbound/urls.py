"""Links to the members' web pages, when `[web] base_url` is configured. Pure.

The one place that knows the web archive's paths: mails (digests, the WhatsApp text) build
their links here, so the web can change a path in one function.
"""

from __future__ import annotations

from typing import Any


def web_base_url(config: Any) -> str | None:
    """`[web] base_url` without its trailing slash, or None when there is no web (a config
    without a `[web]` table, or one without a base_url)."""
    url = getattr(getattr(config, "web", None), "base_url", None)
    if not isinstance(url, str) or not url.strip():
        return None
    return url.strip().rstrip("/")


def thread_url(base_url: str, thread_id: str) -> str:
    """A thread's page: BASE/t/THREAD_ID."""
    return f"{base_url.rstrip('/')}/t/{thread_id}"
