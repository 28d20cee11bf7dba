"""Enrolment services refuse the wrong actor with EnrolmentNotPermitted (an EnrolmentRefused and a NotPermitted).

The pages keep showing the refusal as a message; nothing is written; and
accounts.actors.SYSTEM skips the check and names no person.
"""

import pytest

from shixun.accounts.actors import SYSTEM, NotPermitted
from shixun.courses import enrolment as services
from shixun.courses.models import (
    ApplicationStatus,
    AssignmentRule,
    Enrolment,
    EnrolmentApplication,
    EnrolmentEvent,
    EnrolmentMode,
)
from tests.courses.conftest import make_course


def fresh(application):
    return EnrolmentApplication.objects.get(pk=application.pk)


def test_the_wrong_admin_at_each_step_is_not_permitted_and_nothing_changes(org, catalogue):
    course = make_course(catalogue, mode=EnrolmentMode.APPLICATION)
    application = services.apply(org.teacher, course)
    for step, actor in [
        (services.recommend, org.sibling_school_admin),
        (lambda a, app: services.refuse_at_school(a, app, "名额已满"), org.district_admin),
    ]:
        with pytest.raises(NotPermitted) as refused:
            step(actor, fresh(application))
        assert isinstance(refused.value, services.EnrolmentRefused)
    assert fresh(application).status == ApplicationStatus.SUBMITTED
    services.recommend(org.school_admin, application)
    for step, actor in [
        (services.approve, org.foreign_district_admin),
        (lambda a, app: services.refuse_at_district(a, app, "不符合条件"), org.school_admin),
    ]:
        with pytest.raises(NotPermitted):
            step(actor, fresh(application))
    assert fresh(application).status == ApplicationStatus.RECOMMENDED
    assert not Enrolment.objects.exists()


def test_the_system_walks_an_application_through_and_names_no_person(org, catalogue):
    course = make_course(catalogue, mode=EnrolmentMode.APPLICATION)
    application = services.apply(org.teacher, course)
    services.recommend(SYSTEM, application)
    enrolment = services.approve(SYSTEM, fresh(application))
    decided = fresh(application)
    assert decided.status == ApplicationStatus.APPROVED
    assert decided.school_decided_by is None and decided.district_decided_by is None
    assert EnrolmentEvent.objects.get(enrolment=enrolment).actor is None


def test_assigning_to_another_districts_teachers_is_not_permitted(org, catalogue):
    course = make_course(catalogue, mode=EnrolmentMode.ASSIGNED)
    with pytest.raises(NotPermitted):
        services.assign_to_teachers(org.district_admin, course, [org.foreign_teacher])
    with pytest.raises(NotPermitted):
        services.assign_to_group(org.district_admin, course, district=org.other_district)
    assert not Enrolment.objects.exists() and not AssignmentRule.objects.exists()


def test_the_system_assigns_anyone_and_may_withdraw_them(org, catalogue):
    course = make_course(catalogue, mode=EnrolmentMode.ASSIGNED)
    result = services.assign_to_teachers(SYSTEM, course, [org.teacher, org.foreign_teacher])
    assert len(result.enrolled) == 2
    rule, _result = services.assign_to_group(SYSTEM, course, school=org.foreign_school)
    assert rule.created_by is None
    services.withdraw(result.enrolled[1], actor=SYSTEM, reason="调离")
    assert Enrolment.objects.get(user=org.foreign_teacher).status == Enrolment.Status.WITHDRAWN


def test_a_teacher_cannot_withdraw_someone_elses_application(org, catalogue):
    course = make_course(catalogue, mode=EnrolmentMode.APPLICATION)
    application = services.apply(org.teacher, course)
    with pytest.raises(NotPermitted):
        services.withdraw_application(org.sibling_teacher, application)
    assert fresh(application).status == ApplicationStatus.SUBMITTED
