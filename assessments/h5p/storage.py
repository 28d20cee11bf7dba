"""Where extracted H5P packages live on disk.

Everything sits under one root (setting SHIXUN_H5P_ROOT, default
PRIVATE_MEDIA_ROOT/h5p): it must never be reachable through the site's own
media URL, because package files are served only by the content-origin
views, behind signed links. Layout:

    <root>/libraries/<Machine>-<major>.<minor>.<patch>-<token>/   one per stored library
    <root>/content/<token>/                                        h5p.json + content/ of one package version
    <root>/incoming/<token>/                                       an upload being extracted

extract_package writes to a real folder, so this is local-disk storage; an
object-storage deployment needs a shared volume for this root.
"""

import os
import secrets
import shutil
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages

from shixun.config.conf import shixun_settings


def h5p_root() -> Path:
    # The environment variable works until the setting is added to config.settings.
    root = shixun_settings.SHIXUN_H5P_ROOT or os.environ.get("SHIXUN_H5P_ROOT")
    if root:
        return Path(root)
    # A host site may configure only STORAGES["private"], without PRIVATE_MEDIA_ROOT.
    private = getattr(settings, "PRIVATE_MEDIA_ROOT", None) or storages["private"].location
    return Path(private) / "h5p"


def absolute(storage_dir: str) -> Path:
    """The folder of a stored library or content; refuses anything that leaves the root."""
    root = h5p_root().resolve()
    path = (root / storage_dir).resolve()
    if not path.is_relative_to(root) or path == root:
        raise ValueError(f"storage folder outside the H5P root: {storage_dir!r}")
    return path


def new_token() -> str:
    return secrets.token_hex(8)


def incoming_dir() -> Path:
    path = h5p_root() / "incoming" / new_token()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def resolve_file(folder: Path, relative: str) -> Path | None:
    """A regular file inside ``folder``, or None (missing, a folder, or outside it)."""
    if not relative or "\x00" in relative or relative.startswith(("/", "\\")):
        return None
    candidate = (folder / relative).resolve()
    if not candidate.is_relative_to(folder.resolve()) or not candidate.is_file():
        return None
    return candidate
