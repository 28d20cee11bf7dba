"""Wagtail documents and images go through the same content checks as teachers' assignment files.

Trainers upload lesson handouts, video files and pictures in the Wagtail
admin. Wagtail itself judges a document by its name only, so a web page, an
SVG with a script, a web page renamed .pdf or a PDF with JavaScript was
stored and then served from the site's own origin. The form bases below
(WAGTAILDOCS_DOCUMENT_FORM_BASE, WAGTAILIMAGES_IMAGE_FORM_BASE) run every new
file through assessments.uploads.validate_upload, which the single upload,
the multiple upload and the edit views all use, and store what it returns
(pictures re-encoded, text as UTF-8).

Video files for lessons (VideoBlock) are documents too. validate_upload
does not know videos, so an .mp4 or .webm is accepted only when its bytes
start like one. Documents are served as attachments except videos, which a
<video> element plays from the same address (WAGTAILDOCS_INLINE_CONTENT_TYPES).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from wagtail.documents.forms import BaseDocumentForm
from wagtail.images.forms import BaseImageForm

from shixun.assessments.uploads import FileKind, UploadRefused, validate_upload
from shixun.assessments.uploads.kinds import extension_of
from shixun.assessments.uploads.refusals import too_large
from shixun.assessments.uploads.signatures import MARKUP_ANYWHERE
from shixun.config.conf import shixun_settings

MB = 1024 * 1024
DOCUMENT_KINDS = tuple(FileKind)
# Extension -> the type a browser plays it as. .m4v is MP4 under another name.
VIDEO_TYPES = {"mp4": "video/mp4", "m4v": "video/mp4", "webm": "video/webm"}
DOCUMENT_EXTENSIONS = sorted({*(ext for kind in DOCUMENT_KINDS for ext in kind.extensions), *VIDEO_TYPES})
_VIDEO_HEAD = 1024

NOT_A_VIDEO = _("This file is not an MP4 or WebM video. Save it as MP4 and upload it again.")


def max_document_bytes() -> int:
    return shixun_settings.SHIXUN_DOCUMENT_MAX_UPLOAD_MB * MB


def _checked(upload, **limits):
    """validate_upload's accepted file for the form to store, or the refusal as the field's error."""
    try:
        clean = validate_upload(upload, **limits)
    except UploadRefused as refusal:
        raise ValidationError(refusal.message, code=refusal.code) from None
    # The form stores clean.file when the model is saved; its spool is removed when collected.
    return clean.file


def _check_video(upload, extension: str) -> None:
    """A video is stored as it came, so its first bytes must be the container it claims and nothing else."""
    upload.seek(0)
    head = upload.read(_VIDEO_HEAD)
    upload.seek(0)
    if extension == "webm":
        looks_right = head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]
    else:  # MP4: an ISO base media file starts with its "ftyp" box
        looks_right = head[4:8] == b"ftyp"
    # A reader that looks for another format's marker near the start must not find one (a polyglot).
    if not looks_right or b"%PDF-" in head or MARKUP_ANYWHERE.search(head):
        raise ValidationError(NOT_A_VIDEO, code="not_a_video")


class DocumentForm(BaseDocumentForm):
    """Wagtail's document form, with the upload checked by its content."""

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not isinstance(upload, UploadedFile):  # unchanged: the stored file was checked when it came
            return upload
        extension = extension_of(upload.name)
        if extension in VIDEO_TYPES:
            if upload.size > max_document_bytes():
                refusal = too_large(max_document_bytes())
                raise ValidationError(refusal.message, code=refusal.code)
            _check_video(upload, extension)
            return upload
        return _checked(upload, allowed_kinds=DOCUMENT_KINDS, max_bytes=max_document_bytes())


class ImageForm(BaseImageForm):
    """Wagtail's image form, with the picture checked and re-encoded as an assignment's pictures are."""

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not isinstance(upload, UploadedFile):
            return upload
        return _checked(
            upload,
            allowed_kinds=[FileKind.IMAGE],
            max_bytes=getattr(settings, "WAGTAILIMAGES_MAX_UPLOAD_SIZE", 10 * MB),
            max_image_pixels=getattr(settings, "WAGTAILIMAGES_MAX_IMAGE_PIXELS", 128_000_000),
        )
