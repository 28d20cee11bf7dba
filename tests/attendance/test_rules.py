"""The plain rules: session checks, rotating codes, windows, standings and absence days."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from shixun.attendance import rules
from shixun.attendance.models import AttendanceStatus, Session, SessionKind


def _session(**fields):
    values = dict(pk=7, secret="s" * 32, kind=SessionKind.FACE_TO_FACE, venue="礼堂", meeting_link="",
                  date=date(2026, 3, 2), starts_at=time(9), ends_at=time(11), sign_in_opens=None,
                  sign_in_closes=None, sign_out_opens=None, sign_out_closes=None, code_seconds=None)
    values.update(fields)
    session = Session(**values)
    rules.fill_default_windows(session)
    return session


def at(hh, mm=0, ss=0):
    return timezone.make_aware(datetime(2026, 3, 2, hh, mm, ss))


def test_default_sign_in_window_is_half_an_hour_either_side_of_the_start():
    session = _session()
    assert (session.sign_in_opens, session.sign_in_closes) == (time(8, 30), time(9, 30))


@pytest.mark.parametrize("fields, field", [
    ({"ends_at": time(8)}, "ends_at"),
    ({"ends_at": time(9)}, "ends_at"),
    ({"sign_in_opens": time(9, 30), "sign_in_closes": time(9)}, "sign_in_closes"),
    ({"sign_in_opens": time(11), "sign_in_closes": time(12)}, "sign_in_opens"),
    ({"sign_out_opens": time(10, 45)}, "sign_out_closes"),
    ({"sign_out_opens": time(11), "sign_out_closes": time(10, 50)}, "sign_out_closes"),
    ({"sign_out_opens": time(9, 10), "sign_out_closes": time(11, 30)}, "sign_out_opens"),
    ({"venue": ""}, "venue"),
    ({"kind": SessionKind.ONLINE, "venue": ""}, "meeting_link"),
    ({"code_seconds": 5}, "code_seconds"),
])
def test_bad_sessions_are_explained_field_by_field(fields, field):
    assert field in rules.session_errors(_session(**fields))


def test_a_good_session_has_no_errors():
    assert rules.session_errors(_session(sign_out_opens=time(10, 45), sign_out_closes=time(11, 15))) == {}


def test_a_token_works_in_its_step_and_the_next_only():
    session = _session()
    now = at(9, 0, 5)
    step = rules.current_step(session, now)
    token = rules.token_for(session, step)
    pk, parsed_step, mac = rules.parse_token(token)
    assert (pk, parsed_step) == (session.pk, step)
    rules.check_token(session, step, mac, now)
    rules.check_token(session, step, mac, now + timedelta(seconds=30))  # just rotated: still accepted
    with pytest.raises(rules.CodeProblem, match="expired|过期"):
        rules.check_token(session, step, mac, now + timedelta(seconds=61))


def test_a_forged_or_foreign_token_is_refused():
    session = _session()
    other = _session(pk=8, secret="t" * 32)
    now = at(9)
    step = rules.current_step(session, now)
    _pk, _step, mac = rules.parse_token(rules.token_for(other, step))
    with pytest.raises(rules.CodeProblem):
        rules.check_token(session, step, mac, now)
    with pytest.raises(rules.CodeProblem):
        rules.check_token(session, step, "0" * 20, now)
    assert rules.parse_token("1-x-abc") is None and rules.parse_token("junk") is None


def test_short_codes_rotate_with_the_qr_code_and_are_six_digits():
    session = _session(code_seconds=60)
    now = at(9)
    code = rules.short_code_for(session, rules.current_step(session, now))
    assert len(code) == 6 and code.isdigit()
    assert rules.check_short_code(session, code, now)
    assert rules.check_short_code(session, code, now + timedelta(seconds=60))
    assert not rules.check_short_code(session, code, now + timedelta(seconds=121))


def test_windows_and_lateness():
    session = _session(sign_out_opens=time(10, 50), sign_out_closes=time(11, 20))
    assert rules.window_now(session, at(8, 29)) is None
    assert rules.window_now(session, at(8, 30)) == rules.SIGN_IN
    assert rules.window_now(session, at(10)) is None
    assert rules.window_now(session, at(11)) == rules.SIGN_OUT
    assert rules.status_on_sign_in(session, at(8, 59)) == AttendanceStatus.PRESENT
    assert rules.status_on_sign_in(session, at(9, 5)) == AttendanceStatus.LATE


def test_standing_leave_is_excused_but_not_attendance():
    leave = rules.standing(mark=None, approved_leave=True, ended=True)
    assert leave.status == AttendanceStatus.ON_LEAVE and not leave.unexcused
    assert rules.standing(mark=None, approved_leave=False, ended=True).unexcused
    assert rules.standing(mark=None, approved_leave=False, ended=False).status is None
    assert not rules.standing(mark=AttendanceStatus.ABSENT, approved_leave=True, ended=True).unexcused
    assert not rules.standing(mark=AttendanceStatus.LATE, approved_leave=False, ended=True).unexcused
    left = rules.standing(mark=AttendanceStatus.PRESENT, approved_leave=False, ended=True, requires_sign_out=True,
                          signed_in=True, signed_out=False)
    assert left.status == AttendanceStatus.LEFT_EARLY and not left.unexcused


def test_absence_days_count_dates_not_sessions():
    d = date(2026, 3, 2)
    assert rules.absence_days([d, d, d + timedelta(days=1)]) == 2
    assert rules.absence_days([]) == 0
