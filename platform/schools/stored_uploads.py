"""Keep an uploaded file between the dry run and the import without trusting the client.

The file goes to private storage under a random name; the browser only gets a
signed token naming that file, the school and the admin who uploaded it. The
import step accepts the token only from the same admin for the same school
within the time limit, and reads the file back from storage, so the rows
imported are exactly the rows previewed (then checked again).
"""

from __future__ import annotations

import secrets
from pathlib import PurePosixPath

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import storages

SALT = "shixun.schools.stored_upload"
MAX_AGE_SECONDS = 2 * 60 * 60


class StoredUploadInvalid(Exception):
    pass


def _storage():
    return storages["private"]


def store_upload(data: bytes, filename: str, *, purpose: str, school_id: int, user_id: int) -> str:
    suffix = PurePosixPath(filename).suffix.lower()[:8]
    name = _storage().save(f"{purpose}/{secrets.token_hex(16)}{suffix}", ContentFile(data))
    return signing.dumps(
        {"name": name, "filename": filename[:200], "purpose": purpose, "school": school_id, "user": user_id},
        salt=SALT,
        compress=True,
    )


def load_upload(token: str, *, purpose: str, school_id: int, user_id: int) -> tuple[str, bytes, str]:
    """(storage name, bytes, original filename) for a token issued to this user for this school."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise StoredUploadInvalid from exc
    if payload.get("purpose") != purpose or payload.get("school") != school_id or payload.get("user") != user_id:
        raise StoredUploadInvalid
    name = payload["name"]
    if not name.startswith(f"{purpose}/") or not _storage().exists(name):
        raise StoredUploadInvalid
    with _storage().open(name, "rb") as handle:
        return name, handle.read(), payload["filename"]


def discard_upload(name: str) -> None:
    _storage().delete(name)
