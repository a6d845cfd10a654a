"""Templates: organizers may override them, never run code through them, never inject headers."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest

from mailer.config import Member
from mailer.model import Post, Thread
from mailer.outbound.compose import compose_posts
from mailer.outbound.mime import HeaderInjection, encode_address
from mailer.outbound.render import TemplateProblem, _render, environment, render
from tests.helpers import write_config

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _post(name: str = "Siti Rahayu", body: str = "Halo") -> tuple[Thread, Post]:
    thread = Thread("t1", "kkg", "Pecahan", NOW, NOW)
    post = Post("<p1@example.org>", "t1", "siti@example.org", name, NOW, body)
    thread.posts.append(post)
    return thread, post


def test_an_organizers_template_overrides_the_built_in_one(tmp_path: Path) -> None:
    (tmp_path / "mine" / "id").mkdir(parents=True)
    (tmp_path / "mine" / "id" / "post.txt.j2").write_text(
        "{{ post.body }}\n\n-- dari {{ post.name }}, {{ community.name }}\n")
    config = write_config(tmp_path, extra="", meeting=False)
    config.path.write_text(config.path.read_text().replace(
        'secret = "test-secret"', 'secret = "test-secret"\ntemplates = "mine"'))
    from mailer.config import load_config

    config = load_config(config.path)
    community = config.communities[0]
    thread, post = _post()
    (copy,) = compose_posts(community, thread, post, [community.members[1]], "s",
                            config.service.templates, (), NOW)
    msg = email.message_from_bytes(copy.data, policy=policy.default)
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text == "Halo\n\n-- dari Siti Rahayu, KKG Matematika\n"


@pytest.mark.timeout(10)
@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ post.__class__.__init__.__globals__ }}",
    "{% for x in range(10**9) %}x{% endfor %}",
    "{{ 'x' * 10**7 }}",
    "{{ 'x' * 10000000000 }}",
    "{{ 2 ** 100000000 }}",
    "{{ [1] * 10000000000 }}",
    "{{ nope }}",
    "{% if %}",
])
def test_a_hostile_or_broken_override_falls_back_to_the_built_in_template(
        tmp_path: Path, source: str, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "post.txt.j2").write_text(source)
    thread, post = _post(body="Isi asli")
    data = {"post": post, "thread": thread, "community": {"name": "KKG"},
            "unsubscribe": "mailto:x", "title": "t"}
    with pytest.raises(TemplateProblem):
        _render(environment("id", tmp_path), "post.txt.j2", "id", data)
    text = render("post.txt.j2", "id", tmp_path, **data)
    assert text.startswith("Isi asli")
    assert any("template override failed" in r.getMessage() for r in caplog.records)


def test_html_escapes_member_text(tmp_path: Path) -> None:
    thread, post = _post(body='<script>alert(1)</script> & <a href="x">')
    html = render("post.html.j2", "id", None, post=post, thread=thread,
                  community={"name": "KKG", "address": "kkg@example.org"},
                  unsubscribe="mailto:x", title="t")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_names_with_line_breaks_cannot_add_headers(tmp_path: Path) -> None:
    config = write_config(tmp_path, meeting=False)
    community = config.communities[0]
    thread, post = _post(name="Budi\r\nBcc: victim@example.org")
    member = Member("dewi@example.org", "Dewi\nCc: x@example.org", "each")
    (copy,) = compose_posts(community, thread, post, [member], "s", None, (), NOW)
    msg = email.message_from_bytes(copy.data, policy=policy.default)
    assert msg["Bcc"] is None and msg["Cc"] is None
    head = copy.data.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert not [line for line in head if line.startswith((b"Bcc:", b"Cc:"))]
    with pytest.raises(HeaderInjection):
        encode_address("ok", "a@example.org\r\nBcc: b@example.org")


def test_non_ascii_names_and_subjects_are_encoded(tmp_path: Path) -> None:
    config = write_config(tmp_path, meeting=False)
    community = config.communities[0]
    thread, post = _post(name="Ni Luh Putu Ayu Ṡ")
    thread.subject = "Ulangan pecahan — kelas 5 ✓"
    member = Member("dewi@example.org", "Dewi Ñ", "each")
    (copy,) = compose_posts(community, thread, post, [member], "s", None, (), NOW)
    head = copy.data.split(b"\r\n\r\n")[0]
    assert head.isascii()
    msg = email.message_from_bytes(copy.data, policy=policy.default)
    assert str(msg["Subject"]) == "[KKG] Ulangan pecahan — kelas 5 ✓"
    assert msg["From"].addresses[0].display_name == "Ni Luh Putu Ayu Ṡ via KKG Matematika"
    assert msg["To"].addresses[0].display_name == "Dewi Ñ"
    assert all(len(line) <= 998 for line in copy.data.split(b"\r\n"))
