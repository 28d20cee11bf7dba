"""The district's set-up: opening a programme, naming base schools and places, the start-up checklist."""

import pytest
from django.urls import reverse

from shixun.shadowing import services
from shixun.shadowing.models import Place, Programme
from shixun.shadowing.services import ShadowingError, ShadowingNotPermitted

pytestmark = pytest.mark.django_db


def test_district_opens_a_programme_with_the_schemes_defaults(client, shadow):
    client.force_login(shadow.org.district_admin)
    url = reverse("shadowing:new_programme")
    page = client.get(url)
    assert page.status_code == 200 and 'value="20"' in page.content.decode()
    data = {
        "title": "2027年春季跟岗研修", "start_date": "2027-03-01", "end_date": "2027-05-31",
        "subjects": [shadow.subject.pk], "min_working_days": 10, "observations_per_day": 2,
        "observations_total": 20, "taught_lessons": 3, "report_lessons": 1, "research_activities": 1,
        "class_activities": 1, "reflections": 3, "journal_min_chars": 50, "reflection_min_chars": 300,
        "report_min_chars": 1000, "report_due_days": 7, "pass_mark": "60", "absence_fail_days": 2,
        "teacher_hours": "60", "mentor_hours": "60", "quota_per_school_stage": 1, "max_age": 45,
    }
    response = client.post(url, {**data, "end_date": "2027-02-01"})
    assert response.status_code == 400 and "结束日期早于开始日期" in response.content.decode()
    assert not Programme.objects.filter(title="2027年春季跟岗研修").exists()
    response = client.post(url, data)
    programme = Programme.objects.get(title="2027年春季跟岗研修")
    assert response.status_code == 302 and programme.district == shadow.org.district


@pytest.mark.parametrize("role", ["teacher", "base_admin", "mentor"])
def test_others_cannot_open_a_programme(client, shadow, role):
    from .test_pages import roles

    client.force_login(roles(shadow)[role])
    assert client.get(reverse("shadowing:new_programme")).status_code == 404


def test_places_named_by_the_district_only(client, shadow):
    url = reverse("shadowing:add_place", args=[shadow.programme.pk])
    client.force_login(shadow.org.district_admin)
    client.post(url, {"school": shadow.org.school.pk, "subject": shadow.subject.pk, "places": "2"})
    assert Place.objects.get(base_school__school=shadow.org.school).places == 2
    response = client.post(url, {"school": shadow.org.foreign_school.pk, "subject": shadow.subject.pk,
                                 "places": "2"}, follow=True)
    assert "区县" in response.content.decode()
    response = client.post(url, {"school": shadow.org.school.pk, "subject": shadow.subject.pk, "places": "x"},
                           follow=True)
    assert "1 到 50" in response.content.decode()
    assert Place.objects.get(base_school__school=shadow.org.school).places == 2
    with pytest.raises(ShadowingNotPermitted):
        services.add_place(shadow.base_admin, shadow.programme, school=shadow.org.school, subject=shadow.subject,
                           places=5)
    with pytest.raises(ShadowingError):
        services.add_place(shadow.org.district_admin, shadow.programme, school=shadow.org.foreign_school,
                           subject=shadow.subject, places=5)
    assert not Place.objects.filter(base_school__school=shadow.org.foreign_school).exists()


def test_checklist_on_the_programme_page(client, shadow):
    client.force_login(shadow.org.district_admin)
    html = client.get(reverse("shadowing:programme", args=[shadow.programme.pk])).content.decode()
    assert "启动清单" in html and "每位被推荐教师都已安排导师" in html
    done = dict(services.checklist(shadow.programme))
    assert list(done.values()) == [True, True, True, False, False]
