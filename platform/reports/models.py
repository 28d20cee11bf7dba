"""The district's criteria for outstanding learners, and the computed annual reports (a cache).

An AnnualReport row holds the figures of one district and year as computed
by `reports.figures.compute` (JSON, every school inside it), so the page
opens from one row once computed; recomputing replaces the figures. It is a
cache of the ledger, never a source: nothing reads hours from it but the
report's own page and files.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportCriteria(models.Model):
    """Who the district's annual report lists as an outstanding learner (优秀学员)."""

    district = models.OneToOneField(
        "shixun_accounts.District", on_delete=models.CASCADE, related_name="report_criteria",
        verbose_name=_("district"),
    )
    minimum_hours = models.DecimalField(
        _("minimum hours in the year"), max_digits=6, decimal_places=1, default=Decimal("80"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    all_requirements_met = models.BooleanField(
        _("every requirement met and none behind"), default=True,
    )
    minimum_grade = models.DecimalField(
        _("minimum average course grade"), max_digits=5, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Leave empty to ignore grades."),
    )

    class Meta:
        verbose_name = _("outstanding learner criteria")
        verbose_name_plural = _("outstanding learner criteria")

    def __str__(self) -> str:
        return str(self.district)


class AnnualReport(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to start")
        RUNNING = "running", _("Computing")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    district = models.ForeignKey("shixun_accounts.District", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # The last completed computation; kept while a recomputation runs so the page still opens.
    data = models.JSONField(null=True, blank=True)
    # The teacher lists (appraisal, at risk, outstanding): megabytes for a large district, so apart from
    # the figures, and read only by the appraisal list and the files.
    lists = models.JSONField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        constraints = [models.UniqueConstraint(fields=["district", "year"], name="shixun_annual_report_unique")]

    def __str__(self) -> str:
        return f"{self.district_id} {self.year} ({self.status})"

    # A computation pending or running longer than this was lost (a dead worker): it may be requested again.
    STALE = timedelta(minutes=10)

    @property
    def busy(self) -> bool:
        """A computation is under way (and not lost): the page waits for it instead of offering another."""
        return self.status in (self.Status.PENDING, self.Status.RUNNING) and (
            timezone.now() - self.requested_at < self.STALE
        )
