"""Every relation to a person in Shixun and the third-party apps it installs, registered.

Imported by SchoolsConfig.ready(). Apps may later register their own models
in their own modules; until they do, their models are registered here (a
label of an app that is not installed is skipped). The owners know their data
best: where they disagree with a choice below, they register their own and
remove the line here. Activity kinds (quizzes, assignments, H5P, …) declare
theirs with the kind (courses.activities.ActivityKind.personal_data).

"Kept" rows stay because they are records the district must retain (credit,
completions, scores) or are someone else's work (course pages, media, audit
trails); once the person is erased they refer to an anonymous shell, so they
no longer identify anyone.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from shixun.accounts.people import profile_of

from .personal_data import (
    ANONYMOUS_NAME,
    AUTHORSHIP,
    CREDIT_RECORD,
    LEARNING_RECORD,
    delete_rows,
    register,
    rows,
)


def export_profile(user) -> list[dict]:
    profile = profile_of(user)
    saved = profile.pk is not None  # a user without a profile row has no categories or subjects to list
    return [
        {
            "id": user.pk,
            "username": user.get_username(),
            "full_name": profile.full_name,
            "staff_number": profile.staff_number,
            "email": getattr(user, "email", ""),
            "phone": profile.phone,
            "district": profile.district.name if profile.district_id else None,
            "school": profile.school.name if profile.school_id else None,
            "categories": [c.name for c in profile.categories.all()] if saved else [],
            "subjects": [s.name for s in profile.subjects.all()] if saved else [],
            "start_date": profile.start_date.isoformat() if profile.start_date else None,
            "roles": sorted(user.groups.values_list("name", flat=True)),
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "is_active": user.is_active,
        }
    ]


def export_trained_courses(user) -> list[dict]:
    return [{"course_id": c.pk, "title": c.title} for c in user.trained_courses.all()]


# --- accounts and this app ------------------------------------------------------
register(
    settings.AUTH_USER_MODEL,
    "pk",
    export=export_profile,
    keep_reason=_("The user row stays as an anonymous shell so kept records stay consistent; see anonymise_user."),
)
register(
    "shixun_accounts.Profile",
    "user",
    keep_reason=_("The profile stays with the anonymous user row (exported with it; anonymise_user blanks it)."),
)
register("shixun_accounts.FirstLogin", "user", export=rows(exclude={"password_at_issue"}), erase=delete_rows())
# In-site messages to the person (decisions, reminders): theirs to read, and gone with them.
register("shixun_inbox.Message", "recipient", export=rows(), erase=delete_rows())
register("shixun_schools.RosterImport", "imported_by", keep_reason=AUTHORSHIP)
register("shixun_schools.ErasureRecord", "erased_by", keep_reason=AUTHORSHIP)

# --- courses --------------------------------------------------------------------
for field in ("owner", "locked_by"):
    register("wagtailcore.Page", field, keep_reason=AUTHORSHIP)
register("shixun_courses.CoursePage", "trainers", export=export_trained_courses, keep_reason=AUTHORSHIP)
register("shixun_courses.Enrolment", "user", export=rows(), keep_reason=LEARNING_RECORD)
register("shixun_courses.EnrolmentEvent", "actor", keep_reason=AUTHORSHIP)
register("shixun_courses.AssignmentRule", "created_by", keep_reason=AUTHORSHIP)
register("shixun_courses.EnrolmentApplication", "user", export=rows(), keep_reason=LEARNING_RECORD)
register("shixun_courses.EnrolmentApplication", "school_decided_by", keep_reason=AUTHORSHIP)
register("shixun_courses.EnrolmentApplication", "district_decided_by", keep_reason=AUTHORSHIP)
register("shixun_courses.ActivityProgress", "user", export=rows(), keep_reason=LEARNING_RECORD)
register("shixun_courses.VideoWatch", "user", export=rows(), keep_reason=LEARNING_RECORD)
register("shixun_courses.StudyTime", "user", export=rows(), keep_reason=LEARNING_RECORD)
register("shixun_courses.ModuleCompletion", "user", export=rows(), keep_reason=CREDIT_RECORD)
register("shixun_courses.CourseCompletion", "user", export=rows(), keep_reason=CREDIT_RECORD)

# --- transcripts ------------------------------------------------------------------
register("shixun_transcripts.LedgerEntry", "learner", export=rows(), keep_reason=CREDIT_RECORD)
register("shixun_transcripts.LedgerEntry", "posted_by", keep_reason=AUTHORSHIP)
register("shixun_transcripts.CreditAuditEvent", "actor", keep_reason=AUTHORSHIP)
register("shixun_transcripts.ComponentScore", "learner", export=rows(), keep_reason=LEARNING_RECORD)
register("shixun_transcripts.ComponentScore", "recorded_by", keep_reason=AUTHORSHIP)
register("shixun_transcripts.CourseAttendance", "learner", export=rows(), keep_reason=LEARNING_RECORD)
register("shixun_transcripts.CourseAttendance", "recorded_by", keep_reason=AUTHORSHIP)
register("shixun_transcripts.TrainingFile", "learner", export=rows(), keep_reason=CREDIT_RECORD)
register("shixun_transcripts.TrainingFile", "produced_by", keep_reason=AUTHORSHIP)


def pseudonymise_certificates(user) -> None:
    """Certificates copy the learner's name at issue; the kept certificate shows the pseudonym instead.

    Their stored PDFs print the real name: transcripts deletes the files
    once the erasure commits (a rolled-back erasure keeps them), and the
    next download renders a fresh one with the pseudonym.
    """
    from django.apps import apps

    from shixun.transcripts.certificates import forget_stored_pdfs

    certificate = apps.get_model("shixun_transcripts", "Certificate")
    if any(f.name == "learner_name" for f in certificate._meta.concrete_fields):
        certificate.objects.filter(learner=user).update(learner_name=ANONYMOUS_NAME.format(pk=user.pk))
    forget_stored_pdfs(user)


register("shixun_transcripts.Certificate", "learner", export=rows(), erase=pseudonymise_certificates)

# --- Wagtail and Django -------------------------------------------------------------
# Preferences and the avatar picture (a file: delete_rows removes it).
register("wagtailusers.UserProfile", "user", export=rows(), erase=delete_rows())
register("wagtailadmin.EditingSession", "user", export=rows(), erase=delete_rows())
register("wagtailadmin.FormState", "user", export=rows(), erase=delete_rows())
register("wagtailcore.APIToken", "user", export=rows(exclude={"key", "token"}), erase=delete_rows())
register("wagtailcore.PageSubscription", "user", export=rows(), erase=delete_rows())
register("wagtailcore.Comment", "user", export=rows(), keep_reason=AUTHORSHIP)
register("wagtailcore.Comment", "resolved_by", keep_reason=AUTHORSHIP)
register("wagtailcore.CommentReply", "user", export=rows(), keep_reason=AUTHORSHIP)
register("wagtailcore.Revision", "user", keep_reason=AUTHORSHIP)
register("wagtailcore.WorkflowState", "requested_by", keep_reason=AUTHORSHIP)
register("wagtailcore.TaskState", "finished_by", keep_reason=AUTHORSHIP)
register("wagtailcore.ModelLogEntry", "user", keep_reason=AUTHORSHIP)
register("wagtailcore.PageLogEntry", "user", keep_reason=AUTHORSHIP)
register("wagtailcore.UploadedFile", "uploaded_by_user", keep_reason=AUTHORSHIP)
register("wagtaildocs.Document", "uploaded_by_user", keep_reason=AUTHORSHIP)
register("wagtailimages.Image", "uploaded_by_user", keep_reason=AUTHORSHIP)
register("admin.LogEntry", "user", keep_reason=AUTHORSHIP)


def erase_export_jobs(user) -> None:
    """Exports a person asked for hold other teachers' records: when the person goes, their files go.

    Exports anyone else made that may hold the person's name lose their files
    too (schools.jobs.withdraw_exports_of); those jobs stay, marked withdrawn.
    """
    from django.core.files.storage import storages
    from django.db import transaction

    from .jobs import stored_names, withdraw_exports_of
    from .models import ExportJob

    jobs = ExportJob.objects.filter(requested_by=user)
    names = stored_names(jobs.values("pk"))
    jobs.delete()
    storage = storages["private"]
    transaction.on_commit(lambda: [storage.delete(name) for name in names])
    withdraw_exports_of(user)


register("shixun_schools.ExportJob", "requested_by", export=rows(), erase=erase_export_jobs)


def scrub_external_training(user) -> None:
    """Certificate scans are the person's uploads: they go. The approved hours stay in the ledger."""
    from django.db import transaction

    from .models import ExternalTraining

    records = ExternalTraining.objects.filter(teacher=user)
    doomed = [(r.certificate.storage, r.certificate.name) for r in records.only("pk", "certificate") if r.certificate]
    records.update(certificate="", certificate_content_type="")
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in doomed])


register("shixun_schools.ExternalTraining", "teacher", export=rows(), erase=scrub_external_training)
register("shixun_schools.ExternalTraining", "decided_by", keep_reason=AUTHORSHIP)
register("shixun_schools.GroupCredit", "registered_by", keep_reason=AUTHORSHIP)
register("shixun_schools.ReminderPreference", "user", export=rows(), erase=delete_rows())
register("shixun_schools.ReminderSent", "user", export=rows(), erase=delete_rows())
