"""Byte signatures of things we never accept, whatever their name: programs, archives, web pages."""

from __future__ import annotations

import re

_PROGRAM_MAGIC = (
    b"\x7fELF",  # Linux, Android native code
    b"\xfe\xed\xfa\xce",  # Mach-O (macOS, iOS), both endians and word sizes
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary, and Java class files
    b"\x00asm",  # WebAssembly
    b"dex\n",  # Android Dalvik
    b"L\x00\x00\x00\x01\x14\x02\x00",  # Windows shortcut (.lnk), runs its target
)
# "#!/bin/sh", "#! /usr/bin/env python": a script that names its interpreter.
_SHEBANG = re.compile(rb"#![ \t]*/")

_ARCHIVE_MAGIC = (
    b"PK\x03\x04",  # ZIP; OOXML packages are looked at before this list is consulted
    b"PK\x05\x06",  # empty ZIP
    b"PK\x07\x08",  # spanned ZIP
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b\x08",  # gzip (deflate)
    b"\xfd7zXZ\x00",
    b"\x28\xb5\x2f\xfd",  # zstandard
    b"MSCF\x00\x00\x00\x00",  # Windows cabinet
    b"LZIP",
    b"\x60\xea",  # ARJ
)
_BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")
_TAR_MAGIC_AT = 257


def is_executable(head: bytes) -> bool:
    """True if ``head`` (the first bytes of a file) starts a program or script."""
    # "MZ" alone could begin a text file; a real DOS/Windows header always has
    # NUL bytes in its first fields, text never does.
    if head.startswith(b"MZ") and b"\x00" in head[2:64]:
        return True
    return head.startswith(_PROGRAM_MAGIC) or _SHEBANG.match(head) is not None


def is_archive(head: bytes) -> bool:
    """True if ``head`` (at least 265 bytes when the file has them) starts a compressed archive."""
    return (
        head.startswith(_ARCHIVE_MAGIC)
        or _BZIP2.match(head) is not None
        or head[_TAR_MAGIC_AT : _TAR_MAGIC_AT + 5] == b"ustar"
    )


def is_rtf(head: bytes) -> bool:
    # RTF opens in Word but can carry OLE objects (a classic exploit route) and
    # Word itself often saves it under a .doc name; we ask for .docx instead.
    # Word only checks these four bytes ("{\\rtvpn" opens too), so neither do we.
    return head.startswith(b"{\\rt")


# Markup that makes a browser treat bytes as a web page or an SVG picture:
# the WHATWG MIME-sniffing "text/html" patterns, plus XML and SVG. Checked at
# the start of text files, where browsers and viewers look.
_MARKUP_START = re.compile(
    r"\s*<(?:!doctype\s+html|html|head|body|script|iframe|svg|\?xml|h1|div|font|table|a|style|title|b|br|p)"
    r"(?:[\s/>]|$)|\s*<!--",
    re.IGNORECASE,
)
# Markup that has no business anywhere in a picture or a PDF; finding it
# means the bytes were crafted to be read as a web page as well.
MARKUP_ANYWHERE = re.compile(rb"<(?:script|html|svg|iframe|object|embed)[\s/>]|<\?php", re.IGNORECASE)


def starts_with_markup(text: str) -> bool:
    return _MARKUP_START.match(text.lstrip("\ufeff")) is not None
