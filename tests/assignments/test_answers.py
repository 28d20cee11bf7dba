"""Typed answers: which parts an assignment asks for, and the minimum length counted in characters."""

import pytest

from shixun.assessments.assignments.models import Assignment, Submission
from shixun.assessments.assignments.services import AssignmentError, check_answer
from shixun.assessments.assignments.text import count_characters
from tests.uploads import samples

from .conftest import post_hand_in, stored_files, submission_of, upload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text, expected",
    [
        ("教学反思", 4),
        ("教 学\n反\u3000思", 4),  # spaces, line breaks and the full-width space do not count
        ("我读了《论语》。", 8),  # Chinese punctuation counts, like 字数 in Word
        ("abc 123", 6),
        ("e\u0301", 1),  # "é" typed with a combining accent is one character
        ("𠀀𠀁", 2),  # CJK Extension B (outside the BMP) still one each
        ("零\u200b宽", 2),  # zero-width space is invisible and does not count
        ("", 0),
    ],
)
def test_count_characters_counts_like_a_chinese_teacher(text, expected):
    assert count_characters(text) == expected


def reflection(**fields) -> Assignment:
    return Assignment(title="教学反思", answer_mode="text", allowed_kinds=[], min_text_chars=300, **fields)


def test_minimum_length_refuses_a_short_answer_and_says_how_many_are_missing():
    with pytest.raises(AssignmentError) as refused:
        check_answer(reflection(), upload=None, text="太短了" + " " * 400)
    assert refused.value.field == "text"
    assert "3" in refused.value.message and "297" in refused.value.message


def test_exactly_the_minimum_is_enough():
    answer = check_answer(reflection(), upload=None, text="好" * 300 + "\n\n")
    assert answer.text == "好" * 300  # stored trimmed


@pytest.mark.parametrize(
    "mode, has_file, text, error_field",
    [
        ("file", False, "", "file"),
        ("text", False, "", "text"),
        ("file_and_text", True, "", "text"),
        ("file_and_text", False, "写了", "file"),
        ("file_or_text", False, "", "file"),
        ("file_or_text", False, "写了", None),
        ("file_or_text", True, "", None),
    ],
)
def test_answer_modes(mode, has_file, text, error_field):
    assignment = Assignment(title="x", answer_mode=mode, allowed_kinds=["pdf"])
    fake_upload = object() if has_file else None
    if error_field is None:
        check_answer(assignment, upload=fake_upload, text=text)
    else:
        with pytest.raises(AssignmentError) as refused:
            check_answer(assignment, upload=fake_upload, text=text)
        assert refused.value.field == error_field


def test_a_short_reflection_through_the_view_keeps_what_was_typed(client, org, setup):
    setup.assignment.answer_mode = "text"
    setup.assignment.min_text_chars = 300
    setup.assignment.save()
    client.force_login(org.teacher)
    typed = "今天的课堂上，我发现学生对分数的理解还不够。"

    response = post_hand_in(client, setup.module, setup.assignment, text=typed)

    page = response.content.decode()
    assert response.status_code == 200
    assert "你的作答共 22 字，本作业要求至少 300 字。请再补充 278 字后重新提交。" in page  # counted by the server
    assert typed in page  # nothing the teacher typed is lost
    assert not Submission.objects.exists()

    response = post_hand_in(client, setup.module, setup.assignment, text=typed * 20)
    assert response.status_code == 302
    version = submission_of(org.teacher, setup).current_version
    assert version.text_chars == count_characters(typed) * 20 and not version.has_file
    assert stored_files() == []


def test_file_and_text_stores_both(client, org, setup):
    setup.assignment.answer_mode = "file_and_text"
    setup.assignment.save()
    client.force_login(org.teacher)
    response = post_hand_in(client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf()), text="说明")
    assert response.status_code == 302
    version = submission_of(org.teacher, setup).current_version
    assert version.text == "说明" and version.has_file and len(stored_files()) == 1


def test_assignment_settings_are_validated():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as invalid:
        Assignment(title="x", answer_mode="file", allowed_kinds=[]).full_clean()
    assert "allowed_kinds" in invalid.value.message_dict
    with pytest.raises(ValidationError) as invalid:
        Assignment(title="x", answer_mode="file", allowed_kinds=["pdf"], min_text_chars=100).full_clean()
    assert "min_text_chars" in invalid.value.message_dict
    with pytest.raises(ValidationError):
        Assignment(title="x", answer_mode="file", allowed_kinds=["exe"]).full_clean()
    with pytest.raises(ValidationError):
        Assignment(title="x", answer_mode="file", allowed_kinds=["pdf"], max_size_mb=500).full_clean()
    Assignment(title="x", answer_mode="text", allowed_kinds=[], min_text_chars=300).full_clean()


def test_late_hand_ins_are_marked(client, org, setup):
    import datetime

    setup.assignment.due_date = datetime.date(2020, 1, 1)
    setup.assignment.save()
    client.force_login(org.teacher)
    assert (
        "已过截止日期" in client.get(f"/assignments/module/{setup.module.pk}/{setup.assignment.pk}/").content.decode()
    )
    post_hand_in(client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf()))
    assert submission_of(org.teacher, setup).current_version.is_late
