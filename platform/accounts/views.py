from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shixun.config.conf import shixun_settings
from shixun.config.ratelimit import client_address, hit, wait_message

from . import throttling
from .forms import LoginForm, ProfileForm
from .models import District, Role, School
from .people import profile_of
from .permissions import (
    can_administer_district,
    can_administer_school,
    can_unlock_login,
    can_view_person,
    people_visible_to,
)
from .roles import role_home_url


def landing(request):
    """The public front page: a short welcome, or straight to one's own home."""
    if request.user.is_authenticated:
        return redirect(role_home_url(request.user))
    return render(request, "accounts/landing.html")


@login_required
def home(request):
    return redirect(role_home_url(request.user))


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return role_home_url(self.request.user)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        # Counted whether or not the address belongs to anyone, and refused with the same words
        # either way: the limit reveals nothing about which addresses exist.
        address = form.cleaned_data["email"].strip().lower()
        retry_after = max(
            hit("SHIXUN_RATE_LIMIT_PASSWORD_RESET_IP", client_address(self.request)) or 0,
            hit("SHIXUN_RATE_LIMIT_PASSWORD_RESET_ADDRESS", address) or 0,
        )
        if retry_after:
            form.add_error(None, _("Too many password reset requests for this address or from this network. "
                                   "No email was sent.") + " " + wait_message(retry_after))
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(retry_after)
            return response
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your contact details have been saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
def school_overview(request, code):
    school = get_object_or_404(School.objects.select_related("district"), code=code)
    if not can_administer_school(request.user, school):
        raise PermissionDenied
    teachers = (
        people_visible_to(request.user)
        .filter(shixun_profile__school=school, is_active=True)
        .select_related("shixun_profile")
        .prefetch_related("shixun_profile__categories", "shixun_profile__subjects")
        .order_by("shixun_profile__full_name")
    )
    return render(request, "accounts/school_overview.html", {"school": school, "teachers": teachers})


@login_required
def district_overview(request, code):
    district = get_object_or_404(District, code=code)
    if not can_administer_district(request.user, district):
        raise PermissionDenied
    schools = district.schools.annotate(
        teacher_count=Count(
            "profiles",
            filter=Q(profiles__user__is_active=True) & ~Q(profiles__user__groups__name=Role.DISTRICT_ADMIN),
        )
    ).order_by("name")
    return render(request, "accounts/district_overview.html", {"district": district, "schools": schools})


@login_required
def person_detail(request, pk):
    person = get_object_or_404(
        people_visible_to(request.user)
        .select_related("shixun_profile__school", "shixun_profile__district")
        .prefetch_related("shixun_profile__categories", "shixun_profile__subjects"),
        pk=pk,
    )
    # people_visible_to already scopes the lookup; the explicit check keeps the
    # rule visible where the object is used.
    if not can_view_person(request.user, person):
        raise PermissionDenied
    may_unlock = can_unlock_login(request.user, person)
    context = {
        "person": person,
        "may_unlock": may_unlock,
        "login_locked": may_unlock and throttling.is_login_locked(person),
        "cooloff_minutes": shixun_settings.SHIXUN_LOGIN_COOLOFF_MINUTES,
    }
    return render(request, "accounts/person_detail.html", context)


@login_required
@require_POST
def unlock_login(request, pk):
    """A school or district admin ends a teacher's login lockout at once (audited in the admin's log)."""
    person = get_object_or_404(people_visible_to(request.user), pk=pk)
    if not can_unlock_login(request.user, person):
        raise Http404
    throttling.unlock_login(request.user, person)
    messages.success(request, _("%(name)s can log in again now.") % {"name": profile_of(person).display_name})
    return redirect("accounts:person", pk=person.pk)
