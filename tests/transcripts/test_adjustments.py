"""Manual adjustments by the district office, and superusers managing every district's rules."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shixun.transcripts.ledger import LedgerError, post_manual_adjustment
from shixun.transcripts.models import (
    AuditAction,
    CreditAuditEvent,
    LedgerEntry,
    PeriodKind,
    RequirementRule,
    SourceKind,
)
from tests.transcripts.helpers import make_category


def adjustment_form(**overrides):
    return {
        "title": "2023 年暑期集中培训（纸质签到）",
        "hours": "6",
        "category": "",
        "earned_on": "2023-07-15",
        "reason": "纸质签到表核实",
        "request_key": str(uuid.uuid4()),
        **overrides,
    }


def manual_entries(learner):
    return LedgerEntry.objects.filter(learner=learner, source_kind=SourceKind.MANUAL_ADJUSTMENT)


@pytest.mark.parametrize(
    ("viewer", "status"),
    [
        ("district_admin", 200),
        ("superuser", 200),
        ("foreign_district_admin", 403),
        ("school_admin", 403),
        ("trainer", 403),
        ("teacher", 403),
    ],
)
def test_who_may_add_hours_manually(org, client, viewer, status):
    client.force_login(getattr(org, viewer))
    url = f"/transcript/{org.teacher.pk}/adjust/"
    assert client.get(url).status_code == status
    response = client.post(url, adjustment_form())
    assert response.status_code == (302 if status == 200 else 403)
    assert manual_entries(org.teacher).count() == (1 if status == 200 else 0)


def test_a_district_admin_cannot_adjust_their_own_transcript(org, client):
    client.force_login(org.district_admin)
    assert client.get(f"/transcript/{org.district_admin.pk}/adjust/").status_code == 403


def test_the_adjustment_is_posted_with_actor_reason_and_audit(org, client):
    category = make_category("班主任工作")
    client.force_login(org.district_admin)
    response = client.post(f"/transcript/{org.teacher.pk}/adjust/", adjustment_form(category=category.pk))
    assert response.status_code == 302 and response["Location"] == f"/transcript/{org.teacher.pk}/"
    entry = manual_entries(org.teacher).get()
    assert entry.hours == Decimal("6") and entry.earned_on == date(2023, 7, 15)
    assert entry.posted_by == org.district_admin and entry.reason == "纸质签到表核实"
    assert entry.category == category and entry.school == org.school
    assert entry.source_ref.startswith("manual:")
    event = CreditAuditEvent.objects.get(entry=entry)
    assert event.action == AuditAction.POSTED and event.actor == org.district_admin and event.via == "admin"
    page = client.get(f"/transcript/{org.teacher.pk}/").content.decode()
    assert "纸质签到表核实" in page and "手工补登学时" in page


def test_a_double_post_creates_one_entry(org, client):
    client.force_login(org.district_admin)
    form = adjustment_form()
    first = client.post(f"/transcript/{org.teacher.pk}/adjust/", form, follow=True)
    second = client.post(f"/transcript/{org.teacher.pk}/adjust/", form, follow=True)
    assert manual_entries(org.teacher).count() == 1
    assert "学时已记入" in first.content.decode()
    assert "没有重复添加" in second.content.decode()


def test_a_key_used_for_another_person_is_refused(org):
    key = uuid.uuid4()
    common = dict(hours=Decimal("2"), title="补登", reason="核实", earned_on=date(2024, 1, 5), actor=org.district_admin)
    post_manual_adjustment(learner=org.teacher, request_key=key, **common)
    with pytest.raises(LedgerError):
        post_manual_adjustment(learner=org.sibling_teacher, request_key=key, **common)
    assert not manual_entries(org.sibling_teacher).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"reason": ""}, "必"),
        ({"hours": "0"}, "冲销"),
        ({"hours": "-3"}, "冲销"),
        ({"hours": "2.25"}, "一位小数"),
        ({"hours": "900"}, "500"),
        ({"earned_on": (timezone.localdate() + timedelta(days=1)).isoformat()}, "不能晚于今天"),
        ({"request_key": "not-a-key"}, "表单已失效"),
    ],
)
def test_bad_adjustments_are_refused_with_a_clear_message(org, client, overrides, message):
    client.force_login(org.district_admin)
    response = client.post(f"/transcript/{org.teacher.pk}/adjust/", adjustment_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not manual_entries(org.teacher).exists()


def test_the_service_refuses_what_the_form_would(org):
    common = dict(learner=org.teacher, title="补登", earned_on=date(2024, 1, 5), request_key=uuid.uuid4())
    with pytest.raises(LedgerError):
        post_manual_adjustment(hours=Decimal("0"), reason="x", actor=org.district_admin, **common)
    with pytest.raises(LedgerError):
        post_manual_adjustment(hours=Decimal("1"), reason=" ", actor=org.district_admin, **common)
    with pytest.raises(LedgerError):
        post_manual_adjustment(hours=Decimal("1"), reason="x", actor=None, **common)
    with pytest.raises(LedgerError):
        post_manual_adjustment(
            hours=Decimal("1"), reason="x", actor=org.district_admin, **{**common, "request_key": "nope"}
        )
    assert not LedgerEntry.objects.exists()


# --- Requirement rules: superusers manage every district ----------------------------


def test_a_superuser_manages_every_districts_rules(org, client):
    RequirementRule.objects.create(
        district=org.other_district, name="外区规则", period_kind=PeriodKind.CALENDAR_YEAR, minimum_hours=Decimal("72")
    )
    client.force_login(org.superuser)
    page = client.get("/transcript/rules/")
    assert page.status_code == 200 and 'name="district"' in page.content.decode()
    page = client.get(f"/transcript/rules/?district={org.other_district.pk}").content.decode()
    assert "外区规则" in page
    assert client.get("/transcript/rules/?district=999999").status_code == 404

    form = {
        "name": "新规则",
        "period_kind": PeriodKind.CALENDAR_YEAR,
        "minimum_hours": "50",
        "active": "on",
        "sort_order": "0",
        "minimums-TOTAL_FORMS": "0",
        "minimums-INITIAL_FORMS": "0",
    }
    response = client.post(f"/transcript/rules/new/?district={org.other_district.pk}", form)
    assert response.status_code == 302 and response["Location"].endswith(f"?district={org.other_district.pk}")
    assert RequirementRule.objects.get(name="新规则").district == org.other_district
    rule = RequirementRule.objects.get(name="外区规则")
    assert client.get(f"/transcript/rules/{rule.pk}/").status_code == 200


def test_a_district_admin_still_sees_only_their_own_district(org, client):
    other = RequirementRule.objects.create(
        district=org.other_district, name="外区规则", period_kind=PeriodKind.CALENDAR_YEAR, minimum_hours=Decimal("72")
    )
    client.force_login(org.district_admin)
    page = client.get(f"/transcript/rules/?district={org.other_district.pk}").content.decode()
    assert "外区规则" not in page and 'name="district"' not in page
    assert client.get(f"/transcript/rules/{other.pk}/").status_code == 404
    client.force_login(org.trainer)
    assert client.get("/transcript/rules/").status_code == 403
