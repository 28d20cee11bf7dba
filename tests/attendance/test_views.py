"""HTTP: every bad input answers in Chinese and writes nothing; object permissions per role; a GET never writes."""

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from shixun.attendance import rules
from shixun.attendance.models import Attendance, AttendanceChange, AttendanceStatus, LeaveRequest, LeaveStatus, Session

from .conftest import make_session, session_open_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(blended):
    """blended, with its session open for sign-in right now."""
    blended.session.delete()
    blended.session = session_open_now(blended.course)
    return blended


def scan_url(session, when=None):
    return reverse("attendance:scan", args=[rules.token_for(session, rules.current_step(session, when))])


def test_scanning_opens_a_confirm_page_and_a_post_signs_in_once(client, live):
    url = scan_url(live.session)
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]  # login, then back
    assert url in response["Location"] or "next=" in response["Location"]
    client.force_login(live.teacher)
    response = client.get(url)
    assert response.status_code == 200 and "签到" in response.content.decode()
    assert not Attendance.objects.exists()  # a GET never writes
    response = client.post(url)
    assert response.status_code == 302
    attendance = Attendance.objects.get()
    assert attendance.learner == live.teacher and attendance.status in (AttendanceStatus.PRESENT,
                                                                          AttendanceStatus.LATE)
    response = client.post(url)
    assert response.status_code == 400 and "已于" in response.content.decode()
    assert Attendance.objects.count() == 1


@pytest.mark.parametrize("case", ["expired", "forged", "other_session", "garbage"])
def test_bad_codes_are_explained_and_write_nothing(client, live, case):
    s = live.session
    if case == "expired":
        url = scan_url(s, timezone.now() - timedelta(seconds=120))
        expected = "过期"
    elif case == "forged":
        url = reverse("attendance:scan", args=[f"{s.pk}-{rules.current_step(s)}-{'a' * 20}"])
        expected = "无效"
    elif case == "other_session":
        other = session_open_now(live.course, title="另一场")
        token = rules.token_for(other, rules.current_step(other))
        url = reverse("attendance:scan", args=[token.replace(f"{other.pk}-", f"{s.pk}-", 1)])
        expected = "无效"
    else:
        url = reverse("attendance:scan", args=["nonsense"])
        expected = "无效"
    client.force_login(live.teacher)
    page = client.get(url).content.decode()
    assert expected in page and "输入签到码" in page  # a way to retry: type the short code
    response = client.post(url)
    assert response.status_code == 400 and expected in response.content.decode()
    assert not Attendance.objects.exists() and not AttendanceChange.objects.exists()


def test_outside_the_window_and_not_enrolled(client, live):
    later = make_session(live.course, live.today + timedelta(days=2), title="后天")
    client.force_login(live.teacher)
    response = client.post(scan_url(later))
    assert response.status_code == 400 and "尚未开始" in response.content.decode()
    page = client.get(scan_url(later)).content.decode()  # told before pressing anything
    assert "尚未开始" in page and "primary att-big" not in page  # no sign-in button, the reason instead
    client.force_login(live.foreign_teacher)
    page = client.get(scan_url(live.session)).content.decode()
    assert "未选修" in page and "primary att-big" not in page
    response = client.post(scan_url(live.session))
    assert response.status_code == 400 and "未选修" in response.content.decode()
    assert not Attendance.objects.exists()


def test_typing_the_short_code_signs_in_and_a_wrong_one_is_explained(client, live):
    s = live.session
    client.force_login(live.teacher)
    response = client.post(reverse("attendance:type_code"), {"code": "12ab"})
    assert response.status_code == 400 and "六位数字" in response.content.decode()
    code = rules.short_code_for(s, rules.current_step(s))
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(reverse("attendance:type_code"), {"code": wrong, "session": s.pk})
    assert response.status_code == 400 and "无效或已过期" in response.content.decode()
    assert not Attendance.objects.exists()
    response = client.post(reverse("attendance:type_code"), {"code": code})
    assert response.status_code == 302
    assert Attendance.objects.get().source == "code"


def test_show_code_page_has_a_qr_svg_of_the_scan_url_and_the_short_code(client, live):
    import zxingcpp
    from PIL import Image  # noqa: F401

    s = live.session
    client.force_login(live.trainer)
    response = client.get(reverse("attendance:show_code", args=[s.pk]))
    body = response.content.decode()
    assert response.status_code == 200 and "<svg" in body
    assert rules.short_code_for(s, rules.current_step(s)) in body or rules.short_code_for(
        s, rules.current_step(s) - 1) in body
    assert 'http-equiv="refresh"' in body
    assert hasattr(zxingcpp, "read_barcodes")


def test_the_qr_code_decodes_to_the_scan_url(live):
    import segno
    import zxingcpp
    from PIL import Image

    s = live.session
    url = "http://testserver" + scan_url(s)
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=2)
    out.seek(0)
    decoded = zxingcpp.read_barcodes(Image.open(out))
    assert decoded and decoded[0].text == url


@pytest.mark.parametrize("viewer, status", [
    ("trainer", 200), ("other_trainer", 404), ("teacher", 404), ("school_admin", 404), ("superuser", 200),
])
def test_trainer_pages_are_the_course_trainers_own(client, live, viewer, status):
    client.force_login(getattr(live, viewer))
    s = live.session
    for url in (reverse("attendance:show_code", args=[s.pk]), reverse("attendance:class_list", args=[s.pk]),
                reverse("attendance:sign_in_sheet", args=[s.pk]), reverse("attendance:session_edit", args=[s.pk]),
                reverse("attendance:course_sessions", args=[live.course.pk]),
                reverse("attendance:course_export", args=[live.course.pk, "csv"])):
        assert client.get(url).status_code == status, url
    response = client.post(reverse("attendance:class_list", args=[s.pk]),
                           {"learner": live.teacher.pk, "status": "absent"})
    assert response.status_code == (302 if status == 200 else 404)
    assert Attendance.objects.exists() == (status == 200)


def test_session_form_refuses_end_before_start(client, live):
    client.force_login(live.trainer)
    data = {"title": "下午场", "kind": "venue", "venue": "礼堂", "date": live.today.isoformat(),
            "starts_at": "15:00", "ends_at": "14:00", "hours": "2"}
    response = client.post(reverse("attendance:session_add", args=[live.course.pk]), data)
    assert response.status_code == 200 and "结束时间必须晚于开始时间" in response.content.decode()
    assert Session.objects.count() == 1
    data["ends_at"] = "17:00"
    response = client.post(reverse("attendance:session_add", args=[live.course.pk]), data)
    assert response.status_code == 302
    created = Session.objects.get(title="下午场")
    assert created.sign_in_opens.strftime("%H:%M") == "14:30" and list(created.trainers.all()) == [live.trainer]


def test_class_list_marks_with_reason_after_the_end_and_paper(client, live):
    ended = make_session(live.course, live.today - timedelta(days=1), title="昨天")
    client.force_login(live.trainer)
    url = reverse("attendance:class_list", args=[ended.pk])
    page = client.get(url).content.decode()
    assert "缺勤" in page and live.teacher.shixun_profile.full_name in page
    response = client.post(url, {"learner": live.teacher.pk, "status": "present"})
    assert response.status_code == 400 and "须填写理由" in response.content.decode()
    assert not Attendance.objects.exists()
    response = client.post(url, {"learner": live.teacher.pk, "status": "present", "reason": "纸质签到", "paper": "1"})
    assert response.status_code == 302
    attendance = Attendance.objects.get()
    assert attendance.source == "paper" and attendance.changes.get().reason == "纸质签到"
    assert "纸质签到" in client.get(url).content.decode()
    response = client.post(url, {"learner": live.foreign_teacher.pk, "status": "present", "reason": "x"})
    assert response.status_code == 404


def test_leave_request_and_school_decision_over_http(client, live):
    upcoming = make_session(live.course, live.today + timedelta(days=3), title="下周")
    client.force_login(live.teacher)
    url = reverse("attendance:leave_request", args=[upcoming.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "请填写请假事由" in response.content.decode()
    response = client.post(reverse("attendance:leave_request", args=[live.session.pk]), {"reason": "病"})
    assert response.status_code == 400 and "已经开始" in response.content.decode()
    assert not LeaveRequest.objects.exists()
    assert client.post(url, {"reason": "病假"}).status_code == 302
    leave = LeaveRequest.objects.get()
    # another course's teacher cannot even open the form
    client.force_login(live.foreign_teacher)
    assert client.get(url).status_code == 404
    # a sibling school's admin: not found, nothing decided
    client.force_login(live.sibling_school_admin)
    assert client.post(reverse("attendance:leave_decide", args=[leave.pk]), {"decision": "approve"}).status_code == 404
    assert "病假" not in client.get(reverse("attendance:leave_requests")).content.decode()
    client.force_login(live.school_admin)
    assert "病假" in client.get(reverse("attendance:leave_requests")).content.decode()
    assert client.post(reverse("attendance:leave_decide", args=[leave.pk]), {"decision": "approve"}).status_code == 302
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.APPROVED and leave.decided_by == live.school_admin


def test_sign_in_sheet_pdf_has_names_staff_numbers_and_embedded_chinese(client, live):
    client.force_login(live.trainer)
    response = client.get(reverse("attendance:sign_in_sheet", args=[live.session.pk]))
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "签到表" in text and live.teacher.shixun_profile.full_name in text and "T001" in text
    assert "签名" in text


def test_course_export_csv_and_excel_neutralise_formulas(client, live):
    profile = live.teacher.shixun_profile
    profile.full_name = "=HYPERLINK(\"x\")"
    profile.save()
    make_session(live.course, live.today - timedelta(days=1), title="昨天")
    client.force_login(live.trainer)
    body = client.get(reverse("attendance:course_export", args=[live.course.pk, "csv"])).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "姓名"
    names = [row[0] for row in rows[1:]]
    assert "'=HYPERLINK(\"x\")" in names and "=HYPERLINK(\"x\")" not in names
    assert any(row[5] == "缺勤" and row[9] == "是" for row in rows[1:])
    xlsx = client.get(reverse("attendance:course_export", args=[live.course.pk, "xlsx"])).content
    sheet = zipfile.ZipFile(io.BytesIO(xlsx)).read("xl/worksheets/sheet1.xml").decode()
    assert "'=HYPERLINK" in sheet and "<f>" not in sheet


def test_dashboard_shows_sessions_and_tomorrows_reminder(client, live):
    make_session(live.course, live.today + timedelta(days=1), title="明天的研修")
    client.force_login(live.teacher)
    page = client.get(reverse("courses:dashboard")).content.decode()
    assert "明天的研修" in page and "提醒" in page
    client.force_login(live.trainer)
    page = client.get(reverse("courses:dashboard")).content.decode()
    assert "你今天的培训场次" in page and live.session.title in page


def test_my_sessions_lists_marks_and_leave(client, live):
    client.force_login(live.teacher)
    assert live.session.title in client.get(reverse("attendance:my_sessions")).content.decode()
