"""The shadowing demo: one running programme part-way, one closed with hours on both transcripts; idempotent."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from shixun.accounts import demo as accounts_demo
from shixun.shadowing import demo
from shixun.shadowing.models import Observation, Participant, Programme
from shixun.transcripts.models import LedgerEntry, SourceKind
from shixun.transcripts.services import hours_earned

pytestmark = pytest.mark.django_db


def test_demo_is_whole_and_idempotent():
    accounts_demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    counts = (Participant.objects.count(), Observation.objects.count(), LedgerEntry.objects.count())
    demo.seed(io.StringIO())
    assert (Participant.objects.count(), Observation.objects.count(), LedgerEntry.objects.count()) == counts
    running = Programme.objects.get(title=demo.RUNNING)
    assert not running.is_closed and running.participants.count() == 3
    assert running.participants.values("mentor").distinct().count() == 2
    spring = Programme.objects.get(title=demo.CLOSED)
    assert spring.is_closed and spring.participants.get().passed
    users = get_user_model().objects
    assert hours_earned(users.get(username=demo.COMPLETE[0])) == Decimal("60")
    assert hours_earned(users.get(username=demo.COMPLETE[4])) == Decimal("60")
    assert LedgerEntry.objects.filter(source_kind=SourceKind.SHADOWING).count() == 2


def test_demo_has_plans_guidance_base_report_and_the_certificate():
    from shixun.shadowing.models import BaseSchool
    from shixun.transcripts.models import Certificate

    accounts_demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    running = Programme.objects.get(title=demo.RUNNING)
    assert all(p.plan == demo.PLAN for p in running.participants.all())
    spring = Programme.objects.get(title=demo.CLOSED)
    assert spring.participants.get().guidance == demo.GUIDANCE
    assert BaseSchool.objects.get(programme=spring).report_submitted_at is not None
    assert not BaseSchool.objects.get(programme=running).report_submitted_at
    certificate = Certificate.objects.get(source_kind=SourceKind.SHADOWING)
    assert certificate.learner.username == demo.COMPLETE[0] and certificate.is_valid
