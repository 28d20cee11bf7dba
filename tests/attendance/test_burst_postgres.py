"""Real concurrency on PostgreSQL: 200 teachers scanning within seconds, and one teacher's double tap."""

import time

import pytest
from django.test import Client

from shixun.accounts.models import District, School
from shixun.attendance import rules, services
from shixun.attendance.models import Attendance, AttendanceChange
from shixun.courses.models import Enrolment
from tests.concurrency import needs_postgres, run_together  # noqa: F401 - needs_postgres is a fixture
from tests.factories import make_teacher
from tests.transcripts.helpers import make_course

from .conftest import session_open_now

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TEACHERS = 200


@pytest.fixture
def crowd(needs_postgres):  # noqa: F811
    district = District.objects.create(code="burst", name="并发区")
    school = School.objects.create(district=district, code="burst-s", name="并发小学")
    course, _modules = make_course(hours=(), title="集中培训")  # also rebuilds the page root a flush removed
    teachers = [make_teacher(school, username=f"burst{i:03d}", staff_number=f"B{i:03d}") for i in range(TEACHERS)]
    Enrolment.objects.bulk_create([Enrolment(user=t, course=course) for t in teachers])
    return session_open_now(course), teachers


def test_200_teachers_signing_in_at_once_are_each_recorded_once(crowd):
    session, teachers = crowd
    clients = []
    for teacher in teachers:  # logged in beforehand: the burst is the sign-in alone
        client = Client()
        client.force_login(teacher)
        clients.append(client)
    # The code shown now (logging 200 clients in can take longer than a code lives on a loaded machine).
    url = f"/attendance/s/{rules.token_for(session, rules.current_step(session))}/"
    def tap(client):
        begin = time.monotonic()
        status = client.post(url).status_code
        return status, time.monotonic() - begin

    started = time.monotonic()
    results = run_together(*(lambda c=c: tap(c) for c in clients), timeout=120)
    elapsed = time.monotonic() - started
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert [status for status, _seconds in results].count(302) == TEACHERS, results
    durations = sorted(seconds for _status, seconds in results)
    print(f"burst: {TEACHERS} sign-ins in {elapsed:.1f} s, p95 {durations[int(0.95 * TEACHERS) - 1] * 1000:.0f} ms")
    assert Attendance.objects.filter(session=session).count() == TEACHERS
    assert AttendanceChange.objects.filter(attendance__session=session).count() == TEACHERS
    assert set(Attendance.objects.values_list("learner_id", flat=True)) == {t.pk for t in teachers}
    # How fast is measured in bench/ (the attendance burst scenario), never asserted here.
    # A second tap of every teacher is refused and counts nothing.
    again = run_together(*(lambda c=c: c.post(url).status_code for c in clients[:50]), timeout=120)
    assert again == [400] * 50
    assert Attendance.objects.filter(session=session).count() == TEACHERS


def test_two_sign_ins_of_the_same_teacher_at_once_count_once(crowd):
    session, teachers = crowd
    teacher = teachers[0]
    token = rules.token_for(session, rules.current_step(session))
    results = run_together(*(lambda: services.sign_in_with_token(teacher, token) for _ in range(5)))
    refused = [r for r in results if isinstance(r, services.AttendanceError)]
    assert len(refused) == 4 and len(results) - len(refused) == 1, results
    assert Attendance.objects.filter(session=session, learner=teacher).count() == 1
