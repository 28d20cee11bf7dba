"""A visiting teacher's shadowing records are in their personal-data export; every relation is registered."""

import json

import pytest

from shixun.schools import personal_data
from shixun.shadowing import services

from .test_services import JOURNAL


def test_every_shadowing_relation_is_registered():
    missing = {r for r in personal_data.relations_to_person() if r[0].startswith("shixun_shadowing.")}
    assert missing and missing <= personal_data.registered_relations()


@pytest.mark.django_db
def test_export_holds_the_participation_and_records(shadow):
    services.save_journal(shadow.org.teacher, shadow.participant, day=shadow.day, text=JOURNAL)
    exported = personal_data.export_person(shadow.org.teacher)
    (participation,) = exported["data"]["shixun_shadowing.Participant"]["teacher"]
    assert participation["programme"] == shadow.programme.title and participation["journal"][0]["text"] == JOURNAL
    json.dumps(exported)  # JSON-ready
    assert "shixun_shadowing.Participant" not in personal_data.export_person(shadow.mentor)["data"]
