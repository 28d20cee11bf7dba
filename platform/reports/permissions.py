"""Who may see which annual report: a district's office its district, a school's admin their school, superusers all."""

from shixun.accounts.permissions import can_administer_district, can_administer_school


def can_view_district_report(viewer, district) -> bool:
    return can_administer_district(viewer, district)


def can_view_school_report(viewer, school) -> bool:
    """The school's admin, its district's admins and superusers (can_administer_school)."""
    return can_administer_school(viewer, school)


def can_set_criteria(viewer, district) -> bool:
    return can_administer_district(viewer, district)
