"""The admin form of an H5P activity: its rules plus the .h5p file.

The package is validated and extracted while the form is cleaned, so every
refusal is shown on the file field and nothing is stored; it is saved with
the activity only when the whole form is valid. A package that would
install or upgrade a library, from someone without install_h5p_library,
is held for approval instead (packages.request_approval): the activity is
saved, its current package stays as it was.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

# The form class is built when Wagtail loads the hooks, in every process; the package machinery (pyh5p,
# the archive checks) is imported when a package is cleaned or saved.


class H5PActivityForm(WagtailAdminModelForm):
    package = forms.FileField(
        label=_("H5P package (.h5p file)"),
        required=False,
        help_text=_(
            "A .h5p file exported from an H5P editor (Lumi, h5p.org, Moodle). Uploading a new file replaces the "
            "content; learners' results are kept."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".h5p"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared = None
        self.fields["title"].required = False
        self.fields["title"].help_text = _("Leave empty to use the title inside the package.")
        if self.instance.pk is None:
            self.fields["package"].required = True

    def clean_package(self):
        upload = self.cleaned_data.get("package")
        if not upload:
            return upload
        from .packages import PackageRefused, prepare_package

        try:
            self.prepared = prepare_package(upload)
        except PackageRefused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from refused
        return upload

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("title"):
            if self.prepared is not None:
                cleaned["title"] = self.prepared.info.title[:200]
                self.instance.title = cleaned["title"]
            elif self.instance.pk is not None:
                self.add_error("title", _("Enter a title."))
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        if self.errors and self.prepared is not None:
            # The form goes back to the trainer: do not keep the extracted files.
            self.prepared.discard()
            self.prepared = None

    def save(self, commit=True):
        activity = super().save(commit=commit)
        if self.prepared is not None:
            upload = self.cleaned_data["package"]
            user = getattr(self, "for_user", None)
            from .packages import LibraryNeedsApproval, may_install_libraries, request_approval, store_package

            try:
                store_package(
                    self.prepared,
                    activity=activity,
                    file_name=getattr(upload, "name", ""),
                    uploaded_by=user,
                    may_install=may_install_libraries(user),
                )
            except LibraryNeedsApproval as held:
                request_approval(upload, held, activity=activity, file_name=getattr(upload, "name", ""),
                                 requested_by=user)
            self.prepared = None
        return activity
