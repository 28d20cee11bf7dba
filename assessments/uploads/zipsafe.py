"""Read an untrusted ZIP archive without believing what it says about itself.

Several uploads are ZIP archives made by a user: .h5p packages, and Word,
Excel and PowerPoint files. Python's :mod:`zipfile` is used here only to
*parse* the central directory; every entry is then re-checked and
decompressed by this module, because:

* The sizes in the central directory are claims. They are held against the
  limits (per entry, in total, compression ratio) before anything is read,
  and then every decompressed byte is counted as it comes out of zlib: the
  stream is cut off the moment it passes the size it claimed.
* Python 3.11.7's ``zipfile`` does not notice entries whose stored data
  overlap (CVE-2024-0450, fixed in 3.11.8): a few kilobytes of central
  directory can point many file names at the same compressed "kernel" and
  expand to gigabytes. Each entry's local header is read here and the byte
  ranges of all entries must be disjoint.
* Names can try to leave the destination folder (``../``, ``/etc``,
  ``C:\\``), entries can be symbolic links (mode bits in ``external_attr``),
  and the same name can appear twice. None of that reaches the disk.

Nothing here knows about H5P or Office: :mod:`assessments.uploads.office` and
:mod:`assessments.h5p.validation` build on it, and each words the refusals
that concern its own kind of file.
"""

from __future__ import annotations

import itertools
import re
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import BinaryIO

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

MiB = 1024 * 1024

# Structures from the ZIP specification (APPNOTE.TXT, sections 4.3.7 and 4.3.16).
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_CENTRAL_SIGNATURE = b"PK\x01\x02"
_END_RECORD = struct.Struct("<4s4H2LH")
_END_SIGNATURE = b"PK\x05\x06"

_FLAG_ENCRYPTED = 0x1
_FLAG_STRONG_ENCRYPTION = 0x40
_FLAG_UTF8 = 0x800

# Decompressed bytes are produced at most this many at a time, so no single
# step can allocate much more memory than a limit allows.
_CHUNK = 64 * 1024

# A central-directory record is 46 bytes plus name, extra field and comment.
# Real records stay well under 1 KiB; a directory that is larger than this
# per allowed entry is refused before zipfile turns it into ZipInfo objects.
_DIRECTORY_BYTES_PER_ENTRY = 1024

# Archives inside archives (a chart's workbook inside a Word document is one
# level) are opened at most this deep; deeper is refused.
MAX_NESTING = 3
# A nested archive is unpacked to a temporary file that spills to disk past this.
_SPOOL_IN_MEMORY = 8 * MiB

# A single path component longer than this cannot be created on common
# filesystems (ext4, APFS, NTFS), so it is refused with a clear message
# instead of failing halfway through extraction.
_MAX_COMPONENT_BYTES = 255


class PackageRefused(Exception):
    """The uploaded package is not accepted.

    ``code`` is a stable identifier for programs and tests; ``message`` is a
    translated sentence for the person who uploaded the file. ``name`` is the
    archive entry concerned, where a caller may want to word the refusal for
    its own kind of file (``encrypted``).
    """

    def __init__(self, code: str, message: str, *, name: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.name = name

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"PackageRefused({self.code!r}, {self.message!r})"


@dataclass(frozen=True)
class Limits:
    """How much an uploaded package may hold.

    The defaults fit large real H5P packages (an Interactive Book with its
    libraries has a few thousand files and tens of megabytes; videos are the
    big items) while keeping a worst case that one web worker survives; other
    kinds of archive pass their own (``office.OOXML_LIMITS``).
    """

    # The .h5p file itself, as uploaded.
    max_archive_size: int = 200 * MiB
    # Files and folders listed in the archive.
    max_entries: int = 10_000
    # Everything the package unpacks to.
    max_total_size: int = 500 * MiB
    # One unpacked file.
    max_entry_size: int = 200 * MiB
    # Unpacked size / stored size of one file. Text compresses 3-20x and
    # media hardly at all; deflate tops out near 1032x, which is what bombs use.
    max_compression_ratio: float = 100.0
    # Files smaller than this are not ratio-checked: a 40 KB JSON file of
    # repeated structure may legitimately compress 200x, and is harmless.
    ratio_check_from: int = 1 * MiB
    # JSON, SVG and XML files are parsed in memory; none of them needs more.
    max_document_size: int = 16 * MiB


@dataclass(frozen=True)
class Entry:
    """One central-directory record, after it passed the structural checks."""

    name: str  # as stored, with a trailing "/" for folders
    is_dir: bool
    crc: int
    compress_type: int
    compress_size: int
    declared_size: int  # file_size from the central directory: a claim
    header_offset: int
    data_offset: int  # where the compressed bytes start, from the local header

    @property
    def path(self) -> str:
        """The name without the trailing slash of a folder."""
        return self.name.rstrip("/")


def shown(name: str) -> str:
    """A file name made safe and short enough to quote in a message."""
    cleaned = "".join(ch if ch.isprintable() else "\ufffd" for ch in name)
    return cleaned if len(cleaned) <= 120 else cleaned[:117] + "..."


def _size(value: int) -> str:
    return str(filesizeformat(value))


class SafeArchive:
    """A ZIP archive whose structure has been checked; see :func:`open_archive`."""

    def __init__(self, fileobj: BinaryIO, entries: tuple[Entry, ...], limits: Limits):
        self._fileobj = fileobj
        self.entries = entries
        self.limits = limits
        # Bytes all reads of this archive may still produce together; shared
        # with the archives nested in it (see open_nested).
        self._budget = [limits.max_total_size]
        self.depth = 0

    @property
    def remaining_total(self) -> int:
        return self._budget[0]

    def open_nested(self, fileobj: BinaryIO) -> SafeArchive:
        """The archive held in one of this one's members, already unpacked to ``fileobj``.

        Nesting must not reset the limits (a zip of a zip of 200 MB of zeros
        passed every check of the outer file): the nested archive is held to
        the same per-entry and ratio limits, and everything it unpacks counts
        against what is left of the outermost archive's total. Raises
        PackageRefused past MAX_NESTING levels.
        """
        if self.depth >= MAX_NESTING:
            raise PackageRefused(
                "nested_too_deep",
                gettext("The package holds archives inside archives more than %(limit)d levels deep.")
                % {"limit": MAX_NESTING},
            )
        nested = open_archive(fileobj, replace(self.limits, max_total_size=self.remaining_total))
        nested._budget = self._budget
        nested.depth = self.depth + 1
        return nested

    def read(self, entry: Entry, *, max_size: int) -> bytes:
        """The whole content of ``entry``, which must fit in ``max_size`` bytes."""
        return b"".join(self.iter_chunks(entry, max_size=max_size))

    def iter_chunks(self, entry: Entry, *, max_size: int | None = None) -> Iterator[bytes]:
        """Decompress ``entry``, checking every limit on the bytes actually produced.

        Raises PackageRefused as soon as the output passes the entry's
        declared size, ``max_size``, the per-entry limit or the archive's
        remaining total, and at the end if the size or CRC-32 does not match
        the central directory.
        """
        limits = self.limits
        cap = limits.max_entry_size if max_size is None else min(max_size, limits.max_entry_size)
        fileobj = self._fileobj
        fileobj.seek(entry.data_offset)
        decompressor = zlib.decompressobj(-zlib.MAX_WBITS) if entry.compress_type == zipfile.ZIP_DEFLATED else None
        unread = entry.compress_size
        pending = b""
        produced = 0
        crc = 0
        while True:
            if not pending and unread:
                pending = fileobj.read(min(_CHUNK, unread))
                if not pending:
                    raise _damaged(entry)
                unread -= len(pending)
            if decompressor is not None:
                try:
                    out = decompressor.decompress(pending, _CHUNK)
                except zlib.error as exc:
                    raise _damaged(entry) from exc
                pending = decompressor.unconsumed_tail
            else:
                out, pending = pending, b""
            if out:
                produced += len(out)
                self._check_output(entry, produced, cap)
                if len(out) > self._budget[0]:
                    raise total_too_large(limits)
                self._budget[0] -= len(out)
                crc = zlib.crc32(out, crc)
                yield out
            finished = decompressor.eof if decompressor is not None else not (pending or unread)
            if finished:
                break
            if not pending and not unread:
                # The stored bytes ran out before the deflate stream ended.
                raise _damaged(entry)
        if produced != entry.declared_size:
            raise _size_mismatch(entry)
        if crc != entry.crc:
            raise _damaged(entry)

    def _check_output(self, entry: Entry, produced: int, cap: int) -> None:
        # Output may never pass the size the directory declared. That size has
        # already been held against the per-entry, total and ratio limits
        # (_check_declared_sizes), so this one comparison keeps the real
        # output inside all three. A mid-stream ratio test would add nothing
        # but false alarms: a WAV file with a long silence compresses 1000x
        # for a while and then hardly at all.
        if produced > entry.declared_size:
            raise _size_mismatch(entry)
        # This cap, and the total counted in iter_chunks, only matter if that
        # reasoning ever breaks; they are counted on real bytes, so they hold
        # regardless.
        if produced > cap:
            raise _entry_too_large(entry, cap)


def is_zip(head: bytes) -> bool:
    """Whether ``head`` (a member's first bytes) starts a ZIP archive."""
    return head[:4] in (_LOCAL_SIGNATURE, _END_SIGNATURE)


def spool() -> BinaryIO:
    """A temporary file for unpacking a nested archive into (memory first, then disk)."""
    return tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - the caller closes it


def _size_mismatch(entry: Entry) -> PackageRefused:
    return PackageRefused(
        "size_mismatch",
        gettext(
            "The file “%(name)s” in the package is not the size the archive says it is. "
            "The package is damaged or has been tampered with."
        )
        % {"name": shown(entry.path)},
    )


def _damaged(entry: Entry) -> PackageRefused:
    return _damaged_name(entry.path)


def _entry_too_large(entry: Entry, cap: int) -> PackageRefused:
    return PackageRefused(
        "entry_too_large",
        gettext("The file “%(name)s” in the package is larger than the limit of %(limit)s.")
        % {"name": shown(entry.path), "limit": _size(cap)},
    )


def _ratio_refused(entry: Entry, limits: Limits) -> PackageRefused:
    return PackageRefused(
        "compression_ratio",
        gettext(
            "The file “%(name)s” in the package is compressed more than %(ratio)d times. "
            "Files like this are used to crash servers (“zip bombs”), so the package was refused."
        )
        % {"name": shown(entry.path), "ratio": int(limits.max_compression_ratio)},
    )


def total_too_large(limits: Limits) -> PackageRefused:
    return PackageRefused(
        "too_large",
        gettext("The package unpacks to more than the limit of %(limit)s.") % {"limit": _size(limits.max_total_size)},
    )


def _archive_damaged() -> PackageRefused:
    return PackageRefused(
        "corrupt",
        gettext("The package file is damaged and cannot be opened. Export the package again and upload the new file."),
    )


def _too_many_entries(limits: Limits) -> PackageRefused:
    return PackageRefused(
        "too_many_entries",
        gettext("The package contains more than %(limit)d files and folders, which is over the limit.")
        % {"limit": limits.max_entries},
    )


def open_archive(fileobj: BinaryIO, limits: Limits | None = None) -> SafeArchive:
    """Check the structure of the ZIP archive in ``fileobj`` and list its entries.

    ``fileobj`` must be seekable and open in binary mode; it is not closed.
    Nothing is decompressed yet except what zipfile needs to parse the
    central directory. Raises PackageRefused.
    """
    limits = limits or Limits()
    fileobj.seek(0, 2)
    size = fileobj.tell()
    if size > limits.max_archive_size:
        raise PackageRefused(
            "archive_too_large",
            gettext("The package file is larger than the limit of %(limit)s.")
            % {"limit": _size(limits.max_archive_size)},
        )
    fileobj.seek(0)
    # A ZIP archive starts with a local file header, or with the end record
    # when it is empty. Anything else (a PNG renamed .h5p, an HTML page, a
    # self-extracting .exe) is not an archive; say so rather than "damaged".
    if fileobj.read(4) not in (_LOCAL_SIGNATURE, _END_SIGNATURE):
        raise PackageRefused(
            "not_zip",
            gettext("This file is not a ZIP archive."),
        )
    _check_central_directory(fileobj, size, limits)
    try:
        with zipfile.ZipFile(fileobj) as archive:  # a passed-in file object is left open
            infos = archive.infolist()
            directory_start = archive.start_dir
    except (zipfile.BadZipFile, EOFError, ValueError, struct.error, NotImplementedError) as exc:
        raise _archive_damaged() from exc
    if len(infos) > limits.max_entries:
        raise _too_many_entries(limits)

    entries: list[Entry] = []
    seen: dict[str, str] = {}
    for info in infos:
        name = info.filename
        _check_name(name)
        _check_file_type(info)
        if info.flag_bits & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION):
            raise PackageRefused(
                "encrypted",
                gettext("The file “%(name)s” in the package is password-protected, so it cannot be checked.")
                % {"name": shown(name)},
                name=name,
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise PackageRefused(
                "unsupported_compression",
                gettext(
                    "The file “%(name)s” in the package uses a compression method that is not supported. "
                    "Create the package again with standard ZIP compression."
                )
                % {"name": shown(name)},
            )
        # Case-insensitive: on macOS and Windows "A.json" and "a.json" are the
        # same file, and two entries for one path means one silently wins.
        key = name.rstrip("/").casefold()
        if key in seen:
            raise PackageRefused(
                "duplicate_entry",
                gettext("The package contains “%(name)s” more than once.") % {"name": shown(name)},
            )
        seen[key] = name
        entries.append(_locate(fileobj, info))

    _check_file_folder_clashes(entries)
    _check_overlaps(entries, directory_start)
    _check_declared_sizes(entries, limits)
    return SafeArchive(fileobj, tuple(entries), limits)


def _check_central_directory(fileobj: BinaryIO, size: int, limits: Limits) -> None:
    """Count the central-directory records before zipfile builds objects for them.

    zipfile reads the whole directory and makes one ZipInfo per record,
    however many there are; a small file can list millions. This reads the
    end record, bounds the directory's size, and counts records up to the
    limit.
    """
    tail_length = min(size, _END_RECORD.size + 0xFFFF)  # end record + longest comment
    fileobj.seek(size - tail_length)
    tail = fileobj.read(tail_length)
    position = tail.rfind(_END_SIGNATURE)
    if position < 0 or position + _END_RECORD.size > len(tail):
        raise _archive_damaged()
    (_, disk, directory_disk, _, entry_count, directory_size, directory_offset, _) = _END_RECORD.unpack_from(
        tail, position
    )
    if entry_count == 0xFFFF or directory_size == 0xFFFFFFFF or directory_offset == 0xFFFFFFFF:
        # ZIP64 is only needed past 65,535 entries or 4 GiB, far beyond any limit here.
        raise PackageRefused(
            "archive_too_large",
            gettext(
                "The package uses the ZIP64 format, which is only needed for archives with more than "
                "65,535 files or over 4 GB. Packages that large are not accepted."
            ),
        )
    if disk or directory_disk:
        raise _archive_damaged()  # split over several files
    if entry_count > limits.max_entries or directory_size > limits.max_entries * _DIRECTORY_BYTES_PER_ENTRY:
        raise _too_many_entries(limits)
    end_record_offset = size - tail_length + position
    if directory_offset + directory_size != end_record_offset:
        # Data before the first entry or between directory and end record.
        # zipfile would quietly shift every offset; refuse instead.
        raise _archive_damaged()
    fileobj.seek(directory_offset)
    directory = fileobj.read(directory_size)
    offset = count = 0
    while offset < len(directory):
        if directory[offset : offset + 4] != _CENTRAL_SIGNATURE or offset + _CENTRAL_HEADER.size > len(directory):
            raise _archive_damaged()
        name_length, extra_length, comment_length = struct.unpack_from("<3H", directory, offset + 28)
        offset += _CENTRAL_HEADER.size + name_length + extra_length + comment_length
        count += 1
        if count > limits.max_entries:
            raise _too_many_entries(limits)


def _unsafe_path(message: str, name: str) -> PackageRefused:
    return PackageRefused("unsafe_path", message % {"name": shown(name)})


_DRIVE_OR_COLON = re.compile(r"^[A-Za-z]:|:")


def _check_name(name: str) -> None:
    """Refuse any name that could be written outside the destination folder."""
    if not name or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise _unsafe_path(
            gettext("The package contains a file name with invisible control characters (“%(name)s”)."), name
        )
    if name.startswith("/"):
        raise _unsafe_path(
            gettext("The package contains “%(name)s”, an absolute path. Paths inside a package must be relative."),
            name,
        )
    if "\\" in name:
        raise _unsafe_path(
            gettext(
                "The package contains “%(name)s”, a path with backslashes (\\). "
                "Packages must use forward slashes (/) between folder names."
            ),
            name,
        )
    if _DRIVE_OR_COLON.search(name):
        raise _unsafe_path(
            gettext("The package contains “%(name)s”, a path with a drive letter or a colon, which is not allowed."),
            name,
        )
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        raise _unsafe_path(
            gettext("The package contains “%(name)s”, a path that points outside the package (“..”)."),
            name,
        )
    if any(part in ("", ".") for part in parts):
        raise _unsafe_path(
            gettext("The package contains “%(name)s”, a path with an empty or “.” folder name."),
            name,
        )
    if any(len(part.encode("utf-8")) > _MAX_COMPONENT_BYTES for part in parts):
        raise _unsafe_path(gettext("The package contains a file or folder name that is too long (“%(name)s”)."), name)


def _check_file_type(info: zipfile.ZipInfo) -> None:
    """Only regular files and folders: Unix creators store the file type in external_attr."""
    file_type = stat.S_IFMT(info.external_attr >> 16)
    if file_type == stat.S_IFLNK:
        raise PackageRefused(
            "symlink",
            gettext(
                "The package contains “%(name)s”, a symbolic link. Links could point outside the package, "
                "so they are not allowed."
            )
            % {"name": shown(info.filename)},
        )
    if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise PackageRefused(
            "special_file",
            gettext("The package contains “%(name)s”, which is not a regular file or folder.")
            % {"name": shown(info.filename)},
        )


def _locate(fileobj: BinaryIO, info: zipfile.ZipInfo) -> Entry:
    """Read the local header of ``info`` to find where its stored bytes really start."""
    fileobj.seek(info.header_offset)
    header = fileobj.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
        raise _damaged_name(info.filename)
    fields = _LOCAL_HEADER.unpack(header)
    flags, name_length, extra_length = fields[2], fields[9], fields[10]
    raw_name = fileobj.read(name_length)
    local_name = raw_name.decode("utf-8" if flags & _FLAG_UTF8 else "cp437", errors="replace")
    if local_name != info.orig_filename:
        # Tools that read local headers would see a different file than the
        # one checked here; zipfile refuses this too, but only when reading.
        raise _damaged_name(info.filename)
    return Entry(
        name=info.filename,
        is_dir=info.is_dir(),
        crc=info.CRC,
        compress_type=info.compress_type,
        compress_size=info.compress_size,
        declared_size=info.file_size,
        header_offset=info.header_offset,
        data_offset=info.header_offset + _LOCAL_HEADER.size + name_length + extra_length,
    )


def _damaged_name(name: str) -> PackageRefused:
    return PackageRefused(
        "corrupt",
        gettext(
            "The file “%(name)s” in the package is damaged and cannot be read. "
            "Export the package again and upload the new file."
        )
        % {"name": shown(name)},
    )


def _check_file_folder_clashes(entries: list[Entry]) -> None:
    files = {entry.path.casefold(): entry.path for entry in entries if not entry.is_dir}
    for entry in entries:
        parts = entry.path.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth]).casefold()
            if parent in files:
                raise PackageRefused(
                    "duplicate_entry",
                    gettext("The package contains “%(name)s” both as a file and as a folder.")
                    % {"name": shown(files[parent])},
                )


def _check_overlaps(entries: list[Entry], directory_start: int) -> None:
    """Every entry's header and stored bytes must end before the next entry begins.

    This is the check Python 3.11.8+ and 3.12.2+ make for CVE-2024-0450,
    done here so the result does not depend on the interpreter's patch level.
    """
    ordered = sorted(entries, key=lambda entry: entry.header_offset)
    for current, following in itertools.pairwise(ordered):
        if current.data_offset + current.compress_size > following.header_offset:
            raise PackageRefused(
                "overlapping_entries",
                gettext(
                    "The files “%(first)s” and “%(second)s” in the package share the same stored data. "
                    "This is how some “zip bombs” are built, so the package was refused."
                )
                % {"first": shown(current.path), "second": shown(following.path)},
            )
    if ordered and ordered[-1].data_offset + ordered[-1].compress_size > directory_start:
        raise PackageRefused(
            "overlapping_entries",
            gettext(
                "The stored data of “%(name)s” runs into the package's table of contents. "
                "The package is damaged or has been tampered with."
            )
            % {"name": shown(ordered[-1].path)},
        )


def _check_declared_sizes(entries: list[Entry], limits: Limits) -> None:
    """Refuse early on what the directory admits to; the real sizes are checked while reading."""
    total = 0
    for entry in entries:
        if entry.is_dir:
            continue
        if entry.declared_size > limits.max_entry_size:
            raise _entry_too_large(entry, limits.max_entry_size)
        if (
            entry.declared_size >= limits.ratio_check_from
            and entry.declared_size > max(entry.compress_size, 1) * limits.max_compression_ratio
        ):
            raise _ratio_refused(entry, limits)
        total += entry.declared_size
        if total > limits.max_total_size:
            raise total_too_large(limits)
