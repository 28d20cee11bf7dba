"""The kinds of file an assignment can accept, and the concrete formats behind them.

A *kind* is what a teacher recognises ("a Word document"); an assignment's
settings allow a set of kinds. A *format* is what the bytes really are (.doc
or .docx), and decides the extension and content type the file is stored
with. Within a kind the format may differ from the name a file arrived with
(a PNG screenshot named .jpg is common and harmless); across kinds it may not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class FileKind(models.TextChoices):
    """A kind of file an assignment can allow. Usable as block/form choices."""

    PDF = "pdf", _("PDF")
    WORD = "word", _("Word document")
    POWERPOINT = "powerpoint", _("PowerPoint presentation")
    EXCEL = "excel", _("Excel spreadsheet")
    IMAGE = "image", _("Picture")
    TEXT = "text", _("Plain text")

    @property
    def extensions(self) -> tuple[str, ...]:
        """Every extension a file of this kind may arrive with, e.g. ("doc", "docx")."""
        return tuple(ext for fmt in FORMATS if fmt.kind is self for ext in fmt.extensions)


@dataclass(frozen=True)
class Format:
    """One concrete file format. The first extension is the one files are stored under."""

    name: str
    kind: FileKind
    extensions: tuple[str, ...]
    content_type: str

    def extension_for(self, claimed: str | None) -> str:
        """Keep the teacher's spelling when it is right for this format (.jpeg, .md), else use ours."""
        return claimed if claimed in self.extensions else self.extensions[0]


PDF = Format("pdf", FileKind.PDF, ("pdf",), "application/pdf")
DOCX = Format(
    "docx", FileKind.WORD, ("docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)
DOC = Format("doc", FileKind.WORD, ("doc",), "application/msword")
PPTX = Format(
    "pptx",
    FileKind.POWERPOINT,
    ("pptx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)
PPT = Format("ppt", FileKind.POWERPOINT, ("ppt",), "application/vnd.ms-powerpoint")
XLSX = Format("xlsx", FileKind.EXCEL, ("xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
XLS = Format("xls", FileKind.EXCEL, ("xls",), "application/vnd.ms-excel")
JPEG = Format("jpeg", FileKind.IMAGE, ("jpg", "jpeg"), "image/jpeg")
PNG = Format("png", FileKind.IMAGE, ("png",), "image/png")
GIF = Format("gif", FileKind.IMAGE, ("gif",), "image/gif")
WEBP = Format("webp", FileKind.IMAGE, ("webp",), "image/webp")
# iPhones save photos as HEIC. Accepted as input only: re-encoded to JPEG,
# which every browser and phone can show.
HEIC = Format("heic", FileKind.IMAGE, ("heic", "heif"), "image/heic")
# Stored as text/plain even for .md: nothing renders uploads as Markdown, and
# text/plain (with nosniff) is the one type browsers never execute.
TEXT = Format("text", FileKind.TEXT, ("txt", "md"), "text/plain; charset=utf-8")

FORMATS: tuple[Format, ...] = (PDF, DOCX, DOC, PPTX, PPT, XLSX, XLS, JPEG, PNG, GIF, WEBP, HEIC, TEXT)
_BY_EXTENSION = {ext: fmt for fmt in FORMATS for ext in fmt.extensions}

# Names that announce something we refuse whatever is inside: saying so by the
# name gives the teacher the most accurate message.
ARCHIVE_EXTENSIONS = frozenset({"zip", "rar", "7z", "gz", "tgz", "bz2", "xz", "zst", "tar", "cab", "iso", "arj", "lz"})
EXECUTABLE_EXTENSIONS = frozenset(
    {
        *("exe", "com", "scr", "pif", "msi", "msp", "dll", "sys", "cpl", "lnk", "reg", "inf"),
        *("bat", "cmd", "ps1", "psm1", "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta", "jar", "class"),
        *("sh", "bash", "zsh", "command", "app", "dmg", "pkg", "apk", "xapk", "ipa", "deb", "rpm", "run", "elf"),
        *("py", "pyc", "pl", "rb", "php", "wasm"),
    }
)
ACTIVE_EXTENSIONS = frozenset({"svg", "svgz", "html", "htm", "xhtml", "shtml", "mht", "mhtml", "xml", "xsl", "swf"})


def extension_of(name: str | None) -> str | None:
    """The lower-case extension of a file name as sent by the browser, without the dot."""
    base = re.split(r"[/\\]", name or "")[-1]
    if "." not in base:
        return None
    ext = base.rsplit(".", 1)[1].strip().lower()
    return ext or None


def format_for_extension(ext: str | None) -> Format | None:
    return _BY_EXTENSION.get(ext) if ext else None
