"""Importing a validated .h5p package: libraries stored once, content as a new version.

The one place a package becomes rows and folders. The admin form, the
h5p_import command and the demo all call :func:`import_package`. A refused
package (:class:`PackageRefused`) leaves nothing behind: validation writes
nothing, extraction goes to a scratch folder that is always removed, and
the folders moved into place are removed again if the database work fails.

Library code runs in every activity that uses the library, so installing a
new library or a newer patch of an installed one is for those with the
permission install_h5p_library (the import command and the demo are run
by an operator). Anyone else's package that brings one is held
(:class:`LibraryNeedsApproval`, then :func:`request_approval`) and
imported again as it came when approved (:func:`approve_request`).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from . import storage
from .models import H5PActivity, H5PContent, H5PLibrary, H5PLibraryRequest
from .validation import LibraryInfo, LibraryRef, PackageInfo, PackageRefused, extract_package, inspect_package

logger = logging.getLogger(__name__)

INSTALL_PERMISSION = "shixun_h5p.install_h5p_library"

__all__ = [
    "INSTALL_PERMISSION",
    "LibraryNeedsApproval",
    "PackageRefused",
    "PreparedPackage",
    "import_package",
    "installed_library_keys",
    "prepare_package",
    "store_package",
]


class LibraryNeedsApproval(Exception):
    """The package would install or upgrade libraries and its uploader may not; nothing was stored."""

    def __init__(self, libraries: list[dict]):
        super().__init__(", ".join(f"{item['machine_name']} {item['patch']}" for item in libraries))
        self.libraries = libraries


def may_install_libraries(user) -> bool:
    return user is not None and user.is_active and user.has_perm(INSTALL_PERMISSION)


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
    may_install: bool = True,
) -> H5PContent:
    """Store a prepared package as a new version of ``activity`` (or of a new activity).

    The activity's results are kept: they belong to the activity, not to a
    package version. The scratch folder is always removed. Unless
    ``may_install``, a package that would install or upgrade a library
    raises LibraryNeedsApproval and stores nothing (decided under the
    libraries' row locks, so a concurrent upload cannot slip one past).
    """
    info = prepared.info
    placed: list[Path] = []  # folders moved into place, removed again on failure
    try:
        with transaction.atomic():
            libraries = _store_libraries(info, prepared.scratch, placed, may_install=may_install)
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


def _store_libraries(
    info: PackageInfo, scratch: Path, placed: list[Path], *, may_install: bool = True
) -> dict[tuple[str, int, int], H5PLibrary]:
    """Store the package's libraries that the site lacks; reuse the ones it has.

    A library is kept once per machine name and major.minor version. A
    package carrying a newer patch version upgrades the stored one (H5P core
    does the same); an older or equal patch version is discarded.
    """
    found = [
        (
            library,
            H5PLibrary.objects.select_for_update()
            .filter(machine_name=library.machine_name, major_version=library.major_version,
                    minor_version=library.minor_version)
            .first(),
        )
        for library in info.libraries
    ]
    wanted = [
        _request_entry(library, existing)
        for library, existing in found
        if existing is None or existing.patch_version < library.patch_version
    ]
    if wanted and not may_install:
        raise LibraryNeedsApproval(wanted)
    stored: dict[tuple[str, int, int], H5PLibrary] = {}
    for library, existing in found:
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


def _request_entry(library: LibraryInfo, existing: H5PLibrary | None) -> dict:
    return {
        "machine_name": library.machine_name,
        "major": library.major_version,
        "minor": library.minor_version,
        "patch": library.patch_version,
        "title": library.title[:255],
        "installed_patch": existing.patch_version if existing is not None else None,
    }


def request_approval(fileobj: BinaryIO, held: LibraryNeedsApproval, *, activity: H5PActivity, file_name: str = "",
                     requested_by=None) -> H5PLibraryRequest:
    """Keep the uploaded file (not served, not installed) until someone decides on its libraries."""
    relative = f"pending/{storage.new_token()}.h5p"
    target = storage.absolute(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    fileobj.seek(0)
    with target.open("wb") as out:
        shutil.copyfileobj(fileobj, out)
    try:
        return H5PLibraryRequest.objects.create(
            activity=activity, libraries=held.libraries, package_path=relative, file_name=file_name[:255],
            requested_by=requested_by,
        )
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def pending_request(activity: H5PActivity) -> H5PLibraryRequest | None:
    """The activity's latest request while it waits, or its refusal until a newer package replaces it."""
    latest = activity.library_requests.order_by("-requested_at", "-pk").first()
    if latest is None or latest.status == H5PLibraryRequest.Status.APPROVED:
        return None
    if latest.status == H5PLibraryRequest.Status.REFUSED and activity.current_content_id is not None:
        if activity.current_content.uploaded_at > latest.requested_at:
            return None
    return latest


def _decide(request_id: int, user, status: str, note: str = "") -> H5PLibraryRequest:
    held = H5PLibraryRequest.objects.select_for_update().get(pk=request_id, status=H5PLibraryRequest.Status.PENDING)
    held.status = status
    held.decided_by = user
    held.decided_at = timezone.now()
    held.note = note
    path = held.package_path
    held.package_path = ""
    held.save()
    if path:
        transaction.on_commit(lambda: storage.absolute(path).unlink(missing_ok=True))
    return held


def approve_request(request_id: int, user) -> H5PLibraryRequest:
    """Install the held package's libraries and make it the activity's package (for install_h5p_library).

    The file is validated again, as any upload: what was safe to hold may
    no longer fit (a library removed since). Then the request is refused
    with the reason, and PackageRefused is raised.
    """
    with transaction.atomic():
        held = H5PLibraryRequest.objects.select_for_update().select_related("activity").get(
            pk=request_id, status=H5PLibraryRequest.Status.PENDING
        )
        try:
            with storage.absolute(held.package_path).open("rb") as fileobj:
                prepared = prepare_package(fileobj)
            store_package(prepared, activity=held.activity, file_name=held.file_name, uploaded_by=held.requested_by)
        except (PackageRefused, OSError) as exc:
            message = exc.message if isinstance(exc, PackageRefused) else gettext("The held package file is missing.")
            _decide(request_id, user, H5PLibraryRequest.Status.REFUSED, note=message)
            refused = exc if isinstance(exc, PackageRefused) else PackageRefused("missing", message)
        else:
            held = _decide(request_id, user, H5PLibraryRequest.Status.APPROVED)
            logger.info("H5P library request %s approved by user %s: %s", held.pk, user.pk, held.library_list)
            return held
    raise refused


def refuse_request(request_id: int, user) -> H5PLibraryRequest:
    with transaction.atomic():
        held = _decide(request_id, user, H5PLibraryRequest.Status.REFUSED)
    logger.info("H5P library request %s refused by user %s: %s", held.pk, user.pk, held.library_list)
    return held


def affected_activities(entry: dict) -> list[tuple[H5PActivity, str]]:
    """Activities whose current package uses an older version of the library a request brings.

    Those on the same major.minor would run the new code from the moment
    it is approved; the others only if their package is replaced.
    """
    major, minor, patch = entry["major"], entry["minor"], entry["patch"]
    older = (
        Q(major_version__lt=major)
        | Q(major_version=major, minor_version__lt=minor)
        | Q(major_version=major, minor_version=minor, patch_version__lt=patch)
    )
    libraries = H5PLibrary.objects.filter(older, machine_name=entry["machine_name"])
    found = []
    for library in libraries:
        activities = H5PActivity.objects.filter(current_content__libraries=library).distinct().order_by("title")
        found.extend((activity, library.version) for activity in activities)
    return found


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
