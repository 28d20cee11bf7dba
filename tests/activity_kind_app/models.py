from django.conf import settings
from django.db import models


class Checklist(models.Model):
    """Things a learner confirms having done (read the rules, set up the classroom…), then signs."""

    title = models.CharField(max_length=200)
    items = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.title

    @property
    def activity_key(self) -> str:
        return f"checklist:{self.pk}"


class Signature(models.Model):
    """A learner signed a checklist in a module: that is what makes the activity DONE."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    checklist = models.ForeignKey(Checklist, on_delete=models.PROTECT, related_name="signatures")
    module = models.ForeignKey("shixun_courses.ModulePage", on_delete=models.CASCADE, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "checklist", "module"], name="activity_kind_app_signed_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} ✓ {self.checklist}"
