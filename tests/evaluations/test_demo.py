"""The demo: one course's evaluation results above the threshold, another's below; the teacher's training file."""

import io

import pytest
from django.core.management import call_command
from django.utils import translation
from pypdf import PdfReader

from shixun.accounts.models import User
from shixun.assessments.evaluations.demo import TEMPLATE_TITLE
from shixun.assessments.evaluations.models import EvaluationTemplate, Response
from shixun.courses.models import CoursePage


@pytest.mark.django_db
def test_demo_evaluations_show_only_above_the_threshold(client):
    call_command("seed_demo", stdout=io.StringIO())
    counts = (EvaluationTemplate.objects.count(), Response.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (EvaluationTemplate.objects.count(), Response.objects.count()) == counts == (1, 10)

    ethics = CoursePage.objects.get(slug="shide-shifeng")
    it_course = CoursePage.objects.get(slug="xinxi-jishu")
    with translation.override("zh-hans"):
        client.force_login(User.objects.get(username="district.admin"))
        page = client.get("/evaluations/results/").content.decode()
    assert ethics.title in page and it_course.title in page
    assert "楷模事迹很感人" in page  # a comment of the course above the threshold
    assert "课件制作部分很有帮助" not in page  # the course below it shows its count only
    assert "答卷太少，暂不显示" in page

    teacher = User.objects.get(username="t0001")
    client.force_login(teacher)
    module = ethics.get_children().live().last().specific
    placed = [child.value for child in module.body if child.block_type == "evaluation"]
    assert [(value["evaluation_template"].title, value["required"]) for value in placed] == [(TEMPLATE_TITLE, False)]
    response = client.get("/transcript/file/")
    assert response.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert teacher.shixun_profile.full_name in text
