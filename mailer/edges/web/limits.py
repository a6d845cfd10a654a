"""How often the sign-in form may be used: per client address and in all.

Each sign-in request may make the daemon mail a link; an address gets at most five notices
a day (handle/app.py), but someone posting the form with many members' addresses could
still make us mail them all. So the form counts requests in a sliding window, per client
(the address the request came from: the reverse proxy's X-Forwarded-For when it comes
from a [web] trusted_proxies address, see app.py) and for everyone together, and answers
a refusal in the reader's language once a limit is reached. Generous enough for a room of
teachers behind one school router signing in at the start of a meeting.

Kept in memory: a restart forgets the counts, which only gives a fresh window.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta

PER_CLIENT = 20  # sign-in requests per client address per window
OVERALL = 200  # and from everyone together
WINDOW = timedelta(minutes=15)
CLIENTS_KEPT = 10_000  # the oldest client's count is dropped past this many


@dataclass(frozen=True)
class Refusal:
    wait: timedelta  # until a request would be accepted again
    everyone: bool  # the overall limit (not this client's)


class SignInLimit:
    def __init__(self, per_client: int = PER_CLIENT, overall: int = OVERALL,
                 window: timedelta = WINDOW) -> None:
        self.per_client, self.overall, self.window = per_client, overall, window
        self.clients: OrderedDict[str, deque[datetime]] = OrderedDict()
        self.everyone: deque[datetime] = deque()

    def check(self, client: str, now: datetime) -> Refusal | None:
        """Count one request from `client`; a Refusal (not counted) when over a limit."""
        start = now - self.window
        mine = self.clients.pop(client, deque())
        self.clients[client] = mine  # the most recently seen last
        for seen in (mine, self.everyone):
            while seen and seen[0] <= start:
                seen.popleft()
        if len(mine) >= self.per_client:
            return Refusal(mine[0] + self.window - now, everyone=False)
        if len(self.everyone) >= self.overall:
            return Refusal(self.everyone[0] + self.window - now, everyone=True)
        mine.append(now)
        self.everyone.append(now)
        while len(self.clients) > CLIENTS_KEPT:
            self.clients.popitem(last=False)
        return None
