"""Object-level permission rules for people and organisations.

Every view that shows a person or an organisation asks these functions; they
are the one place the scoping rules live. A school admin sees the people of
their own school, a district admin the people and schools of their own
district, everyone sees themselves, and the site superuser sees everything.
"""

from django.db.models import Q, QuerySet

from .models import District, School, User


def people_visible_to(viewer: User) -> QuerySet[User]:
    people = User.objects.all()
    if not viewer.is_authenticated or not viewer.is_active:
        return people.none()
    if viewer.is_superuser:
        return people
    scope = Q(pk=viewer.pk)
    if viewer.is_district_admin:
        scope |= Q(district_id=viewer.district_id)
    if viewer.is_school_admin:
        scope |= Q(school_id=viewer.school_id)
    return people.filter(scope)


def schools_visible_to(viewer: User) -> QuerySet[School]:
    schools = School.objects.select_related("district")
    if not viewer.is_authenticated or not viewer.is_active:
        return schools.none()
    if viewer.is_superuser:
        return schools
    scope = Q(pk__in=[])
    if viewer.is_district_admin:
        scope |= Q(district_id=viewer.district_id)
    if viewer.is_school_admin:
        scope |= Q(pk=viewer.school_id)
    return schools.filter(scope)


def can_view_person(viewer: User, person: User) -> bool:
    if not viewer.is_authenticated or not viewer.is_active:
        return False
    if viewer.pk == person.pk or viewer.is_superuser:
        return True
    if viewer.is_district_admin and person.district_id == viewer.district_id:
        return True
    return viewer.is_school_admin and person.school_id == viewer.school_id


def can_administer_school(viewer: User, school: School) -> bool:
    if not viewer.is_authenticated or not viewer.is_active:
        return False
    if viewer.is_superuser:
        return True
    if viewer.is_district_admin and school.district_id == viewer.district_id:
        return True
    return viewer.is_school_admin and school.pk == viewer.school_id


def can_administer_district(viewer: User, district: District) -> bool:
    if not viewer.is_authenticated or not viewer.is_active:
        return False
    return viewer.is_superuser or (viewer.is_district_admin and viewer.district_id == district.pk)
