from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    default = True
    name = "shixun.inbox"
    label = "shixun_inbox"
    verbose_name = _("Inbox")
    default_auto_field = "django.db.models.BigAutoField"
