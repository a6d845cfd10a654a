"""Who is asking: magic-link sign-in, the session cookie, CSRF tokens.

    sign-in    the form takes an address and always answers the same ("if you are a member,
               a link is on its way": no membership oracle); for a member the daemon mails a
               link (links.signin_url: 30 minutes, single use by its nonce). GET of the link
               shows a button; only the POST signs in (mail scanners open links).
    session    cop_session = address . expiry . HMAC, HttpOnly, SameSite=Lax, Secure when
               base_url is https; 30 days.
    CSRF       cop_csrf is a random cookie (SameSite=Strict); every form carries
               HMAC(secret, cookie) and a POST without the pair is refused (double submit,
               signed). The one exception is RFC 8058's one-click POST, which carries no
               cookie by design: its URL is the member's own secret link.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from mailer.tokens import _base36, _mac

SESSION = "cop_session"
CSRF = "cop_csrf"
SESSION_TTL = timedelta(days=30)


def session_value(secret: str, email: str, now: datetime) -> str:
    expires = _base36(int((now + SESSION_TTL).timestamp()))
    who = base64.urlsafe_b64encode(email.lower().encode()).decode().rstrip("=")
    return f"{who}.{expires}.{_mac(secret, 'session', who, expires)[:32]}"


def session_user(secret: str, request: Request, now: datetime) -> str | None:
    """The signed-in address, or None."""
    value = request.cookies.get(SESSION, "")
    parts = value.split(".")
    if len(parts) != 3:
        return None
    who, expires, mac = parts
    if not hmac.compare_digest(mac, _mac(secret, "session", who, expires)[:32]):
        return None
    try:
        if int(expires, 36) < now.timestamp():
            return None
        return base64.urlsafe_b64decode(who + "=" * (-len(who) % 4)).decode()
    except ValueError:
        return None


def secure(base_url: str) -> bool:
    return base_url.startswith("https://")


def set_session(response: Response, secret: str, email: str, now: datetime,
                base_url: str) -> None:
    response.set_cookie(SESSION, session_value(secret, email, now),
                        max_age=int(SESSION_TTL.total_seconds()), httponly=True,
                        secure=secure(base_url), samesite="lax", path="/")


def end_session(response: Response, base_url: str) -> None:
    response.delete_cookie(SESSION, path="/", httponly=True, secure=secure(base_url),
                           samesite="lax")


def csrf_token(secret: str, request: Request) -> str:
    """The token this request's forms carry; a new cookie is set when there was none."""
    cookie = request.cookies.get(CSRF) or getattr(request.state, "new_csrf", None)
    if not cookie:
        cookie = secrets.token_hex(16)
        request.state.new_csrf = cookie
    return _mac(secret, "csrf", cookie)[:32]


def keep_csrf(request: Request, response: Response, base_url: str) -> None:
    cookie = getattr(request.state, "new_csrf", None)
    if cookie:
        response.set_cookie(CSRF, cookie, httponly=True, secure=secure(base_url),
                            samesite="strict", path="/")


def csrf_ok(secret: str, request: Request, sent: str) -> bool:
    cookie = request.cookies.get(CSRF, "")
    return bool(cookie and sent) and hmac.compare_digest(sent, _mac(secret, "csrf", cookie)[:32])


def same_origin(request: Request, base_url: str) -> bool:
    """A browser's POST names where its page came from (Origin); from elsewhere it is
    refused. No Origin (older browsers, scripts) leaves the decision to the CSRF token."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin.rstrip("/") == _origin(base_url)


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
