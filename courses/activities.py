"""Activity kinds: what a module can ask of a learner, each declared by the app that owns it.

A kind (the lesson, a quiz, an assignment, an H5P activity, …) is declared in
ONE place, a hook in the owning app's `wagtail_hooks.py`:

    @hooks.register(ACTIVITY_KIND_HOOK)
    def quiz_kind():
        return ActivityKind(key="quiz", label=_("Quiz"), block=QuizBlock, done=_("…"), …)

`courses` iterates the declared kinds and never names the apps behind them:
the module body's activity blocks (ModuleBodyBlock), where a module places an
activity (`placed_ids`, `module_places`, `placements`), the learner-facing
status labels, the trainers' results entries in the admin menu (and the site
header), the personal data `schools` exports and erases, and the rows the
security suite's role × URL matrix must hold for the kind.

Progress is the same for every kind: the owning app reports a learner's
status on "<key>:<pk>" through `courses.progress.record_activity_status`; a
module is complete when every required placed activity (and the lesson) is
DONE. `done` says, for authors and trainers, what makes this kind DONE.

Kinds are read after every app is ready (the hooks import the apps' admin
wiring); reading them earlier is a programming error and raises.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from .blocks import ActivityBlock
    from .models import ModulePage

ACTIVITY_KIND_HOOK = "register_shixun_activity_kind"


@dataclass(frozen=True)
class ResultsEntry:
    """Where trainers see a kind's results: an item of the Wagtail admin menu, and optionally the site header."""

    url_name: str
    label: str
    shown_to: Callable[[object], bool]  # the signed-in user → whether to show the entry
    icon: str = "tasks"
    order: int = 900
    menu_name: str | None = None  # the admin menu item's name (Wagtail slugifies the label when None)
    header_label: str | None = None  # also a link in the site header, with this text


@dataclass(frozen=True)
class PersonalData:
    """One relation of the kind's models to a person: the arguments of schools.personal_data.register."""

    model: str  # "app_label.Model"
    field: str
    export: Callable | None = None
    erase: Callable | None = None
    keep_reason: str | None = None


@dataclass(frozen=True)
class ActivityKind:
    # The prefix of the activity key ("quiz" in "quiz:12") and the name of its module block, which is
    # stored in page data: never rename it.
    key: str
    label: str
    # The StreamField block (a courses.blocks.ActivityBlock) that places one activity in a module; None
    # for an implicit kind (the lesson: every module has one).
    block: type[ActivityBlock] | None = None
    done: str = ""  # what makes an activity of this kind DONE, in words
    status_labels: Mapping[str, str] = field(default_factory=dict)  # learner-facing, by ActivityStatus
    results: ResultsEntry | None = None
    personal_data: tuple[PersonalData, ...] = ()
    # Dotted path of the kind's rows in the security suite's role × URL matrix (a list of
    # tests.security.matrix.Row); tests/security fails for a kind without any.
    access_rows: str = ""

    def status_label(self, status: str) -> str:
        from .models import ActivityStatus

        return str(self.status_labels.get(status) or ActivityStatus(status).label)

    def make_block(self) -> ActivityBlock | None:
        return self.block() if self.block is not None else None

    @property
    def target_field(self) -> str | None:
        """The child of the block's stored value that holds the activity's primary key."""
        return self.block.target_field if self.block is not None else None


def activity_kinds() -> list[ActivityKind]:
    """Every declared kind, in app order (INSTALLED_APPS, then hook order)."""
    if not apps.ready:
        raise ImproperlyConfigured("activity kinds are read before every app is ready")
    return list(_kinds().values())


def get_kind(key: str) -> ActivityKind:
    """The kind of a key prefix ("quiz") or of a whole activity key ("quiz:12"). KeyError if none."""
    if not apps.ready:
        raise ImproperlyConfigured("activity kinds are read before every app is ready")
    return _kinds()[key.split(":", 1)[0]]


@functools.cache
def _kinds() -> dict[str, ActivityKind]:
    from wagtail import hooks

    from .blocks import ActivityBlock

    kinds: dict[str, ActivityKind] = {}
    for declare in hooks.get_hooks(ACTIVITY_KIND_HOOK):
        kind = declare()
        if kind.key in kinds or not kind.key or ":" in kind.key:
            raise ImproperlyConfigured(f"activity kind {kind.key!r} is declared twice or is not a valid key")
        if kind.block is not None and not (issubclass(kind.block, ActivityBlock) and kind.block.kind == kind.key):
            raise ImproperlyConfigured(f"activity kind {kind.key!r}: its block must be an ActivityBlock of that kind")
        kinds[kind.key] = kind
    return kinds


def activity_blocks() -> list[tuple[str, ActivityBlock]]:
    """(block name, new block) of every kind placed by a block: the module body's activity children."""
    return [(kind.key, kind.make_block()) for kind in activity_kinds() if kind.block is not None]


# --- Where a module places activities: read from the raw stream data, no query ----------------


def placed_ids(module: ModulePage, key: str) -> list[int]:
    """The primary keys of the kind's activities a module places, in page order, without duplicates."""
    target = get_kind(key).target_field
    ids: list[int] = []
    if target is None:
        return ids
    for block in module.body.raw_data:
        if block.get("type") != key:
            continue
        pk = (block.get("value") or {}).get(target)
        if isinstance(pk, int) and pk not in ids:
            ids.append(pk)
    return ids


def module_places(module: ModulePage, key: str, pk: int) -> bool:
    """Whether the module places the kind's activity `pk` (a learner may use it only through such a module)."""
    return pk in placed_ids(module, key)


def placements(modules: Iterable[ModulePage], key: str) -> list[tuple[ModulePage, int]]:
    """(module, activity pk) for every activity of the kind placed in the given modules."""
    return [(module, pk) for module in modules for pk in placed_ids(module, key)]
