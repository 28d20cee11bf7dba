"""Object-level permission rules for people and organisations.

Every view that shows a person or an organisation asks these functions; they
are the one place the scoping rules live. A school admin sees the people of
their own school, a district admin the people and schools of their own
district, everyone sees themselves, and the site superuser sees everything.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from .models import District, School
from .people import profile_of

User = get_user_model()


def people_visible_to(viewer: User) -> QuerySet[User]:
    people = User.objects.all()
    if not viewer.is_authenticated or not viewer.is_active:
        return people.none()
    if viewer.is_superuser:
        return people
    scope = Q(pk=viewer.pk)
    if profile_of(viewer).is_district_admin:
        scope |= Q(shixun_profile__district_id=profile_of(viewer).district_id)
    if profile_of(viewer).is_school_admin:
        scope |= Q(shixun_profile__school_id=profile_of(viewer).school_id)
    return people.filter(scope)


def schools_visible_to(viewer: User) -> QuerySet[School]:
    schools = School.objects.select_related("district")
    if not viewer.is_authenticated or not viewer.is_active:
        return schools.none()
    if viewer.is_superuser:
        return schools
    scope = Q(pk__in=[])
    if profile_of(viewer).is_district_admin:
        scope |= Q(district_id=profile_of(viewer).district_id)
    if profile_of(viewer).is_school_admin:
        scope |= Q(pk=profile_of(viewer).school_id)
    return schools.filter(scope)


def can_view_person(viewer: User, person: User) -> bool:
    if not viewer.is_authenticated or not viewer.is_active:
        return False
    if viewer.pk == person.pk or viewer.is_superuser:
        return True
    if profile_of(viewer).is_district_admin and profile_of(person).district_id == profile_of(viewer).district_id:
        return True
    return profile_of(viewer).is_school_admin and profile_of(person).school_id == profile_of(viewer).school_id


def can_administer_school(viewer: User, school: School) -> bool:
    if not viewer.is_authenticated or not viewer.is_active:
        return False
    if viewer.is_superuser:
        return True
    if profile_of(viewer).is_district_admin and school.district_id == profile_of(viewer).district_id:
        return True
    return profile_of(viewer).is_school_admin and school.pk == profile_of(viewer).school_id


def can_administer_district(viewer: User, district: District) -> bool:
    if not viewer.is_authenticated or not viewer.is_active:
        return False
    profile = profile_of(viewer)
    return viewer.is_superuser or (profile.is_district_admin and profile.district_id == district.pk)


def can_unlock_login(viewer: User, person: User) -> bool:
    """End a login lockout: a school admin for their school, a district admin for their district, superusers all."""
    if not viewer.is_authenticated or not viewer.is_active or viewer.pk == person.pk:
        return False
    if viewer.is_superuser:
        return True
    mine, theirs = profile_of(viewer), profile_of(person)
    if mine.is_district_admin and mine.district_id and theirs.district_id == mine.district_id:
        return True
    return bool(mine.is_school_admin and mine.school_id and theirs.school_id == mine.school_id)
