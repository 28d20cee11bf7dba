"""Watched-interval reports for a lesson video over HTTP (courses/video_views.py), and the video as a module step."""

import json
import struct
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents import get_document_model

from shixun.courses.blocks import video_key
from shixun.courses.enrolment import enrol_self, withdraw
from shixun.courses.models import ActivityProgress, ModuleCompletion, VideoWatch
from tests.factories import make_teacher, study_lesson

from .conftest import make_course, make_module

pytestmark = pytest.mark.django_db

DURATION = 60.0


def _element(element_id: bytes, payload: bytes) -> bytes:
    return element_id + bytes([0x80 | len(payload)]) + payload  # sizes below 127 bytes here


def webm(seconds: float) -> bytes:
    """The head of a WebM file declaring `seconds` (EBML header, Segment › Info › TimecodeScale, Duration)."""
    info = _element(b"\x2a\xd7\xb1", (1_000_000).to_bytes(3, "big")) + _element(
        b"\x44\x89", struct.pack(">d", seconds * 1000))
    return (_element(b"\x1a\x45\xdf\xa3", _element(b"\x42\x82", b"webm"))
            + _element(b"\x18\x53\x80\x67", _element(b"\x15\x49\xa9\x66", info)) + bytes(64))


WEBM = webm(DURATION)


@pytest.fixture
def lesson(catalogue, org):
    video = get_document_model().objects.create(title="师德讲座", file=ContentFile(WEBM, name="talk.webm"))
    course = make_course(catalogue, "师德师风建设")
    module = make_module(course, "第一讲", hours="2.0", body=[
        ("paragraph", "<p>正文</p>"),
        ("video", {"title": "", "file": video, "embed": None}),
    ])
    block_id = next(child.id for child in module.body if child.block_type == "video")
    learner = make_teacher(org.school)
    enrol_self(learner, course)
    return module, block_id, learner, video


def post(client, module, block_id, body):
    url = reverse("courses:video_report", args=[module.pk, block_id])
    return client.post(url, json.dumps(body) if not isinstance(body, (str, bytes)) else body,
                       content_type="application/json")


def later(learner, module, seconds):
    """Move the learner's last accepted report back in time: as if `seconds` had passed since."""
    VideoWatch.objects.filter(user=learner, module=module).update(
        last_report_at=VideoWatch.objects.get(user=learner, module=module).last_report_at - timedelta(seconds=seconds)
    )


def covered(learner, module):
    return VideoWatch.objects.get(user=learner, module=module).covered_seconds


def test_the_video_is_a_required_step_and_watching_it_completes_the_module(client, lesson):
    module, block_id, learner, video = lesson
    client.force_login(learner)
    page = client.get(module.url).content.decode()
    assert "观看视频：师德讲座" in page  # the document's title when the block has none
    assert 'data-video-report="/learn/modules/' in page and "已观看 0%" in page
    assert "courses/video.js" in page

    assert post(client, module, block_id, {"duration": DURATION, "ranges": []}).json()["percent"] == 0
    later(learner, module, 20)
    data = post(client, module, block_id, {"duration": DURATION, "ranges": [[0, 20]]}).json()
    assert data == {**data, "percent": 33, "watched": False, "status": "in_progress", "module_completed": False}
    assert not ModuleCompletion.objects.filter(user=learner, module=module).exists()

    later(learner, module, 20)
    post(client, module, block_id, {"duration": DURATION, "ranges": [[0, 40]]})
    study_lesson(learner, module)  # the lesson's own study time (courses.study) is the module's other step
    assert not ModuleCompletion.objects.filter(user=learner, module=module).exists()
    later(learner, module, 15)
    data = post(client, module, block_id, {"duration": DURATION, "ranges": [[0, 55]]}).json()
    assert data["watched"] and data["status"] == "done" and data["module_completed"]
    assert data["status_label"] == "已完成"
    assert ActivityProgress.objects.get(user=learner, module=module, activity_key=video_key(block_id)).status == "done"
    assert ModuleCompletion.objects.get(user=learner, module=module).credit_hours == module.credit_hours
    # The player reports its end a moment later: the module stays complete in the answer.
    again = post(client, module, block_id, {"duration": DURATION, "ranges": [[0, 55]]}).json()
    assert again["watched"] and again["module_completed"]

    page = client.get(module.url).content.decode()
    assert "已观看 91%" in page


def test_reports_cannot_complete_the_video_faster_than_twice_real_time(client, lesson):
    module, block_id, learner, _video = lesson
    client.force_login(learner)
    started = time.monotonic()
    post(client, module, block_id, {"duration": DURATION, "ranges": []})
    # A scripted client claims the whole video at once, again and again: only real time counts, twice over.
    for _ in range(20):
        data = post(client, module, block_id, {"duration": DURATION, "ranges": [[0, DURATION]]}).json()
    assert data["covered_seconds"] <= 2 * (time.monotonic() - started) + 0.01
    assert not data["watched"]
    # 10 s later, at 4× speed it claims 40 s more: 20 s count (plus the real time of the request itself).
    before = covered(learner, module)
    later(learner, module, 10)
    post(client, module, block_id, {"duration": DURATION, "ranges": [[0, before + 40]]})
    assert before + 20 <= covered(learner, module) < before + 22


def test_two_tabs_share_one_clock(client, lesson, django_user_model):
    module, block_id, learner, _video = lesson
    tab_a, tab_b = client, type(client)()
    tab_a.force_login(learner)
    tab_b.force_login(learner)
    post(tab_a, module, block_id, {"duration": DURATION, "ranges": []})
    later(learner, module, 10)
    # Both tabs played 20 s (at 2×) of different parts within the same 10 s: 20 s count, not 40.
    post(tab_a, module, block_id, {"duration": DURATION, "ranges": [[0, 20]]})
    post(tab_b, module, block_id, {"duration": DURATION, "ranges": [[30, 50]]})
    assert covered(learner, module) == pytest.approx(20, abs=1)  # not 40; plus the real time between the two posts
    assert VideoWatch.objects.filter(user=learner, module=module).count() == 1


def test_seeking_and_replaying_add_nothing(client, lesson):
    module, block_id, learner, _video = lesson
    client.force_login(learner)
    post(client, module, block_id, {"duration": DURATION, "ranges": []})
    later(learner, module, 60)
    post(client, module, block_id, {"duration": DURATION, "ranges": [[0, 10], [50, 55]]})
    assert covered(learner, module) == 15
    later(learner, module, 60)
    post(client, module, block_id, {"duration": DURATION, "ranges": [[0, 10], [50, 55]]})
    assert covered(learner, module) == 15


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({"duration": DURATION, "ranges": [[0, 600]]}, 400, "out_of_range", "超出了视频的结尾"),
        ({"duration": DURATION, "ranges": [[30, 10]]}, 400, "bad_ranges", "无法读取"),
        ({"duration": DURATION, "ranges": [[-5, 10]]}, 400, "bad_ranges", "无法读取"),
        ({"duration": 0, "ranges": []}, 400, "bad_duration", "视频长度"),
        ({"duration": "60", "ranges": []}, 400, "bad_duration", "视频长度"),
        ([1, 2], 400, "bad_ranges", "无法读取"),
        ("{not json", 400, "bad_json", "JSON"),
        ('{"ranges": [' + '[0, 1],' * 2000 + "[0, 1]]}", 413, "too_large", "KB"),
    ],
)
def test_forged_and_absurd_reports_are_refused_in_chinese_and_write_nothing(client, lesson, body, status, code,
                                                                             message):
    module, block_id, learner, _video = lesson
    client.force_login(learner)
    response = post(client, module, block_id, body)
    assert response.status_code == status
    assert response.json()["code"] == code and message in response.json()["error"]
    assert not VideoWatch.objects.exists() and not ActivityProgress.objects.filter(activity_key__startswith="video")


def test_a_forged_duration_is_refused(client, lesson):
    # The file declares 60 s: a client claiming a 2-second video would be "done" in a second.
    module, block_id, learner, _video = lesson
    client.force_login(learner)
    response = post(client, module, block_id, {"duration": 2.0, "ranges": [[0, 2]]})
    assert response.status_code == 400 and response.json()["code"] == "duration_mismatch"
    assert "视频文件不符" in response.json()["error"]
    assert not VideoWatch.objects.exists()
    post(client, module, block_id, {"duration": DURATION, "ranges": []})
    response = post(client, module, block_id, {"duration": 6.0, "ranges": [[0, 6]]})
    assert response.status_code == 400 and response.json()["code"] == "duration_mismatch"
    assert covered(learner, module) == 0


def test_without_a_declared_duration_the_first_reported_one_holds(client, lesson):
    module, block_id, learner, video = lesson
    video.file.save("live.webm", ContentFile(b"\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm" + bytes(64)))
    client.force_login(learner)
    post(client, module, block_id, {"duration": DURATION, "ranges": []})
    response = post(client, module, block_id, {"duration": 6.0, "ranges": [[0, 6]]})
    assert response.status_code == 400 and response.json()["code"] == "duration_changed"
    assert covered(learner, module) == 0


def test_a_learner_not_enrolled_is_refused(client, lesson, org):
    module, block_id, learner, _video = lesson
    stranger = make_teacher(org.school)
    client.force_login(stranger)
    response = post(client, module, block_id, {"duration": DURATION, "ranges": []})
    assert response.status_code == 403 and response.json()["error"] == "你没有报名本课程。"
    from shixun.courses.models import Enrolment

    withdraw(Enrolment.objects.get(user=learner), actor=learner)
    client.force_login(learner)
    assert post(client, module, block_id, {"duration": DURATION, "ranges": []}).status_code == 403
    assert not VideoWatch.objects.exists()


def test_anonymous_get_and_unknown_video_are_refused(client, lesson):
    module, block_id, learner, _video = lesson
    response = post(client, module, block_id, {"duration": DURATION, "ranges": []})
    assert response.status_code == 403 and response.json()["code"] == "login"
    client.force_login(learner)
    assert client.get(reverse("courses:video_report", args=[module.pk, block_id])).status_code == 405
    response = post(client, module, "0f0e0d0c-not-a-block", {"duration": DURATION, "ranges": []})
    assert response.status_code == 404 and response.json()["code"] == "no_video"
    assert not VideoWatch.objects.exists()


def test_a_report_needs_the_csrf_token(lesson):
    from django.test import Client

    module, block_id, learner, _video = lesson
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    assert post(client, module, block_id, {"duration": DURATION, "ranges": []}).status_code == 403
    assert not VideoWatch.objects.exists()


def test_a_report_writes_no_session(client, lesson):
    module, block_id, learner, _video = lesson
    client.force_login(learner)
    response = post(client, module, block_id, {"duration": DURATION, "ranges": []})
    assert "sessionid" not in response.cookies


def test_an_embedded_video_is_content_only(catalogue):
    # An embedded player (a video site's iframe) tells the page nothing of what was watched.
    from shixun.courses.progress import module_requirements

    course = make_course(catalogue, "嵌入视频课程")
    module = make_module(course, "第一讲", body=[("video", {"title": "外站视频", "file": None,
                                                          "embed": "https://example.com/v/1"})])
    assert [r.key for r in module_requirements(module)] == ["lesson"]


def test_video_reports_and_heartbeats_have_budgets_of_their_own(client, lesson, settings):
    """A player reports every 15 s and on each play, pause and end; scrubbing through a video sends many.
    Those reports once spent the heartbeats' budget (SHIXUN_RATE_LIMIT_HEARTBEAT), so the page's study clock
    met 429s: each now has its own (SHIXUN_RATE_LIMIT_VIDEO_REPORT)."""
    from django.core.cache import cache

    module, block_id, learner, _video = lesson
    settings.SHIXUN_RATE_LIMITS_ENABLED = True
    settings.SHIXUN_RATE_LIMIT_HEARTBEAT = "2/m"
    settings.SHIXUN_RATE_LIMIT_VIDEO_REPORT = "3/m"
    cache.clear()
    client.force_login(learner)

    def heartbeat():
        url = reverse("courses:study_heartbeat", args=[module.pk])
        return client.post(url, "{}", content_type="application/json").status_code

    try:
        assert [heartbeat(), heartbeat()] == [200, 200]
        reports = [post(client, module, block_id, {"duration": DURATION, "ranges": []}) for _ in range(4)]
        assert [r.status_code for r in reports] == [200, 200, 200, 429]
        assert int(reports[-1]["Retry-After"]) >= 1 and reports[-1].json()["error"]
        assert heartbeat() == 429  # its own budget, spent by the two heartbeats alone
    finally:
        cache.clear()
