"""Who may see and change credit records, on top of accounts.permissions."""

from accounts.permissions import can_view_person


def can_view_transcript(viewer, learner) -> bool:
    """Oneself, a school admin for their school's teachers, a district admin for their district."""
    return can_view_person(viewer, learner)


def can_reverse_credit(viewer, learner) -> bool:
    """The district's training office keeps the credit records: district admins (and superusers) only."""
    if not viewer.is_authenticated or not viewer.is_active or viewer.pk == learner.pk:
        return viewer.is_authenticated and viewer.is_active and viewer.is_superuser
    if viewer.is_superuser:
        return True
    return viewer.is_district_admin and learner.district_id == viewer.district_id


def can_manage_rules(viewer, district) -> bool:
    if not viewer.is_authenticated or not viewer.is_active:
        return False
    return viewer.is_superuser or (viewer.is_district_admin and viewer.district_id == district.pk)
