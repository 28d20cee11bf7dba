"""Safe file names that still read naturally to a Chinese teacher."""

from __future__ import annotations

import re
import unicodedata

# Storage backends and Django's FileField (max_length=100 by default, which
# includes the upload folder) need room; 80 characters is plenty for a title.
MAX_NAME_CHARS = 80
# Each Chinese character is 3 bytes in UTF-8 and most filesystems allow 255
# bytes per name; keep well below so a storage suffix (_a1b2c3d) still fits.
MAX_NAME_BYTES = 180

FALLBACK_STEM = "upload"

# Characters Windows refuses in names, plus both path separators.
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
# Opening a file called CON, NUL or COM1 (with any extension) on Windows talks
# to a device instead. Superscript digits count too (COM¹).
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{prefix}{digit}" for prefix in ("com", "lpt") for digit in "123456789¹²³"}
)


def safe_filename(original: str | None, extension: str) -> str:
    """A name to store an upload under: the teacher's own title, made harmless.

    Keeps Chinese and other letters; drops any folder part, control and
    invisible formatting characters (including the right-to-left override
    used to disguise "exe.pdf" as "fdp.exe"), characters Windows forbids,
    leading dots (hidden files) and trailing dots and spaces (which Windows
    silently strips). The extension the browser sent is replaced by
    ``extension``, the one that matches what the content really is.
    """
    base = re.split(r"[/\\]", original or "")[-1]
    base = unicodedata.normalize("NFC", base)
    # Category C: Cc controls, Cf format characters (bidi overrides, zero-width
    # joiners), Cs/Co/Cn surrogates, private-use and unassigned code points.
    base = "".join(ch for ch in base if not unicodedata.category(ch).startswith("C"))
    base = _FORBIDDEN.sub("_", base)
    base = " ".join(base.split()).lstrip(". ")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem.rstrip(". ")
    if stem.split(".")[0].strip().lower() in _WINDOWS_DEVICES:
        stem = f"_{stem}"
    return f"{_truncate(stem, extension) or FALLBACK_STEM}.{extension}"


def _truncate(stem: str, extension: str) -> str:
    suffix_chars = len(extension) + 1
    stem = stem[: MAX_NAME_CHARS - suffix_chars]
    while stem and len(f"{stem}.{extension}".encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem.rstrip(". ")
