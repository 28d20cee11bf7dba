"""Who is acting in a state change, and the one error a refused actor gets.

Every service that changes state takes an `actor` and checks it against the
rules in the owning app's permissions.py (Wagtail's action.check() before
execute()). A caller with no person behind it (a task, the reconciliation
job, a management command, the demo seed) passes `SYSTEM`: the check is
skipped by name, and the records it writes say "no person", which audit
pages show as the system. A follow-on change whose rule was already checked
(a grade change that voids a certificate reverses its award) passes
`acting_for(person)`: no second check, and the person is still recorded.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


class SystemActor:
    """The platform acting on its own rules: permission checks are skipped; `person` is who gets recorded, if anyone."""

    def __init__(self, person=None):
        self.person = person

    def __repr__(self) -> str:
        return f"SystemActor(on behalf of {self.person!r})" if self.person is not None else "SYSTEM"


SYSTEM = SystemActor()


def acting_for(person) -> SystemActor:
    """Skip the check for a change the caller already authorised, recording `person` as the one who made it."""
    return SystemActor(person)


def is_system(actor) -> bool:
    return isinstance(actor, SystemActor)


def recorded_person(actor):
    """The user to store in graded_by / posted_by / actor columns: None for the system."""
    return actor.person if isinstance(actor, SystemActor) else actor


class NotPermitted(PermissionDenied):
    """The actor may not make this change; nothing has been written.

    A PermissionDenied, so a view that lets it through answers 403. Apps that
    report their own refusals as messages subclass it together with their
    error type, so one `except` still catches both kinds.
    """

    def __init__(self, message: str = ""):
        message = message or _("You are not allowed to do this.")
        super().__init__(message)
        self.message = message


def require(actor, allowed, message: str = "", *, error: type[NotPermitted] = NotPermitted) -> None:
    """Raise NotPermitted unless the actor is the system or `allowed(actor)` is true.

    `allowed` is a callable taking the actor (a permissions.py rule bound to
    its object), so the rule is not even evaluated for the system.
    """
    if is_system(actor):
        return
    if actor is None or not allowed(actor):
        raise error(message)
