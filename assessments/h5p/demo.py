"""Demo H5P activity: a true/false question in 在线教学平台与混合式教学 (module "xinxi-zaixian").

Real H5P hub content, so a new user of `make demo` sees what trainers will
upload: the H5P.TrueFalse 1.6 package (with the hub's H5P.Question,
H5P.JoubelUI, FontAwesome, …) that the npm devDependency h5p-hub-sample
installs (package.json; `npm ci`). Its libraries are unchanged; only the
question and its wording (content/content.json, h5p.json) are the demo's
own, in Chinese.

It goes through the path of any trainer's upload: the demo trainer of the
course uploads it; a trainer may not install libraries, so the package is
held (packages.request_approval) and the platform administrator approves its
libraries (packages.approve_request), which validates the file again and
installs them. Shixun's own test library (assessments/h5p/test_library) is
for the tests only. Running the seed again finds the activity by title and
changes nothing.
"""

import io
import json
import zipfile
from pathlib import Path

from django.contrib.auth import get_user_model

from .models import CompletionRule, H5PActivity
from .packages import (
    LibraryNeedsApproval,
    approve_request,
    may_install_libraries,
    prepare_package,
    request_approval,
    store_package,
)

TITLE = "在线教学小测：保持学生参与"
MODULE_SLUG = "xinxi-zaixian"
MAIN_LIBRARY = "H5P.TrueFalse"
FILE_NAME = "在线教学小测.h5p"
UPLOADER = "trainer2"  # the demo trainer of 信息技术应用能力提升 (courses/demo.py)
APPROVER = "admin"  # the demo platform administrator (accounts/demo.py)
HUB_SAMPLE = Path(__file__).resolve().parents[2] / "node_modules" / "h5p-hub-sample" / "test" / "full_workspace"

QUESTION = "在线直播课上，每10到15分钟设计一次提问、投票或小组讨论，比教师连续讲授45分钟更能保持学生的参与度。"
TRUE_TEXT = "正确"
FALSE_TEXT = "错误"
CHECK = "检查答案"
RETRY = "再试一次"
L10N = {
    "trueText": TRUE_TEXT,
    "falseText": FALSE_TEXT,
    "score": "得分：@score / @total",
    "checkAnswer": CHECK,
    "showSolutionButton": "查看答案",
    "tryAgain": RETRY,
    "wrongAnswerMessage": "还不对哦：短小频繁的互动才能让学生保持专注。",
    "correctAnswerMessage": "回答正确！短小频繁的互动能让学生保持专注。",
    "scoreBarLabel": "得分：:num / :total",
}


def available() -> bool:
    return (HUB_SAMPLE / "h5p.json").is_file()


def demo_package() -> bytes:
    """The hub sample as a .h5p file, with the demo's question in place of its "Is this false?"."""
    h5p_json = json.loads((HUB_SAMPLE / "h5p.json").read_text(encoding="utf-8"))
    h5p_json.update(title=TITLE, language="zh-hans")
    content = json.loads((HUB_SAMPLE / "content" / "content.json").read_text(encoding="utf-8"))
    content.update(question=f"<p>{QUESTION}</p>\n", correct="true")
    content["l10n"] = {**content.get("l10n", {}), **L10N}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("h5p.json", json.dumps(h5p_json, ensure_ascii=False))
        archive.writestr("content/content.json", json.dumps(content, ensure_ascii=False))
        for path in sorted(HUB_SAMPLE.rglob("*")):
            relative = path.relative_to(HUB_SAMPLE).as_posix()
            # The workspace's placeholder note is no part of an exported package.
            if path.is_file() and relative not in ("h5p.json", "content/content.json", "H5P_CONTENT_HERE.txt"):
                archive.write(path, relative)
    return buffer.getvalue()


def _needs_package(activity) -> bool:
    content = activity.current_content
    # An older demo database holds the test library's question: replace it with the hub content.
    return content is None or content.main_library.machine_name != MAIN_LIBRARY


def upload_and_approve(activity, data: bytes, uploader, approver) -> None:
    """Upload as the trainer would (admin form: store_package), then approve the held libraries."""
    try:
        store_package(prepare_package(io.BytesIO(data)), activity=activity, file_name=FILE_NAME,
                      uploaded_by=uploader, may_install=may_install_libraries(uploader))
    except LibraryNeedsApproval as held:
        request = request_approval(io.BytesIO(data), held, activity=activity, file_name=FILE_NAME,
                                   requested_by=uploader)
        approve_request(request.pk, approver)


def seed(stdout):
    User = get_user_model()
    activity = H5PActivity.objects.filter(title=TITLE).first()
    if activity is None or _needs_package(activity):
        if not available():
            stdout.write("H5P: the hub sample is missing (run `npm ci`); the demo H5P activity is not imported")
            return []
        uploader = User.objects.filter(username=UPLOADER).first()
        approver = User.objects.filter(username=APPROVER, is_superuser=True).first()
        if approver is None:
            stdout.write(f"H5P: the demo administrator “{APPROVER}” is missing; the demo H5P activity is not imported")
            return []
        if activity is None:
            activity = H5PActivity.objects.create(title=TITLE, completion_rule=CompletionRule.PASSED)
        upload_and_approve(activity, demo_package(), uploader, approver)
        stdout.write(f"H5P: uploaded “{TITLE}” (hub content {MAIN_LIBRARY}) and approved its libraries")
    try:
        from shixun.courses.demo import add_activity_block
    except ImportError:
        stdout.write("H5P: courses.demo.add_activity_block is missing; the demo activity is not placed in a module")
        return []
    if add_activity_block(MODULE_SLUG, "h5p", {"activity": activity, "required": True}):
        stdout.write(f"H5P: placed “{TITLE}” in module {MODULE_SLUG}")
    return []
