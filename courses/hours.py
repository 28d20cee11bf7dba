"""Hours a learner has earned, for the dashboard.

For now the sum of their module completions' hours by the year they were
completed (local time). The credit ledger (transcripts) is the authority on
hours once it exists (it adds external training and reversals); swapping this
function for its service is the one change the dashboard needs.
"""

from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from .models import ModuleCompletion


def hours_earned_in_year(user, year: int | None = None) -> Decimal:
    year = year or timezone.localdate().year
    total = ModuleCompletion.objects.filter(user=user, completed_at__year=year).aggregate(total=Sum("credit_hours"))
    return total["total"] or Decimal("0")
