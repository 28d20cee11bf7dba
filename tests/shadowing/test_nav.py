"""The header entry 跟岗研修: shown to the people who take part, cached so pages cost no query for it."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shixun.shadowing import nav, services
from shixun.shadowing.models import Stage
from tests.factories import make_teacher

pytestmark = pytest.mark.django_db


def header_has_entry(client, user) -> bool:
    client.force_login(user)
    body = client.get("/transcript/").content.decode()
    return 'href="/shadowing/"' in body


def test_shown_to_each_role_that_takes_part(shadow, client):
    for user in (shadow.org.teacher, shadow.mentor, shadow.base_admin, shadow.org.school_admin,
                 shadow.org.district_admin):
        assert header_has_entry(client, user), user


def test_not_shown_to_a_teacher_who_takes_no_part(shadow, client):
    bystander = make_teacher(shadow.org.school, username="bystander", full_name="旁观者")
    assert not header_has_entry(client, bystander)


def test_a_second_page_costs_no_query_for_it(shadow):
    assert nav.shows_entry(shadow.mentor)  # computed once and cached
    # The header reads the profile anyway (roles); the entry adds nothing to that.
    assert nav.shows_entry(shadow.org.district_admin)
    with CaptureQueriesContext(connection) as queries:
        assert nav.shows_entry(shadow.mentor)
        assert nav.shows_entry(shadow.org.district_admin)
    assert len(queries) == 0


def test_a_nomination_shows_it_at_once(shadow, client):
    newcomer = make_teacher(shadow.org.school, username="newcomer", full_name="新来者")
    assert not header_has_entry(client, newcomer)
    services.nominate(shadow.org.school_admin, shadow.programme, teacher=newcomer, school=shadow.org.school,
                      stage=Stage.SENIOR, subject=shadow.subject, birth_date=date(1991, 3, 1))
    assert header_has_entry(client, newcomer)


def test_a_score_does_not_empty_everyone_s_cache(shadow):
    assert nav.shows_entry(shadow.mentor)
    services.appraise(shadow.mentor, shadow.participant, score="80",
                      appraisal="出勤全勤，表现良好，完成各项研修任务要求。")
    with CaptureQueriesContext(connection) as queries:
        assert nav.shows_entry(shadow.mentor)
    assert len(queries) == 0
