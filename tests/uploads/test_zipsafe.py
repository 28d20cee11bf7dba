"""The ZIP reader words its refusals for any archive; H5P's validator words two of them for .h5p files."""

import io
import struct
import zipfile

import pytest
from django.utils import translation

from shixun.assessments.uploads.zipsafe import PackageRefused, open_archive


def _zip_with_encrypted_flag(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, b"secret")
    data = bytearray(buffer.getvalue())
    # Set bit 0 (encrypted) in the local header (flags at +6) and the central record (+8).
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = data.find(signature)
        flags = struct.unpack_from("<H", data, position + flag_offset)[0]
        struct.pack_into("<H", data, position + flag_offset, flags | 0x1)
    return bytes(data)


def test_a_file_that_is_no_zip_is_refused_without_naming_h5p():
    with translation.override("en"), pytest.raises(PackageRefused) as refused:
        open_archive(io.BytesIO(b"%PDF-1.7 not an archive"))
    assert refused.value.code == "not_zip"
    assert refused.value.message == "This file is not a ZIP archive."


def test_an_encrypted_entry_is_refused_with_its_name():
    with translation.override("en"), pytest.raises(PackageRefused) as refused:
        open_archive(io.BytesIO(_zip_with_encrypted_flag("word/document.xml")))
    assert refused.value.code == "encrypted"
    assert refused.value.name == "word/document.xml"
    assert "H5P" not in refused.value.message
    assert "“word/document.xml”" in refused.value.message


def test_the_refusals_are_translated_from_the_uploads_catalogue():
    with translation.override("zh-hans"), pytest.raises(PackageRefused) as refused:
        open_archive(io.BytesIO(b"not an archive"))
    assert refused.value.message == "这个文件不是 ZIP 压缩包。"
