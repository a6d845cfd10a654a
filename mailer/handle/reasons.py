"""Why a message waits for a moderator, as each side reads it. Pure.

A hold's reason is recorded in English (`cop holds`, the journal, the log) as route.py,
posts.py and members.py name it, sometimes with a detail in parentheses ("message contains
a listed word (pinjol)"). Two people read it in their own words:

    sender     about their own message: "alamat Anda belum terdaftar sebagai anggota";
               a listed word is not repeated back to them
    moderator  about the sender: "Pengirim belum terdaftar sebagai anggota"; the detail
               (the word, the check that failed) is shown, it helps them decide
"""

from __future__ import annotations

FORGED = "sender address failed verification"
BULK = "message was sent as bulk mail"
EMPTY = "the reply holds no new text"
NOT_MEMBER = "sender is not a member"
JOIN_UNVERIFIED = "join request from an unverified address"
JOIN_APPROVAL = "join request waiting for approval"  # join = "approve" (handle/joins.py)

# reason -> audience -> language -> text
HOLD_REASONS: dict[str, dict[str, dict[str, str]]] = {
    EMPTY: {
        "sender": {"id": "balasan Anda tidak memuat tulisan baru, hanya kutipan pesan "
                         "sebelumnya",
                   "en": "your reply holds no new text, only the earlier message quoted"},
        "moderator": {"id": "Balasan pengirim tidak memuat tulisan baru, hanya kutipan",
                      "en": "The sender's reply holds no new text, only a quotation"}},
    JOIN_UNVERIFIED: {
        "sender": {"id": "permintaan bergabung dari alamat yang belum terverifikasi; bila "
                         "disetujui, alamat itu menerima email konfirmasi",
                   "en": "a request to join from an address nobody verified; if approved, "
                         "the address gets a confirmation mail"},
        "moderator": {"id": "Permintaan bergabung dari alamat yang belum terverifikasi; bila "
                            "disetujui, alamat itu menerima email konfirmasi",
                      "en": "A request to join from an address nobody verified; if approved, "
                            "the address gets a confirmation mail"}},
    JOIN_APPROVAL: {
        "sender": {"id": "permintaan bergabung Anda menunggu persetujuan pengurus",
                   "en": "your request to join is waiting for the organizers"},
        "moderator": {"id": "Permintaan bergabung; alamatnya sudah dikonfirmasi pemiliknya",
                      "en": "A request to join; its owner confirmed the address"}},
    BULK: {
        "sender": {"id": "pesan ditandai sebagai surat massal, jadi moderator memeriksanya "
                         "dulu",
                   "en": "the message was marked as bulk mail, so a moderator checks it "
                         "first"},
        "moderator": {"id": "Pesan ditandai pengirimnya sebagai surat massal",
                      "en": "The sender marked the message as bulk mail"}},
    FORGED: {
        "sender": {"id": "server penerima menilai alamat pengirim dipalsukan",
                   "en": "the receiving server found the sender's address forged"},
        "moderator": {"id": "Alamat pengirim gagal diverifikasi: mungkin dipalsukan",
                      "en": "The sender's address failed verification: it may be forged"}},
    "message contains a listed word": {
        "sender": {"id": "pesan memuat kata yang diperiksa moderator",
                   "en": "the message contains a word the moderators check"},
        "moderator": {"id": "Pesan memuat kata yang diperiksa",
                      "en": "The message contains a listed word"}},
    NOT_MEMBER: {
        "sender": {"id": "alamat Anda belum terdaftar sebagai anggota",
                   "en": "your address is not a member yet"},
        "moderator": {"id": "Pengirim belum terdaftar sebagai anggota",
                      "en": "The sender is not a member"}},
    "message is larger than the community allows": {
        "sender": {"id": "ukuran pesan melebihi batas komunitas",
                   "en": "the message is very large"},
        "moderator": {"id": "Ukuran pesan melebihi batas komunitas",
                      "en": "The message is larger than the community allows"}},
    "message is addressed to many other people too": {
        "sender": {"id": "pesan juga dikirim ke banyak alamat lain",
                   "en": "the message also went to many other addresses"},
        "moderator": {"id": "Pesan juga dikirim ke banyak alamat lain",
                      "en": "The message also went to many other addresses"}},
    "first post of a new member": {
        "sender": {"id": "pesan pertama anggota baru diperiksa moderator dulu",
                   "en": "a new member's first message is checked first"},
        "moderator": {"id": "Pesan pertama dari anggota baru",
                      "en": "The first message of a new member"}},
    "community is moderated": {
        "sender": {"id": "setiap pesan di komunitas ini diperiksa moderator",
                   "en": "every message in this community is checked first"},
        "moderator": {"id": "Setiap pesan di komunitas ini diperiksa moderator",
                      "en": "Every message in this community is checked first"}},
    "reply address issued to another member than the sender": {
        "sender": {"id": "alamat balasan yang dipakai milik anggota lain",
                   "en": "the reply address used belongs to another member"},
        "moderator": {"id": "Pengirim memakai alamat balasan milik anggota lain",
                      "en": "The sender used a reply address issued to another member"}},
    "reply address with a bad signature": {
        "sender": {"id": "alamat balasan yang dipakai tidak dikenal",
                   "en": "the reply address used is not one we issued"},
        "moderator": {"id": "Pengirim memakai alamat balasan dengan tanda tangan keliru",
                      "en": "The sender used a reply address with a wrong signature"}},
    "reply address for an unknown thread": {
        "sender": {"id": "alamat balasan yang dipakai menunjuk topik yang tidak ada",
                   "en": "the reply address used points to no known topic"},
        "moderator": {"id": "Pengirim membalas ke alamat topik yang tidak dikenal",
                      "en": "The sender replied to the address of an unknown topic"}},
}
# the detail in parentheses is shown to moderators for these (never to the sender)
_DETAIL_FOR_MODERATORS = ("message contains a listed word", FORGED)


def reason_text(reason: str, language: str, to: str = "sender") -> str:
    """A hold reason as the sender (`to="sender"`) or a moderator reads it."""
    base, _, detail = reason.partition(" (")
    texts = HOLD_REASONS.get(base, {}).get(to, {})
    text = texts.get(language) or texts.get("en") or reason
    if to == "moderator" and detail and base in _DETAIL_FOR_MODERATORS:
        text += f" ({detail.rstrip(')')})"
    return text
