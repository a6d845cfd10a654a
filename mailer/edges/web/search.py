"""Full-text search over posts: SQLite FTS5 (the standard library's sqlite3), in
data_dir/web/web.sqlite. Rebuilt from the store at every start (a few seconds for tens of
thousands of posts), then kept up to date as the journal brings posts: it never drifts from
the archive, and deleting the file loses nothing."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mailer.state import State

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Hit:
    thread: str
    message_id: str
    subject: str
    name: str
    snippet: str  # text with [[ ]] around the words found (escaped by the template)


class SearchIndex:
    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS posts USING fts5(subject, body, name, "
            "community UNINDEXED, thread UNINDEXED, message_id UNINDEXED, "
            "tokenize='unicode61 remove_diacritics 2')")
        self.db.execute("CREATE TABLE IF NOT EXISTS used_links (nonce TEXT PRIMARY KEY, "
                        "at TEXT NOT NULL)")

    def rebuild(self, state: State) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM posts")
            self.db.executemany(
                "INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?)",
                ((t.subject, p.body, p.name, t.community, t.id, p.message_id)
                 for t in state.threads.values() for p in t.posts))

    def add(self, state: State, record: dict[str, Any]) -> None:
        thread = state.threads.get(record["thread"])
        if thread is not None:
            self.db.execute("INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?)",
                            (thread.subject, record["body"], record["name"], thread.community,
                             thread.id, record["message_id"]))

    def search(self, community: str, text: str, limit: int = 50) -> list[Hit]:
        words = _WORD.findall(text)[:12]
        if not words:
            return []
        query = " ".join('"' + w.replace('"', "") + '"' for w in words)  # every word, as words
        rows = self.db.execute(
            "SELECT thread, message_id, subject, name, "
            "snippet(posts, 1, '[[', ']]', ' … ', 16) FROM posts "
            "WHERE posts MATCH ? AND community = ? ORDER BY rank LIMIT ?",
            (query, community, limit)).fetchall()
        return [Hit(*row) for row in rows]

    def use_link(self, nonce: str, at: str) -> bool:
        """Mark a sign-in link used; False when it was used before (single use)."""
        try:
            self.db.execute("INSERT INTO used_links VALUES (?, ?)", (nonce, at))
        except sqlite3.IntegrityError:
            return False
        return True
