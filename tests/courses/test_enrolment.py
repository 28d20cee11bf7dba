"""Enrolment modes: open, assigned (with standing rules), by application (with refusal and quota)."""

import pytest
from django.test import Client
from django.urls import reverse

from shixun.courses import enrolment as services
from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import (
    ActivityStatus,
    ApplicationStatus,
    Enrolment,
    EnrolmentApplication,
    EnrolmentEvent,
    EnrolmentMode,
    EnrolmentSource,
    ModuleCompletion,
)
from shixun.courses.progress import record_activity_status
from tests.courses.conftest import make_course, make_module
from tests.factories import make_teacher

pytestmark = pytest.mark.django_db


def test_a_teacher_enrols_in_an_open_course_with_one_click(org, course):
    client = Client()
    client.force_login(org.teacher)
    response = client.post(reverse("courses:enrol", args=[course.pk]))
    assert response.status_code == 302
    assert Enrolment.objects.get(user=org.teacher, course=course).source == EnrolmentSource.SELF
    client.post(reverse("courses:enrol", args=[course.pk]))  # a double click enrols once
    assert Enrolment.objects.filter(user=org.teacher).count() == 1


def test_enrolling_needs_post_and_csrf(org, course):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.teacher)
    assert client.get(reverse("courses:enrol", args=[course.pk])).status_code == 405
    assert client.post(reverse("courses:enrol", args=[course.pk])).status_code == 403
    assert not Enrolment.objects.exists()


def test_assigned_and_application_courses_refuse_self_enrolment(org, catalogue):
    for mode in (EnrolmentMode.ASSIGNED, EnrolmentMode.APPLICATION):
        course = make_course(catalogue, mode=mode)
        with pytest.raises(services.EnrolmentRefused):
            services.enrol_self(org.teacher, course)
    assert not Enrolment.objects.exists()


def test_withdrawing_keeps_progress_and_history_and_enrolling_again_restores_it(org, course):
    module = course.live_modules().first()
    enrolment = services.enrol_self(org.teacher, course)
    record_activity_status(org.teacher, module, LESSON_KEY, ActivityStatus.DONE)
    services.withdraw(enrolment, actor=org.teacher)
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.WITHDRAWN and enrolment.withdrawn_at is not None
    assert ModuleCompletion.objects.filter(user=org.teacher, module=module).exists()
    again = services.enrol_self(org.teacher, course)
    assert again.pk == enrolment.pk and again.status == Enrolment.Status.ACTIVE
    assert list(EnrolmentEvent.objects.filter(enrolment=enrolment).values_list("action", flat=True)) == [
        "enrolled", "withdrawn", "reenrolled"
    ]


def test_a_teacher_cannot_leave_an_assigned_course_but_their_admin_can(org, catalogue):
    course = make_course(catalogue, mode=EnrolmentMode.ASSIGNED)
    services.assign_to_teachers(org.school_admin, course, [org.teacher])
    enrolment = Enrolment.objects.get(user=org.teacher, course=course)
    with pytest.raises(services.EnrolmentRefused):
        services.withdraw(enrolment, actor=org.teacher)
    with pytest.raises(services.EnrolmentRefused):
        services.withdraw(enrolment, actor=org.sibling_school_admin)
    services.withdraw(enrolment, actor=org.school_admin, reason="调往他校")
    assert Enrolment.objects.get(pk=enrolment.pk).status == Enrolment.Status.WITHDRAWN


def test_admins_assign_only_to_their_own_teachers(org, catalogue):
    course = make_course(catalogue, mode=EnrolmentMode.ASSIGNED)
    with pytest.raises(services.EnrolmentRefused):
        services.assign_to_teachers(org.school_admin, course, [org.teacher, org.sibling_teacher])
    with pytest.raises(services.EnrolmentRefused):
        services.assign_to_teachers(org.district_admin, course, [org.foreign_teacher])
    with pytest.raises(services.EnrolmentRefused):
        services.assign_to_teachers(org.teacher, course, [org.teacher])
    assert not Enrolment.objects.exists()  # nothing half-written
    result = services.assign_to_teachers(org.district_admin, course, [org.teacher, org.sibling_teacher])
    assert len(result.enrolled) == 2
    assert services.assign_to_teachers(org.district_admin, course, [org.teacher]).already


def test_assigning_a_school_or_a_category_enrols_its_teachers_and_nobody_else(org, catalogue):
    from shixun.accounts.models import TeacherCategory

    course = make_course(catalogue, mode=EnrolmentMode.ASSIGNED)
    new_teacher = make_teacher(org.school, username="newbie", categories=("new",))
    _rule, result = services.assign_to_group(
        org.school_admin, course, school=org.school, category=TeacherCategory.objects.get(code="new")
    )
    assert [e.user for e in result.enrolled] == [new_teacher]

    _rule, result = services.assign_to_group(org.district_admin, course, district=org.district)
    enrolled = set(Enrolment.objects.filter(course=course).values_list("user__username", flat=True))
    assert enrolled == {"newbie", "teacher", "sibling"}  # teachers only: no admins, trainers, other districts
    with pytest.raises(services.EnrolmentRefused):
        services.assign_to_group(org.school_admin, course, school=org.sibling_school)
    with pytest.raises(services.EnrolmentRefused):
        services.assign_to_group(org.district_admin, course, district=org.other_district)


def test_a_standing_assignment_enrols_teachers_added_later(org, catalogue):
    from shixun.accounts.models import TeacherCategory

    course = make_course(catalogue, mode=EnrolmentMode.ASSIGNED)
    induction = make_course(catalogue, mode=EnrolmentMode.ASSIGNED, title="新教师入职培训")
    services.assign_to_group(org.school_admin, course, school=org.school, include_future=True)
    services.assign_to_group(
        org.district_admin, induction, district=org.district,
        category=TeacherCategory.objects.get(code="new"), include_future=True,
    )
    services.assign_to_group(org.sibling_school_admin, course, school=org.sibling_school)  # not standing

    later = make_teacher(org.school, username="later", categories=("in_service",))
    sibling_later = make_teacher(org.sibling_school, username="sibling-later", categories=("in_service",))
    assert set(Enrolment.objects.filter(user=later).values_list("course", flat=True)) == {course.pk}
    assert not Enrolment.objects.filter(user=sibling_later).exists()

    # Joining the category later (the roster import sets categories after saving the user) enrols too.
    sibling_later.shixun_profile.categories.add(TeacherCategory.objects.get(code="new"))
    assert set(Enrolment.objects.filter(user=sibling_later).values_list("course", flat=True)) == {induction.pk}
    # Idempotent: running it again enrols nobody twice.
    assert services.apply_standing_assignments(later) == []


def test_application_goes_from_teacher_to_school_to_district(org, catalogue):
    course = make_course(catalogue, mode=EnrolmentMode.APPLICATION)
    application = services.apply(org.teacher, course, "想学习")
    with pytest.raises(services.EnrolmentRefused):
        services.apply(org.teacher, course)  # once is enough
    with pytest.raises(services.EnrolmentRefused):
        services.approve(org.district_admin, application)  # the school has not recommended yet
    with pytest.raises(services.EnrolmentRefused):
        services.recommend(org.sibling_school_admin, application)  # not their school
    services.recommend(org.school_admin, application)
    with pytest.raises(services.EnrolmentRefused):
        services.approve(org.foreign_district_admin, EnrolmentApplication.objects.get(pk=application.pk))
    enrolment = services.approve(org.district_admin, EnrolmentApplication.objects.get(pk=application.pk))
    assert enrolment.source == EnrolmentSource.APPLICATION and enrolment.status == Enrolment.Status.ACTIVE
    assert EnrolmentApplication.objects.get(pk=application.pk).status == ApplicationStatus.APPROVED


def test_each_step_can_refuse_with_a_reason_and_the_teacher_may_apply_again(org, catalogue):
    course = make_course(catalogue, mode=EnrolmentMode.APPLICATION)
    application = services.apply(org.teacher, course)
    with pytest.raises(services.EnrolmentRefused) as refused:
        services.refuse_at_school(org.school_admin, application, "  ")
    assert "原因" in refused.value.message or "reason" in refused.value.message
    services.refuse_at_school(org.school_admin, application, "名额已满")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REFUSED_BY_SCHOOL and application.refusal_reason == "名额已满"

    second = services.apply(org.teacher, course)
    services.recommend(org.school_admin, second)
    services.refuse_at_district(org.district_admin, EnrolmentApplication.objects.get(pk=second.pk), "本期已满")
    assert EnrolmentApplication.objects.get(pk=second.pk).status == ApplicationStatus.REFUSED_BY_DISTRICT
    assert not Enrolment.objects.exists()


def test_the_quota_per_school_limits_recommendations(org, catalogue):
    course = make_course(catalogue, mode=EnrolmentMode.APPLICATION, application_quota_per_school=1)
    second_teacher = make_teacher(org.school, username="second")
    first = services.apply(org.teacher, course)
    second = services.apply(second_teacher, course)
    sibling = services.apply(org.sibling_teacher, course)
    services.recommend(org.school_admin, first)
    assert services.places_left(course, org.school.pk) == 0
    with pytest.raises(services.EnrolmentRefused) as refused:
        services.recommend(org.school_admin, second)
    assert "1" in refused.value.message
    services.recommend(org.sibling_school_admin, sibling)  # another school has its own places
    # A place freed by the district's refusal can be used again.
    services.refuse_at_district(org.district_admin, EnrolmentApplication.objects.get(pk=first.pk), "重复报名")
    services.recommend(org.school_admin, second)
    assert EnrolmentApplication.objects.get(pk=second.pk).status == ApplicationStatus.RECOMMENDED


def test_the_application_queue_shows_each_admin_only_their_own_applicants(org, catalogue):
    course = make_course(catalogue, mode=EnrolmentMode.APPLICATION)
    mine = services.apply(org.teacher, course)
    services.apply(org.sibling_teacher, course)
    services.apply(org.foreign_teacher, course)
    client = Client()
    client.force_login(org.school_admin)
    html = client.get(reverse("courses:applications")).content.decode()
    assert org.teacher.shixun_profile.display_name in html
    assert org.sibling_teacher.shixun_profile.display_name not in html

    # Deciding someone else's application is refused and changes nothing.
    client.force_login(org.sibling_school_admin)
    response = client.post(reverse("courses:decide_application", args=[mine.pk]), {"decision": "yes"})
    assert response.status_code == 404
    client.force_login(org.school_admin)
    client.post(reverse("courses:decide_application", args=[mine.pk]), {"decision": "yes"})
    client.force_login(org.district_admin)
    html = client.get(reverse("courses:applications")).content.decode()
    assert (
        org.teacher.shixun_profile.display_name in html and org.foreign_teacher.shixun_profile.display_name not in html
    )
    client.post(reverse("courses:decide_application", args=[mine.pk]), {"decision": "yes"})
    assert Enrolment.objects.filter(user=org.teacher, course=course, status="active").exists()

    client.force_login(org.teacher)
    assert client.get(reverse("courses:applications")).status_code == 403


def test_refusing_without_a_reason_in_the_queue_shows_a_message_and_changes_nothing(org, catalogue):
    course = make_course(catalogue, mode=EnrolmentMode.APPLICATION)
    application = services.apply(org.teacher, course)
    client = Client()
    client.force_login(org.school_admin)
    response = client.post(
        reverse("courses:decide_application", args=[application.pk]), {"decision": "no", "reason": ""}, follow=True
    )
    assert "请填写原因" in response.content.decode()
    assert EnrolmentApplication.objects.get(pk=application.pk).status == ApplicationStatus.SUBMITTED


def test_the_teacher_sees_where_the_application_stands(org, catalogue):
    course = make_course(catalogue, mode=EnrolmentMode.APPLICATION)
    make_module(course)
    client = Client()
    client.force_login(org.teacher)
    client.post(reverse("courses:apply", args=[course.pk]), {"motivation": "提升自己"})
    html = client.get(course.url).content.decode()
    assert "等待学校推荐" in html
    services.refuse_at_school(org.school_admin, EnrolmentApplication.objects.get(user=org.teacher), "下学期再报")
    html = client.get(course.url).content.decode()
    assert "学校未推荐" in html and "下学期再报" in html
    assert "下学期再报" in client.get(reverse("courses:dashboard")).content.decode()


def test_the_assign_page_assigns_a_school_with_a_standing_rule(org, catalogue):
    course = make_course(catalogue, mode=EnrolmentMode.ASSIGNED)
    client = Client()
    client.force_login(org.school_admin)
    page = client.get(reverse("courses:assign", args=[course.pk])).content.decode()
    assert (
        org.teacher.shixun_profile.display_name in page and org.sibling_teacher.shixun_profile.display_name not in page
    )
    response = client.post(
        reverse("courses:assign", args=[course.pk]),
        {"assign_group": "1", "g-target": f"school:{org.school.pk}", "g-include_future": "on"},
        follow=True,
    )
    assert response.status_code == 200
    assert set(Enrolment.objects.filter(course=course).values_list("user", flat=True)) == {org.teacher.pk}
    # Another school's id in the form is not a choice: refused by the form, nothing enrolled.
    client.post(
        reverse("courses:assign", args=[course.pk]),
        {"assign_group": "1", "g-target": f"school:{org.sibling_school.pk}"},
    )
    assert not Enrolment.objects.filter(user=org.sibling_teacher).exists()
    client.force_login(org.teacher)
    assert client.get(reverse("courses:assign", args=[course.pk])).status_code == 403


def test_the_dashboard_lists_open_applications_only(org, catalogue):
    # An open application is found by a compiled check before the list is read (issue 18): withdrawn and
    # approved ones stay off the dashboard, and a teacher without one sees none.
    withdrawn_course = make_course(catalogue, "撤回的课程", mode=EnrolmentMode.APPLICATION)
    open_course = make_course(catalogue, "等待推荐的课程", mode=EnrolmentMode.APPLICATION)
    client = Client()
    client.force_login(org.teacher)
    assert "等待推荐的课程" not in client.get(reverse("courses:dashboard")).content.decode()
    services.withdraw_application(org.teacher, services.apply(org.teacher, withdrawn_course))
    html = client.get(reverse("courses:dashboard")).content.decode()
    assert "撤回的课程" not in html
    services.apply(org.teacher, open_course)
    html = client.get(reverse("courses:dashboard")).content.decode()
    assert "等待推荐的课程" in html and "撤回的课程" not in html
    other = Client()
    other.force_login(org.sibling_teacher)
    assert "等待推荐的课程" not in other.get(reverse("courses:dashboard")).content.decode()
