"""accounts.actors: the named system skip and the one refusal type."""

import pytest
from django.core.exceptions import PermissionDenied

from shixun.accounts.actors import SYSTEM, NotPermitted, acting_for, is_system, recorded_person, require


def never(_actor):
    raise AssertionError("the rule is not even asked for the system")


def test_the_system_skips_the_rule_and_is_recorded_as_no_person():
    require(SYSTEM, never)
    assert is_system(SYSTEM) and recorded_person(SYSTEM) is None


def test_acting_for_a_person_skips_the_rule_and_records_them():
    person = object()
    actor = acting_for(person)
    require(actor, never)
    assert is_system(actor) and recorded_person(actor) is person


def test_a_person_is_checked_and_a_missing_actor_refused():
    person = object()
    require(person, lambda actor: actor is person)
    assert recorded_person(person) is person and not is_system(person)
    with pytest.raises(NotPermitted) as refused:
        require(person, lambda actor: False)
    assert refused.value.message  # a default message for the person refused
    with pytest.raises(NotPermitted):
        require(None, lambda actor: True)


def test_a_refusal_is_a_permission_denied_with_its_message():
    class AppRefusal(NotPermitted):
        pass

    with pytest.raises(AppRefusal) as refused:
        require(object(), lambda actor: False, "不行", error=AppRefusal)
    assert isinstance(refused.value, PermissionDenied) and refused.value.message == "不行"
