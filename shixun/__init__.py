"""Shixun (师训): every Python package of the platform lives under this one namespace.

Installed (the wheel), the packages sit in this folder: shixun.courses,
shixun.assessments.quizzes, shixun.transcripts, ... In the source tree they stay
in the repository's own top-level folders (courses/, assessments/, themes/ and
the apps in platform/), so when running from a checkout this package also
searches those folders: platform/ first (config, accounts, schools,
transcripts), then the repository root (courses, assessments, themes).
platform/ itself is never put on sys.path.
"""

import sys
from pathlib import Path

_root = Path(__file__).resolve().parent.parent
_ROOT_FOLDERS = ("courses", "assessments", "themes")


class _RefuseOldNames:
    """In a checkout the root is on sys.path, so `import courses` would load a second copy of
    shixun.courses (its own module state; its models refused by Django): refuse it instead."""

    def find_spec(self, name, path=None, target=None):
        if name in _ROOT_FOLDERS:
            raise ModuleNotFoundError(f"No module named {name!r}: it is shixun.{name}", name=name)
        return None


if (_root / "platform" / "transcripts").is_dir():
    __path__ = [*__path__, str(_root / "platform"), str(_root)]
    if not any(isinstance(finder, _RefuseOldNames) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RefuseOldNames())
