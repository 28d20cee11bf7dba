"""The schools services check the actor themselves: roster import, erasure, external training decisions.

A refused actor gets accounts.actors.NotPermitted (the offline services' own
refusal is one too, so their pages keep showing it as a message) and nothing
is written; accounts.actors.SYSTEM skips the check and names no person.
"""

import pytest

from shixun.accounts.actors import SYSTEM, NotPermitted
from shixun.accounts.models import User
from shixun.schools import offline, personal_data, roster
from shixun.schools.models import ErasureRecord, ExternalTraining, GroupCredit, RosterImport

from .test_offline import TRAINING, ledger_for

pytestmark = pytest.mark.django_db

ROSTER = "姓名,工号,手机,邮箱,类别,学科,入职日期\n赵新来,T0099,,,,,\n".encode("utf-8-sig")


def import_as(org, actor):
    return roster.import_roster(org.school, roster.read_table(ROSTER, "roster.csv"), imported_by=actor)


@pytest.mark.parametrize("who", ["sibling_school_admin", "foreign_district_admin", "trainer", "teacher"])
def test_a_roster_import_into_someone_elses_school_is_refused(org, who):
    with pytest.raises(NotPermitted):
        import_as(org, getattr(org, who))
    assert not User.objects.filter(staff_number="T0099").exists()
    assert not RosterImport.objects.exists()


def test_a_roster_import_by_the_system_skips_the_check(org):
    result = import_as(org, SYSTEM)
    assert [p.staff_number for p in result.created] == ["T0099"]
    assert RosterImport.objects.get().imported_by is None


@pytest.mark.parametrize("who", ["foreign_district_admin", "school_admin", "trainer", "sibling_teacher"])
def test_an_erasure_by_someone_outside_the_district_office_is_refused(org, who):
    with pytest.raises(NotPermitted):
        personal_data.erase_person(org.teacher, erased_by=getattr(org, who))
    org.teacher.refresh_from_db()
    assert org.teacher.full_name == "王秀英" and org.teacher.is_active
    assert not ErasureRecord.objects.exists()


def test_a_district_admin_cannot_erase_a_staff_account_through_the_service(org):
    with pytest.raises(NotPermitted):
        personal_data.erase_person(org.school_admin, erased_by=org.district_admin)
    assert not ErasureRecord.objects.exists()


def test_an_erasure_by_the_system_skips_the_check(org):
    personal_data.erase_person(org.teacher, erased_by=SYSTEM)
    org.teacher.refresh_from_db()
    assert not org.teacher.is_active
    assert ErasureRecord.objects.get(person_id=org.teacher.pk).erased_by is None


@pytest.mark.parametrize("decide", ["approve", "reject"])
@pytest.mark.parametrize("who", ["sibling_school_admin", "foreign_district_admin", "teacher"])
def test_an_external_training_decision_by_the_wrong_admin_is_a_not_permitted(org, decide, who):
    record = offline.submit(org.teacher, **TRAINING)
    with pytest.raises(NotPermitted) as refused:
        if decide == "approve":
            offline.approve(record, getattr(org, who))
        else:
            offline.reject(record, getattr(org, who), "不符")
    assert isinstance(refused.value, offline.ExternalTrainingError)  # the pages still show it as a message
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.SUBMITTED and record.decided_by is None
    assert ledger_for(org.teacher) == []


def test_an_external_training_approval_by_the_system_skips_the_check(org):
    record = offline.approve(offline.submit(org.teacher, **TRAINING), SYSTEM)
    assert record.status == ExternalTraining.Status.APPROVED and record.decided_by is None
    (entry,) = ledger_for(org.teacher)
    assert entry.posted_by is None


def test_group_credit_for_another_schools_teachers_is_a_not_permitted(org):
    with pytest.raises(NotPermitted):
        offline.register_group(org.sibling_school_admin, org.district, staff_numbers=["T001"], **TRAINING)
    assert not GroupCredit.objects.exists() and ledger_for(org.teacher) == []


def test_group_credit_by_the_system_skips_the_check(org):
    result = offline.register_group(SYSTEM, org.district, staff_numbers=["T001", "T002"], **TRAINING)
    assert len(result.teachers) == 2 and result.group.registered_by is None
