"""Messages to one person in the site itself: teachers rarely read email.

A message is stored as an untranslated text with its values (subject, body,
params), and translated when it is shown, so the teacher reads it in the
language the page is in, also after switching. The unread count for the header
is kept on the person's profile (Profile.unread_messages) by shixun.inbox.services,
so the header costs no query of its own.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shixun_messages",
        verbose_name=_("recipient"),
    )
    # What it is about and its occurrence, e.g. "application-approved:42": the same key to the
    # same person is one message, so a retried task or a repeated decision never sends it twice.
    key = models.CharField(max_length=120)
    subject = models.CharField(max_length=300)  # an untranslated msgid with %(name)s placeholders
    body = models.TextField(blank=True)  # likewise
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True)  # where to act on it (a path on this site)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="shixun_inbox_one_message_per_key"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="shixun_inbox_unread")]

    def __str__(self) -> str:
        return self.subject_text

    def _render(self, text: str) -> str:
        if not text:
            return ""
        translated = gettext(text)
        try:
            return translated % self.params if self.params else translated
        except (KeyError, TypeError, ValueError):
            return translated  # a message never fails to show because a value is missing

    @property
    def subject_text(self) -> str:
        return self._render(self.subject)

    @property
    def body_text(self) -> str:
        return self._render(self.body)

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
