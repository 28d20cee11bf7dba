"""What waits for a person: applications to decide, training to approve, work to grade, leave to answer.

Each app that creates such work says so through the Wagtail hook
``register_shixun_pending_work``: a function ``(user) -> list[PendingWork]``
that answers from the user's own roles and scope (a school admin's school, a
district admin's district, a trainer's courses), with one COUNT per kind of
work. The dashboards and the trainer's admin home show the list.
"""

from dataclasses import dataclass

from wagtail import hooks

PENDING_WORK_HOOK = "register_shixun_pending_work"


@dataclass(frozen=True)
class PendingWork:
    label: str  # translated: "报名申请待学校推荐"
    count: int
    url: str
    order: int = 100


def pending_work_for(user) -> list[PendingWork]:
    """Every kind of work waiting for this person, non-zero counts only, in a stable order."""
    if not getattr(user, "is_authenticated", False):
        return []
    found = [item for provider in hooks.get_hooks(PENDING_WORK_HOOK) for item in provider(user) if item.count]
    return sorted(found, key=lambda item: (item.order, item.label))
