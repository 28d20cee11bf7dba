"""H5P activities, the libraries and package versions behind them, and learners' results.

- H5PLibrary: one H5P library (machine name + major.minor), stored once on
  disk and shared by every package that uses it, as H5P core, Moodle and
  Lumi do. A package bringing a newer patch version upgrades it in place.
  Installing or upgrading one needs the permission install_h5p_library.
- H5PLibraryRequest: a package whose upload would install or upgrade a
  library, from someone without that permission, held for approval.
- H5PActivity: what a trainer manages and a module page places. Its rules
  (completed, or passed with a threshold; whether a score may complete a
  module at all) belong to the activity, not to a package version.
- H5PContent: one uploaded package version of an activity (h5p.json and
  content/ on disk). Replacing the package adds a version and points the
  activity at it; results stay with the activity.
- H5PStatement: one xAPI statement a learner's player sent, stored once
  (unique per learner, activity and dedupe key).
- H5PResult: what the statements add up to per learner and activity.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class H5PLibrary(models.Model):
    machine_name = models.CharField(_("machine name"), max_length=255)
    major_version = models.PositiveIntegerField(_("major version"))
    minor_version = models.PositiveIntegerField(_("minor version"))
    patch_version = models.PositiveIntegerField(_("patch version"))
    title = models.CharField(_("title"), max_length=255)
    runnable = models.BooleanField(_("runnable"), default=False)
    # library.json as uploaded: preloadedJs/Css and dependencies for the player.
    metadata = models.JSONField(_("library.json"), default=dict)
    # Folder under the H5P storage root (see storage.py), e.g. "libraries/H5P.Foo-1.2.3-ab12cd".
    storage_dir = models.CharField(max_length=300, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("H5P library")
        verbose_name_plural = _("H5P libraries")
        ordering = ["machine_name", "major_version", "minor_version"]
        # Library code runs in every activity that uses it: installing one is trusted with the site.
        permissions = [("install_h5p_library", _("Can install and upgrade H5P libraries"))]
        constraints = [
            models.UniqueConstraint(
                fields=["machine_name", "major_version", "minor_version"], name="shixun_h5p_library_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.machine_name} {self.version}"

    @property
    def version(self) -> str:
        return f"{self.major_version}.{self.minor_version}.{self.patch_version}"

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.machine_name, self.major_version, self.minor_version)

    @property
    def folder_name(self) -> str:
        """The folder name H5P players look a library up by."""
        return f"{self.machine_name}-{self.major_version}.{self.minor_version}"


class CompletionRule(models.TextChoices):
    COMPLETED = "completed", _("Completed: the learner finished the activity")
    PASSED = "passed", _("Passed: the learner reached the pass mark")


class H5PActivity(models.Model):
    title = models.CharField(_("title"), max_length=200)
    completion_rule = models.CharField(
        _("done when"), max_length=20, choices=CompletionRule.choices, default=CompletionRule.PASSED
    )
    pass_mark = models.DecimalField(
        _("pass mark (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("60"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("For “passed”: the lowest score, as a percentage of the maximum, that counts as passed."),
    )
    score_may_complete = models.BooleanField(
        _("its result may complete a module"),
        default=True,
        help_text=_(
            "Scores of H5P activities are computed in the learner's browser and can be forged. Untick this for "
            "practice activities: results are still recorded, but never complete a module. Place such an "
            "activity as not required."
        ),
    )
    current_content = models.ForeignKey(
        "H5PContent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("current package"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("H5P activity")
        verbose_name_plural = _("H5P activities")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def activity_key(self) -> str:
        return f"h5p:{self.pk}"


class H5PContent(models.Model):
    """One uploaded package version of an activity."""

    activity = models.ForeignKey(H5PActivity, on_delete=models.CASCADE, related_name="versions")
    title = models.CharField(_("title in the package"), max_length=255)
    main_library = models.ForeignKey(H5PLibrary, on_delete=models.PROTECT, related_name="+")
    # Every library the content needs, packaged or already installed.
    libraries = models.ManyToManyField(H5PLibrary, related_name="contents")
    metadata = models.JSONField(_("h5p.json"), default=dict)
    # Folder under the H5P storage root holding h5p.json and content/.
    storage_dir = models.CharField(max_length=300, unique=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    unpacked_size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("H5P package version")
        verbose_name_plural = _("H5P package versions")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.file_name or self.pk})"


class H5PLibraryRequest(models.Model):
    """A package held until someone with install_h5p_library approves the libraries it brings.

    The uploaded file is kept as it came (under the H5P root, never served)
    and imported again on approval; until then nothing of it is installed.
    The row stays after the decision: who decided what and when.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    activity = models.ForeignKey(H5PActivity, on_delete=models.CASCADE, related_name="library_requests")
    # [{"machine_name", "major", "minor", "patch", "title", "installed_patch" (None: a new library)}]
    libraries = models.JSONField(_("libraries"), default=list)
    package_path = models.CharField(max_length=300, blank=True)  # under the H5P root; emptied once decided
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)  # why an approval failed

    class Meta:
        verbose_name = _("H5P library request")
        verbose_name_plural = _("H5P library requests")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.activity} · {self.library_list}"

    @property
    def library_list(self) -> str:
        """"H5P.Foo 1.2.3, H5P.Bar 2.0.1": the libraries the package would install or upgrade."""
        return ", ".join(
            f"{item['machine_name']} {item['major']}.{item['minor']}.{item['patch']}" for item in self.libraries
        )


class H5PStatement(models.Model):
    # No index of their own (db_index=False): the unique (user, activity, dedupe_key) and the (activity, user)
    # index below start with each, and serve every lookup by either (the cascades of a deleted learner or
    # activity, the personal-data export). Every statement's INSERT maintained both for nothing (issue 18).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="h5p_statements", db_index=False
    )
    activity = models.ForeignKey(H5PActivity, on_delete=models.CASCADE, related_name="statements", db_index=False)
    content = models.ForeignKey(H5PContent, null=True, on_delete=models.SET_NULL, related_name="statements")
    module = models.ForeignKey("shixun_courses.ModulePage", null=True, on_delete=models.SET_NULL, related_name="+")
    # The statement's own id when it has one, else a hash of its content:
    # a replayed statement has the same key and is stored only once.
    dedupe_key = models.CharField(max_length=64)
    verb = models.CharField(max_length=300)
    scaled_score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    raw_score = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    success = models.BooleanField(null=True)
    completion = models.BooleanField(null=True)
    statement = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("xAPI statement")
        verbose_name_plural = _("xAPI statements")
        constraints = [
            models.UniqueConstraint(fields=["user", "activity", "dedupe_key"], name="shixun_h5p_statement_unique")
        ]
        indexes = [models.Index(fields=["activity", "user"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.verb.rsplit('/', 1)[-1]} {self.activity_id}"


class H5PResult(models.Model):
    """A learner's standing on an activity, derived from their statements (never typed in).

    Kept up to date one statement at a time (results.record_statement) under
    this row's lock: every figure is a maximum, an "or" or a count, so the
    running values equal a derivation from all statements, whatever their
    order, without re-reading them.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="h5p_results")
    activity = models.ForeignKey(H5PActivity, on_delete=models.CASCADE, related_name="results")
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    best_scaled_score = models.DecimalField(_("best score"), max_digits=5, decimal_places=4, null=True, blank=True)
    completed = models.BooleanField(_("completed"), default=False)
    passed = models.BooleanField(_("passed"), default=False)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    # The running figures "attempts" and "passed" are made of: attempts are
    # the finishing statements, or the answers while there are none; passed
    # is the best score of a statement not marked failed against the pass
    # mark (kept separately so a changed pass mark can be applied again).
    finished_count = models.PositiveIntegerField(default=0)
    answered_count = models.PositiveIntegerField(default=0)
    best_passable_scaled_score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)

    class Meta:
        verbose_name = _("H5P result")
        verbose_name_plural = _("H5P results")
        constraints = [models.UniqueConstraint(fields=["user", "activity"], name="shixun_h5p_result_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.activity}"

    @property
    def best_percent(self) -> Decimal | None:
        if self.best_scaled_score is None:
            return None
        return (self.best_scaled_score * 100).quantize(Decimal("0.1"))
