"""Login throttling (django-axes, shixun.accounts.throttling) and password-reset limits, for real.

The test settings turn both off for the rest of the suite; these tests turn them on.
"""

import pytest
from django.core.cache import cache
from django.urls import reverse

from shixun.accounts import throttling
from tests.factories import PASSWORD, make_teacher

WRONG = "not the password 1"


@pytest.fixture
def throttled(settings):
    settings.AXES_ENABLED = True
    settings.SHIXUN_RATE_LIMITS_ENABLED = True
    settings.SHIXUN_LOGIN_FAILURE_LIMIT = 3
    settings.SHIXUN_LOGIN_IP_FAILURE_LIMIT = 6
    settings.SHIXUN_LOGIN_COOLOFF_MINUTES = 15
    cache.clear()
    yield settings
    cache.clear()


def login(client, identifier, password, address="127.0.0.1", url=None):
    return client.post(url or reverse("accounts:login"), {"username": identifier, "password": password},
                       REMOTE_ADDR=address)


def logged_in_as(client):
    return client.session.get("_auth_user_id")


def assert_locked(response):
    assert response.status_code == 429
    html = response.content.decode()
    assert "分钟" in html and "学校管理员" in html  # how long to wait, and whom to ask
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_an_account_is_locked_after_the_limit_and_even_the_right_password_waits(client, org, throttled):
    assert login(client, "teacher", WRONG).status_code == 200
    assert login(client, "teacher", WRONG).status_code == 200
    assert_locked(login(client, "teacher", WRONG))
    assert_locked(login(client, "teacher", PASSWORD))
    assert logged_in_as(client) is None
    # Another teacher on the same address is not affected.
    assert login(client, "sibling", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_lockout_page_says_how_many_minutes_are_left_in_chinese(client, org, throttled):
    for _ in range(3):
        response = login(client, "teacher", WRONG)
    assert "15 分钟" in response.content.decode() or "14 分钟" in response.content.decode()


@pytest.mark.django_db
def test_staff_number_failures_lock_the_same_account_as_its_username(client, org, throttled):
    # T002 belongs to org.sibling_teacher alone.
    for _ in range(3):
        login(client, "T002", WRONG)
    assert_locked(login(client, "sibling", PASSWORD))
    assert_locked(login(client, "T002", PASSWORD))
    assert logged_in_as(client) is None


@pytest.mark.django_db
def test_username_failures_lock_the_staff_number_login_too(client, org, throttled):
    for _ in range(3):
        login(client, "sibling", WRONG)
    assert_locked(login(client, "T002", PASSWORD))


@pytest.mark.django_db
def test_a_staff_number_two_people_share_is_throttled_on_its_own(client, org, throttled):
    # T001: org.teacher and org.foreign_teacher (different districts).
    for _ in range(3):
        login(client, "T001", WRONG)
    assert_locked(login(client, "T001", PASSWORD))
    # Their usernames are separate accounts and still log in.
    assert login(client, "teacher", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_an_address_is_locked_after_its_own_higher_limit_across_accounts(client, org, throttled):
    victims = [make_teacher(org.school, username=f"spray{n}") for n in range(6)]
    for victim in victims:  # one failure each: no account reaches its limit of 3
        login(client, victim.username, WRONG, address="203.0.113.9")
    assert_locked(login(client, "teacher", PASSWORD, address="203.0.113.9"))
    assert logged_in_as(client) is None
    # The same teacher from another address logs in.
    assert login(client, "teacher", PASSWORD, address="198.51.100.7").status_code == 302


@pytest.mark.django_db
def test_a_successful_login_clears_that_accounts_failures_and_successes_never_lock(client, org, throttled):
    login(client, "teacher", WRONG)
    login(client, "teacher", WRONG)
    assert login(client, "teacher", PASSWORD).status_code == 302
    client.logout()
    login(client, "teacher", WRONG)
    login(client, "teacher", WRONG)
    assert login(client, "teacher", PASSWORD).status_code == 302
    for _ in range(10):
        client.logout()
        assert login(client, "teacher", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_wagtail_admin_login_is_throttled_too(client, org, throttled):
    url = reverse("wagtailadmin_login")
    for _ in range(3):
        login(client, "trainer", WRONG, url=url)
    assert_locked(login(client, "trainer", PASSWORD, url=url))
    # The same account is locked on Shixun's own login page.
    assert_locked(login(client, "trainer", PASSWORD))


def lock(client, username):
    for _ in range(3):
        login(client, username, WRONG)


@pytest.mark.django_db
def test_a_school_admin_sees_the_lockout_and_unlocks_their_teacher_audited(client, org, throttled):
    from wagtail.models import ModelLogEntry

    lock(client, "teacher")
    admin = client.__class__()
    admin.force_login(org.school_admin)
    page = admin.get(reverse("accounts:person", args=[org.teacher.pk]))
    assert reverse("accounts:unlock_login", args=[org.teacher.pk]) in page.content.decode()
    response = admin.post(reverse("accounts:unlock_login", args=[org.teacher.pk]))
    assert response.status_code == 302
    assert not throttling.is_login_locked(org.teacher)
    assert login(client, "teacher", PASSWORD).status_code == 302
    entry = ModelLogEntry.objects.get(action=throttling.UNLOCK_ACTION)
    assert entry.user_id == org.school_admin.pk and entry.object_id == str(org.teacher.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", ["sibling_school_admin", "foreign_district_admin", "sibling_teacher", "trainer"])
def test_nobody_else_can_unlock_and_gets_404(client, org, throttled, outsider):
    lock(client, "teacher")
    other = client.__class__()
    other.force_login(getattr(org, outsider))
    assert other.post(reverse("accounts:unlock_login", args=[org.teacher.pk])).status_code == 404
    assert throttling.is_login_locked(org.teacher)


@pytest.mark.django_db
@pytest.mark.parametrize("admin", ["district_admin", "superuser"])
def test_district_admins_and_superusers_unlock(client, org, throttled, admin):
    lock(client, "teacher")
    other = client.__class__()
    other.force_login(getattr(org, admin))
    assert other.post(reverse("accounts:unlock_login", args=[org.teacher.pk])).status_code == 302
    assert not throttling.is_login_locked(org.teacher)


@pytest.mark.django_db
def test_unlocking_clears_staff_number_failures_but_keeps_the_addresss_count(client, org, throttled):
    from axes.models import AccessAttempt

    lock(client, "T001")  # shared staff number: counted under "staff-number:T001"
    throttling.unlock_login(org.school_admin, org.teacher)
    assert login(client, "T001", PASSWORD).status_code == 200  # unlocked: ambiguous, so the form answers
    assert AccessAttempt.objects.filter(username=throttling.STAFF_NUMBER_KEY + "T001").exists()


@pytest.mark.django_db
def test_the_unlock_service_refuses_an_admin_of_another_school_and_anyone_themselves(org, throttled):
    from shixun.accounts.actors import NotPermitted
    from shixun.accounts.permissions import can_unlock_login

    assert not can_unlock_login(org.school_admin, org.school_admin)
    assert not can_unlock_login(org.teacher, org.teacher)

    with pytest.raises(NotPermitted):
        throttling.unlock_login(org.sibling_school_admin, org.teacher)


# --- Password reset ---------------------------------------------------------------


def reset(client, email, address="127.0.0.1"):
    return client.post(reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=address)


@pytest.mark.django_db
def test_password_reset_is_limited_per_address_and_says_so_the_same_way_whoever_asks(
    client, org, throttled, mailoutbox
):
    throttled.SHIXUN_RATE_LIMIT_PASSWORD_RESET_ADDRESS = "2/h"
    known, unknown = org.teacher.email, "nobody-here@example.com"
    assert [reset(client, known).status_code for _ in range(2)] == [302, 302]
    assert len(mailoutbox) == 2
    refused = reset(client, known.upper())  # the same address however it is typed
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
    assert len(mailoutbox) == 2
    html = refused.content.decode()
    assert "分钟" in html and "未发送" in html
    # An address nobody has: same answers, same message (nothing tells whether it exists).
    assert [reset(client, unknown).status_code for _ in range(2)] == [302, 302]
    refused_unknown = reset(client, unknown)
    assert refused_unknown.status_code == 429
    message = html.split('role="alert">')[1].split("</div>")[0]
    assert message in refused_unknown.content.decode()
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_password_reset_is_limited_per_network_address(client, org, throttled, mailoutbox):
    throttled.SHIXUN_RATE_LIMIT_PASSWORD_RESET_IP = "3/h"
    for n in range(3):
        assert reset(client, f"someone{n}@example.com", address="203.0.113.5").status_code == 302
    assert reset(client, org.teacher.email, address="203.0.113.5").status_code == 429
    assert mailoutbox == []
    assert reset(client, org.teacher.email, address="198.51.100.1").status_code == 302
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_behind_a_trusted_proxy_teachers_are_counted_by_their_own_address(client, org, throttled):
    throttled.SHIXUN_TRUSTED_PROXIES = ["127.0.0.1"]
    for n in range(6):
        client.post(reverse("accounts:login"), {"username": f"nobody{n}", "password": WRONG},
                    REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    blocked = client.post(reverse("accounts:login"), {"username": "teacher", "password": PASSWORD},
                          REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert_locked(blocked)
    other = client.post(reverse("accounts:login"), {"username": "teacher", "password": PASSWORD},
                        REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert other.status_code == 302


@pytest.mark.django_db
def test_erasing_a_person_deletes_their_failed_login_records(client, org, throttled):
    from axes.models import AccessAttempt

    from shixun.accounts.actors import SYSTEM
    from shixun.schools.personal_data import erase_person

    lock(client, "teacher")
    login(client, "T001", WRONG)
    assert AccessAttempt.objects.filter(username__in=["teacher", throttling.STAFF_NUMBER_KEY + "T001"]).count() == 2
    erase_person(org.teacher, erased_by=SYSTEM)
    assert not AccessAttempt.objects.filter(username__in=["teacher", throttling.STAFF_NUMBER_KEY + "T001"]).exists()
