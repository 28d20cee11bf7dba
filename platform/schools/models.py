"""Records of the school and district administration app.

The accounts User model belongs to the accounts app, so what this app needs
to remember about a person (a pending first-login password change, reminder
preferences) lives in its own tables with a one-to-one link.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FirstLogin(models.Model):
    """A new account whose holder must choose their own password before anything else.

    `password_at_issue` is the password hash when the one-time password was
    issued: once the stored hash differs, the teacher has chosen a password,
    whichever way they did it (the change form, a reset link, an admin).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="first_login")
    must_change_password = models.BooleanField(default=True)
    password_at_issue = models.CharField(max_length=128)
    issued_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("first login")
        verbose_name_plural = _("first logins")

    def __str__(self) -> str:
        return f"{self.user_id}: {'pending' if self.must_change_password else 'done'}"


class RosterImport(models.Model):
    """An applied roster import: who imported how many teachers into which school, and when."""

    school = models.ForeignKey(
        "shixun_accounts.School", on_delete=models.CASCADE, related_name="roster_imports", verbose_name=_("school")
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("imported by")
    )
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")

    def __str__(self) -> str:
        return f"{self.school_id} @ {self.imported_at:%Y-%m-%d %H:%M}"


class ErasureRecord(models.Model):
    """That a person was erased, when and by whom: the audit trail of erasure itself.

    `person_id` is a plain number, not a foreign key: the record must not be
    one more place that holds on to the person.
    """

    person_id = models.PositiveBigIntegerField(_("person id"), db_index=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("erased by")
    )
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now)

    class Meta:
        ordering = ["-erased_at"]
        verbose_name = _("erasure record")
        verbose_name_plural = _("erasure records")

    def __str__(self) -> str:
        return f"#{self.person_id} @ {self.erased_at:%Y-%m-%d %H:%M}"
