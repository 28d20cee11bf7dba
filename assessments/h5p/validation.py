"""Check an uploaded H5P package and unpack it safely.

Two steps, both pure Python (no models, no storage):

* :func:`inspect_package` reads the archive without writing anything and
  either returns a :class:`PackageInfo` or raises :class:`PackageRefused`
  with a stable ``code`` and a translated sentence for the trainer.
* :func:`extract_package` unpacks an inspected package into an empty folder,
  counting every decompressed byte against the limits again.

The rules follow H5P core's upload validator (``H5PValidator`` in
h5p-php-library 1.27): the same required fields in ``h5p.json`` and
``library.json``, the same file-type allow-lists, library folder names,
language files, preloaded files, dependency and core-API checks, and the same
habit of skipping names that start with "." or "_" (``__MACOSX/``,
``.DS_Store``). On top of that come the archive checks in
:mod:`assessments.uploads.zipsafe` and a scan of SVG/XML files for script.

pyh5p's own reader (``pyh5p.read_package``) is not used to open uploads: it
reads every file into memory, trusts the sizes in the ZIP directory, does not
detect overlapping entries, allows more file types than H5P core (``wasm``,
``bin``, ``map``, files without extension) and does not check preloaded files,
language files or the core API. Its version arithmetic is reused.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError, TreeBuilder

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from pyh5p import CoreApiVersion

from shixun.assessments.uploads.zipsafe import Entry, Limits, PackageRefused, SafeArchive, open_archive, shown

__all__ = [
    "CONTENT_EXTENSIONS",
    "LIBRARY_EXTENSIONS",
    "PLAYER_CORE_API",
    "LibraryInfo",
    "LibraryRef",
    "Limits",
    "PackageInfo",
    "PackageRefused",
    "extract_package",
    "inspect_package",
]

# The H5P core JavaScript API the player provides. h5p-standalone 3.8.0
# bundles h5p.js from h5p-php-library at core API 1.27 (3.8.1 and 3.8.2 moved
# to 1.28-era files); 1.27 is the version every 3.8.x release supports. A
# library whose library.json asks for a newer "coreApi" is refused, as H5P
# core does.
PLAYER_CORE_API = CoreApiVersion(1, 27)

# H5P core's default allow-list for files in content/ (H5PCore::
# $defaultContentWhitelist). Core 1.27 dropped "svg" and "xml" from it and
# allows them only inside libraries, because both can carry script. Content
# from older editors often has SVG images, so SVG stays allowed here, but
# every SVG is scanned and refused if it can run script (see _check_markup).
# XML has no such use in content and stays out, as in current core.
CONTENT_EXTENSIONS = frozenset(
    "json png jpg jpeg gif bmp tif tiff eot ttf woff woff2 otf webm mp4 ogg mp3 m4a wav "
    "txt pdf rtf doc docx xls xlsx ppt pptx odt ods odp csv diff patch swf md textile vtt webvtt "
    "gltf glb svg".split()
)
# Library folders may also hold code and styles ($defaultLibraryWhitelistExtras).
LIBRARY_EXTENSIONS = CONTENT_EXTENSIONS | frozenset({"js", "css", "svg", "xml"})
# Markup that a browser would run script from when the file is opened directly.
_MARKUP_EXTENSIONS = frozenset({"svg", "xml"})

# Patterns from H5P core's $h5pRequired / $libraryRequired schemas.
_MACHINE_NAME = re.compile(r"[\w\-.]{1,255}", re.ASCII)
_MAIN_LIBRARY = re.compile(r"[$a-z_][0-9a-z_.$]{1,254}", re.ASCII | re.IGNORECASE)
_LANGUAGE_CODE = re.compile(r"[-a-zA-Z]{1,10}")
_VERSION_NUMBER = re.compile(r"[0-9]{1,5}")
_LANGUAGE_FILE = re.compile(r"(-?[a-z]+){1,7}\.json", re.IGNORECASE)
_EMBED_TYPES = frozenset({"iframe", "div"})


@dataclass(frozen=True, order=True)
class LibraryRef:
    """A dependency as H5P names it: machine name plus major and minor version."""

    machine_name: str
    major_version: int
    minor_version: int

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.machine_name, self.major_version, self.minor_version)

    def __str__(self) -> str:
        return f"{self.machine_name} {self.major_version}.{self.minor_version}"


@dataclass(frozen=True)
class LibraryInfo:
    """One library folder in the package and what its library.json declares."""

    machine_name: str
    major_version: int
    minor_version: int
    patch_version: int
    title: str
    runnable: bool
    directory: str  # folder name in the package, e.g. "H5P.ShixunQuickCheck-1.0"
    preloaded_js: tuple[str, ...]  # paths relative to the library folder
    preloaded_css: tuple[str, ...]
    preloaded_dependencies: tuple[LibraryRef, ...]
    core_api: tuple[int, int] | None  # None when library.json does not ask for one
    metadata: Mapping[str, Any] = field(repr=False)  # the whole library.json

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.machine_name, self.major_version, self.minor_version)

    @property
    def ref(self) -> LibraryRef:
        return LibraryRef(*self.key)


@dataclass(frozen=True)
class PackageInfo:
    """What an accepted package contains. Mappings are parsed JSON: treat them as read-only."""

    title: str
    language: str
    main_library: LibraryRef
    metadata: Mapping[str, Any] = field(repr=False)  # h5p.json
    content: Mapping[str, Any] = field(repr=False)  # content/content.json
    libraries: tuple[LibraryInfo, ...]
    # Dependencies that are not in the package and must come from the site.
    installed_dependencies: tuple[LibraryRef, ...]
    # Files under content/ other than content.json, as paths from the package root.
    content_files: tuple[str, ...]
    # Every file extract_package writes, as paths from the package root.
    files: tuple[str, ...]
    # Sum of the files' sizes (verified again while extracting).
    unpacked_size: int
    # Identity of the archive that was inspected; extract_package compares it.
    fingerprint: tuple[tuple[str, int, int, int, int], ...] = field(repr=False, compare=False)


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def inspect_package(
    fileobj: BinaryIO,
    *,
    installed_libraries: Collection[tuple[str, int, int]] = frozenset(),
    limits: Limits | None = None,
) -> PackageInfo:
    """Validate the .h5p archive in ``fileobj`` without writing anything to disk.

    ``installed_libraries`` holds ``(machineName, majorVersion, minorVersion)``
    of libraries the site already has; they satisfy dependencies that the
    package does not bundle. Raises :class:`PackageRefused` on the first
    problem found.
    """
    limits = limits or Limits()
    archive = _open_package(fileobj, limits)
    files = _files_to_extract(archive.entries)
    by_path = {entry.path: entry for entry in files}

    for entry in files:
        _check_extension(entry.path)

    h5p_entry = by_path.get("h5p.json")
    if h5p_entry is None:
        raise PackageRefused(
            "missing_h5p_json",
            gettext("The package has no h5p.json file, so it is not a valid H5P package."),
        )
    metadata = _read_json(
        archive,
        h5p_entry,
        code="invalid_h5p_json",
        message=lambda: gettext("The package's h5p.json file is not valid JSON."),
    )
    main_library, title, language = _validate_h5p_json(metadata)

    content_entry = by_path.get("content/content.json")
    if content_entry is None:
        raise PackageRefused(
            "missing_content_json",
            gettext("The package has no content/content.json file, so it has no content to show."),
        )
    content = _read_json(
        archive,
        content_entry,
        code="invalid_content_json",
        message=lambda: gettext("The package's content/content.json file is not valid JSON."),
    )

    libraries = _read_libraries(archive, files)
    installed_dependencies = _check_dependencies(metadata, main_library, libraries, installed_libraries)

    for entry in files:
        if _extension(entry.path) in _MARKUP_EXTENSIONS:
            _check_markup(archive, entry)

    return PackageInfo(
        title=title,
        language=language,
        main_library=main_library,
        metadata=metadata,
        content=content,
        libraries=libraries,
        installed_dependencies=installed_dependencies,
        content_files=tuple(
            entry.path for entry in files if entry.path.startswith("content/") and entry is not content_entry
        ),
        files=tuple(entry.path for entry in files),
        unpacked_size=sum(entry.declared_size for entry in files),
        fingerprint=_fingerprint(archive),
    )


def extract_package(
    fileobj: BinaryIO,
    dest_dir: str | os.PathLike[str],
    info: PackageInfo,
    *,
    limits: Limits | None = None,
) -> list[Path]:
    """Unpack the package described by ``info`` into ``dest_dir``.

    ``fileobj`` must be the archive that :func:`inspect_package` accepted
    (pass the same ``limits``). ``dest_dir`` must be empty or not exist yet;
    the package keeps its own layout (h5p.json, content/, one folder per
    library), which is what h5p-standalone expects. Only the files in
    ``info.files`` are written, each with its size and checksum verified
    while decompressing. On any error the folder is emptied again and the
    error re-raised. Returns the paths written.
    """
    limits = limits or Limits()
    destination = Path(dest_dir)
    if destination.exists() and any(destination.iterdir()):
        raise ValueError(f"extract_package needs an empty destination, and {destination} is not empty")
    created = not destination.exists()
    destination.mkdir(parents=True, exist_ok=True)
    root = destination.resolve()

    written: list[Path] = []
    try:
        archive = _open_package(fileobj, limits)
        if _fingerprint(archive) != info.fingerprint:
            raise PackageRefused(
                "changed",
                gettext("The package changed after it was checked. Upload it again."),
            )
        by_path = {entry.path: entry for entry in archive.entries}
        for path in info.files:
            target = root.joinpath(*path.split("/"))
            # zipsafe has already refused "..", absolute paths and links; this
            # guards against a future change there rather than a known hole.
            if not target.resolve().is_relative_to(root):
                raise ValueError(f"refusing to write outside {root}: {path!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            # "xb": never follow or overwrite something that is already there.
            with open(target, "xb") as output:
                for chunk in archive.iter_chunks(by_path[path]):
                    output.write(chunk)
            written.append(target)
    except BaseException:
        if created:
            shutil.rmtree(destination, ignore_errors=True)
        else:
            for child in destination.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise
    return written


# --------------------------------------------------------------------------
# Which entries are unpacked
# --------------------------------------------------------------------------


def _is_ignored(path: str) -> bool:
    """H5P core skips every file or folder whose name starts with "." or "_"."""
    return any(part[:1] in (".", "_") for part in path.split("/"))


def _files_to_extract(entries: Iterable[Entry]) -> list[Entry]:
    """h5p.json plus every file inside a folder; H5P ignores anything else at the top."""
    return [
        entry
        for entry in entries
        if not entry.is_dir and not _is_ignored(entry.path) and (entry.path == "h5p.json" or "/" in entry.path)
    ]


def _extension(path: str) -> str:
    last = path.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


def _check_extension(path: str) -> None:
    allowed = CONTENT_EXTENSIONS if path.startswith("content/") or path == "h5p.json" else LIBRARY_EXTENSIONS
    extension = _extension(path)
    if extension in allowed:
        return
    if not extension:
        message = gettext(
            "The package contains “%(name)s”, a file without a file type. H5P packages may only contain "
            "files of the types H5P allows."
        )
    else:
        message = gettext(
            "The package contains “%(name)s”. Files of type .%(extension)s are not allowed in H5P packages."
        )
    raise PackageRefused("forbidden_extension", message % {"name": shown(path), "extension": shown(extension)})


def _open_package(fileobj: BinaryIO, limits: Limits) -> SafeArchive:
    """The checked archive, with the two refusals a trainer reads differently for an .h5p file."""
    try:
        return open_archive(fileobj, limits)
    except PackageRefused as refused:
        if refused.code == "not_zip":
            raise PackageRefused(
                "not_zip",
                gettext("This file is not an H5P package. An .h5p file is a ZIP archive, and this file is not one."),
            ) from None
        if refused.code == "encrypted" and refused.name is not None:
            raise PackageRefused(
                "encrypted",
                gettext("The file “%(name)s” in the package is password-protected. H5P packages cannot be encrypted.")
                % {"name": shown(refused.name)},
                name=refused.name,
            ) from None
        raise


def _fingerprint(archive: SafeArchive) -> tuple[tuple[str, int, int, int, int], ...]:
    return tuple(
        (entry.name, entry.crc, entry.declared_size, entry.compress_size, entry.header_offset)
        for entry in archive.entries
    )


# --------------------------------------------------------------------------
# JSON files
# --------------------------------------------------------------------------


def _read_document(archive: SafeArchive, entry: Entry) -> bytes:
    limit = archive.limits.max_document_size
    if entry.declared_size > limit:
        raise PackageRefused(
            "document_too_large",
            gettext("The file “%(name)s” is larger than the limit of %(limit)s for files the site has to read.")
            % {"name": shown(entry.path), "limit": filesizeformat(limit)},
        )
    return archive.read(entry, max_size=limit)


def _read_json(
    archive: SafeArchive, entry: Entry, *, code: str, message: Callable[[], str], expect_object: bool = True
) -> Any:
    """Parse ``entry`` as JSON; ``message()`` builds the refusal text."""
    data = _read_document(archive, entry)
    try:
        # utf-8-sig: some editors save a byte-order mark, which JSON parsers in
        # browsers and PHP tolerate.
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PackageRefused(code, message()) from exc
    if expect_object and not isinstance(value, dict):
        raise PackageRefused(code, message())
    return value


def _version_number(value: Any) -> int | None:
    """H5P accepts 0-99999 written as a JSON number or a digit string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 <= value <= 99_999:
        return value
    if isinstance(value, str) and _VERSION_NUMBER.fullmatch(value):
        return int(value)
    return None


def _dependency_list(value: Any) -> list[LibraryRef] | None:
    """Parse a preloadedDependencies array; None if any item is malformed."""
    if not isinstance(value, list):
        return None
    refs = []
    for item in value:
        if not isinstance(item, dict):
            return None
        name = item.get("machineName")
        major = _version_number(item.get("majorVersion"))
        minor = _version_number(item.get("minorVersion"))
        if not isinstance(name, str) or not _MACHINE_NAME.fullmatch(name) or major is None or minor is None:
            return None
        refs.append(LibraryRef(name, major, minor))
    return refs


def _h5p_field_error(field_name: str, *, missing: bool) -> PackageRefused:
    if missing:
        message = gettext("The package's h5p.json file is missing the required field “%(field)s”.")
    else:
        message = gettext("The field “%(field)s” in the package's h5p.json file is not valid.")
    return PackageRefused("h5p_json_field", message % {"field": field_name})


def _validate_h5p_json(metadata: dict[str, Any]) -> tuple[LibraryRef, str, str]:
    for name in ("title", "language", "mainLibrary", "preloadedDependencies", "embedTypes"):
        if name not in metadata:
            raise _h5p_field_error(name, missing=True)
    title = metadata["title"]
    if not isinstance(title, str) or not 1 <= len(title) <= 255:
        raise _h5p_field_error("title", missing=False)
    language = metadata["language"]
    if not isinstance(language, str) or not _LANGUAGE_CODE.fullmatch(language):
        raise _h5p_field_error("language", missing=False)
    main_name = metadata["mainLibrary"]
    if not isinstance(main_name, str) or not _MAIN_LIBRARY.fullmatch(main_name):
        raise _h5p_field_error("mainLibrary", missing=False)
    embed_types = metadata["embedTypes"]
    if not isinstance(embed_types, list) or not all(
        isinstance(item, str) and item in _EMBED_TYPES for item in embed_types
    ):
        raise _h5p_field_error("embedTypes", missing=False)
    dependencies = _dependency_list(metadata["preloadedDependencies"])
    if not dependencies:
        raise _h5p_field_error("preloadedDependencies", missing=False)
    # The main library's version is only written in preloadedDependencies.
    main = next((ref for ref in dependencies if ref.machine_name == main_name), None)
    if main is None:
        raise PackageRefused(
            "h5p_json_field",
            gettext(
                "The package's h5p.json file names “%(library)s” as its main library but does not list it "
                "under “preloadedDependencies”."
            )
            % {"library": shown(main_name)},
        )
    return main, title, language


# --------------------------------------------------------------------------
# Libraries
# --------------------------------------------------------------------------


def _library_field_error(directory: str, field_name: str, *, missing: bool) -> PackageRefused:
    if missing:
        message = gettext(
            "The library.json file of the library “%(library)s” is missing the required field “%(field)s”."
        )
    else:
        message = gettext("The field “%(field)s” in the library.json file of the library “%(library)s” is not valid.")
    return PackageRefused("invalid_library_json", message % {"library": shown(directory), "field": field_name})


def _read_libraries(archive: SafeArchive, files: list[Entry]) -> tuple[LibraryInfo, ...]:
    folders: dict[str, dict[str, Entry]] = {}
    for entry in files:
        top, _, rest = entry.path.partition("/")
        if top != "content" and rest:
            folders.setdefault(top, {})[rest] = entry
    libraries = [_read_library(archive, directory, folder) for directory, folder in sorted(folders.items())]
    seen: dict[tuple[str, int, int], str] = {}
    for library in libraries:
        if library.key in seen:
            raise PackageRefused(
                "duplicate_library",
                gettext("The package contains the library “%(library)s” twice (folders “%(first)s” and “%(second)s”).")
                % {"library": str(library.ref), "first": seen[library.key], "second": library.directory},
            )
        seen[library.key] = library.directory
    return tuple(libraries)


def _read_library(archive: SafeArchive, directory: str, folder: dict[str, Entry]) -> LibraryInfo:
    if not _MACHINE_NAME.fullmatch(directory):
        raise PackageRefused(
            "invalid_library_json",
            gettext("The package contains a folder with an invalid library name: “%(library)s”.")
            % {"library": shown(directory)},
        )
    library_entry = folder.get("library.json")
    if library_entry is None:
        raise PackageRefused(
            "invalid_library_json",
            gettext("The library folder “%(library)s” in the package has no library.json file.")
            % {"library": shown(directory)},
        )
    data = _read_json(
        archive,
        library_entry,
        code="invalid_library_json",
        message=lambda: (
            gettext("The library.json file of the library “%(library)s” is not valid JSON.")
            % {"library": shown(directory)}
        ),
    )

    for name in ("title", "machineName", "majorVersion", "minorVersion", "patchVersion", "runnable"):
        if name not in data:
            raise _library_field_error(directory, name, missing=True)
    title = data["title"]
    if not isinstance(title, str) or not 1 <= len(title) <= 255:
        raise _library_field_error(directory, "title", missing=False)
    machine_name = data["machineName"]
    if not isinstance(machine_name, str) or not _MACHINE_NAME.fullmatch(machine_name):
        raise _library_field_error(directory, "machineName", missing=False)
    versions = {}
    for name in ("majorVersion", "minorVersion", "patchVersion"):
        versions[name] = _version_number(data[name])
        if versions[name] is None:
            raise _library_field_error(directory, name, missing=False)
    runnable = data["runnable"]
    if isinstance(runnable, bool) or runnable not in (0, 1, "0", "1"):
        raise _library_field_error(directory, "runnable", missing=False)
    major, minor, patch = versions["majorVersion"], versions["minorVersion"], versions["patchVersion"]

    # H5P finds a library by its folder, so the folder must say which one it is.
    if directory not in (machine_name, f"{machine_name}-{major}.{minor}"):
        raise PackageRefused(
            "invalid_library_json",
            gettext(
                "The library folder “%(folder)s” does not match its library.json, which describes "
                "“%(library)s”. The folder must be named “%(expected)s”."
            )
            % {
                "folder": shown(directory),
                "library": f"{machine_name} {major}.{minor}",
                "expected": f"{machine_name}-{major}.{minor}",
            },
        )

    dependencies: list[LibraryRef] = []
    if "preloadedDependencies" in data:
        parsed = _dependency_list(data["preloadedDependencies"])
        if parsed is None:
            raise _library_field_error(directory, "preloadedDependencies", missing=False)
        dependencies = parsed

    core_api = None
    if data.get("coreApi"):
        requested = data["coreApi"]
        if not isinstance(requested, dict):
            raise _library_field_error(directory, "coreApi", missing=False)
        api_major = _version_number(requested.get("majorVersion"))
        api_minor = _version_number(requested.get("minorVersion"))
        if api_major is None or api_minor is None:
            raise _library_field_error(directory, "coreApi", missing=False)
        core_api = (api_major, api_minor)
        if not CoreApiVersion(api_major, api_minor).compatible_with(PLAYER_CORE_API):
            raise PackageRefused(
                "core_api_too_new",
                gettext(
                    "The library “%(library)s” needs version %(required)s of the H5P core, but this site's "
                    "player supports version %(supported)s. Use content made with older versions of its "
                    "content types."
                )
                % {
                    "library": shown(title),
                    "required": f"{api_major}.{api_minor}",
                    "supported": f"{PLAYER_CORE_API.major}.{PLAYER_CORE_API.minor}",
                },
            )

    preloaded = {}
    for key, suffix in (("preloadedJs", ".js"), ("preloadedCss", ".css")):
        preloaded[key] = _preloaded_files(directory, folder, data.get(key, []), key, suffix)

    if "semantics.json" in folder:
        _read_json(
            archive,
            folder["semantics.json"],
            code="invalid_semantics",
            message=lambda: (
                gettext("The semantics.json file of the library “%(library)s” is not valid JSON.")
                % {"library": shown(directory)}
            ),
            expect_object=False,
        )
    for relative, entry in sorted(folder.items()):
        if relative.startswith("language/"):
            _check_language_file(archive, directory, relative, entry)

    return LibraryInfo(
        machine_name=machine_name,
        major_version=major,
        minor_version=minor,
        patch_version=patch,
        title=title,
        runnable=runnable in (1, "1"),
        directory=directory,
        preloaded_js=preloaded["preloadedJs"],
        preloaded_css=preloaded["preloadedCss"],
        preloaded_dependencies=tuple(dependencies),
        core_api=core_api,
        metadata=data,
    )


def _preloaded_files(directory: str, folder: dict[str, Entry], declared: Any, key: str, suffix: str) -> tuple[str, ...]:
    if not isinstance(declared, list):
        raise _library_field_error(directory, key, missing=False)
    paths = []
    for item in declared:
        path = item.get("path") if isinstance(item, dict) else None
        if not isinstance(path, str) or not path.lower().endswith(suffix):
            raise _library_field_error(directory, key, missing=False)
        # H5P core accepts "\" as a separator here and normalises it.
        normalised = path.replace("\\", "/").lstrip("/")
        if normalised not in folder:
            raise PackageRefused(
                "missing_library_file",
                gettext("The file “%(file)s” is missing from the library “%(library)s”, which lists it in %(field)s.")
                % {"file": shown(path), "library": shown(directory), "field": key},
            )
        paths.append(normalised)
    return tuple(paths)


def _check_language_file(archive: SafeArchive, directory: str, relative: str, entry: Entry) -> None:
    file_name = relative.removeprefix("language/")
    if "/" in file_name or not _LANGUAGE_FILE.fullmatch(file_name):
        raise PackageRefused(
            "invalid_language_file",
            gettext("The library “%(library)s” contains an invalid language file name: “%(file)s”.")
            % {"library": shown(directory), "file": shown(relative)},
        )
    _read_json(
        archive,
        entry,
        code="invalid_language_file",
        message=lambda: (
            gettext("The language file “%(file)s” of the library “%(library)s” is not valid JSON.")
            % {"file": shown(relative), "library": shown(directory)}
        ),
    )


def _check_dependencies(
    metadata: dict[str, Any],
    main_library: LibraryRef,
    libraries: tuple[LibraryInfo, ...],
    installed: Collection[tuple[str, int, int]],
) -> tuple[LibraryRef, ...]:
    """Every preloaded dependency must be in the package or on the site.

    H5P matches dependencies on machine name, major and minor version; the
    patch version does not matter. Editor dependencies are not needed to play
    content and are not checked.
    """
    packaged = {library.key for library in libraries}
    installed_keys = {tuple(item) for item in installed}
    if main_library.key not in packaged and main_library.key not in installed_keys:
        raise PackageRefused(
            "missing_main_library",
            gettext(
                "The package does not contain its content type “%(library)s”, and that content type is not "
                "installed on this site."
            )
            % {"library": str(main_library)},
        )
    from_site: set[LibraryRef] = set()
    required: list[tuple[LibraryRef, str]] = [
        (ref, "h5p.json") for ref in _dependency_list(metadata["preloadedDependencies"]) or []
    ]
    for library in libraries:
        required.extend((ref, library.directory) for ref in library.preloaded_dependencies)
    for ref, needed_by in required:
        if ref.key in packaged:
            continue
        if ref.key in installed_keys:
            from_site.add(ref)
            continue
        raise PackageRefused(
            "missing_dependency",
            gettext(
                "The package needs the library “%(library)s” (required by %(needed_by)s), which is neither "
                "in the package nor installed on this site."
            )
            % {"library": str(ref), "needed_by": shown(needed_by)},
        )
    return tuple(sorted(from_site))


# --------------------------------------------------------------------------
# SVG and XML
# --------------------------------------------------------------------------

# Elements that run script or embed another document that could.
_ACTIVE_ELEMENTS = frozenset(
    {
        "script",
        "handler",  # SVG Tiny 1.2 event handler
        "listener",  # XML Events
        "foreignobject",
        "iframe",
        "frame",
        "frameset",
        "embed",
        "object",
        "applet",
        "base",
        "meta",
        "link",
        "form",
    }
)
_ANIMATION_ELEMENTS = frozenset({"animate", "set", "animatemotion", "animatetransform", "animatecolor"})
_LINK_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "data", "from", "to", "values", "by"})
_SAFE_DATA_URL = re.compile(r"data:image/(?:png|jpe?g|gif|webp)[;,]")
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20]+")  # browsers drop these inside a URL scheme


class _RecordingTreeBuilder(TreeBuilder):
    """Keeps processing instructions, including those before the root element."""

    def __init__(self) -> None:
        super().__init__()
        self.processing_instructions: list[str] = []

    def pi(self, target: str, text: str | None = None) -> None:
        self.processing_instructions.append(target)


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _find_active_content(data: bytes) -> str | None:
    """Return what makes this SVG/XML document able to run script, or None.

    Raises ParseError or DefusedXmlException when the document is not
    well-formed or declares entities; such a file cannot be vouched for.
    """
    builder = _RecordingTreeBuilder()
    parser = DefusedXMLParser(target=builder)  # refuses entity declarations and external references
    parser.feed(data)
    root = parser.close()
    if any(target.lower() == "xml-stylesheet" for target in builder.processing_instructions):
        return "<?xml-stylesheet?>"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = _local_name(element.tag)
        if name in _ACTIVE_ELEMENTS:
            return f"<{name}>"
        if name in _ANIMATION_ELEMENTS:
            # attributeName holds a prefixed name ("xlink:href"), not a {namespace} tag.
            animated = element.get("attributeName", "").rsplit(":", 1)[-1].lower()
            if animated.startswith("on") or animated == "href":
                return f"<{name} attributeName=“{animated}”>"
        if name == "style" and _is_script_url("".join(element.itertext()), anywhere=True):
            return "<style>"
        for attribute, value in element.attrib.items():
            attribute_name = _local_name(attribute)
            if attribute_name.startswith("on"):
                return f"{attribute_name}="
            if attribute_name in _LINK_ATTRIBUTES or attribute_name == "style":
                if _is_script_url(value, anywhere=attribute_name in ("style", "values")):
                    return f"{attribute_name}="
            if attribute_name in _LINK_ATTRIBUTES and _IGNORED_IN_URLS.sub("", value).lower().startswith("data:"):
                if not _SAFE_DATA_URL.match(_IGNORED_IN_URLS.sub("", value).lower()):
                    return f"{attribute_name}=“data:…”"
    return None


def _is_script_url(value: str, *, anywhere: bool) -> bool:
    compact = _IGNORED_IN_URLS.sub("", value).lower()
    schemes = ("javascript:", "vbscript:")
    if anywhere:
        return any(scheme in compact for scheme in schemes) or "expression(" in compact
    return compact.startswith(schemes)


def _check_markup(archive: SafeArchive, entry: Entry) -> None:
    """Refuse SVG/XML that a browser would run script from.

    Refusing rather than cleaning: a trainer's image is never silently
    changed, and a deny-list cleaner that misses one construct would be
    worse than a clear refusal. Serving uploaded files with a restrictive
    Content-Security-Policy remains the second line of defence.
    """
    limit = archive.limits.max_document_size
    if entry.declared_size > limit:
        raise PackageRefused(
            "unsafe_markup",
            gettext("The file “%(name)s” is too large to be checked for scripts (the limit is %(limit)s).")
            % {"name": shown(entry.path), "limit": filesizeformat(limit)},
        )
    data = archive.read(entry, max_size=limit)
    try:
        found = _find_active_content(data)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise PackageRefused(
            "unsafe_markup",
            gettext(
                "The file “%(name)s” is not a well-formed SVG or XML document, so it cannot be checked for scripts."
            )
            % {"name": shown(entry.path)},
        ) from exc
    if found:
        raise PackageRefused(
            "unsafe_markup",
            gettext(
                "The file “%(name)s” contains script or active content (%(found)s). SVG and XML files in a "
                "package must not be able to run code, so the package was refused."
            )
            % {"name": shown(entry.path), "found": found},
        )
