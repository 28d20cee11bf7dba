"""People and the organisations they belong to: district → school → teacher.

Roles are Django groups (so Wagtail's admin permissions hang off them) and are
scoped by the user's own school or district: a school admin administers the
school they belong to, a district admin the district they belong to.
"""

from collections.abc import Callable
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from shixun.config.i18n import localised


class District(models.Model):
    """A district education bureau (教育局) and its training office."""

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="schools", verbose_name=_("district")
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40, unique=True)

    class Meta:
        ordering = ["district__name", "name"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")

    # Checks other apps add on school codes (schools refuses codes its URLs use), so a bad code is a
    # form error in every admin form and not only a refused save. Each check raises ValidationError.
    code_checks: ClassVar[list[Callable[[str], None]]] = []

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        try:
            for check in self.code_checks:
                check(self.code)
        except ValidationError as error:
            raise ValidationError({"code": error.error_list}) from error


class TeacherCategory(models.Model):
    """A category that changes a teacher's requirements (新任教师, 班主任, …).

    A table rather than fixed choices so requirement rules, course audiences and
    roster imports can refer to categories a district adds itself.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(
        _("English name"), max_length=50, blank=True, help_text=_("Shown on English pages; empty: the Chinese name.")
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("teacher category")
        verbose_name_plural = _("teacher categories")

    def __str__(self) -> str:
        # In the page's language: audiences and filter choices show it as it is.
        return localised(self, "name")


class Subject(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """Group names of the scoped roles; a user without any of them is a teacher."""

    TRAINER = "trainers", _("Trainer")
    REVIEWER = "reviewers", _("Course reviewer")
    SCHOOL_ADMIN = "school-admins", _("School admin")
    DISTRICT_ADMIN = "district-admins", _("District admin")


class User(AbstractUser):
    """The standalone site's user model; a host site keeps its own (Meta.swappable).

    Teacher data (name, staff number, school, categories, …) is on accounts.Profile,
    so nothing in Shixun needs this class: it only stays because Django cannot
    switch an existing project's user model.
    """

    # Chinese names are not first/last: the full name is on the profile.
    first_name = None
    last_name = None

    objects = UserManager()
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["shixun_profile__full_name", "username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # The standalone site's user model; a host site keeps its own.
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        from .people import profile_of

        return profile_of(self).display_name

    def get_full_name(self) -> str:
        from .people import profile_of

        return profile_of(self).full_name

    def get_short_name(self) -> str:
        return self.get_full_name()


class Profile(models.Model):
    """Shixun's data about a person, kept beside whatever user model the site uses.

    A host site keeps its own AUTH_USER_MODEL (Django's default included); the
    teacher's school, staff number, categories and the like live here, one row
    per user. Read it through accounts.people.profile_of, which also answers for
    users without a row (a host's superuser): an empty profile with no roles.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shixun_profile", verbose_name=_("user")
    )
    # Chinese names are not first/last: one full-name field.
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    staff_number = models.CharField(
        _("staff number"), max_length=40, blank=True, help_text=_("Unique within a district (工号).")
    )
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="profiles",
        verbose_name=_("district"),
    )
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="profiles",
        verbose_name=_("school"),
    )
    categories = models.ManyToManyField(
        TeacherCategory, blank=True, related_name="profiles", verbose_name=_("teacher categories")
    )
    subjects = models.ManyToManyField(Subject, blank=True, related_name="profiles", verbose_name=_("subjects"))
    start_date = models.DateField(
        _("start date"), null=True, blank=True, help_text=_("Date the teacher started teaching (入职日期).")
    )
    # Kept by shixun.inbox.services (a count of the person's unread messages), so the header shows it
    # without a query of its own.
    unread_messages = models.PositiveIntegerField(default=0, editable=False)
    also_teaches = models.BooleanField(
        _("also teaches"),
        default=False,
        help_text=_(
            "For staff with a role (school admin, trainer, reviewer) who also teach classes: they then count as "
            "teachers on dashboards, in exports and when courses are assigned."
        ),
    )

    class Meta:
        verbose_name = _("teacher profile")
        verbose_name_plural = _("teacher profiles")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "staff_number"],
                condition=~Q(staff_number=""),
                name="shixun_profile_staff_number_unique_in_district",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        # The district follows the school, so staff-number uniqueness and
        # district scoping never disagree with the school a teacher is in.
        if self.school_id is not None:
            self.district_id = School.objects.only("district_id").get(pk=self.school_id).district_id
        # Every change of school passes here (the user admin, the roster import, the demo): the school
        # history (SchoolHistory) is kept in the same transaction, so it cannot be forgotten.
        update_fields = kwargs.get("update_fields")
        moved = self.school_id != getattr(self, "_saved_school_id", None) and (
            update_fields is None or "school" in update_fields or "school_id" in update_fields
        )
        if not moved:
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            super().save(*args, **kwargs)
            SchoolHistory.record(self)
        self._saved_school_id = self.school_id

    @classmethod
    def from_db(cls, db, field_names, values):
        profile = super().from_db(db, field_names, values)
        profile._saved_school_id = profile.__dict__.get("school_id")  # what save() compares with
        return profile

    @property
    def display_name(self) -> str:
        if self.full_name:
            return self.full_name
        user = self.user if self.user_id is not None else None
        if user is None:
            return ""
        get_full_name = getattr(user, "get_full_name", None)
        return (get_full_name() if get_full_name else "") or user.get_username()

    @cached_property
    def role_names(self) -> frozenset[str]:
        if self.user_id is None or not getattr(self.user, "pk", None):
            return frozenset()
        return frozenset(self.user.groups.values_list("name", flat=True))

    def has_role(self, role: Role) -> bool:
        return role.value in self.role_names

    @property
    def is_trainer(self) -> bool:
        return self.has_role(Role.TRAINER)

    @property
    def is_reviewer(self) -> bool:
        return self.has_role(Role.REVIEWER)

    @property
    def is_school_admin(self) -> bool:
        return self.school_id is not None and self.has_role(Role.SCHOOL_ADMIN)

    @property
    def is_district_admin(self) -> bool:
        return self.district_id is not None and self.has_role(Role.DISTRICT_ADMIN)


class SchoolHistory(models.Model):
    """One stay of a teacher at a school: from `since` to `until` (empty: still there).

    Written only by Profile.save when the profile's school changes
    (SchoolHistory.record); the teacher's training file shows it. A stay
    that began before the history was kept has no `since`. Hours are never
    kept here: the ledger is their one source.
    """

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="school_history")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name=_("school"))
    since = models.DateField(_("from"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("school history")
        verbose_name_plural = _("school history")
        ordering = [models.F("since").asc(nulls_first=True), "pk"]
        indexes = [models.Index(fields=["profile", "until"])]

    def __str__(self) -> str:
        return f"{self.school} {self.since or '…'}–{self.until or ''}"

    @classmethod
    def record(cls, profile, on=None) -> None:
        """The profile's school is now `profile.school_id` (as of `on`, today by default): the stay at another
        school ends, a stay at this one begins (none when the teacher has left for no school)."""
        on = on or timezone.localdate()
        cls.objects.filter(profile=profile, until__isnull=True).exclude(school_id=profile.school_id).update(until=on)
        if profile.school_id is not None and not cls.objects.filter(
            profile=profile, until__isnull=True, school_id=profile.school_id
        ).exists():
            cls.objects.create(profile=profile, school_id=profile.school_id, since=on)


class FirstLogin(models.Model):
    """A new account whose holder must choose their own password before anything else.

    `password_at_issue` is the password hash when the one-time password was
    issued: once the stored hash differs, the teacher has chosen a password,
    whichever way they did it (the change form, a reset link, an admin).
    Written only through accounts.first_login.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="first_login")
    must_change_password = models.BooleanField(default=True)
    password_at_issue = models.CharField(max_length=128)
    issued_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table was created by the schools app, which owned this model
        # until first-login handling moved here; keeping its name kept its rows.
        db_table = "shixun_schools_firstlogin"
        verbose_name = _("first login")
        verbose_name_plural = _("first logins")

    def __str__(self) -> str:
        return f"{self.user_id}: {'pending' if self.must_change_password else 'done'}"

