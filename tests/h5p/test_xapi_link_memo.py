"""The activity link's signature is checked once per process (links.grant_of), its age on every statement."""

import uuid

import pytest
from django.core import signing

from shixun.assessments.h5p.links import SALT

from .test_xapi import post, statement, token_for

pytestmark = pytest.mark.django_db


def answered(world):
    return statement(world, "answered", scaled=0.2, raw=2, maximum=10, success=False, completion=None,
                     id=str(uuid.uuid4()))


@pytest.fixture
def unsigns(monkeypatch):
    """How often Django's TimestampSigner checks an activity link's signature (the session's are not counted)."""
    calls = []
    real = signing.TimestampSigner.unsign
    monkeypatch.setattr(signing.TimestampSigner, "unsign", lambda self, *args, **kwargs: (
        self.salt == SALT and calls.append(1)) or real(self, *args, **kwargs))
    return calls


def test_a_links_signature_is_checked_once_and_its_age_every_time(client, world, settings, monkeypatch, unsigns):
    client.force_login(world.learner)
    settings.SHIXUN_H5P_LINK_MAX_AGE = 60
    token = token_for(world)
    assert [post(client, world, answered(world), token=token).status_code for _ in range(3)] == [200, 200, 200]
    assert len(unsigns) == 1
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + 61)
    expired = post(client, world, answered(world), token=token)
    assert expired.status_code == 403 and expired.json()["code"] == "expired"


def test_a_remembered_link_is_refused_once_the_secret_key_changes(client, world, settings):
    client.force_login(world.learner)
    token = token_for(world)
    assert post(client, world, answered(world), token=token).status_code == 200
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    client.force_login(world.learner)  # the session's auth hash follows the key
    refused = post(client, world, answered(world), token=token)
    assert refused.status_code == 403 and refused.json()["code"] == "bad_token"
    assert post(client, world, answered(world), token=token_for(world)).status_code == 200  # a link of the new key


def test_an_altered_link_is_checked_and_refused_even_when_its_original_is_remembered(client, world, unsigns):
    client.force_login(world.learner)
    token = token_for(world)
    assert post(client, world, answered(world), token=token).status_code == 200
    payload, timestamp, signature = token.rsplit(":", 2)
    altered = f"{payload}:{timestamp}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    refused = post(client, world, answered(world), token=altered)
    assert refused.status_code == 403 and refused.json()["code"] == "bad_token"
    assert len(unsigns) == 2
