from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from .throttling import UNLOCK_ACTION


@hooks.register("register_log_actions")
def account_log_actions(actions):
    # A school or district admin ended a teacher's login lockout (throttling.unlock_login).
    actions.register_action(UNLOCK_ACTION, _("Unlock login"), _("Login unlocked"))
