"""validate_upload: from an uploaded file to bytes that are safe to store."""

from __future__ import annotations

import hashlib
import mmap
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from tempfile import SpooledTemporaryFile
from typing import BinaryIO

from django.core.files import File

from . import checks, images, kinds
from ._spool import SPOOL_MEMORY_BYTES, new_spool
from .images import DEFAULT_MAX_IMAGE_PIXELS
from .kinds import FileKind, Format
from .names import safe_filename
from .refusals import UnsupportedFormat, refuse, too_large

_HASH_CHUNK = 64 * 1024


@dataclass(frozen=True)
class CleanUpload:
    """An accepted upload. ``file`` holds the bytes to store (re-encoded for pictures).

    Save it with ``storage.save(clean.name, clean.file)`` or
    ``instance.field.save(clean.name, clean.file)``, then :meth:`close` it
    (or use the object as a context manager): large files live in a
    temporary file on disk until then.
    """

    name: str
    kind: FileKind
    content_type: str
    size: int
    sha256: str
    file: File = field(repr=False)
    original_name: str = ""

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> CleanUpload:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def validate_upload(
    uploaded_file,
    *,
    allowed_kinds: Iterable[FileKind | str],
    max_bytes: int,
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
) -> CleanUpload:
    """Check an uploaded file by its content and return what may be stored.

    ``uploaded_file`` is a Django ``UploadedFile`` (anything with ``name`` and
    ``chunks()``). ``allowed_kinds`` are :class:`FileKind` members or their
    values as stored in block settings ("pdf", "word"...). Raises
    :class:`UploadRefused` with a message for the teacher.
    """
    allowed = [FileKind(kind) for kind in allowed_kinds]
    original_name = uploaded_file.name or ""
    claimed_extension = kinds.extension_of(original_name)
    received, size = _receive(uploaded_file, max_bytes)
    try:
        fmt, stored = _inspect(received, size, claimed_extension, allowed, max_image_pixels)
    except UnsupportedFormat:
        received.close()
        raise checks.refuse_unsupported(allowed) from None
    except BaseException:
        received.close()
        raise
    if stored is not received:
        received.close()  # a picture was re-encoded or text converted: the original is no longer needed
    stored_size, digest = _measure(stored)
    name = safe_filename(original_name, fmt.extension_for(claimed_extension))
    return CleanUpload(
        name=name,
        kind=fmt.kind,
        content_type=fmt.content_type,
        size=stored_size,
        sha256=digest,
        file=File(stored, name=name),
        original_name=original_name,
    )


def _receive(uploaded_file, max_bytes: int) -> tuple[SpooledTemporaryFile, int]:
    """Copy the upload into a spool, counting bytes as they come; stop past ``max_bytes``."""
    declared = getattr(uploaded_file, "size", None)
    if isinstance(declared, int) and declared > max_bytes:
        raise too_large(max_bytes)  # cheap early answer; the count below is what we trust
    spool = new_spool()
    received = 0
    try:
        for chunk in uploaded_file.chunks():
            received += len(chunk)
            if received > max_bytes:
                raise too_large(max_bytes)
            spool.write(chunk)
        if received == 0:
            raise refuse("empty")
    except BaseException:
        spool.close()
        raise
    spool.flush()  # mmap reads the file descriptor, not Python's buffer
    spool.seek(0)
    return spool, received


def _inspect(
    received: SpooledTemporaryFile, size: int, claimed_extension: str | None, allowed: list[FileKind], max_pixels: int
) -> tuple[Format, BinaryIO]:
    checks.refuse_by_name(claimed_extension)
    claimed = kinds.format_for_extension(claimed_extension)
    with _bytes_of(received, size) as data:
        fmt = checks.identify(data, received)
        stored = received if fmt is not None else checks.as_text(received, claimed, allowed)
        try:
            fmt = fmt or kinds.TEXT
            checks.refuse_polyglot(fmt, data)
            checks.refuse_unwanted(fmt, claimed, allowed)
        except BaseException:
            if stored is not received:
                stored.close()
            raise
    if fmt.kind is FileKind.IMAGE:
        return images.reencode(received, fmt, max_pixels)
    return fmt, stored


@contextmanager
def _bytes_of(spool: SpooledTemporaryFile, size: int) -> Iterator[bytes | mmap.mmap]:
    """The spool's bytes for searching: a copy when small, a read-only memory map when large.

    A map lets regexes and slicing run over a 50 MB upload without reading it
    into memory; the operating system pages it in as needed.
    """
    if size <= SPOOL_MEMORY_BYTES:
        spool.seek(0)
        yield spool.read()
        return
    with mmap.mmap(spool.fileno(), 0, access=mmap.ACCESS_READ) as view:
        yield view


def _measure(stored: BinaryIO) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    stored.seek(0)
    while block := stored.read(_HASH_CHUNK):
        digest.update(block)
        size += len(block)
    stored.seek(0)
    return size, digest.hexdigest()
