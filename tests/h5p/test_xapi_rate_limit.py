"""Per-user limit on the xAPI endpoint (issue 17): a burst gets 429 with Retry-After, in Chinese."""

import uuid

import pytest
from django.core.cache import cache

from shixun.assessments.h5p.models import H5PStatement

from .test_xapi import post, statement


@pytest.mark.django_db
def test_a_burst_of_statements_gets_429_and_nothing_more_is_stored(client, world, settings):
    settings.SHIXUN_RATE_LIMITS_ENABLED = True
    settings.SHIXUN_RATE_LIMIT_XAPI = "3/m"
    cache.clear()
    client.force_login(world.learner)
    answers = [post(client, world, statement(world, verb="interacted", id=str(uuid.uuid4()))) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["code"] == "rate_limited" and "请等待" in refused.json()["error"]
    assert H5PStatement.objects.count() == 3
    cache.clear()
