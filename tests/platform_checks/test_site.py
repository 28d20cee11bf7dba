import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_home_page_is_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-Hans"' in html
    assert "登录" in html


@pytest.mark.django_db
def test_language_switcher_changes_to_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)
    html = response.content.decode()
    assert 'lang="en"' in html and "Log in" in html


@pytest.mark.django_db
def test_pages_carry_security_headers(client):
    response = client.get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Referrer-Policy"] == "same-origin"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "object-src 'none'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_state_changes_need_a_csrf_token(org):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(org.teacher)
    assert client.post(reverse("accounts:profile"), {"phone": "13800138000"}).status_code == 403
    assert client.post(reverse("accounts:logout")).status_code == 403


@pytest.mark.django_db
def test_language_switcher_names_each_language_in_itself(client):
    """An English reader finds "English" on a Chinese page, and a Chinese reader "简体中文" on an English one."""
    for language in ("zh-hans", "en"):
        client.post(reverse("set_language"), {"language": language, "next": "/"})
        html = client.get("/").content.decode()
        assert ">English</button>" in html and ">简体中文</button>" in html
