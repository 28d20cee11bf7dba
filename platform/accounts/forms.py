from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from wagtail.users.forms import UserCreationForm, UserEditForm

from .models import User


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
    so a teacher cannot move themselves to another school or category.
    """

    class Meta:
        model = User
        fields = ["phone", "email"]
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"})}

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip().replace(" ", "").replace("-", "")
        if phone and not (phone.isdigit() and 7 <= len(phone) <= 15):
            raise forms.ValidationError(_("Enter a phone number using digits only, e.g. 13800138000."))
        return phone


_SHIXUN_USER_FIELDS = ["full_name", "staff_number", "phone", "school", "categories", "subjects", "start_date"]


class AdminUserCreationForm(UserCreationForm):
    """Wagtail's user forms without first/last name, with Shixun's fields."""

    first_name = None
    last_name = None

    class Meta(UserCreationForm.Meta):
        fields = [User.USERNAME_FIELD, "email", "is_superuser", "groups", *_SHIXUN_USER_FIELDS]


class AdminUserEditForm(UserEditForm):
    first_name = None
    last_name = None

    class Meta(UserEditForm.Meta):
        fields = [User.USERNAME_FIELD, "email", "is_active", "is_superuser", "groups", *_SHIXUN_USER_FIELDS]
