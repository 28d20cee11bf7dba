"""Copy every user's teacher data (name, staff number, school, categories, …) to a profile.

The teacher fields move off the user model so Shixun can run on a host site's
own AUTH_USER_MODEL. On the standalone site the user model is still
shixun_accounts.User; this copies what it holds, M2M rows included.
"""

from django.db import migrations

FIELDS = ("full_name", "staff_number", "phone", "district_id", "school_id", "start_date")


def copy_to_profiles(apps, schema_editor):
    User = apps.get_model("shixun_accounts", "User")
    if User._meta.swapped:
        return  # a host site's own user model: it never had these fields
    Profile = apps.get_model("shixun_accounts", "Profile")
    have_profile = set(Profile.objects.values_list("user_id", flat=True))
    for user in User.objects.exclude(pk__in=have_profile).iterator():
        profile = Profile.objects.create(user_id=user.pk, **{name: getattr(user, name) for name in FIELDS})
        profile.categories.set(user.categories.all())
        profile.subjects.set(user.subjects.all())


class Migration(migrations.Migration):
    dependencies = [("shixun_accounts", "0004_profile")]
    operations = [migrations.RunPython(copy_to_profiles, migrations.RunPython.noop)]
