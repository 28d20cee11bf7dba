"""Saving a district's requirement rule: the one state change of the rules pages."""

from django.db import transaction
from django.utils.translation import gettext as _

from shixun.accounts.actors import require

from .permissions import can_manage_rules


def save_rule(form, minimums, *, actor):
    """Save a validated RequirementRuleForm and its category-minimum formset together, or nothing.

    `actor` must manage the rule's district (permissions.can_manage_rules;
    accounts.actors.SYSTEM skips the check), else NotPermitted and nothing
    is written.
    """
    district = form.instance.district
    require(actor, lambda user: can_manage_rules(user, district), _("You cannot change this district's rules."))
    with transaction.atomic():
        saved = form.save()
        minimums.instance = saved
        minimums.save()
    return saved
