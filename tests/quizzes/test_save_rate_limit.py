"""Per-user limit on quiz answer saves (issue 17): a burst gets 429 with Retry-After and saves nothing."""

import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from shixun.assessments.quizzes.models import Attempt

from .builders import answers


@pytest.mark.django_db
def test_a_burst_of_saves_gets_429_and_the_refused_one_changes_nothing(client, org, placed, bank, settings):
    settings.SHIXUN_RATE_LIMITS_ENABLED = True
    settings.SHIXUN_RATE_LIMIT_QUIZ_SAVE = "2/m"
    cache.clear()
    client.force_login(org.teacher)
    client.post(reverse("quizzes:start", args=[placed.module.pk, placed.quiz.pk]))
    attempt = Attempt.objects.get()
    url = reverse("quizzes:save", args=[attempt.pk])

    def save(value):
        payload = {"answers": answers(attempt, {bank.true_false: [value]})}
        return client.post(url, json.dumps(payload), content_type="application/json")

    assert [save("true").status_code, save("true").status_code] == [200, 200]
    refused = save("false")
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["error"]
    assert attempt.items.get(question=bank.true_false).response is True
    cache.clear()
