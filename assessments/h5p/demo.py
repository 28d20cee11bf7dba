"""Demo H5P activity: a one-question check in 在线教学平台与混合式教学 (module "xinxi-zaixian").

The package is built here from Shixun's own test library
(assessments/h5p/test_library), so no third-party content is needed, and
imported through the same path as a trainer's upload. Running the seed
again finds the activity by title and changes nothing.
"""

import io
import json
import zipfile
from pathlib import Path

from .models import CompletionRule, H5PActivity
from .packages import import_package

TITLE = "在线教学小测：保持学生参与"
MODULE_SLUG = "xinxi-zaixian"
LIBRARY_DIR = Path(__file__).resolve().parent / "test_library" / "H5P.ShixunQuickCheck-1.0"

H5P_JSON = {
    "title": TITLE,
    "language": "zh-hans",
    "mainLibrary": "H5P.ShixunQuickCheck",
    "embedTypes": ["iframe"],
    "license": "U",
    "preloadedDependencies": [{"machineName": "H5P.ShixunQuickCheck", "majorVersion": 1, "minorVersion": 0}],
}
CONTENT = {
    "question": "在线直播课上，哪种做法最能保持学生的参与度？",
    "options": [
        {"text": "教师连续讲授45分钟，课后再统一答疑", "correct": False},
        {"text": "每10到15分钟设计一次提问、投票或小组讨论", "correct": True},
        {"text": "要求学生全程关闭摄像头和麦克风", "correct": False},
    ],
    "l10n": {
        "correct": "回答正确！短小频繁的互动能让学生保持专注。",
        "incorrect": "还不对哦，再想一想。",
        "retry": "再试一次",
    },
}


def demo_package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("h5p.json", json.dumps(H5P_JSON, ensure_ascii=False))
        archive.writestr("content/content.json", json.dumps(CONTENT, ensure_ascii=False))
        for path in sorted(LIBRARY_DIR.rglob("*")):
            if path.is_file():
                archive.write(path, f"{LIBRARY_DIR.name}/{path.relative_to(LIBRARY_DIR).as_posix()}")
    return buffer.getvalue()


def seed(stdout):
    activity = H5PActivity.objects.filter(title=TITLE).first()
    if activity is None or activity.current_content is None:
        content = import_package(io.BytesIO(demo_package()), activity=activity, title=TITLE, file_name="demo.h5p")
        activity = content.activity
        activity.completion_rule = CompletionRule.PASSED
        activity.save()
        stdout.write(f"H5P: imported the demo activity “{TITLE}”")
    try:
        from shixun.courses.demo import add_activity_block
    except ImportError:
        stdout.write("H5P: courses.demo.add_activity_block is missing; the demo activity is not placed in a module")
        return []
    if add_activity_block(MODULE_SLUG, "h5p", {"activity": activity, "required": True}):
        stdout.write(f"H5P: placed “{TITLE}” in module {MODULE_SLUG}")
    return []
