"""What a person does on the web, each a POST with CSRF protection: sign in (magic link),
sign out, RSVP (a personal link from mail, or the meeting page), unsubscribe (a personal
link, or RFC 8058's one-click POST). A GET only shows a page with a button: mail scanners
open links, and must not sign anyone in, answer or unsubscribe for them."""

from __future__ import annotations

import math
import secrets
from datetime import datetime

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from mailer.calendar.occurrences import expand
from mailer.config import Community
from mailer.edges.web.auth import csrf_ok, end_session, same_origin, set_session
from mailer.edges.web.pages import denied, page, redirect, user_of
from mailer.edges.web.site import Site
from mailer.handle.web import readers_of
from mailer.links import STATUSES, Link, link_community, read_link, read_rsvp_extra
from mailer.membership import memberships

ONE_CLICK = b"List-Unsubscribe=One-Click"


async def posted(site: Site, request: Request) -> dict[str, str] | None:
    """The form's fields when the POST is genuine (same origin, CSRF token); else None."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    base = site.config.web.base_url if site.config.web else ""
    if not same_origin(request, base) or not csrf_ok(site.secret, request,
                                                      fields.get("csrf", "")):
        return None
    return fields


def refused(site: Site, request: Request) -> Response:
    return page(site, request, "refused", None, status=403)


def _base(site: Site) -> str:
    return site.config.web.base_url if site.config.web else ""


def signin_form(site: Site, request: Request) -> Response:
    return page(site, request, "signin", None, sent=False)


async def signin_send(site: Site, request: Request) -> Response:
    fields = await posted(site, request)
    if fields is None:
        return refused(site, request)
    refusal = site.signin_limit.check(client_address(request), site.now())
    if refusal is not None:  # counted before the address is read: the same for anyone
        minutes = max(1, math.ceil(refusal.wait.total_seconds() / 60))
        response = page(site, request, "limited", None, status=429, minutes=minutes,
                        everyone=refusal.everyone)
        response.headers["retry-after"] = str(minutes * 60)
        return response
    email = fields.get("email", "").strip().lower()[:254]
    community = next((c for c in site.config.communities
                      if email in readers_of(c, site.reader.state)), None)
    response = page(site, request, "signin", None, sent=True)
    if community is not None:  # the answer is the same either way: no membership oracle,
        # and it is sent before the request is written (a file, fsynced: 5 ms here), so
        # that its time is the same too
        response.background = BackgroundTask(
            site.submit, "signin", community=community.id, email=email,
            nonce=secrets.token_urlsafe(12))
    return response


def client_address(request: Request) -> str:
    """Where the request came from: the client the trusted proxy names (app.py), else
    the peer."""
    return request.client.host if request.client else ""


def _link(site: Site, token: str, purpose: str, anyone: bool = False) -> Link | None:
    community = site.community(link_community(token) or "")
    if community is None:
        return None
    if anyone:  # whoever the community knows, whatever their state (a second click)
        people = {m.member.email.lower() for m in memberships(community, site.reader.state)}
        people |= set(readers_of(community, site.reader.state))
    else:
        people = set(readers_of(community, site.reader.state))
    return read_link(site.secret, token, purpose, people, site.now())


def magic_link(site: Site, request: Request) -> Response:
    link = _link(site, request.path_params["token"], "signin")
    if link is None:
        return page(site, request, "link-bad", None, status=400)
    return page(site, request, "signin-confirm", site.community(link.community))


async def magic_signin(site: Site, request: Request) -> Response:
    if await posted(site, request) is None:
        return refused(site, request)
    link = _link(site, request.path_params["token"], "signin")
    now = site.now()
    if link is None or not site.index.use_link(link.extra, now.isoformat()):
        return page(site, request, "link-bad", None, status=400)
    response = redirect(f"/c/{link.community}")
    set_session(response, site.secret, link.email, now, _base(site))
    return response


async def signout(site: Site, request: Request) -> Response:
    if await posted(site, request) is None:
        return refused(site, request)
    response = redirect("/")
    end_session(response, _base(site))
    return response


def _rsvp_target(site: Site, link: Link) -> tuple[Community, str, str] | None:
    community = site.community(link.community)
    meeting_id, day = read_rsvp_extra(link.extra)
    if community is None or not any(m.id == meeting_id for m in community.meetings):
        return None
    return community, meeting_id, day


def rsvp_link(site: Site, request: Request) -> Response:
    link = _link(site, request.path_params["token"], "rsvp")
    target = _rsvp_target(site, link) if link else None
    word = request.path_params["word"]
    if target is None or word not in STATUSES:
        return page(site, request, "link-bad", None, status=400)
    community, meeting_id, day = target
    meeting = next(m for m in community.meetings if m.id == meeting_id)
    return page(site, request, "rsvp", community, meeting=meeting, day=day, word=word,
                words=list(STATUSES), done=False, start=_start(community, meeting_id, day))


async def rsvp_answer(site: Site, request: Request) -> Response:
    if await posted(site, request) is None:
        return refused(site, request)
    link = _link(site, request.path_params["token"], "rsvp")
    target = _rsvp_target(site, link) if link else None
    word = request.path_params["word"]
    if link is None or target is None or word not in STATUSES:
        return page(site, request, "link-bad", None, status=400)
    community, meeting_id, day = target
    site.submit("rsvp", community=community.id, email=link.email, meeting=meeting_id,
                day=day, status=STATUSES[word])
    meeting = next(m for m in community.meetings if m.id == meeting_id)
    return page(site, request, "rsvp", community, meeting=meeting, day=day, word=word,
                words=list(STATUSES), done=True, start=_start(community, meeting_id, day))


async def meeting_answer(site: Site, request: Request) -> Response:
    """The buttons on a meeting page, for the signed-in member."""
    fields = await posted(site, request)
    community = site.community(request.path_params["community"])
    user = user_of(site, request)
    if fields is None:
        return refused(site, request)
    if community is None or user is None or not site.is_member(community, user):
        return denied(site, request)
    meeting_id = request.path_params["meeting"]
    word = fields.get("word", "")
    if word in STATUSES and any(m.id == meeting_id for m in community.meetings):
        site.submit("rsvp", community=community.id, email=user, meeting=meeting_id,
                    day=fields.get("day", "")[:10], status=STATUSES[word])
    return redirect(f"/c/{community.id}/m/{meeting_id}?answered={word}")


def _start(community: Community, meeting_id: str, day: str) -> datetime | None:
    meeting = next(m for m in community.meetings if m.id == meeting_id)
    occurrences, _ = expand(meeting, community.language)
    found = next((o for o in occurrences if o.id[:10] == day), None)
    return found.start if found else None


def unsubscribe_page(site: Site, request: Request) -> Response:
    link = _link(site, request.path_params["token"], "unsubscribe", anyone=True)
    if link is None:
        return page(site, request, "link-bad", None, status=400)
    return page(site, request, "unsubscribe", site.community(link.community), done=False)


async def unsubscribe(site: Site, request: Request) -> Response:
    """RFC 8058: a POST whose body is List-Unsubscribe=One-Click, with no cookies, from the
    member's mail provider, unsubscribes at once; it SHOULD come as multipart/form-data and
    MAY come urlencoded (section 3.1). Otherwise the confirm page's form (with its CSRF
    token) does."""
    body = await request.body()
    form = await request.form()  # read from the body above (Starlette keeps it)
    one_click = body.strip() == ONE_CLICK or form.get("List-Unsubscribe") == "One-Click"
    if not one_click and await posted(site, request) is None:
        return refused(site, request)
    link = _link(site, request.path_params["token"], "unsubscribe", anyone=True)
    if link is None:
        return page(site, request, "link-bad", None, status=400)
    site.submit("leave", community=link.community, email=link.email)
    if one_click:
        return PlainTextResponse("unsubscribed\n")
    return page(site, request, "unsubscribe", site.community(link.community), done=True)
