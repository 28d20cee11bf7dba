"""Each flag on the study review links to a page the viewer may open to follow it up (issue #13): the person's
transcript for the district, the quiz's results or the course's grade sheet for a trainer, who may not open the
transcript. Every link opens (no refusal behind a link); the links cost the same queries however many flags."""

import pytest
from django.urls import reverse

from shixun.assessments.quizzes import services as quizzes
from shixun.courses.study import record_heartbeat
from shixun.transcripts.study_review import follow_ups, study_flags
from tests.factories import make_teacher
from tests.quizzes import builders
from tests.transcripts.helpers import enrol, make_course

pytestmark = pytest.mark.django_db

T0 = 1_800_000_000_000
S = 1000
INTERVAL = 30 * S


@pytest.fixture
def overlap(org, settings):
    """org.teacher's two modules of org.trainer's course beat in the same minutes: two overlap flags."""
    settings.SHIXUN_STUDY_SECONDS_PER_MINUTE = 60
    course, (a, b) = make_course(hours=("40.0", "40.0"))
    course.trainers.add(org.trainer)
    course.save()
    enrol(org.teacher, course)
    for n in range(8):
        record_heartbeat(org.teacher, a, start=n == 0, at=T0 + n * INTERVAL)
        record_heartbeat(org.teacher, b, start=n == 0, at=T0 + n * INTERVAL + 15 * S)
    return course


def review(client, viewer, language="zh-hans", **params) -> str:
    client.force_login(viewer)
    response = client.get(reverse("transcripts:study_review"), params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_a_trainer_gets_the_grade_sheet_at_the_person_not_the_transcript(org, overlap, client):
    page = review(client, org.trainer, kind="overlap")
    sheet = f"{reverse('transcripts:grades', args=[overlap.pk])}#learner-{org.teacher.pk}"
    assert page.count(f'href="{sheet}"') == 4  # the name and the button of each of the two flags
    assert "查看课程成绩单" in page
    assert reverse("transcripts:person", args=[org.teacher.pk]) not in page
    # The course has no grading: the sheet still lists the person, with their standing.
    opened = client.get(sheet.split("#")[0])
    assert opened.status_code == 200 and f'id="learner-{org.teacher.pk}"' in opened.content.decode()
    assert "成绩组成" in opened.content.decode()
    assert "Open the course&#x27;s grade sheet" in review(client, org.trainer, "en", kind="overlap")


def test_the_district_gets_the_transcript(org, overlap, client):
    page = review(client, org.district_admin, kind="overlap")
    transcript = reverse("transcripts:person", args=[org.teacher.pk])
    assert f'href="{transcript}"' in page and "查看学时档案" in page
    assert reverse("transcripts:grades", args=[overlap.pk]) not in page
    assert client.get(transcript).status_code == 200
    assert "Open the transcript" in review(client, org.district_admin, "en", kind="overlap")


def test_a_fast_quiz_links_the_trainer_to_the_quiz_results(org, client):
    quiz = builders.quiz([builders.single(), builders.true_false()])
    course, module = builders.course_with_module([quiz], trainers=[org.trainer])
    builders.enrol(org.teacher, course)
    attempt = quizzes.start_attempt(org.teacher, quiz, module)
    quizzes.submit_attempt(attempt.pk, org.teacher, {})
    page = review(client, org.trainer, kind="quiz_fast")
    results = reverse("quizzes:results", args=[module.pk, quiz.pk])
    assert f'href="{results}"' in page and "查看测验成绩" in page
    assert client.get(results).status_code == 200
    assert "Open the quiz results" in review(client, org.trainer, "en", kind="quiz_fast")


def test_the_links_take_the_same_queries_for_many_flags(org, overlap, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def measure():
        flags = study_flags(org.trainer, kind="overlap", days=None)
        with CaptureQueriesContext(connection) as queries:
            links = follow_ups(org.trainer, flags)
        assert all(link is not None for link in links)
        return len(flags), len(queries)

    few, few_queries = measure()
    (a, b) = overlap.get_children().specific()
    for n in range(5):
        learner = make_teacher(org.school, username=f"ov{n}")
        enrol(learner, overlap)
        for k in range(8):
            record_heartbeat(learner, a, start=k == 0, at=T0 + k * INTERVAL)
            record_heartbeat(learner, b, start=k == 0, at=T0 + k * INTERVAL + 15 * S)
    many, many_queries = measure()
    assert many == few + 10 and many_queries == few_queries
