"""Who may do what in this app, on top of accounts.permissions (which scopes schools and people)."""

from shixun.accounts.models import Role, User
from shixun.accounts.permissions import can_administer_school, can_view_person

# Roles that make an account a staff account (anyone without them is a teacher).
STAFF_ROLES = frozenset(role.value for role in Role)


def is_staff_account(person) -> bool:
    """An admin, trainer or reviewer (or a Django staff user): their erasure is for a superuser to decide."""
    return person.is_staff or person.is_superuser or bool(person.role_names & STAFF_ROLES)


def staff_account_ids(school) -> set[int]:
    """is_staff_account for a whole school's people at once (one query per kind, not one per person)."""
    return set(
        User.groups.through.objects.filter(user__school=school, group__name__in=STAFF_ROLES).values_list(
            "user_id", flat=True
        )
    ) | set(User.objects.filter(school=school, is_staff=True).values_list("pk", flat=True))


def may_open_erasure_page(viewer, person) -> bool:
    """The district office (a district admin of the person's district) or a superuser may look at erasing someone.

    Nobody erases themselves this way (a slip would lock them out of the
    records they keep for others), and a superuser account is never erased here.
    """
    if not viewer.is_authenticated or not viewer.is_active or viewer.pk == person.pk or person.is_superuser:
        return False
    if viewer.is_superuser:
        return True
    return viewer.is_district_admin and person.district_id is not None and person.district_id == viewer.district_id


def may_erase_people_of(viewer, school) -> bool:
    """Whether a school's people list offers erase links: its district office, or a superuser (each person's
    page then asks can_erase_person)."""
    if not viewer.is_authenticated or not viewer.is_active:
        return False
    return viewer.is_superuser or (viewer.is_district_admin and school.district_id == viewer.district_id)


def can_erase_person(viewer, person) -> bool:
    """A district admin erases teachers only; staff accounts (other admins, trainers, reviewers) only a superuser.

    A district admin who could erase other admins could remove the people
    who check their own work, and a trainer's erasure touches the courses and
    grading records of many teachers: that is the platform operator's call.
    """
    if not may_open_erasure_page(viewer, person):
        return False
    return viewer.is_superuser or not is_staff_account(person)


def can_export_person(viewer, person) -> bool:
    """A person's own data; admins who can see the person may hand it over on request."""
    return can_view_person(viewer, person)


def can_decide_external_training(viewer, record) -> bool:
    """The teacher's school admin, or a district admin of their district (never oneself)."""
    teacher = record.teacher
    if viewer.pk == teacher.pk or teacher.school_id is None:
        return False
    return can_administer_school(viewer, teacher.school)
