"""Who may do what in this app, on top of accounts.permissions (which scopes schools and people)."""

from accounts.permissions import can_view_person


def can_erase_person(viewer, person) -> bool:
    """Erasure is the district office's decision: a district admin of the person's district, or a superuser.

    Nobody erases themselves this way (a slip would lock them out of the
    records they keep for others), and a superuser account is never erased here.
    """
    if not viewer.is_authenticated or not viewer.is_active or viewer.pk == person.pk or person.is_superuser:
        return False
    if viewer.is_superuser:
        return True
    return viewer.is_district_admin and person.district_id is not None and person.district_id == viewer.district_id


def can_export_person(viewer, person) -> bool:
    """A person's own data; admins who can see the person may hand it over on request."""
    return can_view_person(viewer, person)
