"""Microsoft Office files: OOXML packages (.docx/.xlsx/.pptx) and OLE2 compound files (.doc/.xls/.ppt).

Both containers can hold much more than a document. What is refused here:

* macros: VBA projects, Excel 4 macro sheets and ActiveX controls, whatever
  the file's extension says (a .docm renamed .docx is still a .docm);
* embedded programs: members with an executable signature or extension, and
  OLE "Package" objects (``Ole10Native``), the way .exe files are dropped
  into Office documents;
* links that make Office fetch and run something from outside: external
  templates (a well-known way to load macros later), external OLE objects and
  frames. Ordinary hyperlinks are fine;
* password-protected files, which are stored encrypted and cannot be checked.

An OOXML file is a ZIP, and a ZIP can be a bomb: a few kilobytes that unpack
to gigabytes. Storing one is not harmless even if the server never unpacks
it: the trainer downloads it (alone or in the zip of a whole assignment) and
opens it. So the archive is read by :mod:`.zipsafe`, as an .h5p package
is (one implementation for both):

* before anything is decompressed, the central directory's claims are held
  against :data:`OOXML_LIMITS`: entries, each member's unpacked size and
  compression ratio, the unpacked total, and (here) the ratio of the whole
  archive; overlapping entries (CVE-2024-0450 bombs) are refused;
* then every member is decompressed once to its end, counting the bytes that
  really come out: claimed sizes are lies in crafted ZIPs, so a member that
  inflates past its declared size is cut off there and refused, and the
  real total can never pass the cap either.

A ZIP that is not a Word, Excel or PowerPoint package is an archive (or, for
.apk and .jar, a program).
"""

from __future__ import annotations

import struct
import zipfile
from typing import BinaryIO, NamedTuple

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from . import kinds
from .kinds import Format
from .refusals import UnsupportedFormat, UploadRefused, refuse
from .signatures import is_executable

# The ZIP reader that believes nothing an archive says about itself.
from .zipsafe import Limits, MiB, PackageRefused, SafeArchive, is_zip, open_archive, spool

# --- OOXML ----------------------------------------------------------------------

_CONTENT_TYPES = "[Content_Types].xml"
_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": kinds.DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": kinds.XLSX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": kinds.PPTX,
}
# Content types that mean code: macroEnabled main parts, vbaProject, Excel 4
# macro sheets (macrosheet, intlmacrosheet) and ActiveX controls.
_CODE_CONTENT_TYPE_WORDS = ("macro", "vbaproject", "activex")
_EXTERNAL_RELATIONSHIPS = ("/attachedTemplate", "/oleObject", "/frame", "/subDocument")
_PACKAGE_OBJECT = "Ole10Native".encode("utf-16-le")
# Members that make a ZIP a program rather than a document.
_PROGRAM_MEMBERS = ("AndroidManifest.xml", "classes.dex", "META-INF/MANIFEST.MF")
_OPENDOCUMENT = b"application/vnd.oasis.opendocument"

# XML parts we read are small in real files; bigger ones are not worth trusting.
_MAX_XML_PART = 2 * 1024 * 1024
# Embedded OLE objects are searched for a Package stream up to this size.
_MAX_OLE_OBJECT = 16 * 1024 * 1024
# Bytes at the start of every member checked for a program's signature.
_MEMBER_HEAD = 64

# What a Word, Excel or PowerPoint file may unpack to. Real documents: text
# XML compresses 3-20x (a repetitive spreadsheet up to ~50x), pictures and
# video hardly at all, and a 50 MB workbook of data unpacks to a few hundred
# MB. Deflate tops out near 1032x, which is what bombs use. The size of the
# upload itself is the assignment's limit, checked before this.
OOXML_LIMITS = Limits(
    max_archive_size=4 * 1024 * MiB,  # ZIP64 (over 4 GB) is refused by zipsafe anyway
    max_entries=10_000,
    max_total_size=512 * MiB,
    max_entry_size=256 * MiB,
    max_compression_ratio=100.0,
    ratio_check_from=1 * MiB,  # a small part of repeated markup may compress 200x, harmlessly
)
# The same ratio for the archive as a whole, so that many members each just
# under ``ratio_check_from`` cannot add up to a bomb below the total cap.
_MAX_OVERALL_RATIO = 100.0

# zipsafe's refusal codes -> the upload refusal a teacher sees.
_BOMB_CODES = frozenset(
    {"compression_ratio", "too_large", "entry_too_large", "too_many_entries", "overlapping_entries", "nested_too_deep"}
)


def inspect_zip(fileobj: BinaryIO) -> Format:
    """The OOXML format of a ZIP upload (a seekable binary file), or a refusal.

    Order: the archive's structure and claimed sizes (nothing unpacked yet),
    then what the package is (small capped parts only), then every member
    unpacked once and counted, with its first bytes checked for programs.
    """
    try:
        archive = open_archive(fileobj, OOXML_LIMITS)
        _refuse_overall_ratio(archive, fileobj)
        with zipfile.ZipFile(fileobj) as package:
            fmt = _inspect_package(package)
        _scan_members(archive)
        return fmt
    except PackageRefused as refused:
        raise _as_upload_refusal(refused) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, KeyError):
        raise refuse("damaged") from None
    except RuntimeError:  # zipfile's "File is encrypted, password required"
        raise refuse("encrypted") from None


def _as_upload_refusal(refused: PackageRefused) -> UploadRefused:
    if refused.code in _BOMB_CODES:
        return refuse("zip_bomb")
    if refused.code == "encrypted":
        return refuse("encrypted")
    # Sizes or checksums that lie, odd paths, links, duplicates, unknown
    # compression: Office never writes any of these, so the file is damaged
    # (or crafted); saving a fresh copy is the fix either way.
    return refuse("damaged")


def _refuse_overall_ratio(archive: SafeArchive, fileobj: BinaryIO) -> None:
    declared = sum(entry.declared_size for entry in archive.entries if not entry.is_dir)
    fileobj.seek(0, 2)
    archive_size = fileobj.tell()
    if declared >= OOXML_LIMITS.ratio_check_from and declared > archive_size * _MAX_OVERALL_RATIO:
        raise refuse("zip_bomb")


def _inspect_package(package: zipfile.ZipFile) -> Format:
    names = set(package.namelist())
    if any(member in names for member in _PROGRAM_MEMBERS):
        raise refuse("executable")
    if "mimetype" in names and _read(package, "mimetype").startswith(_OPENDOCUMENT):
        raise UnsupportedFormat("OpenDocument")
    if _CONTENT_TYPES not in names:
        raise refuse("archive")
    content_types = _content_types(package)
    if any(word in ct.lower() for ct in content_types.values() for word in _CODE_CONTENT_TYPE_WORDS):
        raise refuse("macro")
    if any(_is_code_member(name) for name in names):
        raise refuse("macro")
    formats = {_MAIN_PARTS[ct] for part, ct in content_types.items() if ct in _MAIN_PARTS and part in names}
    if len(formats) != 1:
        # A Visio drawing, an XPS file, or a package claiming to be two things at once.
        raise UnsupportedFormat("OOXML")
    _refuse_external_relationships(package, names)
    return formats.pop()


def _read(package: zipfile.ZipFile, name: str, limit: int = _MAX_XML_PART) -> bytes:
    with package.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise refuse("damaged")
    return data


def _parse_xml(data: bytes):
    try:
        # defusedxml refuses DTDs and entities: no billion-laughs, no external fetches.
        return SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException):
        raise refuse("damaged") from None


def _content_types(package: zipfile.ZipFile) -> dict[str, str]:
    """Part name (without the leading slash) -> declared content type, for every Override."""
    root = _parse_xml(_read(package, _CONTENT_TYPES))
    overrides = {}
    for element in root:
        if element.tag.endswith("}Override"):
            overrides[element.get("PartName", "").lstrip("/")] = element.get("ContentType", "")
        elif element.tag.endswith("}Default"):
            overrides[f"*.{element.get('Extension', '').lower()}"] = element.get("ContentType", "")
    return overrides


def _is_code_member(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith(("vbaproject.bin", "vbadata.xml")) or "/activex/" in lowered


def _refuse_external_relationships(package: zipfile.ZipFile, names: set[str]) -> None:
    for name in names:
        if not name.endswith(".rels"):
            continue
        for rel in _parse_xml(_read(package, name)):
            if rel.get("TargetMode") == "External" and rel.get("Type", "").endswith(_EXTERNAL_RELATIONSHIPS):
                raise refuse("embedded_object")


def _scan_members(archive: SafeArchive) -> None:
    """Unpack every member once, to its end: programs inside are refused, and so are size lies.

    zipsafe counts the bytes as they come out of zlib and stops a member the
    moment it passes its declared size (or the archive its total), then
    checks the size and CRC-32 at the end; nothing is kept but the head of
    each member and, for embedded OLE objects, the part searched for a
    Package stream.
    """
    for entry in archive.entries:
        if entry.is_dir:
            continue
        if kinds.extension_of(entry.name) in kinds.EXECUTABLE_EXTENSIONS:
            raise refuse("embedded_object")
        kept = bytearray()
        keep = _MEMBER_HEAD
        nested = None  # a ZIP inside (an embedded workbook, or a bomb's next layer)
        try:
            for chunk in archive.iter_chunks(entry):
                if nested is not None:
                    nested.write(chunk)
                if len(kept) < keep:
                    kept += chunk
                    if keep == _MEMBER_HEAD and kept[: len(CFB_SIGNATURE)] == CFB_SIGNATURE:
                        keep += _MAX_OLE_OBJECT  # an embedded OLE object: look for a packaged program
                    elif nested is None and len(kept) >= 4 and is_zip(bytes(kept[:4])):
                        nested = spool()
                        nested.write(kept)
                    del kept[keep:]
            if is_executable(bytes(kept[:_MEMBER_HEAD])):
                raise refuse("embedded_object")
            if kept.startswith(CFB_SIGNATURE) and _PACKAGE_OBJECT in kept:
                raise refuse("embedded_object")
            if nested is not None:
                # Scanned like the outer file, within what is left of its limits.
                inner = archive.open_nested(nested)
                _refuse_overall_ratio(inner, nested)
                _scan_members(inner)
        finally:
            if nested is not None:
                nested.close()


# --- OLE2 compound files -------------------------------------------------------

CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
# [MS-CFB] 2.2: signature, CLSID, versions, byte order, sector shifts, reserved,
# then directory/FAT/mini-FAT/DIFAT bookkeeping; the first 109 DIFAT entries follow at 76.
_HEADER = struct.Struct("<8s16sHHHHH6sIIIIIIIII")
# A directory entry is 128 bytes; we read the name, type, tree links and CLSID at its start.
_ENTRY = struct.Struct("<64sHBBIII16s")
_ENTRY_SIZE = 128
_END_OF_CHAIN = 0xFFFFFFFE
_NO_STREAM = 0xFFFFFFFF
_MAX_SECTOR = 0xFFFFFFFA
_STORAGE, _STREAM, _ROOT = 1, 2, 5

_MAIN_STREAMS = {"WordDocument": kinds.DOC, "Workbook": kinds.XLS, "Book": kinds.XLS, "PowerPoint Document": kinds.PPT}
# Word keeps VBA in "Macros", Excel in "_VBA_PROJECT_CUR", both with a "VBA" storage inside.
_MACRO_STORAGES = frozenset({"macros", "_vba_project_cur", "vba", "_vba_project"})
_ENCRYPTED_STREAMS = frozenset({"EncryptedPackage", "EncryptionInfo"})
# Windows Installer packages (.msi, .msp, .mst) are compound files too. Their
# root CLSID is {000C108x-0000-0000-C000-000000000046}.
_INSTALLER_CLSID_TAIL = bytes.fromhex("0C0000000000C000000000000046")


class _Entry(NamedTuple):
    name: str
    kind: int
    left: int
    right: int
    child: int
    clsid: bytes


class _Directory:
    """The directory of a compound file: which streams and storages it holds.

    Only the directory is read, never stream contents. Every sector number
    read from the file is bounds-checked and every chain is cycle-checked:
    the file is hostile until proven otherwise.
    """

    def __init__(self, data):
        if len(data) < 512:
            raise refuse("damaged")
        header = _HEADER.unpack_from(data, 0)
        sector_shift = header[5]
        if sector_shift not in (9, 12):
            raise refuse("damaged")
        self._data = data
        self._sector_size = 1 << sector_shift
        self._fat = self._read_fat(num_fat_sectors=header[9], difat_start=header[15], difat_count=header[16])
        self.entries = self._read_entries(first_sector=header[10])

    def _sector_offset(self, sector: int) -> int:
        offset = (sector + 1) * self._sector_size
        if sector > _MAX_SECTOR or offset + self._sector_size > len(self._data):
            raise refuse("damaged")
        return offset

    def _sector_ints(self, sector: int) -> tuple[int, ...]:
        offset = self._sector_offset(sector)
        return struct.unpack_from(f"<{self._sector_size // 4}I", self._data, offset)

    def _read_fat(self, num_fat_sectors: int, difat_start: int, difat_count: int) -> list[int]:
        fat_sectors = list(struct.unpack_from("<109I", self._data, 76))
        sector, seen = difat_start, set()
        for _ in range(difat_count):
            if sector in seen:
                raise refuse("damaged")
            seen.add(sector)
            ints = self._sector_ints(sector)
            fat_sectors.extend(ints[:-1])
            sector = ints[-1]
        fat: list[int] = []
        for sector in fat_sectors[:num_fat_sectors]:
            fat.extend(self._sector_ints(sector))
        return fat

    def _chain(self, start: int):
        sector, seen = start, set()
        while sector != _END_OF_CHAIN:
            if sector in seen or sector >= len(self._fat):
                raise refuse("damaged")
            seen.add(sector)
            yield sector
            sector = self._fat[sector]

    def _read_entries(self, first_sector: int) -> list[_Entry]:
        entries = []
        for sector in self._chain(first_sector):
            offset = self._sector_offset(sector)
            for at in range(offset, offset + self._sector_size, _ENTRY_SIZE):
                raw_name, name_bytes, kind, _colour, left, right, child, clsid = _ENTRY.unpack_from(self._data, at)
                # name_bytes counts the UTF-16 terminator; control characters
                # prefix system streams ("\x01Ole10Native", "\x05SummaryInformation").
                name = raw_name[: max(0, min(name_bytes, 64) - 2)].decode("utf-16-le", "replace")
                entries.append(_Entry(name.lstrip("\x01\x02\x03\x05"), kind, left, right, child, clsid))
        if not entries or entries[0].kind != _ROOT:
            raise refuse("damaged")
        return entries

    @property
    def root_clsid(self) -> bytes:
        return self.entries[0].clsid

    def names(self) -> set[str]:
        """Names of all streams and storages, at any depth."""
        return {entry.name for entry in self.entries if entry.kind in (_STORAGE, _STREAM)}

    def top_level_names(self) -> set[str]:
        """Names directly under the root: the red-black tree hanging off the root's child."""
        found, pending, seen = set(), [self.entries[0].child], set()
        while pending:
            index = pending.pop()
            if index == _NO_STREAM:
                continue
            if index in seen or index >= len(self.entries):
                raise refuse("damaged")
            seen.add(index)
            entry = self.entries[index]
            found.add(entry.name)
            pending += [entry.left, entry.right]
        return found


def inspect_cfb(data) -> Format:
    """The legacy Office format of a compound file (bytes or mmap), or a refusal."""
    directory = _Directory(data)
    if directory.root_clsid[1:2] == b"\x10" and directory.root_clsid[2:] == _INSTALLER_CLSID_TAIL:
        raise refuse("executable")
    top = directory.top_level_names()
    if top & _ENCRYPTED_STREAMS:
        raise refuse("encrypted")
    everywhere = directory.names()
    if {name.lower() for name in everywhere} & _MACRO_STORAGES:
        raise refuse("macro")
    if "Ole10Native" in everywhere:
        raise refuse("embedded_object")
    formats = {fmt for name, fmt in _MAIN_STREAMS.items() if name in top}
    if len(formats) != 1:
        raise UnsupportedFormat("OLE2")  # Visio, Publisher, an old Works file...
    return formats.pop()
