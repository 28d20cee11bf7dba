"""The learner dashboard asks courses' hours provider; courses knows nothing of the ledger that answers."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from shixun import courses
from shixun.courses import hours

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_provider(monkeypatch):
    """courses as installed without an app that counts hours (the registered one is put back afterwards)."""
    monkeypatch.setattr(hours, "_provider", None)


def test_the_installed_provider_is_the_ledger(org):
    from shixun.transcripts import services

    assert hours._provider is services.hours_earned_in_year
    hours.register_hours_provider(services.hours_earned_in_year)  # again, as a second ready() would: no change


def test_the_dashboard_shows_what_the_registered_provider_says(org, client, no_provider):
    asked = []

    def provider(user, year):
        asked.append((user.pk, year))
        return Decimal("12.5")

    hours.register_hours_provider(provider)
    client.force_login(org.teacher)
    response = client.get(reverse("courses:dashboard"))
    assert '<p class="dashboard-hours">12.5</p>' in response.content.decode()
    assert asked == [(org.teacher.pk, response.context["year"])]
    with pytest.raises(ImproperlyConfigured):
        hours.register_hours_provider(lambda user, year: Decimal("0"))  # one source of hours, not two


def test_without_a_provider_the_dashboard_shows_no_hours(org, client, no_provider):
    client.force_login(org.teacher)
    response = client.get(reverse("courses:dashboard"))
    assert response.status_code == 200
    assert response.context["hours_this_year"] is None
    assert "dashboard-hours" not in response.content.decode()


def test_courses_imports_neither_transcripts_nor_schools():
    """transcripts and schools build on courses; an import the other way would make a cycle of apps."""
    root = Path(courses.__file__).parent
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            found += [f"{path.relative_to(root)}: {n}" for n in names if n.split(".")[0] in ("transcripts", "schools")]
    assert found == []
