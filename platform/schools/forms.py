from django import forms
from django.utils.translation import gettext_lazy as _

from . import roster


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Teacher list"),
        help_text=_("CSV or Excel (.xlsx). The first row holds the column headers."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > roster.MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(mb)d MB).") % {"mb": roster.MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


class TokenForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=2000)
