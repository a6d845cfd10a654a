"""The members' web: archive, search, resources, meeting pages, one-click links (issue 18).

    site.py       what every page shares: cop.toml, the followed store, the secret, render
    search.py     the full-text index (SQLite FTS5 in data_dir/web), kept as posts arrive
    auth.py       magic-link sign-in, the session cookie, CSRF tokens, used links
    pages.py      communities, threads, a thread, files, search, meetings
    resources.py  "Sumber belajar": links and files shared in threads; pin, tag, hide
    actions.py    RSVP buttons and one-click unsubscribe (RFC 8058): a GET shows, a POST acts
    admin.py      what organizers and moderators see: holds, quarantine, members, attendance
    app.py        the Starlette application: routes, security headers
    serve.py      uvicorn: `cop web`, or a thread of `cop run` when [web] is configured
    export.py     `cop web export DIR`: a static copy of a public community's archive

The web never writes the store: what it wants done (a sign-in mail, an RSVP, a leave, a
resource's pin) goes to the daemon as a request (handle/web.py). It writes only its own
folder, data_dir/web (the search index, the sign-in links already used).
"""

from mailer.edges.web.app import make_app

__all__ = ["make_app"]
