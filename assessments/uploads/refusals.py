"""Why an upload was refused, told to the teacher in one plain sentence.

Every refusal has a stable ``code`` (for code, logs and tests) and a message
that says what to do instead. Teachers using this are often not confident
with computers and are on a phone, so a message never names a file format
internal, an exception or a byte offset: it names the fix.

All messages live in :data:`MESSAGES` so translators see them together and a
test can make sure each one is reachable.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class UploadRefused(Exception):
    """An uploaded file was not accepted. ``message`` is ready to show to the teacher."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


class UnsupportedFormat(Exception):  # noqa: N818 - a signal, not an error
    """The content was recognised but is not a format we take (RTF, OpenDocument...).

    Raised by the inspectors, which do not know what the assignment accepts;
    :func:`validate_upload` turns it into an ``unsupported_format`` refusal
    that lists the accepted kinds.
    """


MESSAGES = {
    "too_large": _(
        "This file is bigger than %(limit)s, the largest size accepted here. Please make it smaller "
        "and upload it again, for example by exporting the PDF with smaller pictures or sending photos at a "
        "lower resolution."
    ),
    "empty": _("This file is empty (0 bytes). Please check that you picked the right file and upload it again."),
    "kind_not_allowed": _(
        "This kind of file (%(kind)s) is not accepted here. Please upload one of these instead: %(allowed)s."
    ),
    "mismatch": _(
        "The name of this file does not match what is inside it: the name says “%(claimed)s”, but the file is "
        "really “%(actual)s”. Please upload the original file again without renaming it, or open it and use "
        "Save As to save it as one of these: %(allowed)s."
    ),
    "unrecognised": _(
        "We could not recognise this file. Please upload one of these instead: %(allowed)s. If the file opens "
        "normally on your computer, use Save As to save it in one of these formats first."
    ),
    "unsupported_format": _(
        "This file format cannot be used here. Please open the file, use Save As to save it as one of these: "
        "%(allowed)s, and upload the new file."
    ),
    "archive": _(
        "This file is a compressed archive (such as .zip or .rar), which cannot be uploaded. Please unzip it "
        "first, then upload the file inside (for example the Word or PDF file)."
    ),
    "executable": _(
        "This file is a program or script, not a document, so it cannot be uploaded for safety reasons. Please "
        "upload your work as a document, such as a Word or PDF file. If you expected a document, the file may be "
        "damaged or unsafe: please ask your school's IT staff to check it."
    ),
    "active_content": _(
        "Web pages and SVG pictures can contain hidden code, so they cannot be uploaded. Please save it as a PDF, "
        "or take a screenshot (PNG or JPEG), and upload that instead."
    ),
    "polyglot": _(
        "This file has another file hidden inside it, so it cannot be uploaded for safety reasons. Please open "
        "it and save a fresh copy (for a picture, a screenshot also works), then upload the new copy."
    ),
    "macro": _(
        "This Office file contains macros, which can run hidden code. Please save it as an ordinary file "
        "without macros (.docx, .xlsx or .pptx) and upload that instead."
    ),
    "embedded_object": _(
        "This document contains an embedded program or a link to an outside object, which is not allowed for "
        "safety reasons. Please remove the embedded object, or save the document as a PDF, and upload that "
        "instead."
    ),
    "zip_bomb": _(
        "This file would unpack to far more data than a real document holds (a “zip bomb”), so it cannot be "
        "uploaded for safety reasons. Please open it on your computer, use Save As to save a fresh copy, and "
        "upload that. If it really is that large, save it as a PDF instead."
    ),
    "encrypted": _(
        "This file is protected with a password, so it cannot be checked. Please remove the password (or save "
        "a copy without one) and upload that instead."
    ),
    "pdf_active_content": _(
        "This PDF contains scripts, automatic actions or attached files, which are not allowed for safety "
        "reasons. Please open it, choose Print, pick “Save as PDF” (or “Microsoft Print to PDF”) as the printer "
        "to make a plain copy, and upload that."
    ),
    "damaged": _(
        "This file seems to be damaged and cannot be opened. Please check that it opens on your computer, save "
        "it again, and upload the new copy."
    ),
    "too_many_pixels": _(
        "This picture has too many pixels to be processed. Please make the picture smaller (or take a "
        "screenshot of it) and upload that instead."
    ),
    "text_encoding": _(
        "We cannot read the characters in this text file. Please open it in Notepad, choose Save As, set "
        "Encoding to UTF-8, and upload it again."
    ),
}

REFUSAL_CODES = frozenset(MESSAGES)


def refuse(code: str, **params: object) -> UploadRefused:
    """Build (not raise) the refusal for ``code``, translated into the active language."""
    return UploadRefused(code, str(MESSAGES[code]) % params)


def too_large(max_bytes: int) -> UploadRefused:
    return refuse("too_large", limit=filesizeformat(max_bytes))


def join_labels(labels: Iterable[object]) -> str:
    """Join kind labels as the language does: "PDF, Word document"; in Chinese "PDF、Word 文档"."""
    # Translators: separator between items in a list of file kinds, e.g. "PDF, Word document".
    return gettext(", ").join(str(label) for label in labels)
