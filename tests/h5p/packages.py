"""Build .h5p packages for tests, valid and hostile, in memory.

Everything is made from Shixun's own test library
(assessments/h5p/test_library/H5P.ShixunQuickCheck-1.0) at test time; no
package or library from elsewhere is committed.

Most variants are a valid package with one thing changed (``package(...)``).
The archives that Python's zipfile refuses to write (overlapping entries,
sizes that lie, symbolic links with odd modes) are assembled byte by byte
with ``raw_zip``.
"""

from __future__ import annotations

import io
import json
import stat
import struct
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LIBRARY_DIR = Path(__file__).resolve().parents[2] / "assessments" / "h5p" / "test_library" / "H5P.ShixunQuickCheck-1.0"
LIBRARY_FOLDER = LIBRARY_DIR.name
MAIN_LIBRARY = ("H5P.ShixunQuickCheck", 1, 0)

# A harmless SVG as exported by a drawing program, DOCTYPE included.
SAFE_SVG = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="40">
  <defs><linearGradient id="g"><stop offset="0" stop-color="#2e7d32"/></linearGradient></defs>
  <circle cx="20" cy="20" r="18" fill="url(#g)"/>
  <use xlink:href="#g"/>
  <a href="https://example.org/"><text x="4" y="24">\xe5\xb8\x88\xe8\xae\xad</text></a>
</svg>
"""

# SVG/XML documents that can run script when opened in a browser.
HOSTILE_MARKUP = {
    "script element": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>',
    "event handler": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>',
    "javascript link": (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<a xlink:href=" java&#x09;script:alert(1)"><text>x</text></a></svg>'
    ),
    "foreign object": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><body xmlns="http://www.w3.org/1999/xhtml">'
        b'<iframe src="https://evil.example/"></iframe></body></foreignObject></svg>'
    ),
    "animated href": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" to="javascript:alert(1)"/>'
        b"<text>x</text></a></svg>"
    ),
    "animated xlink:href": (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><a>'
        b'<animate attributeName="xlink:href" values="https://example.org/;https://example.org/x"/>'
        b"<text>x</text></a></svg>"
    ),
    "html data url": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><a href="data:text/html;base64,PHNjcmlwdD4="><text>x</text></a></svg>'
    ),
    "stylesheet instruction": (
        b'<?xml-stylesheet type="text/xsl" href="evil.xsl"?><svg xmlns="http://www.w3.org/2000/svg"/>'
    ),
    "entity expansion": (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>'
    ),
    "not well-formed": b'<svg xmlns="http://www.w3.org/2000/svg"><script>',
}

CONTENT = {
    "question": "课堂提问后，教师一般应等待多久再请学生回答？",
    "options": [
        {"text": "立即点名，不需要等待", "correct": False},
        {"text": "等待三到五秒，给学生思考的时间", "correct": True},
        {"text": "等到有学生主动举手为止", "correct": False},
    ],
    "l10n": {"correct": "回答正确！", "incorrect": "还不对哦。", "retry": "再试一次"},
}


def h5p_json(**changes: Any) -> dict[str, Any]:
    """The package's h5p.json; ``changes`` replace fields, None removes one."""
    data: dict[str, Any] = {
        "title": "等待时间小测",
        "language": "zh-hans",
        "mainLibrary": "H5P.ShixunQuickCheck",
        "embedTypes": ["iframe"],
        "license": "U",
        "preloadedDependencies": [{"machineName": "H5P.ShixunQuickCheck", "majorVersion": 1, "minorVersion": 0}],
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def library_json(**changes: Any) -> dict[str, Any]:
    """The test library's library.json; ``changes`` replace fields, None removes one."""
    data = json.loads((LIBRARY_DIR / "library.json").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")


def library_files() -> dict[str, bytes]:
    return {
        f"{LIBRARY_FOLDER}/{path.relative_to(LIBRARY_DIR).as_posix()}": path.read_bytes()
        for path in sorted(LIBRARY_DIR.rglob("*"))
        if path.is_file()
    }


def valid_files() -> dict[str, bytes]:
    """Everything a valid package holds, by path inside the archive."""
    return {
        "h5p.json": dumps(h5p_json()),
        "content/content.json": dumps(CONTENT),
        "content/images/badge.svg": SAFE_SVG,
        **library_files(),
    }


def package(
    *,
    replace: Mapping[str, bytes] | None = None,
    remove: tuple[str, ...] = (),
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A valid package with files added or replaced (``replace``) and removed (``remove``)."""
    files = valid_files()
    for path in remove:
        del files[path]
    files.update(replace or {})
    return zip_bytes(files, compression=compression)


def upgraded_package(patch: int, *, marker: str = "") -> bytes:
    """A valid package whose library is patch version ``patch``, its script ending with ``marker``."""
    script = (LIBRARY_DIR / "quickcheck.js").read_bytes() + marker.encode()
    return package(replace={
        f"{LIBRARY_FOLDER}/library.json": dumps(library_json(patchVersion=patch)),
        f"{LIBRARY_FOLDER}/quickcheck.js": script,
    })


def zip_bytes(files: Mapping[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0)), data, compress_type=compression)
    return buffer.getvalue()


def symlink_package() -> bytes:
    """A valid package plus a Unix symbolic link, stored the way `zip --symlinks` does."""
    buffer = io.BytesIO(package())
    with zipfile.ZipFile(buffer, "a") as archive:
        link = zipfile.ZipInfo("content/images/passwd.json", date_time=(2024, 1, 1, 0, 0, 0))
        link.create_system = 3  # Unix
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "../../../../etc/passwd")
    return buffer.getvalue()


def bzip2_package() -> bytes:
    return package(compression=zipfile.ZIP_BZIP2)


def encrypted_flag_package() -> bytes:
    """A valid package whose content.json claims to be encrypted (flag bit 0)."""
    data = bytearray(package())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = data.find(signature)
        while position >= 0:
            name_offset = 30 if signature == b"PK\x03\x04" else 46
            name_length = struct.unpack_from("<H", data, position + (26 if name_offset == 30 else 28))[0]
            name = bytes(data[position + name_offset : position + name_offset + name_length])
            if name == b"content/content.json":
                flags = struct.unpack_from("<H", data, position + flag_offset)[0]
                struct.pack_into("<H", data, position + flag_offset, flags | 0x1)
            position = data.find(signature, position + 4)
    return bytes(data)


def lying_entry_count_package(count: int) -> bytes:
    """A valid package whose end record claims ``count`` entries."""
    data = bytearray(package())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, count, count)
    return bytes(data)


# --------------------------------------------------------------------------
# Hand-assembled archives
# --------------------------------------------------------------------------


@dataclass
class RawEntry:
    """One entry of a hand-made archive. Fields default to the honest values."""

    name: str
    stored: bytes  # the bytes as they sit in the archive (compressed or not)
    method: int = zipfile.ZIP_STORED
    crc: int | None = None  # default: CRC-32 of the decompressed data
    file_size: int | None = None  # default: true decompressed size
    uncompressed: bytes | None = None  # decompressed data, when method is deflate

    @classmethod
    def deflated(cls, name: str, data: bytes, **kwargs: Any) -> RawEntry:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        return cls(
            name, compressor.compress(data) + compressor.flush(), zipfile.ZIP_DEFLATED, uncompressed=data, **kwargs
        )

    @property
    def data(self) -> bytes:
        return self.uncompressed if self.uncompressed is not None else self.stored


def _local_header(name: bytes, method: int, crc: int, compress_size: int, file_size: int) -> bytes:
    return (
        struct.pack(
            "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0x800, method, 0, 0x5821, crc, compress_size, file_size, len(name), 0
        )
        + name
    )


def _central_header(
    name: bytes, method: int, crc: int, compress_size: int, file_size: int, offset: int, external_attr: int = 0
) -> bytes:
    return (
        struct.pack(
            "<4s4B4HL2L5H2L",
            b"PK\x01\x02",
            20,
            3,
            20,
            0,
            0x800,
            method,
            0,
            0x5821,
            crc,
            compress_size,
            file_size,
            len(name),
            0,
            0,
            0,
            0,
            external_attr,
            offset,
        )
        + name
    )


def _end_record(count: int, directory_size: int, directory_offset: int) -> bytes:
    return struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, directory_size, directory_offset, 0)


def raw_zip(entries: list[RawEntry]) -> bytes:
    """Write ``entries`` one after another, with whatever sizes and CRCs they claim."""
    body = bytearray()
    directory = bytearray()
    for entry in entries:
        name = entry.name.encode("utf-8")
        crc = entry.crc if entry.crc is not None else zlib.crc32(entry.data)
        size = entry.file_size if entry.file_size is not None else len(entry.data)
        offset = len(body)
        body += _local_header(name, entry.method, crc, len(entry.stored), size) + entry.stored
        directory += _central_header(name, entry.method, crc, len(entry.stored), size, offset)
    return bytes(body + directory + _end_record(len(entries), len(directory), len(body)))


def valid_raw_entries(skip: tuple[str, ...] = ()) -> list[RawEntry]:
    return [RawEntry.deflated(path, data) for path, data in valid_files().items() if path not in skip]


def size_lie_package(path: str, real: bytes, claimed_size: int) -> bytes:
    """A valid package in which ``path`` holds ``real`` but the directory says ``claimed_size``.

    The CRC matches the real data, so only counting the bytes reveals it.
    """
    entries = valid_raw_entries(skip=(path,))
    entries.append(RawEntry.deflated(path, real, file_size=claimed_size))
    return raw_zip(entries)


def overlapping_package(copies: int = 8, kernel_size: int = 256 * 1024) -> bytes:
    """A valid package plus ``copies`` entries whose stored bytes overlap.

    The shape of David Fifield's "better zip bomb", without compression:
    the extra files' local headers sit back to back in front of one shared
    kernel, and each file's stored data runs from the end of its own header
    to the end of the kernel, so it contains the headers of all the files
    after it. Every name matches its local header and every CRC is right,
    which is why Python 3.11.7's zipfile (before the CVE-2024-0450 fix)
    extracts all of them: about ``copies`` times the kernel.
    """
    prefix = raw_zip(valid_raw_entries())
    end = prefix.rfind(b"PK\x05\x06")
    count, directory_size, directory_offset = struct.unpack_from("<HLL", prefix, end + 10)
    body = bytearray(prefix[:directory_offset])
    directory = bytearray(prefix[directory_offset : directory_offset + directory_size])

    names = [f"content/copy{index}.txt".encode() for index in range(copies)]
    # A file's data holds the headers of the files after it, so its CRC
    # depends on theirs: build from the last file backwards.
    tail = b"\x00" * kernel_size
    records = []
    for name in reversed(names):
        crc = zlib.crc32(tail)
        records.append((name, crc, len(tail)))
        tail = _local_header(name, zipfile.ZIP_STORED, crc, len(tail), len(tail)) + tail
    offset = len(body)
    for name, crc, size in reversed(records):
        directory += _central_header(name, zipfile.ZIP_STORED, crc, size, size, offset)
        offset += 30 + len(name)
    body += tail
    return bytes(body + directory + _end_record(count + copies, len(directory), len(body)))
