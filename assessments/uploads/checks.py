"""Deciding what an upload really is, and refusing it when that is unsafe.

The order matters only for which message the teacher sees; every path ends
in either one accepted :class:`Format` or a refusal:

1. the name: an extension that announces a program, an archive or a web page
   is refused at once (the teacher learns exactly what was wrong);
2. the content's signature: programs, then PDF, Office (OOXML and OLE2),
   pictures, archives and RTF, each with its own deeper inspection;
3. if no signature matched: text, if it decodes (see :mod:`.text`);
4. polyglot rules, below;
5. only then what the assignment allows: the content's kind must be the kind
   its name claims, and one the assignment accepts.

Polyglot: a file that is valid as its own format *and* as something a
different program would act on. We refuse a file when another reader would
find something in the places that reader looks:

* a PDF reader looks for ``%PDF-`` anywhere in the first 1024 bytes, so a
  non-PDF with that marker there is refused;
* a ZIP reader looks for a central directory at the end, so a file that is
  not itself OOXML but has one there is refused (the classic JPEG + ZIP);
* a browser treats markup as a page, so pictures and PDFs containing
  ``<script``, ``<html``, ``<svg``, ``<iframe``, ``<object``, ``<embed`` or
  ``<?php`` anywhere are refused; text starting like a web page is refused in
  :mod:`.text`. Office files are exempt: a Word document may well *talk
  about* ``<html>``, and Office formats are never sniffed as pages;
* pictures must end where their structure ends (:mod:`.images`).
"""

from __future__ import annotations

from tempfile import SpooledTemporaryFile

from . import images, kinds, office, pdf, signatures, text
from .kinds import FileKind, Format
from .refusals import UnsupportedFormat, join_labels, refuse

# Enough for every signature we check, including tar's at offset 257.
_HEAD_BYTES = 512
_PDF_HEADER_WINDOW = 1024
_OOXML = (kinds.DOCX, kinds.XLSX, kinds.PPTX)
# The end-of-central-directory record is 22 bytes plus a comment of at most 64 KiB.
_ZIP_EOCD_WINDOW = 22 + 0xFFFF


def refuse_by_name(extension: str | None) -> None:
    if extension in kinds.EXECUTABLE_EXTENSIONS:
        raise refuse("executable")
    if extension in kinds.ARCHIVE_EXTENSIONS:
        raise refuse("archive")
    if extension in kinds.ACTIVE_EXTENSIONS:
        raise refuse("active_content")


def identify(data, fileobj) -> Format | None:
    """The format ``data`` (bytes or mmap of ``fileobj``) really has; None if no signature matched.

    Raises a refusal for programs, archives and unsafe PDF or Office files,
    and :class:`UnsupportedFormat` for recognised formats we do not take.
    """
    head = bytes(data[:_HEAD_BYTES])
    if signatures.is_executable(head):
        raise refuse("executable")
    if head.startswith(b"%PDF-"):
        pdf.inspect_pdf(data)
        return kinds.PDF
    if head.startswith(b"PK\x03\x04"):
        return office.inspect_zip(fileobj)
    if head.startswith(office.CFB_SIGNATURE):
        return office.inspect_cfb(data)
    picture = images.format_of(head)
    if picture is not None:
        return picture
    if signatures.is_archive(head):
        raise refuse("archive")
    if signatures.is_rtf(head):
        raise UnsupportedFormat("RTF")
    return None


def as_text(fileobj, claimed: Format | None, allowed: list[FileKind]) -> SpooledTemporaryFile:
    """The UTF-8 version of a file no signature matched, or a refusal."""
    converted = text.to_utf8(fileobj)
    if converted is not None:
        return converted
    if claimed is kinds.TEXT:
        raise refuse("text_encoding")
    raise refuse("unrecognised", allowed=join_labels(kind.label for kind in allowed))


def refuse_polyglot(fmt: Format, data) -> None:
    if fmt is not kinds.PDF and data.find(b"%PDF-", 0, _PDF_HEADER_WINDOW) != -1:
        raise refuse("polyglot")
    if fmt not in _OOXML and _has_zip_directory(data):
        raise refuse("polyglot")
    if fmt.kind in (FileKind.IMAGE, FileKind.PDF) and signatures.MARKUP_ANYWHERE.search(data):
        raise refuse("polyglot")
    if fmt.kind is FileKind.IMAGE:
        images.refuse_hidden_data(fmt, data)


def _has_zip_directory(data) -> bool:
    """True if a ZIP reader would find an archive at the end of ``data``.

    Stricter than :func:`zipfile.is_zipfile`, which accepts a stray
    end-of-directory signature: four random bytes occur in about one in 65,000
    photos' last 64 KiB. A reader needs the central directory the record
    points to, so we require that too.
    """
    window_start = max(0, len(data) - _ZIP_EOCD_WINDOW)
    at = len(data)
    while (at := data.rfind(b"PK\x05\x06", window_start, at)) != -1:
        record = bytes(data[at : at + 22])
        if len(record) == 22:
            directory_size = int.from_bytes(record[12:16], "little")
            if directory_size == 0xFFFFFFFF or (at >= 20 and data[at - 20 : at - 16] == b"PK\x06\x07"):
                return True  # ZIP64: the real record sits just before
            directory = at - directory_size
            if directory_size and directory >= 0 and data[directory : directory + 4] == b"PK\x01\x02":
                return True
    return False


def refuse_unwanted(fmt: Format, claimed: Format | None, allowed: list[FileKind]) -> None:
    allowed_labels = join_labels(kind.label for kind in allowed)
    if claimed is not None and claimed.kind is not fmt.kind:
        raise refuse("mismatch", claimed=claimed.kind.label, actual=fmt.kind.label, allowed=allowed_labels)
    if fmt.kind not in allowed:
        raise refuse("kind_not_allowed", kind=fmt.kind.label, allowed=allowed_labels)


def refuse_unsupported(allowed: list[FileKind]):
    return refuse("unsupported_format", allowed=join_labels(kind.label for kind in allowed))
