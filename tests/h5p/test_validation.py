"""The H5P package validator and extractor: what it accepts, what it refuses and why.

No database: everything runs on packages built in memory by tests/h5p/packages.py.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
import zlib

import pytest
from django.utils import translation

from shixun.assessments.h5p.validation import (
    PLAYER_CORE_API,
    LibraryRef,
    Limits,
    PackageRefused,
    extract_package,
    inspect_package,
)
from shixun.assessments.uploads import zipsafe
from shixun.assessments.uploads.zipsafe import open_archive

from . import packages as P

LIB = P.LIBRARY_FOLDER


@pytest.fixture(autouse=True)
def english():
    # Assertions quote the English msgids; pin the language so translations
    # added to the .po files later do not change what the tests read.
    with translation.override("en"):
        yield


def refusal(data: bytes, **kwargs) -> PackageRefused:
    with pytest.raises(PackageRefused) as caught:
        inspect_package(io.BytesIO(data), **kwargs)
    return caught.value


def assert_refused(data: bytes, code: str, *mentions: str, **kwargs) -> PackageRefused:
    """The package is refused with ``code`` and a message that names each of ``mentions``."""
    error = refusal(data, **kwargs)
    assert error.code == code, f"expected {code!r}, got {error!r}"
    for mention in mentions:
        assert mention in error.message, f"{mention!r} not named in {error.message!r}"
    assert str(error) == error.message
    return error


def with_library_json(**changes) -> bytes:
    return P.package(replace={f"{LIB}/library.json": P.dumps(P.library_json(**changes))})


def with_h5p_json(**changes) -> bytes:
    return P.package(replace={"h5p.json": P.dumps(P.h5p_json(**changes))})


# --------------------------------------------------------------------------
# Accepted packages
# --------------------------------------------------------------------------


def test_valid_package_is_described():
    info = inspect_package(io.BytesIO(P.package()))

    assert info.title == "等待时间小测"
    assert info.language == "zh-hans"
    assert info.main_library == LibraryRef("H5P.ShixunQuickCheck", 1, 0)
    assert info.content == P.CONTENT
    assert info.content_files == ("content/images/badge.svg",)
    assert set(info.files) == set(P.valid_files())
    assert info.installed_dependencies == ()
    assert info.unpacked_size == sum(len(data) for data in P.valid_files().values())

    (library,) = info.libraries
    assert library.key == P.MAIN_LIBRARY
    assert library.patch_version == 0
    assert library.title == "Shixun Quick Check"
    assert library.runnable is True
    assert library.directory == LIB
    assert library.preloaded_js == ("quickcheck.js",)
    assert library.preloaded_css == ("quickcheck.css",)
    assert library.preloaded_dependencies == ()
    assert library.core_api == (1, 5)
    assert library.metadata["machineName"] == "H5P.ShixunQuickCheck"


def test_valid_package_is_extracted_with_its_own_layout(tmp_path):
    data = P.package()
    info = inspect_package(io.BytesIO(data))
    destination = tmp_path / "out"

    written = extract_package(io.BytesIO(data), destination, info)

    expected = P.valid_files()
    on_disk = {path.relative_to(destination).as_posix() for path in destination.rglob("*") if path.is_file()}
    assert on_disk == set(expected)
    assert sorted(written) == sorted(destination / path for path in expected)
    for path, content in expected.items():
        assert (destination / path).read_bytes() == content


def test_entries_h5p_core_ignores_are_accepted_but_not_extracted(tmp_path):
    # Hand-zipped packages on macOS carry __MACOSX/ and .DS_Store; H5P core
    # skips names starting with "." or "_" and top-level files other than
    # h5p.json, so they are not refused, and never written either.
    extras = {
        "__MACOSX/content/._shell.php": b"<?php system($_GET['c']);",
        "content/.DS_Store": b"\x00\x00\x00\x01Bud1",
        "readme.html": b"<script>alert(1)</script>",
    }
    data = P.package(replace=extras)
    info = inspect_package(io.BytesIO(data))
    assert not set(extras) & set(info.files)

    extract_package(io.BytesIO(data), tmp_path / "out", info)
    for path in extras:
        assert not (tmp_path / "out" / path).exists()


def test_installed_library_satisfies_a_dependency_the_package_lacks():
    dependency = {"machineName": "H5P.SharedWidgets", "majorVersion": 1, "minorVersion": 2}
    data = with_library_json(preloadedDependencies=[dependency])

    assert_refused(data, "missing_dependency", "H5P.SharedWidgets 1.2", LIB)
    # H5P matches on major.minor: another minor version does not count.
    assert_refused(
        data, "missing_dependency", "H5P.SharedWidgets 1.2", installed_libraries={("H5P.SharedWidgets", 1, 3)}
    )

    info = inspect_package(io.BytesIO(data), installed_libraries={("H5P.SharedWidgets", 1, 2)})
    assert info.installed_dependencies == (LibraryRef("H5P.SharedWidgets", 1, 2),)
    assert info.libraries[0].preloaded_dependencies == (LibraryRef("H5P.SharedWidgets", 1, 2),)


def test_content_only_package_uses_the_installed_main_library():
    data = P.package(remove=tuple(path for path in P.valid_files() if path.startswith(LIB + "/")))

    assert_refused(data, "missing_main_library", "H5P.ShixunQuickCheck 1.0")

    info = inspect_package(io.BytesIO(data), installed_libraries={P.MAIN_LIBRARY})
    assert info.libraries == ()
    assert info.installed_dependencies == (LibraryRef(*P.MAIN_LIBRARY),)


def test_core_api_the_player_supports_is_accepted():
    data = with_library_json(coreApi={"majorVersion": PLAYER_CORE_API.major, "minorVersion": PLAYER_CORE_API.minor})
    assert inspect_package(io.BytesIO(data)).libraries[0].core_api == (1, 27)


def test_small_highly_compressible_file_is_not_a_bomb():
    # Below Limits.ratio_check_from the ratio is harmless and not judged.
    data = P.package(replace={"content/blank.txt": b"\x00" * (512 * 1024)})
    assert "content/blank.txt" in inspect_package(io.BytesIO(data)).files


# --------------------------------------------------------------------------
# Not a package at all
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, b"<!doctype html><title>x</title>", b""],
    ids=["png", "html", "empty"],
)
def test_file_that_is_not_a_zip_is_refused(data):
    assert_refused(data, "not_zip", "not an H5P package")


def test_truncated_zip_is_refused_as_damaged():
    data = P.package()
    assert_refused(data[: len(data) // 2], "corrupt", "damaged")


def test_damaged_file_data_is_refused_naming_the_file():
    entries = P.valid_raw_entries(skip=("content/content.json",))
    good = P.RawEntry.deflated("content/content.json", P.dumps(P.CONTENT))
    broken = bytearray(good.stored)
    broken[len(broken) // 2] ^= 0xFF
    entries.append(P.RawEntry("content/content.json", bytes(broken), zipfile.ZIP_DEFLATED, uncompressed=good.data))
    assert_refused(P.raw_zip(entries), "corrupt", "content/content.json")


def test_encrypted_entry_is_refused():
    assert_refused(P.encrypted_flag_package(), "encrypted", "content/content.json", "password")


def test_unsupported_compression_is_refused():
    assert_refused(P.bzip2_package(), "unsupported_compression", "h5p.json")


# --------------------------------------------------------------------------
# h5p.json and content.json
# --------------------------------------------------------------------------


def test_missing_h5p_json_is_refused():
    assert_refused(P.package(remove=("h5p.json",)), "missing_h5p_json", "h5p.json")


@pytest.mark.parametrize("payload", [b"{not json", b"[1, 2]", b"\xff\xfe"], ids=["syntax", "array", "not-utf8"])
def test_h5p_json_that_is_not_a_json_object_is_refused(payload):
    assert_refused(P.package(replace={"h5p.json": payload}), "invalid_h5p_json", "h5p.json", "not valid JSON")


@pytest.mark.parametrize("field", ["title", "language", "mainLibrary", "preloadedDependencies", "embedTypes"])
def test_h5p_json_without_a_mandatory_field_is_refused(field):
    assert_refused(with_h5p_json(**{field: None}), "h5p_json_field", "h5p.json", f"“{field}”", "missing")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("language", "zh_CN"),
        ("mainLibrary", "H5P Quick Check"),
        ("embedTypes", ["popup"]),
        ("preloadedDependencies", []),
        ("preloadedDependencies", [{"machineName": "H5P.ShixunQuickCheck", "majorVersion": "one", "minorVersion": 0}]),
    ],
)
def test_h5p_json_with_an_invalid_field_is_refused(field, value):
    assert_refused(with_h5p_json(**{field: value}), "h5p_json_field", "h5p.json", f"“{field}”", "not valid")


def test_main_library_must_be_among_the_preloaded_dependencies():
    data = with_h5p_json(mainLibrary="H5P.OtherType")
    assert_refused(data, "h5p_json_field", "H5P.OtherType", "preloadedDependencies")


def test_missing_content_json_is_refused():
    assert_refused(P.package(remove=("content/content.json",)), "missing_content_json", "content/content.json")


@pytest.mark.parametrize("payload", [b'{"question": ', b'"just a string"'], ids=["syntax", "not-object"])
def test_invalid_content_json_is_refused(payload):
    data = P.package(replace={"content/content.json": payload})
    assert_refused(data, "invalid_content_json", "content/content.json", "not valid JSON")


# --------------------------------------------------------------------------
# Libraries
# --------------------------------------------------------------------------


def test_main_library_missing_from_package_and_site_is_refused():
    data = with_h5p_json(
        mainLibrary="H5P.MultiChoice",
        preloadedDependencies=[{"machineName": "H5P.MultiChoice", "majorVersion": 1, "minorVersion": 16}],
    )
    assert_refused(data, "missing_main_library", "H5P.MultiChoice 1.16", "not installed")


def test_preloaded_dependency_in_h5p_json_missing_everywhere_is_refused():
    dependencies = P.h5p_json()["preloadedDependencies"] + [
        {"machineName": "FontAwesome", "majorVersion": 4, "minorVersion": 5}
    ]
    assert_refused(
        with_h5p_json(preloadedDependencies=dependencies), "missing_dependency", "FontAwesome 4.5", "h5p.json"
    )


def test_library_json_that_is_not_json_is_refused():
    data = P.package(replace={f"{LIB}/library.json": b"{'machineName': 'H5P.ShixunQuickCheck'}"})
    assert_refused(data, "invalid_library_json", LIB, "not valid JSON")


def test_library_folder_without_library_json_is_refused():
    assert_refused(P.package(remove=(f"{LIB}/library.json",)), "invalid_library_json", LIB, "no library.json")


@pytest.mark.parametrize("field", ["title", "machineName", "majorVersion", "minorVersion", "patchVersion", "runnable"])
def test_library_json_without_a_mandatory_field_is_refused(field):
    assert_refused(with_library_json(**{field: None}), "invalid_library_json", LIB, f"“{field}”", "missing")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("majorVersion", "1.0"),
        ("patchVersion", -1),
        ("runnable", "yes"),
        ("machineName", "H5P/Quick"),
        ("preloadedJs", "quickcheck.js"),
        ("coreApi", {"majorVersion": "x"}),
    ],
)
def test_library_json_with_an_invalid_field_is_refused(field, value):
    assert_refused(with_library_json(**{field: value}), "invalid_library_json", LIB, f"“{field}”", "not valid")


def test_library_folder_must_match_library_json():
    data = with_library_json(majorVersion=2)
    assert_refused(data, "invalid_library_json", LIB, "H5P.ShixunQuickCheck-2.0")


def test_same_library_twice_is_refused():
    copy = {
        path.replace(LIB, "H5P.ShixunQuickCheck", 1): data
        for path, data in P.valid_files().items()
        if path.startswith(LIB + "/")
    }
    assert_refused(P.package(replace=copy), "duplicate_library", "H5P.ShixunQuickCheck 1.0")


@pytest.mark.parametrize("missing", ["quickcheck.js", "quickcheck.css"])
def test_missing_preloaded_file_is_refused(missing):
    assert_refused(P.package(remove=(f"{LIB}/{missing}",)), "missing_library_file", missing, LIB)


def test_invalid_semantics_json_is_refused():
    data = P.package(replace={f"{LIB}/semantics.json": b"[{"})
    assert_refused(data, "invalid_semantics", "semantics.json", LIB)


def test_language_file_that_is_not_json_is_refused():
    data = P.package(replace={f"{LIB}/language/zh-hans.json": b'{"semantics": [}'})
    assert_refused(data, "invalid_language_file", "language/zh-hans.json", LIB, "not valid JSON")


def test_language_file_with_an_invalid_name_is_refused():
    data = P.package(replace={f"{LIB}/language/zh_CN.json": b"{}"})
    assert_refused(data, "invalid_language_file", "language/zh_CN.json")


@pytest.mark.parametrize("core_api", [(1, PLAYER_CORE_API.minor + 1), (2, 0)])
def test_library_needing_a_newer_core_api_is_refused(core_api):
    data = with_library_json(coreApi={"majorVersion": core_api[0], "minorVersion": core_api[1]})
    assert_refused(
        data,
        "core_api_too_new",
        "Shixun Quick Check",
        f"{core_api[0]}.{core_api[1]}",
        f"{PLAYER_CORE_API.major}.{PLAYER_CORE_API.minor}",
    )


# --------------------------------------------------------------------------
# File types and markup
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "content/shell.php",
        "content/page.html",
        "content/app.js",  # scripts belong in libraries only
        "content/feed.xml",  # H5P core 1.27 allows XML in libraries only
        "content/README",
        f"{LIB}/installer.exe",
        f"{LIB}/module.wasm",
    ],
)
def test_file_type_outside_the_allow_list_is_refused(path):
    assert_refused(P.package(replace={path: b"x"}), "forbidden_extension", path)


@pytest.mark.parametrize("kind", list(P.HOSTILE_MARKUP))
def test_svg_that_can_run_script_is_refused(kind):
    data = P.package(replace={"content/images/badge.svg": P.HOSTILE_MARKUP[kind]})
    assert_refused(data, "unsafe_markup", "content/images/badge.svg")


def test_svg_in_a_library_is_checked_too():
    data = P.package(replace={f"{LIB}/icon.svg": P.HOSTILE_MARKUP["event handler"]})
    assert_refused(data, "unsafe_markup", f"{LIB}/icon.svg", "onload")


# --------------------------------------------------------------------------
# Entries that try to escape
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../evil.json", "outside the package"),
        ("content/../../evil.json", "outside the package"),
        ("/etc/cron.d/evil.json", "absolute path"),
        ("content\\..\\..\\evil.json", "backslashes"),
        ("C:/Windows/evil.json", "drive letter"),
        ("content/./evil.json", "empty or “.”"),
        ("content//evil.json", "empty or “.”"),
        ("content/evil\x01.json", "control characters"),
        ("content/" + "a" * 300 + ".json", "too long"),
    ],
)
def test_entry_that_could_escape_the_destination_is_refused(name, problem):
    data = P.zip_bytes({**P.valid_files(), name: b"{}"})
    assert_refused(data, "unsafe_path", problem)


def test_symlink_entry_is_refused():
    assert_refused(P.symlink_package(), "symlink", "content/images/passwd.json", "symbolic link")


def test_duplicate_entry_is_refused():
    entries = P.valid_raw_entries()
    entries.append(P.RawEntry.deflated("content/content.json", b'{"question": "second copy"}'))
    assert_refused(P.raw_zip(entries), "duplicate_entry", "content/content.json", "more than once")


def test_names_differing_only_in_case_are_refused():
    data = P.package(replace={"content/images/Badge.svg": P.SAFE_SVG})
    assert_refused(data, "duplicate_entry", "Badge.svg")


def test_name_used_as_file_and_folder_is_refused():
    data = P.package(replace={"content/images": b"x"})
    assert_refused(data, "duplicate_entry", "content/images", "both as a file and as a folder")


# --------------------------------------------------------------------------
# Size limits and zip bombs
# --------------------------------------------------------------------------

NOTES = bytes(range(256)) * 200  # 51,200 bytes that do not compress much


def test_archive_file_over_the_limit_is_refused():
    assert_refused(P.package(), "archive_too_large", "larger than the limit", limits=Limits(max_archive_size=1000))


def test_too_many_entries_are_refused():
    assert len(P.valid_files()) > 5
    assert_refused(P.package(), "too_many_entries", "more than 5", limits=Limits(max_entries=5))


def test_entry_count_in_the_end_record_is_not_trusted():
    # The end record claims one entry; the directory really lists more.
    assert_refused(P.lying_entry_count_package(1), "too_many_entries", "more than 5", limits=Limits(max_entries=5))


def test_entry_count_is_checked_before_zipfile_parses_the_directory(monkeypatch):
    # zipfile builds one object per directory record, however many there
    # are; a small file can list millions. The count must be refused first.
    data = P.lying_entry_count_package(1)

    def parse_directory(*args, **kwargs):
        raise AssertionError("zipfile should not have been asked to parse this archive")

    monkeypatch.setattr(zipsafe.zipfile, "ZipFile", parse_directory)
    assert_refused(data, "too_many_entries", "more than 5", limits=Limits(max_entries=5))


def test_package_unpacking_to_more_than_the_total_limit_is_refused():
    data = P.package(replace={"content/notes.txt": NOTES})
    assert_refused(data, "too_large", "unpacks to more than", limits=Limits(max_total_size=len(NOTES)))


def test_single_file_over_the_entry_limit_is_refused():
    data = P.package(replace={"content/notes.txt": NOTES})
    assert_refused(data, "entry_too_large", "content/notes.txt", limits=Limits(max_entry_size=len(NOTES) - 1))


def test_high_compression_ratio_bomb_is_refused():
    data = P.package(replace={"content/zeros.txt": b"\x00" * (8 * 1024 * 1024)})
    assert len(data) < 100_000
    assert_refused(data, "compression_ratio", "content/zeros.txt", "zip bombs")


def test_overlapping_entry_bomb_is_refused():
    error = assert_refused(P.overlapping_package(), "overlapping_entries", "content/copy", "same stored data")
    assert "zip bombs" in error.message


@pytest.mark.skipif(sys.version_info >= (3, 11, 8), reason="zipfile detects overlaps itself since 3.11.8")
def test_overlapping_entry_bomb_fixture_fools_this_pythons_zipfile():
    # Proof that the fixture is the real thing and the check above is needed:
    # the unpatched stdlib reads every copy without complaint.
    with zipfile.ZipFile(io.BytesIO(P.overlapping_package(copies=8, kernel_size=64 * 1024))) as archive:
        assert archive.testzip() is None
        copies = [name for name in archive.namelist() if name.startswith("content/copy")]
        assert sum(len(archive.read(name)) for name in copies) > 8 * 64 * 1024


def test_file_larger_than_the_directory_says_is_refused_while_reading():
    # The CRC is right for the real data; only counting the bytes notices.
    real = P.dumps({**P.CONTENT, "padding": "x" * 100_000})
    data = P.size_lie_package("content/content.json", real, claimed_size=100)
    assert_refused(data, "size_mismatch", "content/content.json")


def test_media_file_size_lie_is_caught_during_extraction_and_nothing_is_left(tmp_path):
    data = P.size_lie_package("content/notes.txt", NOTES, claimed_size=1000)
    info = inspect_package(io.BytesIO(data))  # media files are not read while inspecting
    destination = tmp_path / "out"

    with pytest.raises(PackageRefused) as caught:
        extract_package(io.BytesIO(data), destination, info)

    assert caught.value.code == "size_mismatch"
    assert "content/notes.txt" in caught.value.message
    assert not destination.exists()


def test_lying_file_is_cut_off_at_its_declared_size_not_read_to_the_end():
    # Refusing only after decompressing everything would let a 10 KB entry
    # that claims 100 bytes fill the disk first.
    real = b"\x00" * (4 * 1024 * 1024)
    archive = open_archive(io.BytesIO(P.size_lie_package("content/notes.txt", real, claimed_size=1000)))
    (entry,) = [entry for entry in archive.entries if entry.name == "content/notes.txt"]
    produced = 0
    with pytest.raises(PackageRefused) as caught:
        for chunk in archive.iter_chunks(entry):
            produced += len(chunk)
    assert caught.value.code == "size_mismatch"
    assert produced <= 1000


def test_wrong_checksum_is_refused():
    entries = P.valid_raw_entries(skip=("content/content.json",))
    content = P.dumps(P.CONTENT)
    entries.append(P.RawEntry("content/content.json", content, crc=zlib.crc32(content) ^ 1))
    assert_refused(P.raw_zip(entries), "corrupt", "content/content.json")


def test_file_smaller_than_the_directory_says_is_refused():
    data = P.size_lie_package("content/content.json", P.dumps(P.CONTENT), claimed_size=50_000)
    assert_refused(data, "size_mismatch", "content/content.json")


# --------------------------------------------------------------------------
# Extraction contract
# --------------------------------------------------------------------------


def test_extraction_needs_an_empty_destination(tmp_path):
    data = P.package()
    info = inspect_package(io.BytesIO(data))
    (tmp_path / "existing.txt").write_text("keep me")

    with pytest.raises(ValueError, match="empty"):
        extract_package(io.BytesIO(data), tmp_path, info)
    assert (tmp_path / "existing.txt").read_text() == "keep me"


def test_extraction_refuses_an_archive_other_than_the_inspected_one(tmp_path):
    info = inspect_package(io.BytesIO(P.package()))
    other = P.package(replace={"content/content.json": json.dumps({"question": "changed"}).encode()})

    with pytest.raises(PackageRefused) as caught:
        extract_package(io.BytesIO(other), tmp_path / "out", info)
    assert caught.value.code == "changed"
    assert not (tmp_path / "out").exists()
