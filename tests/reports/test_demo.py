"""The demo district's report for this year opens with charts, and seeding twice changes nothing."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shixun.accounts import demo as accounts_demo
from shixun.reports import demo as reports_demo
from shixun.reports.models import AnnualReport, ReportCriteria
from shixun.schools import demo as schools_demo


@pytest.mark.django_db
def test_the_demo_report_opens_with_charts():
    from django.contrib.auth import get_user_model

    from shixun.transcripts import demo as transcripts_demo

    out = io.StringIO()
    for _ in range(2):
        accounts_demo.seed(out)
        transcripts_demo.seed(out)
        schools_demo.seed(out)
        reports_demo.seed(out)
    assert AnnualReport.objects.count() == 1 and ReportCriteria.objects.count() == 1
    year = timezone.localdate().year
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(get_user_model().objects.get(username="district.admin"))
    html = client.get(reverse("reports:district_report", kwargs={"code": "ganzhou", "year": year})).content.decode()
    assert html.count('<svg class="bar-chart"') >= 5
    assert "甘州区实验小学" in html and "下载 PDF" in html
    report = AnnualReport.objects.get()
    assert report.data["scopes"]["district"]["hours"] > 0 and report.data["scopes"]["district"]["teachers"] >= 10
    response = client.get(reverse("reports:district_download", kwargs={"code": "ganzhou", "year": year, "fmt": "pdf"}))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
