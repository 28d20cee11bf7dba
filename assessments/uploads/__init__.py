"""Safe upload validation for teachers' assignment files.

Public API::

    from shixun.assessments.uploads import FileKind, validate_upload, UploadRefused

    try:
        clean = validate_upload(request.FILES["file"], allowed_kinds=[FileKind.PDF, FileKind.WORD],
                                max_bytes=20 * 1024 * 1024)
    except UploadRefused as refusal:
        form.add_error("file", refusal.message)   # refusal.code for logs
    else:
        with clean:
            submission.file.save(clean.name, clean.file)

Files are judged by their bytes, never by their name alone. See
:mod:`.checks` for the order of checks and what counts as a polyglot,
:mod:`.pdf`, :mod:`.office`, :mod:`.images` and :mod:`.text` for each
format's rules, and :mod:`.refusals` for every refusal code and message.

What is stored is still untrusted: serve it only as a download
(``Content-Disposition: attachment``), with the content type given here and
``X-Content-Type-Options: nosniff``, from a location that is not the site's
own origin where possible.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .handlers import MaxSizeUploadHandler, limit_upload_size
    from .images import DEFAULT_MAX_IMAGE_PIXELS
    from .kinds import FileKind
    from .names import safe_filename
    from .refusals import REFUSAL_CODES, UploadRefused
    from .validate import CleanUpload, validate_upload

# Django imports this package when it loads the app, in every process: the checks behind validate_upload
# (Pillow, the PDF and Office readers) load on first use, not at every start-up.
_SUBMODULE = {
    "DEFAULT_MAX_IMAGE_PIXELS": "images",
    "REFUSAL_CODES": "refusals",
    "CleanUpload": "validate",
    "FileKind": "kinds",
    "MaxSizeUploadHandler": "handlers",
    "UploadRefused": "refusals",
    "limit_upload_size": "handlers",
    "safe_filename": "names",
    "validate_upload": "validate",
}


def __getattr__(name: str):
    if name not in _SUBMODULE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{_SUBMODULE[name]}", __name__), name)


__all__ = [
    "DEFAULT_MAX_IMAGE_PIXELS",
    "REFUSAL_CODES",
    "CleanUpload",
    "FileKind",
    "MaxSizeUploadHandler",
    "UploadRefused",
    "limit_upload_size",
    "safe_filename",
    "validate_upload",
]
