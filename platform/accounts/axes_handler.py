"""Axes' database handler with Shixun's two limits (see throttling.py, which names it in AXES_HANDLER)."""

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.db.models import Sum

from shixun.config.conf import shixun_settings


class ShixunAxesHandler(AxesDatabaseHandler):
    """One limit per account, a higher one per address.

    Axes compares one number with one limit; this handler reports an address
    that passed its own limit as a full account limit, so the lockout, the
    signal and the response all follow axes' own path.
    """

    def get_failures(self, request, credentials=None) -> int:
        counts = [
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        if len(counts) != 2:  # a site that set its own AXES_LOCKOUT_PARAMETERS gets axes' own rule
            return max(counts, default=0)
        by_account, by_address = counts  # AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
        if by_address >= shixun_settings.SHIXUN_LOGIN_IP_FAILURE_LIMIT:
            return max(by_account, shixun_settings.SHIXUN_LOGIN_FAILURE_LIMIT)
        return by_account

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        # That account's failures only, from every address; the addresses' own counts stay.
        AccessAttempt.objects.filter(username=user.get_username()).delete()
