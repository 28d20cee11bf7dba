"""Issue #16: the header had no link to the course catalogue (课程中心)."""

import pytest
from django.urls import reverse

from shixun.courses.models import CataloguePage

pytestmark = pytest.mark.django_db


def test_a_teachers_dashboard_links_to_the_catalogue_in_the_header(org, catalogue, client):
    client.force_login(org.teacher)
    html = client.get(reverse("courses:dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    link = reverse("courses:catalogue")
    assert f'href="{link}"' in html
    assert "课程中心" in html.split(f'href="{link}"', 1)[1].split("</a>", 1)[0]
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == CataloguePage.objects.get(pk=catalogue.pk).url


def test_no_catalogue_is_a_not_found_not_an_error(org, client):
    client.force_login(org.teacher)
    assert client.get(reverse("courses:catalogue")).status_code == 404
