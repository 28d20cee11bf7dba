from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from wagtail.users.forms import UserCreationForm, UserEditForm

from .models import Profile
from .people import profile_of


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username or staff number"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )
    error_messages = {
        "invalid_login": _(
            "The username or staff number and password do not match. Check them and try again; "
            "if you forgot your password, use the reset link below."
        ),
        "inactive": _("This account is disabled. Please ask your school's administrator."),
    }


class ProfileForm(forms.ModelForm):
    """What a teacher may change about themselves: contact details only.

    Name, staff number, school and categories come from the school's roster,
    so a teacher cannot move themselves to another school or category. The
    phone number is on the profile, the email on the user (whatever the user model).
    """

    phone = forms.CharField(
        label=_("mobile phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    class Meta:
        model = get_user_model()
        fields = ["email"]

    field_order = ["phone", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].initial = profile_of(self.instance).phone

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip().replace(" ", "").replace("-", "")
        if phone and not (phone.isdigit() and 7 <= len(phone) <= 15):
            raise forms.ValidationError(_("Enter a phone number using digits only, e.g. 13800138000."))
        return phone

    def save(self, commit=True):
        user = super().save(commit=commit)
        profile = profile_of(user)
        profile.phone = self.cleaned_data["phone"]
        if commit:
            profile.save()
        return user


PROFILE_FIELDS = [
    "full_name", "staff_number", "phone", "school", "categories", "subjects", "start_date", "also_teaches",
]
ProfileFieldsForm = forms.modelform_factory(Profile, fields=PROFILE_FIELDS)


class ProfileFieldsMixin:
    """Shixun's profile fields on a user form (Wagtail's user admin), saved to the user's profile.

    The fields are those of a Profile ModelForm, so labels, widgets and the
    staff-number-per-district constraint behave as they did on the user model.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance if self.instance.pk else None
        self._profile = profile_of(instance) if instance else Profile()
        self._profile_form = ProfileFieldsForm(
            self.data if self.is_bound else None, instance=self._profile, prefix=None
        )
        for name in PROFILE_FIELDS:
            self.fields[name] = self._profile_form.fields[name]
            if not self.is_bound and self._profile.pk:
                value = self._profile_form.initial.get(name)
                if value is not None:
                    self.initial[name] = value
        # Required on the user model before the profile existed: the admin keeps asking for it.
        self.fields["full_name"].required = True

    def clean(self):
        cleaned = super().clean()
        # The profile form cleans the same data again and runs the profile's own checks.
        if not self._profile_form.is_valid():
            for name, errors in self._profile_form.errors.items():
                for error in errors:
                    self.add_error(name if name in self.fields else None, error)
        return cleaned

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            self._save_profile(user)
        else:
            save_m2m = self.save_m2m

            def save_all_m2m():
                save_m2m()
                self._save_profile(user)

            self.save_m2m = save_all_m2m
        return user

    def _save_profile(self, user):
        profile = self._profile_form.save(commit=False)
        profile.user = user
        profile.save()
        self._profile_form.save_m2m()
        # Read again by profile_of: this form's instance is the one in the cache.
        Profile.user.field.remote_field.set_cached_value(user, profile)


class AdminUserCreationForm(ProfileFieldsMixin, UserCreationForm):
    """Wagtail's user forms without first/last name, with Shixun's profile fields."""

    first_name = None
    last_name = None

    class Meta(UserCreationForm.Meta):
        fields = [get_user_model().USERNAME_FIELD, "email", "is_superuser", "groups"]


class AdminUserEditForm(ProfileFieldsMixin, UserEditForm):
    first_name = None
    last_name = None

    class Meta(UserEditForm.Meta):
        fields = [get_user_model().USERNAME_FIELD, "email", "is_active", "is_superuser", "groups"]
