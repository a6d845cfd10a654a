"""A post's files as members get them: which go in the copies, and their MIME parts. Pure.

    judge_files   programs and scripts are never passed on ("blocked"); when the rest is
                  over the community's max_attachments_size, all of it is kept back ("large")
                  and each copy says how to ask for it
    file_part     one file as a base64 MIME part (inline with its Content-ID, or attachment)
    post_body     a post's text and HTML, its inline images and its files, as one body
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from email.utils import encode_rfc2231

from mailer.model import Attachment
from mailer.outbound.mime import alternative, text_part

# files that only hurt: Windows programs and installers, scripts, shortcuts, Android apps
BLOCKED_EXTENSIONS = frozenset({
    ".exe", ".scr", ".bat", ".cmd", ".com", ".pif", ".cpl", ".msi", ".msp", ".mst", ".dll",
    ".js", ".jse", ".vbs", ".vbe", ".vb", ".wsf", ".wsh", ".wsc", ".hta", ".ps1", ".psm1",
    ".jar", ".reg", ".lnk", ".scf", ".inf", ".gadget", ".application", ".apk", ".sh",
})
BLOCKED_TYPES = frozenset({
    "application/x-msdownload", "application/x-dosexec", "application/x-msdos-program",
    "application/x-ms-installer", "application/x-msi", "application/java-archive",
    "application/javascript", "text/javascript", "application/x-javascript",
    "application/hta", "application/x-sh", "application/vnd.android.package-archive",
    "application/vnd.microsoft.portable-executable",
})
_CTYPE = re.compile(r"^[a-z0-9!#$&^_.+-]{1,64}/[a-z0-9!#$&^_.+-]{1,64}$")


def blocked(attachment: Attachment) -> bool:
    """A program or a script, by its name (whatever comes after the last dot, trailing dots
    and spaces ignored: "LKPD.pdf.exe ." is a program) or by its declared type."""
    name = attachment.filename.lower().rstrip(". ")
    extension = name[name.rfind("."):] if "." in name else ""
    return extension in BLOCKED_EXTENSIONS or attachment.content_type in BLOCKED_TYPES


def judge_files(attachments: Sequence[Attachment], limit: int) -> tuple[Attachment, ...]:
    """Each file with `withheld` set: "blocked" for programs, "large" for all the others
    when together they are over `limit` bytes; "" for what the copies carry."""
    judged = [replace(a, withheld="blocked") if blocked(a) else a for a in attachments]
    total = sum(a.size for a in judged if not a.withheld)
    if total > limit:
        judged = [a if a.withheld else replace(a, withheld="large") for a in judged]
    return tuple(judged)


def file_part(attachment: Attachment, data: bytes, inline: bool = False) -> bytes:
    ctype = attachment.content_type if _CTYPE.match(attachment.content_type) \
        else "application/octet-stream"
    name = attachment.filename
    if name.isascii() and '"' not in name and "\\" not in name:
        type_name, disposition_name = f'name="{name}"', f'filename="{name}"'
    else:  # RFC 2231 for mail programs that read it, RFC 2047 in name= for older Outlook
        encoded = base64.b64encode(name.encode("utf-8")).decode()
        type_name = f'name="=?utf-8?b?{encoded}?="'
        disposition_name = f"filename*={encode_rfc2231(name, 'utf-8')}"
    lines = [f"Content-Type: {ctype};\r\n {type_name}",
             "Content-Transfer-Encoding: base64",
             f"Content-Disposition: {'inline' if inline else 'attachment'};\r\n "
             f"{disposition_name}"]
    if inline and attachment.content_id:
        lines.append(f"Content-ID: <{attachment.content_id}>")
    body = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def multipart(subtype: str, parts: Sequence[bytes]) -> bytes:
    """Parts (each with its own headers) as one multipart/<subtype> body, headers included.
    The boundary is derived from the parts' starts: stable, and absent from base64 and QP."""
    seed = hashlib.sha256(b"".join(p[:4096] for p in parts)).hexdigest()[:24]
    boundary = f"=_cop_{subtype}_{seed}"
    out = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()]
    for part in parts:
        out += [f"--{boundary}\r\n".encode(), part]
        if not part.endswith(b"\r\n"):
            out.append(b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def post_body(text: str, html: str, attachments: Sequence[Attachment],
              files: Mapping[str, bytes]) -> bytes:
    """multipart/alternative (text, then HTML with its inline images in multipart/related),
    inside multipart/mixed with the files when there are any. Only what the copies carry:
    withheld files are named in the text, not attached."""
    carried = [a for a in attachments if not a.withheld and a.sha256 in files]
    inline = [a for a in carried if a.content_id]
    regular = [a for a in carried if not a.content_id]
    if inline:
        rich = multipart("related", [text_part(html, "html"),
                                     *(file_part(a, files[a.sha256], inline=True)
                                       for a in inline)])
        body = multipart("alternative", [text_part(text, "plain"), rich])
    else:
        body = alternative(text, html)
    if regular:
        body = multipart("mixed", [body, *(file_part(a, files[a.sha256]) for a in regular)])
    return body
