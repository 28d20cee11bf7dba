"""Embedded YouTube / Vimeo lesson videos count watched seconds like uploaded ones (courses/video_embeds.py).

The server-side crediting path, on the real database: the trainer's length is
the only duration trusted, the same 2 × real-time clamp, and embeds of sites
without a time API (Bilibili, …) stay content only. The browser side (the
postMessage protocols) is in test_embed_players_browser.py.
"""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation
from wagtail.blocks import StructBlockValidationError

from shixun.courses.blocks import VideoBlock, video_key
from shixun.courses.models import ActivityProgress, ModuleCompletion, VideoWatch
from shixun.courses.progress import module_requirements
from shixun.courses.video_embeds import parse_length, timed_embed
from tests.factories import make_teacher, study_lesson

from .conftest import make_course, make_module

pytestmark = pytest.mark.django_db

YOUTUBE = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
DURATION = 60.0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (YOUTUBE, ("youtube", "dQw4w9WgXcQ")),
        ("https://youtu.be/dQw4w9WgXcQ?t=3", ("youtube", "dQw4w9WgXcQ")),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ", ("youtube", "dQw4w9WgXcQ")),
        ("https://vimeo.com/76979871", ("vimeo", "76979871")),
        ("https://player.vimeo.com/video/76979871?h=abc", ("vimeo", "76979871")),
        ("https://www.bilibili.com/video/BV1xx411c7mD", None),
        ("https://v.qq.com/x/page/a0000000000.html", None),
        ("https://v.youku.com/v_show/id_XNDA.html", None),
        ("https://www.youtube.com/watch?v=short", None),
        ("https://evil.example/www.youtube.com/embed/dQw4w9WgXcQ", None),
        ("javascript:alert(1)", None),
    ],
)
def test_which_embeds_report_their_time(url, expected):
    player = timed_embed(url)
    assert (player and (player.provider, player.video_id)) == expected


def test_the_youtube_player_is_asked_for_its_api_and_posts_to_the_site_only():
    src = timed_embed(YOUTUBE).player_src("https://shixun.example.edu.cn")
    assert src.startswith("https://www.youtube.com/embed/dQw4w9WgXcQ?")
    assert "enablejsapi=1" in src and "origin=https%3A%2F%2Fshixun.example.edu.cn" in src


@pytest.mark.parametrize(("text", "seconds"), [
    ("12:34", 754), ("1:02:03", 3723), ("90", 90), ("0:59", 59), ("12：34", 754),
    ("", None), ("12:75", None), ("abc", None), ("0", None), ("-5", None),
])
def test_the_trainers_length(text, seconds):
    assert parse_length(text) == seconds


def _clean(value):
    block = VideoBlock()
    return block.clean(block.to_python({"title": "", "file": None, "embed": "", "duration": "", **value}))


@translation.override("zh-hans")  # the messages read in Chinese, whatever language a test before left active
def test_a_youtube_embed_needs_its_length_and_a_length_must_be_one():
    with pytest.raises(StructBlockValidationError) as refused:
        _clean({"embed": YOUTUBE})
    assert "请输入视频的时长" in str(refused.value.block_errors["duration"].messages)
    with pytest.raises(StructBlockValidationError) as refused:
        _clean({"embed": YOUTUBE, "duration": "12:99"})
    assert "分:秒" in str(refused.value.block_errors["duration"].messages)
    with pytest.raises(StructBlockValidationError):
        _clean({"embed": YOUTUBE, "duration": "13:00:00"})  # more than 12 hours
    assert _clean({"embed": YOUTUBE, "duration": "1:00"})["duration"] == "1:00"
    try:  # no time API: no length asked (offline, Wagtail's oEmbed look-up of the site itself may fail)
        _clean({"embed": "https://www.bilibili.com/video/BV1xx411c7mD"})
    except StructBlockValidationError as refused:
        assert "duration" not in refused.block_errors


def _module(catalogue, embed, duration="1:00"):
    from wagtail.embeds.blocks import EmbedValue

    course = make_course(catalogue, "嵌入视频课程")
    return make_module(course, "第一讲", hours="2.0", body=[
        ("paragraph", "<p>正文</p>"),
        ("video", {"title": "师德讲座", "file": None, "embed": EmbedValue(embed), "duration": duration}),
    ])


@pytest.fixture
def lesson(catalogue, org):
    from shixun.courses.enrolment import enrol_self

    module = _module(catalogue, YOUTUBE)
    block_id = next(child.id for child in module.body if child.block_type == "video")
    learner = make_teacher(org.school)
    enrol_self(learner, module.get_parent().specific)
    return module, block_id, learner


def post(client, module, block_id, body):
    return client.post(reverse("courses:video_report", args=[module.pk, block_id]), json.dumps(body),
                       content_type="application/json")


def later(learner, module, seconds):
    watch = VideoWatch.objects.get(user=learner, module=module)
    VideoWatch.objects.filter(pk=watch.pk).update(last_report_at=watch.last_report_at - timedelta(seconds=seconds))


def test_a_timed_embed_is_a_required_step_and_watching_it_completes_the_module(client, lesson):
    module, block_id, learner = lesson
    assert [(r.key, r.required) for r in module_requirements(module)] == [("lesson", True), (video_key(block_id), True)]
    client.force_login(learner)
    page = client.get(module.url).content.decode()
    assert 'src="https://www.youtube.com/embed/dQw4w9WgXcQ?enablejsapi=1&amp;origin=http%3A%2F%2Ftestserver' in page
    assert 'data-player-origin="https://www.youtube.com"' in page and 'data-video-report="/learn/modules/' in page
    assert "观看视频：师德讲座" in page and "courses/video.js" in page

    assert post(client, module, block_id, {"duration": 60.2, "ranges": []}).status_code == 200
    # A scripted client claims the whole video at once: twice the real time counts, no more.
    data = post(client, module, block_id, {"duration": 60.2, "ranges": [[0, 60.2]]}).json()
    assert data["covered_seconds"] < 1 and not data["watched"]
    later(learner, module, 20)
    data = post(client, module, block_id, {"duration": 60.2, "ranges": [[0, 60.2]]}).json()
    assert 40 <= data["covered_seconds"] < 42 and data["duration"] == DURATION  # the trainer's length
    study_lesson(learner, module)
    later(learner, module, 10)
    data = post(client, module, block_id, {"duration": 60.2, "ranges": [[0, 60.2]]}).json()
    assert data["watched"] and data["module_completed"] and data["percent"] == 100
    assert ActivityProgress.objects.get(user=learner, module=module, activity_key=video_key(block_id)).status == "done"
    assert ModuleCompletion.objects.get(user=learner, module=module).credit_hours == module.credit_hours


@pytest.mark.parametrize("first", [True, False])
def test_a_forged_duration_is_refused_before_and_after_the_first_report(client, lesson, first):
    """The player's duration is the learner's word: only the trainer's length (± 2 s) is accepted, so a script
    cannot claim a 2-second video — not even with its first report, which would otherwise fix the length."""
    module, block_id, learner = lesson
    client.force_login(learner)
    if not first:
        post(client, module, block_id, {"duration": DURATION, "ranges": []})
        later(learner, module, 30)
    response = post(client, module, block_id, {"duration": 2.0, "ranges": [[0, 2]]})
    assert response.status_code == 400 and response.json()["code"] == "duration_mismatch"
    assert "与培训者填写的时长不符" in response.json()["error"]
    assert VideoWatch.objects.filter(covered_seconds__gt=0).count() == 0
    assert VideoWatch.objects.count() == (0 if first else 1)
    response = post(client, module, block_id, {"duration": DURATION, "ranges": [[0, 600]]})
    assert response.status_code == 400 and response.json()["code"] == "out_of_range"


def test_an_embed_without_a_time_api_is_content_only_and_says_so(client, catalogue, org):
    from shixun.courses.enrolment import enrol_self

    module = _module(catalogue, "https://www.bilibili.com/video/BV1xx411c7mD", duration="")
    block_id = next(child.id for child in module.body if child.block_type == "video")
    assert [r.key for r in module_requirements(module)] == ["lesson"]
    learner = make_teacher(org.school)
    enrol_self(learner, module.get_parent().specific)
    client.force_login(learner)
    page = client.get(module.url).content.decode()
    assert "不计入视频观看" in page and "学习时长仍然计入" in page and "data-video-report" not in page
    response = post(client, module, block_id, {"duration": DURATION, "ranges": []})
    assert response.status_code == 404 and not VideoWatch.objects.exists()


def test_a_youtube_embed_stored_without_a_length_is_not_tracked(client, catalogue, org):
    """A page saved before lengths existed: no step that could never be measured, and no report is taken."""
    module = _module(catalogue, YOUTUBE, duration="")
    block_id = next(child.id for child in module.body if child.block_type == "video")
    assert [r.key for r in module_requirements(module)] == ["lesson"]
    client.force_login(make_teacher(org.school))
    assert post(client, module, block_id, {"duration": DURATION, "ranges": []}).status_code == 404


def test_the_policy_frames_the_timed_players(client, lesson):
    module, _block_id, learner = lesson
    client.force_login(learner)
    policy = client.get(module.url)["Content-Security-Policy"]
    frame_src = next(part for part in policy.split("; ") if part.startswith("frame-src")).split()
    assert "https://www.youtube.com" in frame_src and "https://player.vimeo.com" in frame_src
    assert "script-src 'self'" in policy  # no player script from the video sites
