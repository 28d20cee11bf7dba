"""Every admin view of every registered snippet model and page type, as every admin-side role.

The models come from Wagtail's registries, so a newly registered snippet or page
type is opened here without anyone adding it. Each request must either render
(200) where Wagtail's own permission rules let the role in, or be refused
cleanly (a redirect that is not to the login page, 403, 404) where they do not;
a server error fails the cell either way. Whether a role *should* have a right is
the security matrix's question (tests/security/matrix.py), not this one's.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from wagtail.admin.views.pages.listing import IndexView as PageIndexView
from wagtail.fields import RichTextField
from wagtail.models import Page, get_page_models
from wagtail.permission_policies.pages import PagePermissionPolicy
from wagtail.snippets.models import get_snippet_models

pytestmark = pytest.mark.django_db

# Everyone who may enter Wagtail's admin (access_admin): course staff, and district admins.
ROLES = ("superuser", "trainer", "reviewer", "district_admin")
SEARCH = "冒烟测试"
REFUSED = (302, 403, 404)

# Snippet views that answer GET with a page of their own. A viewset URL not named here fails
# test_every_snippet_view_is_known, so a new kind of view (revisions, locking or preview, once
# a model gains the mixin) is taught to this test on purpose, not skipped silently.
SNIPPET_PAGES = ("list", "list_results", "add", "edit", "copy", "delete", "usage", "history",
                 "history_results", "inspect")


def snippet_cells():
    for model in get_snippet_models():
        for pattern in model.snippet_viewset.get_urlpatterns():
            if pattern.name in SNIPPET_PAGES:
                for role in ROLES:
                    yield pytest.param(model, pattern.name, role, id=f"{model._meta.label}|{pattern.name}|{role}")


CHOOSER_VIEWS = ("choose", "choose_results", "chosen")


def chooser_cells():
    for model in get_snippet_models():
        for view in CHOOSER_VIEWS:
            for role in ROLES:
                yield pytest.param(model, view, role, id=f"{model._meta.label}|chooser {view}|{role}")


PAGE_VIEWS = ("explore parent", "explore", "explore search", "add", "choose parent", "type use", "edit", "history",
              "usage", "delete", "copy", "move")


def page_cells():
    for model in get_page_models():
        for view in PAGE_VIEWS:
            for role in ROLES:
                yield pytest.param(model, view, role, id=f"{model._meta.label}|{view}|{role}")


def _view_permission(pattern) -> tuple:
    """The permission a Wagtail model view checks, as its class and the viewset configure it."""
    view = pattern.callback.view_class(**pattern.callback.view_initkwargs)
    return (getattr(view, "permission_policy", None), getattr(view, "permission_required", None),
            getattr(view, "any_permission_required", None))


def _may(user, policy, required, any_required) -> bool:
    if policy is None:
        return True
    if required:
        return policy.user_has_permission(user, required)
    if any_required:
        return policy.user_has_any_permission(user, any_required)
    return True


def assert_answer(response, url, role, expect_page):
    """Rendered where expected (True), refused cleanly where not (False); None: either, by the view's own choice."""
    status = response.status_code
    where = f"{role} GET {url}: {status} {response.get('Location', '')}"
    assert status != 500, where
    if expect_page:
        assert status == 200, f"{where} (Wagtail's permissions let this role in: the view must render)"
        is_json = response["Content-Type"].startswith("application/json")  # a chooser's answer to its modal
        assert response.templates or is_json, f"{where} rendered no template"
    else:
        assert status in ((200, *REFUSED) if expect_page is None else REFUSED), where
        if status == 302:
            assert not response["Location"].startswith(reverse("wagtailadmin_login")), f"{where} (logged out?)"


def test_every_snippet_view_is_known():
    for model in get_snippet_models():
        names = {p.name for p in model.snippet_viewset.get_urlpatterns()}
        unknown = names - set(SNIPPET_PAGES)
        assert not unknown, f"{model._meta.label}: teach the smoke test to open {sorted(unknown)}"


def test_every_registered_model_has_an_object(smoke_objects):
    models = [*get_snippet_models(), *get_page_models()]
    missing = [model._meta.label for model in models if _instance(model, smoke_objects) is None]
    assert not missing, f"no object to open for {missing}: add one to tests/admin_smoke/conftest.py"


def _instance(model, smoke_objects):
    """The fresh object made for this model, else any existing one (a new model is opened all the same)."""
    if model._meta.label in smoke_objects:
        return model._default_manager.get(pk=smoke_objects[model._meta.label].pk)
    if issubclass(model, Page):
        return Page.objects.filter(content_type=ContentType.objects.get_for_model(model), depth__gt=1).first()
    return model._default_manager.order_by("pk").last()


@pytest.mark.parametrize(("model", "view", "role"), list(snippet_cells()))
def test_snippet_view(client, world, smoke_objects, model, view, role):
    user = world.role(role)
    viewset = model.snippet_viewset
    pattern = next(p for p in viewset.get_urlpatterns() if p.name == view)
    obj = _instance(model, smoke_objects)
    assert obj is not None, f"no {model._meta.label} to open"
    args = [quote(str(obj.pk))] if "pk" in pattern.pattern.converters else []
    url = reverse(viewset.get_url_name(view), args=args)
    client.force_login(user)
    expect_page = _may(user, *_view_permission(pattern))
    assert_answer(client.get(url), url, role, expect_page)
    if view in ("list", "list_results"):  # searching runs other code (the search backend or the ORM)
        assert_answer(client.get(url, {"q": SEARCH}), f"{url}?q={SEARCH}", role, expect_page)


@pytest.mark.parametrize(("model", "view", "role"), list(chooser_cells()))
def test_snippet_chooser(client, world, smoke_objects, model, view, role):
    from shixun.accounts.admin_choosers import may_choose

    user = world.role(role)
    chooser = model.snippet_viewset.chooser_viewset
    obj = _instance(model, smoke_objects)
    url = reverse(chooser.get_url_name(view), args=[quote(str(obj.pk))] if view == "chosen" else [])
    # Whoever may use the model may choose it; for the others it depends on the chooser (Wagtail's
    # own asks only for admin access, accounts/admin_choosers.py for a model permission).
    expect_page = True if may_choose(user, model) else None
    client.force_login(user)
    assert_answer(client.get(url), url, role, expect_page)
    if view != "chosen":
        assert_answer(client.get(url, {"q": SEARCH}), f"{url}?q={SEARCH}", role, expect_page)


def _page_request(model, view, page, user):
    """(url, whether Wagtail's page permissions let the user in) for one page view."""
    perms = page.permissions_for_user(user)
    parent = page.get_parent()
    label = (model._meta.app_label, model._meta.model_name)
    policy = PagePermissionPolicy()
    may_list = policy.user_has_any_permission(user, PageIndexView.any_permission_required)

    def explorable(p):
        root = policy.explorable_root_instance(user) if may_list else None
        return root is not None and (p.pk == root.pk or p.is_descendant_of(root))

    if view == "explore parent":
        return reverse("wagtailadmin_explore", args=[parent.pk]), explorable(parent)
    if view == "explore":
        return reverse("wagtailadmin_explore", args=[page.pk]), explorable(page)
    if view == "explore search":
        return reverse("wagtailadmin_explore", args=[page.pk]) + f"?q={quote(SEARCH)}", explorable(page)
    if view == "add":
        parent_perms = parent.permissions_for_user(user)
        may = (parent_perms.can_add_subpage() and model in parent.specific_class.creatable_subpage_models()
               and model.can_create_at(parent))
        return reverse("wagtailadmin_pages:add", args=[*label, parent.pk]), may
    if view == "choose parent":  # renders a choice, or goes straight to "add" when there is one parent
        return reverse("wagtailadmin_pages:choose_parent", args=label), None
    if view == "type use":
        return reverse("wagtailadmin_pages:type_use", args=label), may_list
    if view in ("edit", "history", "usage"):
        return reverse(f"wagtailadmin_pages:{view}", args=[page.pk]), perms.can_edit()
    if view == "delete":
        return reverse("wagtailadmin_pages:delete", args=[page.pk]), perms.can_delete()
    if view == "copy":
        return reverse("wagtailadmin_pages:copy", args=[page.pk]), perms.can_copy()
    if view == "move":
        return reverse("wagtailadmin_pages:move", args=[page.pk]), perms.can_move()
    raise AssertionError(view)


@pytest.mark.parametrize(("model", "view", "role"), list(page_cells()))
def test_page_view(client, world, smoke_objects, model, view, role):
    user = world.role(role)
    page = _instance(model, smoke_objects)
    assert page is not None, f"no {model._meta.label} page to open"
    url, expect_page = _page_request(model, view, page.specific, user)
    client.force_login(user)
    response = client.get(url)
    assert_answer(response, url, role, expect_page)


@pytest.mark.parametrize(("model", "role"), [
    pytest.param(model, role, id=f"{model._meta.label}|{role}") for model in get_snippet_models() for role in ROLES
])
def test_snippet_edit_form_saves_unchanged(client, world, smoke_objects, model, role):
    """Saving the edit form as rendered (what 'Save' does with nothing changed) succeeds and changes nothing."""
    from django.forms.models import model_to_dict

    from .forms import form_data

    user = world.role(role)
    viewset = model.snippet_viewset
    pattern = next(p for p in viewset.get_urlpatterns() if p.name == "edit")
    if not _may(user, *_view_permission(pattern)):
        pytest.skip(f"{role} may not edit {model._meta.label}")
    obj = _instance(model, smoke_objects)
    url = reverse(viewset.get_url_name("edit"), args=[quote(str(obj.pk))])
    client.force_login(user)
    page = client.get(url)
    assert page.status_code == 200
    data = form_data(page.content.decode(), url)
    assert data, f"no form posting to {url}"
    response = client.post(url, data)
    if response.status_code == 200 and response.context and "form" in response.context:
        form = response.context["form"]
        errors = {**form.errors, **{name: fs.errors for name, fs in getattr(form, "formsets", {}).items()}}
        pytest.fail(f"{role} POST {url} refused the unchanged form: {errors} {form.non_field_errors()}")
    assert response.status_code == 302, f"{role} POST {url}: {response.status_code}"
    # Rich text is compared loosely: without JavaScript an empty editor posts an empty paragraph.
    rich = [f.name for f in model._meta.get_fields() if isinstance(f, RichTextField)]
    assert model_to_dict(model._default_manager.get(pk=obj.pk), exclude=rich) == model_to_dict(obj, exclude=rich)
