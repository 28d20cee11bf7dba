"""CompiledValues answers what `.values()` answers, whatever the order of fields and annotations in it."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F, Value
from django.db.models.functions import Length

from shixun.config.compiled import CompiledValues

pytestmark = pytest.mark.django_db


def _read(user_id):
    return (
        get_user_model()
        .objects.filter(pk=user_id)
        .annotate(name_length=Length("username"), seven=Value(7), login=F("username"))
        # An annotation between two fields, and fields after it: values() keeps this order in its dicts.
        .values("email", "name_length", "username", "seven", "is_active", "login")
    )


def test_fields_after_an_annotation_keep_their_own_names():
    user = get_user_model().objects.create_user("wang.fang", email="wang@example.cn", password="x")
    compiled = CompiledValues(_read, user_id=-2_073_180_411)

    assert compiled.values(user_id=user.pk) == list(_read(user.pk))
    assert compiled.values(user_id=user.pk) == [
        {
            "email": "wang@example.cn",
            "name_length": 9,
            "username": "wang.fang",
            "seven": 7,
            "is_active": True,
            "login": "wang.fang",
        }
    ]
    assert compiled.values(user_id=user.pk + 1) == []
