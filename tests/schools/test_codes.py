"""School codes that are the app's own URL segments are refused wherever a school is saved."""

import pytest
from django.core import serializers
from django.core.exceptions import ValidationError
from django.urls import resolve, reverse

from shixun.accounts.models import School
from shixun.schools.codes import reserved_school_codes


def test_every_fixed_first_segment_is_reserved():
    assert {"districts", "exports", "me", "people", "unsubscribe", "external-training"} <= reserved_school_codes()
    # Each would have resolved to a page of its own instead of the school's.
    assert resolve("/schools/exports/roster/").url_name == "roster"  # fine only because "roster" is not an id
    assert resolve("/schools/districts/exports/").url_name == "district_dashboard"


@pytest.mark.parametrize("code", ["exports", "Districts", "me", "people", "unsubscribe", "external-training"])
def test_a_reserved_code_is_refused_with_a_reason(org, code):
    with pytest.raises(ValidationError) as refused:
        School.objects.create(district=org.district, code=code, name="冲突学校")
    assert "cannot be a school code" in refused.value.messages[0]
    assert not School.objects.filter(code=code).exists()
    org.school.code = code
    with pytest.raises(ValidationError):
        org.school.save()


def test_ordinary_codes_are_saved_and_their_pages_resolve(org):
    school = School.objects.create(district=org.district, code="exports-school", name="出口路小学")
    assert resolve(reverse("schools:school_dashboard", args=[school.code])).url_name == "school_dashboard"


def test_fixtures_load_as_they_are(org):
    """Raw saves (loaddata, the serialized rollback of transactional tests) are not checked."""
    data = serializers.serialize("json", [School(pk=99_999, district=org.district, code="me", name="旧数据")])
    for item in serializers.deserialize("json", data):
        item.save()
    assert School.objects.filter(code="me").exists()


def test_a_reserved_code_is_a_form_error_on_the_code_field(org):
    """Admin forms call full_clean(): the code field gets the message instead of the save failing later."""
    with pytest.raises(ValidationError) as refused:
        School(district=org.district, code="exports", name="冲突学校").full_clean()
    assert "cannot be a school code" in refused.value.message_dict["code"][0]
    School(district=org.district, code="new-school", name="新学校").full_clean()
