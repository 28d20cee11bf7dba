"""One zip with every hand-in of an assignment, for trainers who mark offline.

Layout: "<school>/<staff number> <name>/v<N> <file>", plus "v<N> <answer>.txt"
for typed answers. The archive is written into a spooled temporary file
(memory up to a few MB, then disk) and each stored file is copied in chunks,
so neither the archive nor any one upload is ever held in memory whole.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
import zipfile
from tempfile import SpooledTemporaryFile

from django.utils.translation import gettext as _

from shixun.accounts.people import profile_of

from .models import Submission

SPOOL_MEMORY_BYTES = 8 * 1024 * 1024
_COPY_CHUNK = 256 * 1024
# Characters Windows refuses in names, and both path separators (a name must never become a folder).
_UNSAFE = re.compile(r'[<>:"/\\|?*]')


def zip_segment(text: str, fallback: str) -> str:
    """One path segment that is safe on every unzip tool: no separators, controls, or leading dots."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("C"))
    text = " ".join(_UNSAFE.sub("_", text).split()).strip(". ")
    return text[:80] or fallback


def learner_folder(learner) -> str:
    profile = profile_of(learner)
    school = zip_segment(profile.school.name if profile.school_id else "", _("No school"))
    person = zip_segment(" ".join(part for part in (profile.staff_number, profile.display_name) if part), "user")
    return f"{school}/{person}"


def build_submissions_zip(submissions) -> SpooledTemporaryFile:
    """Write the zip for ``submissions`` (learner, profile and school loaded, versions prefetched); returned rewound."""
    spool = SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)
    used: set[str] = set()
    try:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=5) as archive:
            for submission in submissions:
                _add_submission(archive, submission, used)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _add_submission(archive: zipfile.ZipFile, submission: Submission, used: set[str]) -> None:
    folder = learner_folder(submission.learner)
    for version in submission.versions.all():
        if version.file:
            name = _unique(f"{folder}/v{version.number} {zip_segment(version.original_name, 'upload')}", used)
            with version.file.open("rb") as source, archive.open(name, "w") as target:
                shutil.copyfileobj(source, target, _COPY_CHUNK)
        if version.text:
            name = _unique(f"{folder}/v{version.number} {_('typed answer')}.txt", used)
            archive.writestr(name, version.text.encode("utf-8"))


def _unique(name: str, used: set[str]) -> str:
    """The same learner may hand in one assignment in two modules: never overwrite inside the zip."""
    candidate, n = name, 2
    while candidate in used:
        stem, dot, ext = name.rpartition(".")
        candidate = f"{stem} ({n}).{ext}" if dot else f"{name} ({n})"
        n += 1
    used.add(candidate)
    return candidate
