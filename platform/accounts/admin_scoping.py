"""Snippet views on one object that answer 404 for an object outside the user's scope.

Wagtail's snippet views check model permissions only: a trainer who may change
sessions could open another trainer's session by its id. A viewset that mixes
in ``ObjectScopedViewSet`` says who may open an object (``may_open``), and
every view on one object (edit, copy, delete, usage, history, inspect) then
answers 404 for anyone else: no hint that the object exists. The listing is
scoped by the viewset's own ``get_queryset``.

Use::

    class SessionViewSet(ObjectScopedViewSet, SnippetViewSet):
        def may_open(self, user, session):
            return can_run_course_sessions(user, session.course)
"""

from django.http import Http404

OBJECT_VIEWS = ("edit", "copy", "delete", "usage", "history", "inspect")


def _scoped(view_class, may_open):
    class ScopedObject:
        def get_object(self, *args, **kwargs):
            obj = super().get_object(*args, **kwargs)
            if not may_open(self.request.user, obj):
                raise Http404
            return obj

    return type(f"Scoped{view_class.__name__}", (ScopedObject, view_class), {})


class ObjectScopedViewSet:
    """Mix in before SnippetViewSet; define ``may_open(user, obj)``."""

    def may_open(self, user, obj) -> bool:
        raise NotImplementedError(f"{type(self).__name__} must say who may open one of its objects")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in OBJECT_VIEWS:
            attribute = f"{name}_view_class"
            setattr(self, attribute, _scoped(getattr(self, attribute), self.may_open))
