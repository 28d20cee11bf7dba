"""Who may see and change what in a shadowing programme: the one place these rules live.

Roles come from the data, not from groups alone: the teacher of a
participation, its mentor, the admins of its base school and of the school
that nominated it, and the district admins of the programme's district.
Views answer 404 for anything `can_view_*` refuses, so a foreign record's
existence is not revealed.
"""

from django.db.models import Q

from shixun.accounts.people import profile_of


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_district_admin_of(user, programme) -> bool:
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    profile = profile_of(user)
    return profile.is_district_admin and profile.district_id == programme.district_id


def is_school_admin_of(user, school_id) -> bool:
    if not _active(user) or school_id is None:
        return False
    profile = profile_of(user)
    return profile.is_school_admin and profile.school_id == school_id


def is_base_school_admin(user, participant) -> bool:
    return participant.base_school_id is not None and is_school_admin_of(user, participant.base_school.school_id)


def can_view_participant(user, participant) -> bool:
    if not _active(user):
        return False
    return (
        participant.teacher_id == user.pk
        or participant.mentor_id == user.pk
        or is_district_admin_of(user, participant.programme)
        or is_base_school_admin(user, participant)
        or is_school_admin_of(user, participant.nominating_school_id)
    )


def can_record(user, participant) -> bool:
    """The visiting teacher's own records: only the teacher writes them."""
    return _active(user) and participant.teacher_id == user.pk


def can_guide(user, participant) -> bool:
    """Attendance, comments, score and appraisal: the teacher's own mentor only."""
    return _active(user) and participant.mentor_id is not None and participant.mentor_id == user.pk


def can_approve_leave_as_mentor(user, participant) -> bool:
    return can_guide(user, participant)


def can_approve_leave_as_school(user, participant) -> bool:
    return is_base_school_admin(user, participant)


def can_nominate(user, programme, school) -> bool:
    return school.district_id == programme.district_id and (
        is_school_admin_of(user, school.pk) or is_district_admin_of(user, programme)
    )


def can_place(user, base_school) -> bool:
    """Assign mentors (and so place teachers) at a base school: its admin or the district."""
    return is_school_admin_of(user, base_school.school_id) or is_district_admin_of(user, base_school.programme)


def can_report_as_base_school(user, base_school) -> bool:
    """The base school's report: its own admins only (the district reads it)."""
    return is_school_admin_of(user, base_school.school_id)


def can_manage_programme(user, programme) -> bool:
    return is_district_admin_of(user, programme)


def can_view_programme(user, programme) -> bool:
    """The programme page: the district, and the admins of its base schools (their own teachers only)."""
    if is_district_admin_of(user, programme):
        return True
    profile = profile_of(user)
    return _active(user) and profile.is_school_admin and (
        programme.base_schools.filter(school_id=profile.school_id).exists()
        or programme.participants.filter(nominating_school_id=profile.school_id).exists()
    )


def participants_visible_to(user, queryset):
    """The participations `user` may see, as a filter on `queryset` (the district sees every one)."""
    if not _active(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    profile = profile_of(user)
    scope = Q(teacher_id=user.pk) | Q(mentor_id=user.pk)
    if profile.is_district_admin:
        scope |= Q(programme__district_id=profile.district_id)
    if profile.is_school_admin:
        scope |= Q(base_school__school_id=profile.school_id) | Q(nominating_school_id=profile.school_id)
    return queryset.filter(scope)
