"""Lines trimming reads as plain text without asking each what else it could be
(mailer/inbound/plainlines.py): none of them is anything else, and trimming keeps what it
kept when it asked every line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mailer.inbound import replies
from mailer.inbound.plainlines import plain_lines, rarest
from mailer.inbound.quote_headers import MAX_LINE, broken_quote_header, field, quote_header
from mailer.inbound.replies import _kind, _plain_kind, trim_reply
from tests.test_condense import SHAPES

# pieces of what the patterns look for, in other cases and with the characters re.I folds
PIECES = [
    "Sent from my iPhone", "SENT VIA", "sent", "Sendt fra min", "From my Galaxy", "X from Mobile",
    "Get Outlook for Android", "Typed on", "Dikirim dari Yahoo Mail", "DIKIRIM SAKA", "Kirim dari",
    "Dihantar dari", "Enviado desde mi", "Envoyé de mon", "ENVOYE DEPUIS", "Inviato da",
    "Von meinem iPhone gesendet", "Gesendet von", "Diese Nachricht wurde von x gesendet",
    "Outlook für iOS herunterladen", "Verzonden vanaf", "Verstuurd met", "Skickat från",
    "Från min", "Wysłane z", "Отправлено с", "Telefonumdan gönderildi",
    "iPhone'umdan gönderildi", "から送信", "从我的 iPhone 发送", "發自我的 iPhone", "에서 보냄",
    "<<Sent by", "wrote", "Writes",
    "has written", "menulis", "nulis", "schrieb", "schreef", "het volgende geschreven",
    "a écrit", "A  Ecrit", "nous a dit", "ha scritto", "escribió", "Escribio", "escreveu",
    "skrev", "napisał(a)", "NAPISAL", "napsala", "napísal", "yazdı", "YAZDI", "yazdİ", "kirjoitti",
    "írta", "Irta", "a scris", "kirjutas", "rašė", "raše", "rakstīja", "Rakstija", "έγραψε",
    "đã viết", "написал", "写道", "のメッセージ", "님이 작성", "GMT", "gmt+7", "You received this",
    "Anda menerima email ini", "To unsubscribe from this group", "Untuk berhenti berlangganan",
    "groups.io Links:", "Balas email ini untuk menanggapi di utas ini", "Reply to this email",
    "Siti menulis di KKG.", "Siti wrote in KKG.", "KKG mailing list", "MAILING LIST", "__", "--",
    "-=", "**", "](", "[x](y)", ":", "：", ">", ".", "-", "_", "=", "+", "~", "#", "*", "ᐧ", "—",
    "•", " ", "\t", "\x1c", "\u3000", "ſ", "ı", "İ", "K", "a", "x", "9", "Butir", "kkg@x.org",
]
lines_of_pieces = st.lists(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)),
                                    max_size=5).map("".join), max_size=30)


@settings(max_examples=1500, deadline=None)
@given(lines_of_pieces)
def test_a_plain_line_is_nothing_else(lines: list[str]) -> None:
    lines = [line.replace("\n", " ").replace("\r", " ") for line in lines]
    for i, plain in enumerate(plain_lines(lines)):
        if plain:
            assert _kind(lines, i) == _plain_kind(lines[i]), lines[i]
            assert field(lines[i]) is None, lines[i]
            assert quote_header(lines, i) is None, lines[i]
            assert broken_quote_header(lines, i) is None, lines[i]


# in ASCII, one for each way a line can be more than plain text (a line and the one after)
SPECIAL = [
    "Sent from my iPhone", "SENT VIA Superhuman", "Sendt fra min iPad", "From my Galaxy",
    "Tablet from Mobile", "Get Outlook for Android", "Typed on my phone",
    "Dikirim dari Yahoo Mail di Android", "Dikirim saka Android", "Terkirim dari ponsel",
    "Dihantar dari iPhone", "Enviado desde mi iPhone", "ENVOYE DEPUIS mon iPhone",
    "Inviato da iPhone", "Von meinem iPhone gesendet", "Gesendet von Mail",
    "Verzonden vanaf iPhone", "Verstuurd met iPhone", "[Sent from my iPhone](http://x)",
    "2016-03-03 GMT+01 Some One",
    "You received this message because you are subscribed to the group",
    "Anda menerima pesan ini karena Anda berlangganan grup",
    "To unsubscribe from this group", "Untuk berhenti berlangganan dari grup ini",
    "Reply to this email to answer in this thread",
    "Siti menulis di KKG.\nBalas email ini untuk menanggapi di utas ini.",
    "Siti wrote in KKG.\nkkg@x.org", "KKG mailing list\nkkg@x.org", "______\nKKG mailing list",
    "2016-12-08 15.04 Siti <s@x.org>", "-- ", "....", "+++", "_ _", "~~~", "###", "=-=-=",
    "From: Siti", "-----Original Message-----", "Begin forwarded message:", "** Pesan asli **",
    "Balas email ini untuk menanggapi di utas ini",
    "[Typed](x) on iPhone", "** Pesan asli", "-- Forwarded message", "== Pesan asli",
    "-= Pesan asli", "-_ Pesan asli", "=- Pesan asli", "=_ Pesan asli", "__ Pesan asli",
    "_- Pesan asli", "_= Pesan asli",
] + [f"On Mon, 7 Dec 2026 Siti <s@x.org> {verb}" for verb in (
    "wrote", "writes", "has written", "sent", "menulis", "nulis", "schrieb", "schreef",
    "het volgende geschreven", "geschreven", "a ecrit", "nous a dit", "ha scritto",
    "escribio", "escreveu", "skrev", "napisal (a)", "napisala", "napsala", "yazdi",
    "kirjoitti", "irta", "a scris", "kirjutas", "rakstija")]


def special(lines: list[str], i: int) -> bool:
    return (_kind(lines, i) != _plain_kind(lines[i]) or field(lines[i]) is not None
            or quote_header(lines, i) is not None or broken_quote_header(lines, i) is not None)


def test_every_way_to_be_more_than_plain_text_is_seen() -> None:
    for example in SPECIAL:
        lines = example.split("\n")
        assert special(lines, 0), example
        assert not plain_lines(lines)[0], example


def test_shapes_and_long_lines_are_not_plain() -> None:
    shapes = [s for s in SHAPES if _kind([s], 0) != _plain_kind(s) or field(s)]
    assert not any(plain_lines(shapes))
    assert plain_lines(["- Butir 7", "x" * (MAX_LINE + 1), "Kalimat biasa"]) == [True, False, True]


@settings(max_examples=300, deadline=None)
@given(lines_of_pieces, st.booleans())
def test_trimming_keeps_what_asking_every_line_kept(lines: list[str], new_thread: bool) -> None:
    body = "\n".join(lines)
    quick = trim_reply(body, new_thread)
    every = replies.plain_lines
    try:
        replies.plain_lines = lambda lines: [False] * len(lines)  # type: ignore[assignment]
        slow = trim_reply(body, new_thread)
    finally:
        replies.plain_lines = every  # type: ignore[assignment]
    assert quick == slow


def test_a_word_is_looked_for_only_where_its_rarest_characters_are() -> None:
    assert rarest("sent ") == "sn"
    assert rarest("](") == "(]"
    assert all(set(rarest(word)) <= set(word) for word in PIECES)
