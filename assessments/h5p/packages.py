"""Importing a validated .h5p package: libraries stored once, content as a new version.

The one place a package becomes rows and folders. The admin form, the
h5p_import command and the demo all call :func:`import_package`. A refused
package (:class:`PackageRefused`) leaves nothing behind: validation writes
nothing, extraction goes to a scratch folder that is always removed, and
the folders moved into place are removed again if the database work fails.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from . import storage
from .models import H5PActivity, H5PContent, H5PLibrary
from .validation import LibraryInfo, LibraryRef, PackageInfo, PackageRefused, extract_package, inspect_package

logger = logging.getLogger(__name__)

__all__ = [
    "PackageRefused",
    "PreparedPackage",
    "import_package",
    "installed_library_keys",
    "prepare_package",
    "store_package",
]


def installed_library_keys() -> set[tuple[str, int, int]]:
    return {
        (name, major, minor)
        for name, major, minor in H5PLibrary.objects.values_list("machine_name", "major_version", "minor_version")
    }


@dataclass
class PreparedPackage:
    """A package that passed validation and extraction, waiting in a scratch folder."""

    info: PackageInfo
    scratch: Path

    def discard(self) -> None:
        storage.remove_tree(self.scratch)


def prepare_package(fileobj: BinaryIO) -> PreparedPackage:
    """Validate and extract a package into a scratch folder; nothing touches the database.

    Raises PackageRefused (with a message for the trainer) and then leaves
    nothing behind. Sizes are checked again while extracting, so a package
    whose ZIP directory lies is refused here too.
    """
    fileobj.seek(0)
    info = inspect_package(fileobj, installed_libraries=installed_library_keys())
    scratch = storage.incoming_dir()
    try:
        fileobj.seek(0)
        extract_package(fileobj, scratch, info)
    except BaseException:
        storage.remove_tree(scratch)
        raise
    return PreparedPackage(info=info, scratch=scratch)


def store_package(
    prepared: PreparedPackage,
    *,
    activity: H5PActivity | None = None,
    title: str = "",
    file_name: str = "",
    uploaded_by=None,
) -> H5PContent:
    """Store a prepared package as a new version of ``activity`` (or of a new activity).

    The activity's results are kept: they belong to the activity, not to a
    package version. The scratch folder is always removed.
    """
    info = prepared.info
    placed: list[Path] = []  # folders moved into place, removed again on failure
    try:
        with transaction.atomic():
            libraries = _store_libraries(info, prepared.scratch, placed)
            needed = _dependency_closure(info, libraries)
            content_dir = f"content/{storage.new_token()}"
            target = storage.absolute(content_dir)
            target.mkdir(parents=True)
            placed.append(target)
            shutil.move(prepared.scratch / "h5p.json", target / "h5p.json")
            shutil.move(prepared.scratch / "content", target / "content")

            if activity is None:
                activity = H5PActivity.objects.create(title=(title or info.title)[:200])
            elif activity.pk is None:
                activity.title = activity.title or (title or info.title)[:200]
                activity.save()
            content = H5PContent.objects.create(
                activity=activity,
                title=info.title,
                main_library=needed[info.main_library.key],
                metadata=dict(info.metadata),
                storage_dir=content_dir,
                file_name=file_name[:255],
                unpacked_size=info.unpacked_size,
                uploaded_by=uploaded_by,
            )
            content.libraries.set(needed.values())
            activity.current_content = content
            activity.save(update_fields=["current_content"])
    except BaseException:
        for folder in placed:
            storage.remove_tree(folder)
        raise
    finally:
        prepared.discard()
    return content


def import_package(fileobj: BinaryIO, **kwargs) -> H5PContent:
    """Validate, extract and store a package (see store_package for the arguments)."""
    return store_package(prepare_package(fileobj), **kwargs)


def _store_libraries(info: PackageInfo, scratch: Path, placed: list[Path]) -> dict[tuple[str, int, int], H5PLibrary]:
    """Store the package's libraries that the site lacks; reuse the ones it has.

    A library is kept once per machine name and major.minor version. A
    package carrying a newer patch version upgrades the stored one (H5P core
    does the same); an older or equal patch version is discarded.
    """
    stored: dict[tuple[str, int, int], H5PLibrary] = {}
    for library in info.libraries:
        existing = (
            H5PLibrary.objects.select_for_update()
            .filter(machine_name=library.machine_name, major_version=library.major_version,
                    minor_version=library.minor_version)
            .first()
        )
        if existing is not None and existing.patch_version >= library.patch_version:
            stored[library.key] = existing
            continue
        folder = f"libraries/{library.directory}.{library.patch_version}-{storage.new_token()}"
        target = storage.absolute(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(scratch / library.directory, target)
        placed.append(target)
        if existing is None:
            try:
                with transaction.atomic():
                    stored[library.key] = H5PLibrary.objects.create(storage_dir=folder, **_library_fields(library))
            except IntegrityError as exc:
                # Another upload stored the same library a moment ago.
                raise PackageRefused(
                    "busy", gettext("Another package with the same libraries is being uploaded. Try again.")
                ) from exc
        else:
            old_folder = storage.absolute(existing.storage_dir)
            for name, value in _library_fields(library).items():
                setattr(existing, name, value)
            existing.storage_dir = folder
            existing.save()
            stored[library.key] = existing
            transaction.on_commit(lambda old=old_folder: storage.remove_tree(old))
            logger.info("H5P library %s upgraded to patch %s", library.ref, library.patch_version)
    return stored


def _library_fields(library: LibraryInfo) -> dict:
    return {
        "machine_name": library.machine_name,
        "major_version": library.major_version,
        "minor_version": library.minor_version,
        "patch_version": library.patch_version,
        "title": library.title[:255],
        "runnable": library.runnable,
        "metadata": dict(library.metadata),
    }


def _dependency_closure(
    info: PackageInfo, packaged: dict[tuple[str, int, int], H5PLibrary]
) -> dict[tuple[str, int, int], H5PLibrary]:
    """Every library the content needs to play: its preloaded dependencies, recursively."""
    wanted = [info.main_library, *(_refs(info.metadata.get("preloadedDependencies")))]
    needed: dict[tuple[str, int, int], H5PLibrary] = {}
    while wanted:
        ref = wanted.pop()
        if ref.key in needed:
            continue
        library = packaged.get(ref.key) or H5PLibrary.objects.filter(
            machine_name=ref.machine_name, major_version=ref.major_version, minor_version=ref.minor_version
        ).first()
        if library is None:
            raise PackageRefused(
                "missing_dependency",
                gettext(
                    "The package needs the library “%(library)s”, which is neither in the package nor installed "
                    "on this site."
                )
                % {"library": str(ref)},
            )
        needed[ref.key] = library
        wanted.extend(_refs(library.metadata.get("preloadedDependencies")))
    return needed


def _refs(value) -> Iterable[LibraryRef]:
    for item in value or []:
        try:
            yield LibraryRef(str(item["machineName"]), int(item["majorVersion"]), int(item["minorVersion"]))
        except (KeyError, TypeError, ValueError):
            continue
