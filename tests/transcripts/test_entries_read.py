"""A learner's ledger entries are read by compiled SQL (issue 18): the same entries and relations as the ORM's."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shixun.transcripts.ledger import post_entry, reverse_entry
from shixun.transcripts.models import LedgerEntry, SourceKind
from shixun.transcripts.transcript import build_transcript, entries_of
from tests.transcripts.helpers import complete, enrol, make_category, make_course

pytestmark = pytest.mark.django_db


def orm_entries(learner):
    """What build_transcript read before: the ORM with every relation the page, PDF and CSV use."""
    return list(
        LedgerEntry.objects.filter(learner_id=learner.pk)
        .select_related("category", "reverses", "posted_by", "school", "module_completion")
        .prefetch_related("reversal")
        .order_by("earned_on", "pk")
    )


def described(entries):
    def reversal_pk(entry):
        try:
            return entry.reversal.pk
        except LedgerEntry.DoesNotExist:
            return None

    fields = [f.attname for f in LedgerEntry._meta.concrete_fields]
    return [
        (
            [getattr(e, name) for name in fields],
            e.category.name if e.category else None,
            e.school.name if e.school_id else None,
            e.module_completion.module_id if e.module_completion_id else None,
            e.reverses.pk if e.reverses_id else None,
            reversal_pk(e),
            e.get_source_kind_display(),
        )
        for e in entries
    ]


@pytest.fixture
def ledger(org, django_capture_on_commit_callbacks):
    course, (first, second) = make_course(hours=("1.0", "2.0"), category=make_category("师德"))
    enrol(org.teacher, course)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, first)
        complete(org.teacher, second)
    external = post_entry(
        learner=org.teacher, hours=Decimal("3.5"), title="外出培训", source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref="x1", earned_on=date(2024, 5, 1), category_id=make_category("安全").pk,
    ).entry
    reverse_entry(external, reason="重复登记", actor=org.district_admin)
    post_entry(
        learner=org.sibling_teacher, hours=Decimal("9"), title="别人的", source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref="x2", earned_on=date(2024, 5, 1),
    )
    return external


def test_the_compiled_read_gives_the_orms_entries_and_relations(org, ledger):
    compiled, orm = entries_of(org.teacher.pk), orm_entries(org.teacher)
    assert len(compiled) == 4  # two modules, the external training, its reversal (not the sibling's entry)
    assert described(compiled) == described(orm)
    reversed_entry = next(e for e in compiled if e.pk == ledger.pk)
    assert reversed_entry.reversal.reverses is reversed_entry and reversed_entry.school.name == org.school.name
    assert entries_of(org.foreign_teacher.pk) == []


def test_the_relations_cost_no_query_and_a_new_entry_shows_at_once(org, ledger):
    entries = entries_of(org.teacher.pk)
    with CaptureQueriesContext(connection) as queries:
        described(entries)
    assert len(queries) == 0
    post_entry(
        learner=org.teacher, hours=Decimal("1"), title="补录", source_kind=SourceKind.MANUAL_ADJUSTMENT,
        source_ref="m1", earned_on=date(2025, 1, 2), posted_by=org.school_admin, reason="补登",
    )
    assert len(entries_of(org.teacher.pk)) == 5
    assert described(build_transcript(org.teacher).entries) == described(orm_entries(org.teacher))


def test_the_page_and_the_csv_show_the_entries(org, ledger, client):
    client.force_login(org.school_admin)
    html = client.get(reverse("transcripts:person", args=[org.teacher.pk])).content.decode()
    assert "外出培训" in html and "重复登记" in html and "安全" in html
    body = client.get(reverse("transcripts:person_csv", args=[org.teacher.pk])).content.decode("utf-8-sig")
    assert "外出培训" in body and org.school.name in body


def test_ones_own_transcript_reads_the_school_by_compiled_sql(org, client):
    from shixun.accounts.models import School
    from shixun.accounts.people import load_school, profile_of

    client.force_login(org.teacher)
    html = client.get(reverse("transcripts:mine")).content.decode()
    assert f'<p class="muted">{org.school.name} · ' in html
    School.objects.filter(pk=org.school.pk).update(name="改名学校")
    assert '<p class="muted">改名学校 · ' in client.get(reverse("transcripts:mine")).content.decode()
    teacher = type(org.teacher).objects.get(pk=org.teacher.pk)
    profile = profile_of(teacher)
    load_school(profile)
    with CaptureQueriesContext(connection) as queries:
        assert profile.school.name == "改名学校"
        load_school(profile)  # already there: no read
    assert len(queries) == 0
    load_school(profile_of(org.superuser))  # no school: nothing to read, no error


# Measured at this commit in the test settings (the session and user included); the entries' relations cost
# no query, whatever their number.
TRANSCRIPT_BUDGET = 11


def test_ones_own_transcript_costs_the_same_queries_for_few_and_many_entries(org, ledger, client):
    client.force_login(org.teacher)
    url = reverse("transcripts:mine")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    category = make_category("新类别")
    for n in range(6):
        entry = post_entry(
            learner=org.teacher, hours=Decimal("1"), title=f"培训{n}", source_kind=SourceKind.EXTERNAL_TRAINING,
            source_ref=f"more{n}", earned_on=date(2023, 3, n + 1), category_id=category.pk,
        ).entry
        if n % 2:
            reverse_entry(entry, reason="撤销", actor=org.district_admin)
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert html.count("培训5") >= 2  # the entry and its reversal
    assert len(few) == len(many) <= TRANSCRIPT_BUDGET, [q["sql"][:90] for q in many]
