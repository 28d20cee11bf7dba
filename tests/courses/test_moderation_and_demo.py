"""Course review workflow (trainer submits, reviewer approves) and the demo seed."""

import io

import pytest
from django.core.management import call_command
from wagtail.models import Workflow

from shixun.courses.models import CoursePage, Enrolment, EnrolmentApplication, ModuleCompletion, ModulePage
from shixun.courses.moderation import WORKFLOW_NAME, ensure_course_moderation

pytestmark = pytest.mark.django_db


def test_trainers_write_and_submit_but_only_reviewers_publish(org, catalogue):
    ensure_course_moderation()
    assert catalogue.get_workflow() == Workflow.objects.get(name=WORKFLOW_NAME)
    trainer_perms = catalogue.permissions_for_user(org.trainer)
    assert trainer_perms.can_add_subpage() and not trainer_perms.can_publish_subpage()
    assert catalogue.permissions_for_user(org.reviewer).can_publish_subpage()

    course = CoursePage(title="班主任工作实务", slug="banzhuren", summary="班主任专题培训", owner=org.trainer)
    catalogue.add_child(instance=course)
    course.live = False
    course.save()
    assert not course.permissions_for_user(org.trainer).can_publish()
    revision = course.save_revision(user=org.trainer)
    state = course.get_workflow().start(course, org.trainer)
    assert state.status == "in_progress" and not CoursePage.objects.get(pk=course.pk).live

    task_state = state.current_task_state
    assert task_state.task.specific.user_can_access_editor(course, org.reviewer)
    assert not task_state.task.specific.user_can_access_editor(course, org.trainer)
    actions = [name for name, *_ in task_state.task.specific.get_actions(course, org.reviewer)]
    assert "approve" in actions and "reject" in actions
    task_state.task.specific.on_action(task_state, org.reviewer, "approve")
    course = CoursePage.objects.get(pk=course.pk)
    assert course.live and course.live_revision_id == revision.pk


def test_moderation_setup_is_idempotent(catalogue):
    from wagtail.models import GroupPagePermission, WorkflowTask

    ensure_course_moderation()
    counts = (Workflow.objects.count(), WorkflowTask.objects.count(), GroupPagePermission.objects.count())
    ensure_course_moderation()
    assert (Workflow.objects.count(), WorkflowTask.objects.count(), GroupPagePermission.objects.count()) == counts


def _seed():
    call_command("seed_demo", stdout=io.StringIO())


def test_demo_seed_is_idempotent_and_has_courses_enrolments_and_progress():
    _seed()
    counts = [m.objects.count() for m in (CoursePage, ModulePage, Enrolment, EnrolmentApplication, ModuleCompletion)]
    _seed()
    assert [m.objects.count() for m in (CoursePage, ModulePage, Enrolment, EnrolmentApplication, ModuleCompletion)] \
        == counts
    assert set(CoursePage.objects.live().values_list("title", flat=True)) >= {
        "师德师风建设", "义务教育课程标准（2022年版）解读", "信息技术应用能力提升"
    }
    assert counts[2] > 12 and counts[4] >= 7
    ethics = CoursePage.objects.get(slug="shide-shifeng")
    assert ethics.live_modules().count() == 4 and ethics.trainers.filter(username="trainer1").exists()
    assert "依法执教" in ethics.search_text  # module titles are searchable
    # Study time: every demo completion stands for its lesson's minimum study time, measured as heartbeats.
    from shixun.courses.models import StudyTime
    from shixun.courses.study import required_minutes, required_ms

    assert ModulePage.objects.get(slug="shide-kaimo").study_minutes == 90  # a trainer's minimum
    assert required_minutes(ModulePage.objects.get(slug="shide-guifan")) == 135  # 3 hours × 45 minutes
    for completion in ModuleCompletion.objects.select_related("module"):
        study = StudyTime.objects.get(user=completion.user_id, module=completion.module_id)
        assert study.lesson_reported and study.active_ms >= required_ms(completion.module)
    # The demo's teachers studied one lesson after another: the trainers' review list has no "two modules at
    # once" to show for them (it flagged every teacher who had finished two lessons).
    from shixun.transcripts.study_review import study_flags

    assert not StudyTime.objects.filter(overlap_beats__gt=0).exists()
    from django.contrib.auth import get_user_model

    assert study_flags(get_user_model().objects.get(username="district.admin"), kind="overlap") == []


def test_add_activity_block_appends_once_and_publishes():
    from shixun.assessments.quizzes.models import Quiz
    from shixun.courses.demo import add_activity_block

    _seed()
    quiz = Quiz.objects.create(title="师德规范小测验")
    assert add_activity_block("shide-guifan", "quiz", {"quiz": quiz, "required": True}) is True
    assert add_activity_block("shide-guifan", "quiz", {"quiz": quiz, "required": True}) is False
    module = ModulePage.objects.get(slug="shide-guifan")
    keys = [b.block.activity_key(b.value) for b in module.body if b.block_type == "quiz"]
    assert keys.count(f"quiz:{quiz.pk}") == 1 and not module.has_unpublished_changes
    with pytest.raises(LookupError):
        add_activity_block("no-such-module", "quiz", {"quiz": quiz})
    with pytest.raises(ValueError):
        add_activity_block("shide-guifan", "paragraph", {})


def _submitted_course(org, catalogue):
    ensure_course_moderation()
    course = CoursePage(title="班主任工作实务", slug="banzhuren", summary="班主任专题培训", owner=org.trainer)
    catalogue.add_child(instance=course)
    course.live = False
    course.save()
    course.save_revision(user=org.trainer)
    state = course.get_workflow().start(course, org.trainer)
    return course, state.current_task_state


def test_the_reviewer_is_told_the_course_is_approved_and_published(client, org, catalogue):
    from django.contrib.messages import get_messages
    from django.urls import reverse

    course, task_state = _submitted_course(org, catalogue)
    client.force_login(org.reviewer)
    url = reverse("wagtailadmin_pages:workflow_action", args=[course.pk, "approve", task_state.pk])
    # The dashboard's approve button posts from a modal (XHR); the message shows on the next page.
    response = client.post(url, {"comment": ""}, headers={"x-requested-with": "XMLHttpRequest"})
    assert response.status_code == 200
    assert CoursePage.objects.get(pk=course.pk).live
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["“班主任工作实务”已审核通过并发布。"]


def test_the_approve_url_still_needs_admin_access_and_the_reviewer_role(client, org, catalogue):
    from django.urls import reverse

    course, task_state = _submitted_course(org, catalogue)
    url = reverse("wagtailadmin_pages:workflow_action", args=[course.pk, "approve", task_state.pk])
    for user in (org.teacher, org.trainer):
        client.force_login(user)
        assert client.post(url, {"comment": ""}).status_code in (302, 403)
    assert not CoursePage.objects.get(pk=course.pk).live


def test_approving_from_the_editor_confirms_too(rf, org, catalogue):
    """The editor's approve posts the whole page form; Wagtail then runs after_edit_page, as here."""
    from django.contrib.messages import get_messages
    from django.contrib.messages.storage.fallback import FallbackStorage
    from wagtail import hooks

    course, task_state = _submitted_course(org, catalogue)
    task_state.task.specific.on_action(task_state, org.reviewer, "approve")
    request = rf.post("/", {"action-workflow-action": "true", "workflow-action-name": "approve"})
    request.user, request.session = org.reviewer, {}
    request._messages = FallbackStorage(request)
    for hook in hooks.get_hooks("after_edit_page"):
        hook(request, course)
    assert "“班主任工作实务”已审核通过并发布。" in [str(m) for m in get_messages(request)]

    saved = rf.post("/", {"action-submit": "true"})
    saved.user, saved.session = org.reviewer, {}
    saved._messages = FallbackStorage(saved)
    for hook in hooks.get_hooks("after_edit_page"):
        hook(saved, course)
    assert not list(get_messages(saved))  # an ordinary save says nothing more
