"""Shixun (师训): every Python package of the platform lives under this one namespace.

Installed (the wheel), the packages sit in this folder: shixun.courses,
shixun.assessments.quizzes, shixun.transcripts, ... In the source tree they stay
in the repository's own top-level folders (courses/, assessments/, themes/ and
the apps in platform/), so when running from a checkout this package also
searches those folders: platform/ first (config, accounts, schools,
transcripts), then the repository root (courses, assessments, themes).
platform/ itself is never put on sys.path, so a stale `import courses` fails
instead of loading a second copy of a models module.
"""

from pathlib import Path

_root = Path(__file__).resolve().parent.parent
if (_root / "platform" / "transcripts").is_dir():
    __path__ = [*__path__, str(_root / "platform"), str(_root)]
